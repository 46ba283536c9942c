//! Models: ONNX files run in-process by ONNX Runtime (through `ort`, loaded dynamically), or
//! prediction columns already present in the data.
//!
//! Predictions on a dataset are computed once per (model, dataset) and shared by every check as a
//! table with a `prediction` column and, for classifiers, `proba_0..proba_{k-1}` in class order.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use anyhow::{anyhow, bail, Context as _};
use ort::session::Session;
use ort::value::{TensorElementType, TensorRef, ValueType};
use polars::prelude::*;

use crate::data::{CallError, CallErrorKind, ColumnType, Dataset};
use crate::policy::{ModelSpec, TaskType};

/// Pinned ONNX Runtime version the repo's set-up installs; named in error messages.
pub const ONNXRUNTIME_VERSION: &str = "1.23.2";

/// Most timed iterations one `benchmark` call may ask for.
pub const MAX_BENCH_ITERATIONS: u32 = 10_000;

static ORT_ENV: OnceLock<Result<(PathBuf, ort::environment::Environment), String>> =
    OnceLock::new();

/// Finds the ONNX Runtime shared library: the explicit path (policy `runtime.onnxruntime` or
/// `--onnxruntime`), `ORT_DYLIB_PATH`, the active or a project-local Python environment's
/// `onnxruntime` package, then the system library path.
pub fn find_onnxruntime(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        if p.is_file() {
            return Ok(p.to_path_buf());
        }
        bail!("the ONNX Runtime library {} does not exist (from runtime.onnxruntime or --onnxruntime)", p.display());
    }
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Ok(p);
        }
        bail!(
            "ORT_DYLIB_PATH points to {}, which does not exist",
            p.display()
        );
    }
    let mut venvs: Vec<PathBuf> = std::env::var_os("VIRTUAL_ENV")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    if let Ok(cwd) = std::env::current_dir() {
        venvs.extend(cwd.ancestors().map(|a| a.join(".venv")));
    }
    if let Ok(exe) = std::env::current_exe() {
        venvs.extend(exe.ancestors().map(|a| a.join(".venv")));
    }
    for venv in venvs {
        if let Some(p) = venv_onnxruntime(&venv) {
            return Ok(p);
        }
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("LD_LIBRARY_PATH")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    dirs.extend(
        [
            "/usr/local/lib",
            "/usr/lib",
            "/usr/lib/x86_64-linux-gnu",
            "/usr/lib64",
        ]
        .map(PathBuf::from),
    );
    for d in dirs {
        let p = d.join("libonnxruntime.so");
        if p.is_file() {
            return Ok(p);
        }
    }
    bail!(
        "ONNX Runtime was not found. Install it into a project venv with \
         `python3 -m venv .venv && .venv/bin/pip install onnxruntime=={ONNXRUNTIME_VERSION}` (the repo's \
         tests/venv.sh does this), or point ORT_DYLIB_PATH, the policy's runtime.onnxruntime or --onnxruntime \
         at libonnxruntime.so"
    )
}

fn venv_onnxruntime(venv: &Path) -> Option<PathBuf> {
    let lib = std::fs::read_dir(venv.join("lib")).ok()?;
    for py in lib.flatten() {
        let capi = py.path().join("site-packages/onnxruntime/capi");
        let Ok(entries) = std::fs::read_dir(&capi) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("libonnxruntime.so"))
            })
            .collect();
        found.sort();
        if let Some(p) = found.into_iter().next() {
            return Some(p);
        }
    }
    None
}

/// Loads ONNX Runtime once per process and returns the library path used.
pub fn init_onnxruntime(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    let r = ORT_ENV.get_or_init(|| {
        let path = find_onnxruntime(explicit).map_err(|e| e.to_string())?;
        let env = ort::init_from(&path)
            .map_err(|e| format!("cannot load ONNX Runtime from {}: {e}", path.display()))?
            .with_name("modelgate")
            .build()
            .map_err(|e| format!("cannot start ONNX Runtime from {}: {e}", path.display()))?;
        Ok((path, env))
    });
    match r {
        Ok((p, _)) => Ok(p.clone()),
        Err(e) => Err(anyhow!("{e}")),
    }
}

