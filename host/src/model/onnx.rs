//! An ONNX model run by ONNX Runtime: its input and output layout, decided from the graph's
//! signature when it loads (read from the cache when an earlier run kept it: then the session is
//! only opened if a run needs it), and one batch run from a feed of input tensors.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use anyhow::anyhow;
use ort::ep;
use ort::session::Session;

use super::cache::ModelCache;
use super::feed::{self, Feed, Layout};
use super::onnxruntime::{init_onnxruntime, ort_environment};
use super::outputs::{self, Outputs, RawOutputs};
use super::signature::Signature;
use crate::policy::{ModelSpec, TaskType};

/// An ONNX model session with its input/output layout.
pub struct OnnxModel {
    /// Opened when the model loads, or (its signature cached) when it first runs.
    session: OnceLock<Result<Mutex<Session>, String>>,
    /// The file, and the ONNX Runtime library named by the policy or `--onnxruntime`.
    file: PathBuf,
    onnxruntime: Option<PathBuf>,
    /// The model's name in the policy, for errors.
    name: String,
    pub(super) layout: Layout,
    pub(super) outputs: Outputs,
    /// What a null text feature goes in as (`models.NAME.null_text`).
    pub(super) null_text: String,
}

/// `model `NAME` (FILE)`, as errors name a model.
fn what(name: &str, path: &Path) -> String {
    format!("model `{name}` ({})", path.display())
}

/// Opens a session on the model file (ONNX Runtime loaded first).
fn open(name: &str, path: &Path, onnxruntime: Option<&Path>) -> anyhow::Result<Session> {
    init_onnxruntime(onnxruntime)?;
    Session::builder(ort_environment()?)
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
            let what = what(name, path);
            anyhow!(
                "cannot load {what} as an ONNX model: {e}; check `models.{name}.onnx` in the policy: export the model \
                 to ONNX (e.g. with skl2onnx), or, for a model the gate cannot run, give `predictions = \"column\"` \
                 instead"
            )
        })
}

impl OnnxModel {
    /// Loads a model: its signature from `cache` (under `key`) when an earlier run kept it, else
    /// from a session opened now (and kept for the next run).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn load(
        name: &str,
        path: &Path,
        task: TaskType,
        spec: &ModelSpec,
        features: &[String],
        onnxruntime: Option<&Path>,
        cache: Option<(&ModelCache, &str)>,
    ) -> anyhow::Result<OnnxModel> {
        let what = what(name, path);
        let session = OnceLock::new();
        let signature = match cache.and_then(|(c, key)| c.signature(key)) {
            Some(s) => s,
            None => {
                let opened = open(name, path, onnxruntime)?;
                let s = Signature::of(&opened);
                if let Some((c, key)) = cache {
                    c.keep_signature(key, &s);
                }
                let _ = session.set(Ok(Mutex::new(opened)));
                s
            }
        };
        let map = spec.inputs.clone().unwrap_or_default();
        let layout = feed::layout(name, &what, &signature.inputs, features, &map)?;
        let outputs = outputs::find(
            name,
            &what,
            &signature.outputs,
            task,
            &spec.outputs.clone().unwrap_or_default(),
            spec.scores,
        )?;
        Ok(OnnxModel {
            session,
            file: path.to_path_buf(),
            onnxruntime: onnxruntime.map(Path::to_path_buf),
            name: name.to_string(),
            layout,
            outputs,
            null_text: spec.null_text.clone().unwrap_or_default(),
        })
    }

    /// Whether the session is open (else the model file is read again when the model first runs).
    pub(super) fn is_open(&self) -> bool {
        self.session.get().is_some()
    }

    /// Opens the session now if the signature came from the cache: ONNX Runtime must be loaded
    /// before a tensor is made.
    pub(super) fn ready(&self) -> anyhow::Result<()> {
        self.session().map(drop)
    }

    /// The session, opened now if the signature came from the cache.
    fn session(&self) -> anyhow::Result<MutexGuard<'_, Session>> {
        let s = self.session.get_or_init(|| {
            open(&self.name, &self.file, self.onnxruntime.as_deref())
                .map(Mutex::new)
                .map_err(|e| format!("{e:#}"))
        });
        match s {
            Ok(s) => Ok(s.lock().unwrap_or_else(|p| p.into_inner())),
            Err(e) => Err(anyhow!("{e}")),
        }
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
        let mut session = self.session()?;
        let outputs = session.run(inputs)?;
        self.outputs.read(&outputs, rows, classes)
    }
}
