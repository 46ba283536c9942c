//! An ONNX model run by ONNX Runtime: its input and output layout, found when it loads, and one
//! batch run from a float32 feature matrix.

use std::path::Path;
use std::sync::Mutex;

use anyhow::{anyhow, bail};
use ort::session::Session;
use ort::value::{TensorElementType, TensorRef, ValueType};
use polars::prelude::*;

use super::onnxruntime::ort_environment;
use crate::data::{CallError, CallErrorKind, ColumnType, Dataset};
use crate::policy::TaskType;

/// An ONNX model session with its input/output layout.
pub struct OnnxModel {
    pub(super) session: Mutex<Session>,
    pub(super) input: String,
    pub(super) n_features: Option<usize>,
    pub(super) label_output: Option<(String, TensorElementType)>,
    pub(super) proba_output: Option<String>,
    pub(super) value_output: Option<String>,
}

/// Row-major f32 matrix of the features. Nulls are refused: ONNX models need complete inputs.
pub(super) fn feature_matrix(data: &Dataset, features: &[String]) -> Result<Vec<f32>, CallError> {
    let n = data.rows();
    let f = features.len();
    let mut x = vec![0f32; n * f];
    for (j, name) in features.iter().enumerate() {
        let s = data.series(name)?;
        if !ColumnType::of(s.dtype()).is_numeric() {
            return Err(CallError::new(
                CallErrorKind::UnsupportedType,
                format!(
                    "feature `{name}` of dataset `{}` is {}; ONNX models take numeric features",
                    data.name,
                    s.dtype()
                ),
            ));
        }
        let s = s
            .cast(&DataType::Float32)
            .map_err(|e| CallError::new(CallErrorKind::Failed, e.to_string()))?;
        let ca = s
            .f32()
            .map_err(|e| CallError::new(CallErrorKind::Failed, e.to_string()))?;
        for (i, v) in ca.iter().enumerate() {
            x[i * f + j] = v.unwrap_or(f32::NAN);
        }
    }
    Ok(x)
}

pub(super) struct RawOutputs {
    pub(super) labels: Option<Series>,
    pub(super) proba: Option<(Vec<f32>, usize)>,
    pub(super) values: Option<Vec<f64>>,
}