fn ort_environment() -> anyhow::Result<&'static ort::environment::Environment> {
    match ORT_ENV.get() {
        Some(Ok((_, env))) => Ok(env),
        Some(Err(e)) => Err(anyhow!("{e}")),
        None => bail!("ONNX Runtime is not loaded"),
    }
}

/// What produces a model's predictions.
pub enum Source {
    /// An ONNX file run by ONNX Runtime.
    Onnx(OnnxModel),
    /// Columns already in the data.
    Columns {
        /// The prediction column.
        predictions: String,
        /// Probability columns, in class order.
        probabilities: Vec<String>,
    },
}

/// An ONNX model session with its input/output layout.
pub struct OnnxModel {
    session: Mutex<Session>,
    input: String,
    n_features: Option<usize>,
    label_output: Option<(String, TensorElementType)>,
    proba_output: Option<String>,
    value_output: Option<String>,
}

/// A model of the gate.
pub struct Model {
    /// Its name in the policy.
    pub name: String,
    /// The task.
    pub task: TaskType,
    /// Class labels in probability-column order (empty for regression).
    pub classes: Vec<String>,
    /// The file, for ONNX models.
    pub path: Option<PathBuf>,
    /// sha256 of the file, hex.
    pub sha256: Option<String>,
    /// The feature columns fed to the model, in order.
    pub features: Vec<String>,
    /// What produces the predictions.
    pub source: Source,
    predictions: Mutex<HashMap<String, Arc<OnceLock<Result<Arc<Dataset>, CallError>>>>>,
    /// How long each dataset's predictions took, in the order computed (for `--timings`).
    predict_times: Mutex<Vec<(String, std::time::Duration)>>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("name", &self.name)
            .field("task", &self.task)
            .field("classes", &self.classes)
            .finish()
    }
}

impl Model {
    /// Loads a model as the policy describes it. `target_values` are the sorted distinct target values
    /// (as text) of the first labelled dataset, used when classes cannot be read from the model.
    pub fn load(
        name: &str,
        spec: &ModelSpec,
        path: Option<PathBuf>,
        task: TaskType,
        features: &[String],
        target_values: Option<&[String]>,
        onnxruntime: Option<&Path>,
    ) -> anyhow::Result<Model> {
        let explicit_classes: Option<Vec<String>> = spec
            .classes
            .as_ref()
            .map(|c| c.iter().map(|l| l.0.clone()).collect());
        let (source, sha256, onnx_classes) = match (&path, &spec.predictions) {
            (Some(p), _) => {
                let sha = crate::data::sha256_file(p).with_context(|| {
                    format!(
                        "cannot read model `{name}` ({}): check `models.{name}.onnx` in the policy",
                        p.display()
                    )
                })?;
                let bytes = std::fs::read(p)
                    .with_context(|| format!("cannot read model `{name}` ({})", p.display()))?;
                let classes = onnx_class_labels(&bytes);
                init_onnxruntime(onnxruntime)?;
                let m = OnnxModel::load(name, p, task, features.len())?;
                (Source::Onnx(m), Some(sha), classes)
            }
            (None, Some(col)) => (
                Source::Columns {
                    predictions: col.clone(),
                    probabilities: spec.probabilities.clone().unwrap_or_default(),
                },
                None,
                None,
            ),
            (None, None) => bail!("model `{name}` has neither `onnx` nor `predictions`"),
        };
        let n_proba = match &source {
            Source::Onnx(m) => m.proba_output.is_some(),
            Source::Columns { probabilities, .. } => !probabilities.is_empty(),
        };
        let classes = if task == TaskType::Regression {
            Vec::new()
        } else if let Some(c) = explicit_classes {
            c
        } else if let Some(c) = onnx_classes {
            c
        } else if let Some(v) = target_values {
            v.to_vec()
        } else if n_proba {
            bail!("cannot tell the class order of model `{name}`: set `models.{name}.classes = [...]` in the policy")
        } else {
            Vec::new()
        };
        if let Source::Columns { probabilities, .. } = &source {
            if !probabilities.is_empty() && probabilities.len() != classes.len() {
                bail!(
                    "model `{name}` has {} probability columns but {} classes ({}); set `models.{name}.classes`",
                    probabilities.len(),
                    classes.len(),
                    classes.join(", ")
                );
            }
        }
        Ok(Model {
            name: name.to_string(),
            task,
            classes,
            path,
            sha256,
            features: features.to_vec(),
            source,
            predictions: Mutex::new(HashMap::new()),
            predict_times: Mutex::new(Vec::new()),
        })
    }

