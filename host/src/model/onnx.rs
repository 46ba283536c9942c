//! An ONNX model run by ONNX Runtime: its input and output layout, found when it loads, and one
//! batch run from a feed of input tensors.

use std::path::Path;
use std::sync::Mutex;

use anyhow::anyhow;
use ort::ep;
use ort::session::Session;

use super::feed::{self, Feed, Layout};
use super::onnxruntime::ort_environment;
use super::outputs::{self, Outputs, RawOutputs};
use crate::policy::{ModelSpec, TaskType};

/// An ONNX model session with its input/output layout.
pub struct OnnxModel {
    pub(super) session: Mutex<Session>,
    pub(super) layout: Layout,
    pub(super) outputs: Outputs,
    /// What a null text feature goes in as (`models.NAME.null_text`).
    pub(super) null_text: String,
}

impl OnnxModel {
    pub(super) fn load(
        name: &str,
        path: &Path,
        task: TaskType,
        spec: &ModelSpec,
        features: &[String],
    ) -> anyhow::Result<OnnxModel> {
        let what = format!("model `{name}` ({})", path.display());
        let session = Session::builder(ort_environment()?)
            .map_err(|e| anyhow!("cannot configure ONNX Runtime: {e}"))?
            .with_intra_threads(1)
            .map_err(|e| anyhow!("cannot configure ONNX Runtime: {e}"))?
            // Without the CPU arena, a run's tensors go back to the allocator when it ends: the
            // arena would keep the largest run's intermediates (about 80 MiB a model at 1M rows)
            // for the rest of the gate.
            .with_execution_providers([ep::CPU::default().with_arena_allocator(false).build()])
            .map_err(|e| anyhow!("cannot configure ONNX Runtime: {e}"))?
            .commit_from_file(path)
            .map_err(|e| {
                anyhow!(
                    "cannot load {what} as an ONNX model: {e}; check `models.{name}.onnx` in the policy: export the model \
                     to ONNX (e.g. with skl2onnx), or, for a model the gate cannot run, give `predictions = \"column\"` \
                     instead"
                )
            })?;
        let map = spec.inputs.clone().unwrap_or_default();
        let layout = feed::layout(name, &what, session.inputs(), features, &map)?;
        let outputs = outputs::find(
            name,
            &what,
            session.outputs(),
            task,
            &spec.outputs.clone().unwrap_or_default(),
            spec.scores,
        )?;
        Ok(OnnxModel {
            session: Mutex::new(session),
            layout,
            outputs,
            null_text: spec.null_text.clone().unwrap_or_default(),
        })
    }

    /// Runs the graph on one feed of `rows` rows; `classes` are the model's classes in
    /// probability order.
    pub(super) fn run(
        &self,
        feed: &Feed,
        rows: usize,
        classes: &[String],
    ) -> anyhow::Result<RawOutputs> {
        let inputs: Vec<(&str, &ort::value::DynValue)> =
            feed.iter().map(|(n, v)| (n.as_str(), v)).collect();
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let outputs = session.run(inputs)?;
        self.outputs.read(&outputs, rows, classes)
    }
}