impl OnnxModel {
    pub(super) fn load(
        name: &str,
        path: &Path,
        task: TaskType,
        n_features: usize,
    ) -> anyhow::Result<OnnxModel> {
        let what = || format!("model `{name}` ({})", path.display());
        let session = Session::builder(ort_environment()?)
            .map_err(|e| anyhow!("cannot configure ONNX Runtime: {e}"))?
            .with_intra_threads(1)
            .map_err(|e| anyhow!("cannot configure ONNX Runtime: {e}"))?
            .commit_from_file(path)
            .map_err(|e| {
                anyhow!(
                    "cannot load {} as an ONNX model: {e}; check `models.{name}.onnx` in the policy: export the model \
                     to ONNX (e.g. with skl2onnx), or, for a model the gate cannot run, give `predictions = \"column\"` \
                     instead",
                    what()
                )
            })?;
        let inputs = session.inputs();
        if inputs.len() != 1 {
            bail!(
                "{} has {} inputs ({}); modelgate feeds one float tensor [rows, features]",
                what(),
                inputs.len(),
                inputs
                    .iter()
                    .map(|i| i.name().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let input = &inputs[0];
        let model_features = match input.dtype() {
            ValueType::Tensor {
                ty: TensorElementType::Float32,
                shape,
                ..
            } if shape.len() == 2 => (shape[1] > 0).then_some(shape[1] as usize),
            other => bail!(
                "{}: input `{}` is {other:?}; expected a float tensor [rows, features]",
                what(),
                input.name()
            ),
        };
        if let Some(k) = model_features {
            if k != n_features {
                bail!(
                    "{} expects {k} features but the gate feeds {n_features}; list the model's inputs in order in \
                     `task.features`",
                    what()
                );
            }
        }
        let mut label_output = None;
        let mut proba_output = None;
        let mut value_output = None;
        for o in session.outputs() {
            if let ValueType::Tensor { ty, shape, .. } = o.dtype() {
                match (task, ty, shape.len()) {
                    // One value per row: [rows] or [rows, 1]; a [rows, k] float output is class probabilities.
                    (
                        TaskType::Regression,
                        TensorElementType::Float32 | TensorElementType::Float64,
                        n,
                    ) if value_output.is_none() && (n == 1 || (n == 2 && shape[1] == 1)) => {
                        value_output = Some(o.name().to_string())
                    }
                    (_, TensorElementType::Int64 | TensorElementType::String, 1)
                        if label_output.is_none() =>
                    {
                        label_output = Some((o.name().to_string(), *ty))
                    }
                    (_, TensorElementType::Float32, 2) if proba_output.is_none() => {
                        proba_output = Some(o.name().to_string())
                    }
                    _ => {}
                }
            }
        }
        let outputs: Vec<String> = session
            .outputs()
            .iter()
            .map(|o| format!("{} {:?}", o.name(), o.dtype()))
            .collect();
        match task {
            TaskType::Regression if value_output.is_none() => bail!(
                "{} has no output of one float per row ([rows] or [rows, 1]) for a regression task (outputs: {}); \
                 check `task.type`: {}",
                what(),
                outputs.join("; "),
                if label_output.is_some() {
                    "the model outputs class labels, so it is a classifier — set `task.type = \"binary\"` or \"multiclass\""
                } else {
                    "export the regressor with a single float output"
                }
            ),
            TaskType::Binary | TaskType::Multiclass if label_output.is_none() => bail!(
                "{} has no label output (int64 or string tensor [rows]) for a {task} task (outputs: {}); check \
                 `task.type`, and export classifiers with zipmap disabled",
                what(),
                outputs.join("; ")
            ),
            _ => {}
        }
        let input = input.name().to_string();
        Ok(OnnxModel {
            session: Mutex::new(session),
            input,
            n_features: model_features,
            label_output,
            proba_output,
            value_output,
        })
    }

    pub(super) fn run(
        &self,
        x: &[f32],
        rows: usize,
        n_features: usize,
    ) -> anyhow::Result<RawOutputs> {
        debug_assert!(self.n_features.is_none_or(|k| k == n_features));
        let tensor = TensorRef::from_array_view(([rows, n_features], x))?;
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let outputs = session.run(ort::inputs![self.input.as_str() => tensor])?;
        let labels = match &self.label_output {
            Some((name, TensorElementType::Int64)) => {
                let (_, v) = outputs[name.as_str()].try_extract_tensor::<i64>()?;
                Some(Series::new("prediction".into(), v))
            }
            Some((name, _)) => {
                let (_, v) = outputs[name.as_str()].try_extract_strings()?;
                Some(Series::new("prediction".into(), v))
            }
            None => None,
        };
        let proba = match &self.proba_output {
            Some(name) => {
                let (shape, v) = outputs[name.as_str()].try_extract_tensor::<f32>()?;
                let k = if shape.len() == 2 {
                    shape[1] as usize
                } else {
                    1
                };
                if v.len() != rows * k {
                    bail!("probability output has {} values for {rows} rows", v.len());
                }
                Some((v.to_vec(), k))
            }
            None => None,
        };
        let values = match &self.value_output {
            Some(name) => {
                let v = &outputs[name.as_str()];
                let vals: Vec<f64> = match v.try_extract_tensor::<f32>() {
                    Ok((_, v)) => v.iter().map(|x| *x as f64).collect(),
                    Err(_) => v.try_extract_tensor::<f64>()?.1.to_vec(),
                };
                if vals.len() != rows {
                    bail!(
                        "regression output has {} values for {rows} rows; expected one per row",
                        vals.len()
                    );
                }
                Some(vals)
            }
            None => None,
        };
        Ok(RawOutputs {
            labels,
            proba,
            values,
        })
    }
}