    /// Whether the host can run the model.
    pub fn runnable(&self) -> bool {
        matches!(self.source, Source::Onnx(_))
    }

    /// Columns a dataset must not treat as features because they hold this model's outputs.
    pub fn output_columns(&self) -> Vec<String> {
        match &self.source {
            Source::Onnx(_) => Vec::new(),
            Source::Columns {
                predictions,
                probabilities,
            } => std::iter::once(predictions.clone())
                .chain(probabilities.iter().cloned())
                .collect(),
        }
    }

    /// Predictions on a dataset, computed once and cached.
    pub fn predict(&self, data: &Dataset) -> Result<Arc<Dataset>, CallError> {
        let cell = {
            let mut map = self.predictions.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(data.name.clone()).or_default().clone()
        };
        cell.get_or_init(|| {
            let started = std::time::Instant::now();
            let out = self.compute_predictions(data).map(Arc::new);
            self.predict_times
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((data.name.clone(), started.elapsed()));
            out
        })
        .clone()
    }

    /// How long each dataset's predictions took, in the order they were computed.
    pub fn predict_times(&self) -> Vec<(String, std::time::Duration)> {
        self.predict_times
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn compute_predictions(&self, data: &Dataset) -> Result<Dataset, CallError> {
        let name = format!("{}@{}", self.name, data.name);
        let fail = |m: String| CallError::new(CallErrorKind::Failed, m);
        let mut columns: Vec<Column> = Vec::new();
        match &self.source {
            Source::Columns {
                predictions,
                probabilities,
            } => {
                columns.push(
                    data.series(predictions)?
                        .clone()
                        .with_name("prediction".into())
                        .into(),
                );
                for (i, p) in probabilities.iter().enumerate() {
                    let s = data
                        .series(p)?
                        .cast(&DataType::Float64)
                        .map_err(|e| fail(e.to_string()))?;
                    columns.push(s.with_name(format!("proba_{i}").into()).into());
                }
            }
            Source::Onnx(m) => {
                let x = feature_matrix(data, &self.features)?;
                let out = m.run(&x, data.rows(), self.features.len()).map_err(|e| {
                    fail(format!(
                        "model `{}` failed on dataset `{}`: {e:#}",
                        self.name, data.name
                    ))
                })?;
                match (out.labels, out.values) {
                    (Some(labels), _) => columns.push(labels.with_name("prediction".into()).into()),
                    (None, Some(v)) => columns.push(Series::new("prediction".into(), v).into()),
                    (None, None) => {
                        return Err(fail(format!(
                            "model `{}` produced no prediction output",
                            self.name
                        )))
                    }
                }
                if let Some((p, k)) = out.proba {
                    if !self.classes.is_empty() && k != self.classes.len() {
                        return Err(fail(format!(
                            "model `{}` outputs {k} probabilities per row but has {} classes ({})",
                            self.name,
                            self.classes.len(),
                            self.classes.join(", ")
                        )));
                    }
                    for j in 0..k {
                        let col: Vec<f64> = (0..data.rows()).map(|i| p[i * k + j] as f64).collect();
                        columns.push(Series::new(format!("proba_{j}").into(), col).into());
                    }
                }
            }
        }
        let df = DataFrame::new_infer_height(columns).map_err(|e| fail(e.to_string()))?;
        Ok(Dataset::from_frame(name, df))
    }

    /// Times `iterations` runs on the first `batch` rows after `warmup` untimed runs; nanoseconds each.
    pub fn benchmark(
        &self,
        data: &Dataset,
        batch: u32,
        warmup: u32,
        iterations: u32,
    ) -> Result<Vec<u64>, CallError> {
        let Source::Onnx(m) = &self.source else {
            return Err(CallError::new(
                CallErrorKind::UnsupportedType,
                format!(
                    "model `{}` is a prediction column; only ONNX models can be benchmarked",
                    self.name
                ),
            ));
        };
        if iterations > MAX_BENCH_ITERATIONS || warmup > MAX_BENCH_ITERATIONS {
            return Err(CallError::new(
                CallErrorKind::InvalidArgument,
                format!("at most {MAX_BENCH_ITERATIONS} warm-up and timed iterations"),
            ));
        }
        if batch == 0 {
            return Err(CallError::new(
                CallErrorKind::InvalidArgument,
                "batch size must be at least 1",
            ));
        }
        let rows = (batch as usize).min(data.rows());
        let head = Dataset::from_frame(data.name.clone(), data.df.head(Some(rows)));
        let x = feature_matrix(&head, &self.features)?;
        let mut out = Vec::with_capacity(iterations as usize);
        for i in 0..warmup + iterations {
            let t = Instant::now();
            m.run(&x, rows, self.features.len()).map_err(|e| {
                CallError::new(
                    CallErrorKind::Failed,
                    format!("model `{}` failed: {e:#}", self.name),
                )
            })?;
            if i >= warmup {
                out.push(t.elapsed().as_nanos() as u64);
            }
        }
        Ok(out)
    }
}

/// Row-major f32 matrix of the features. Nulls are refused: ONNX models need complete inputs.
fn feature_matrix(data: &Dataset, features: &[String]) -> Result<Vec<f32>, CallError> {
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
        if s.null_count() > 0 {
            return Err(CallError::new(
                CallErrorKind::InvalidArgument,
                format!(
                    "feature `{name}` of dataset `{}` has {} null values; impute them before the gate or fix the data",
                    data.name,
                    s.null_count()
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

struct RawOutputs {
    labels: Option<Series>,
    proba: Option<(Vec<f32>, usize)>,
    values: Option<Vec<f64>>,
}

impl OnnxModel {
    fn load(
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
                        label_output = Some((o.name().to_string(), ty.clone()))
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

    fn run(&self, x: &[f32], rows: usize, n_features: usize) -> anyhow::Result<RawOutputs> {
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

/// Reads the class labels of the last ONNX-ML classifier node (`classlabels_ints`,
/// `classlabels_int64s` or `classlabels_strings`) from a serialized ONNX model, without a protobuf library.
pub fn onnx_class_labels(bytes: &[u8]) -> Option<Vec<String>> {
    // ModelProto.graph = 7; GraphProto.node = 1; NodeProto.attribute = 5;
    // AttributeProto.name = 1, ints = 8, strings = 9.
    let graph = pb::fields(bytes)
        .find(|(n, _)| *n == 7)
        .and_then(|(_, v)| v.bytes())?;
    let mut found = None;
    for node in pb::fields(graph)
        .filter(|(n, _)| *n == 1)
        .filter_map(|(_, v)| v.bytes())
    {
        for attr in pb::fields(node)
            .filter(|(n, _)| *n == 5)
            .filter_map(|(_, v)| v.bytes())
        {
            let name = pb::fields(attr)
                .find(|(n, _)| *n == 1)
                .and_then(|(_, v)| v.bytes());
            match name {
                // LinearClassifier / SVMClassifier say `classlabels_ints`, TreeEnsembleClassifier
                // `classlabels_int64s`.
                Some(b"classlabels_ints" | b"classlabels_int64s") => {
                    let mut labels = Vec::new();
                    for (n, v) in pb::fields(attr) {
                        match (n, v) {
                            (8, pb::Value::Varint(x)) => labels.push((x as i64).to_string()),
                            (8, pb::Value::Bytes(packed)) => {
                                labels.extend(pb::varints(packed).map(|x| (x as i64).to_string()))
                            }
                            _ => {}
                        }
                    }
                    found = Some(labels);
                }
                Some(b"classlabels_strings") => {
                    let labels = pb::fields(attr)
                        .filter(|(n, _)| *n == 9)
                        .filter_map(|(_, v)| {
                            v.bytes().map(|b| String::from_utf8_lossy(b).into_owned())
                        })
                        .collect();
                    found = Some(labels);
                }
                _ => {}
            }
        }
    }
    found.filter(|l: &Vec<String>| !l.is_empty())
}

/// A minimal protobuf wire-format reader (enough to walk an ONNX graph).
mod pb {
    pub enum Value<'a> {
        Varint(u64),
        Bytes(&'a [u8]),
        Fixed,
    }

    impl<'a> Value<'a> {
        pub fn bytes(self) -> Option<&'a [u8]> {
            match self {
                Value::Bytes(b) => Some(b),
                _ => None,
            }
        }
    }

    fn varint(b: &[u8], pos: &mut usize) -> Option<u64> {
        let mut x = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *b.get(*pos)?;
            *pos += 1;
            x |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(x);
            }
        }
        None
    }

    /// Iterates (field number, value) pairs; stops at the first malformed byte.
    pub fn fields(b: &[u8]) -> impl Iterator<Item = (u64, Value<'_>)> {
        let mut pos = 0usize;
        std::iter::from_fn(move || {
            if pos >= b.len() {
                return None;
            }
            let key = varint(b, &mut pos)?;
            let v = match key & 7 {
                0 => Value::Varint(varint(b, &mut pos)?),
                1 => {
                    pos = pos.checked_add(8).filter(|p| *p <= b.len())?;
                    Value::Fixed
                }
                2 => {
                    let len = usize::try_from(varint(b, &mut pos)?).ok()?;
                    let end = pos.checked_add(len).filter(|e| *e <= b.len())?;
                    let s = &b[pos..end];
                    pos = end;
                    Value::Bytes(s)
                }
                5 => {
                    pos = pos.checked_add(4).filter(|p| *p <= b.len())?;
                    Value::Fixed
                }
                _ => return None,
            };
            Some((key >> 3, v))
        })
    }

    /// Iterates packed varints.
    pub fn varints(b: &[u8]) -> impl Iterator<Item = u64> + '_ {
        let mut pos = 0usize;
        std::iter::from_fn(move || {
            if pos < b.len() {
                varint(b, &mut pos)
            } else {
                None
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_bytes(n: u64, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![((n << 3) | 2) as u8, payload.len() as u8];
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn reads_class_labels_from_a_hand_built_graph() {
        let mut attr = field_bytes(1, b"classlabels_ints");
        attr.extend(field_bytes(8, &[0, 1, 7]));
        let node = field_bytes(5, &attr);
        let graph = field_bytes(1, &node);
        let model = field_bytes(7, &graph);
        assert_eq!(
            onnx_class_labels(&model),
            Some(vec!["0".into(), "1".into(), "7".into()])
        );
        assert_eq!(onnx_class_labels(b"\xff\xff"), None);
    }

    #[test]
    fn reads_class_labels_of_the_example_models() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/breast-cancer/models");
        for (file, op) in [
            ("candidate.onnx", "LinearClassifier"),
            ("baseline.onnx", "TreeEnsembleClassifier"),
        ] {
            let bytes = std::fs::read(dir.join(file)).unwrap();
            assert!(
                bytes.windows(op.len()).any(|w| w == op.as_bytes()),
                "{file} holds a {op}"
            );
            assert_eq!(
                onnx_class_labels(&bytes),
                Some(vec!["0".to_string(), "1".to_string()]),
                "{file}"
            );
        }
    }
}
