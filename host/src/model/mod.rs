//! Models: ONNX files run in-process by ONNX Runtime (through `ort`, loaded dynamically), or
//! prediction columns already present in the data.
//!
//! Predictions on a dataset are computed once per (model, dataset) and shared by every check as a
//! table with a `prediction` column and, for classifiers, `proba_0..proba_{k-1}` in class order.
//!
//! `onnxruntime` finds and loads the library, `onnx` runs a graph, `signature` is what the graph
//! takes and returns, `feed` fills its inputs from the features (one float matrix, or one tensor
//! per column), `outputs` reads its label, probability, score or value outputs, `labels` reads
//! class labels from the graph, and `cache` keeps signatures and predictions between runs.

mod cache;
mod feed;
mod labels;
mod missing;
mod onnx;
mod onnxruntime;
mod outputs;
mod signature;

use cache::{ModelCache, MAX_CACHED_ROWS};
pub use labels::onnx_class_labels;
pub use onnx::OnnxModel;
pub use onnxruntime::{find_onnxruntime, init_onnxruntime};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use anyhow::{bail, Context as _};
use polars::prelude::*;

use crate::data::{CallError, CallErrorKind, Dataset};
use crate::policy::{MissingFeatures, ModelSpec, TaskType};
use outputs::RawOutputs;

/// Pinned ONNX Runtime version the repo's set-up installs; named in error messages.
pub const ONNXRUNTIME_VERSION: &str = "1.23.2";

/// Most timed iterations one `benchmark` call may ask for.
pub const MAX_BENCH_ITERATIONS: u32 = 10_000;

/// What produces a model's predictions.
pub enum Source {
    /// An ONNX file run by ONNX Runtime.
    Onnx(Box<OnnxModel>),
    /// Columns already in the data.
    Columns {
        /// The prediction column.
        predictions: String,
        /// Probability columns, in class order.
        probabilities: Vec<String>,
    },
}

/// What every model of a gate shares: the task, its features, its labels, and what rows with a
/// missing feature do.
#[derive(Debug, Clone)]
pub struct ModelTask {
    /// binary | multiclass | regression.
    pub kind: TaskType,
    /// The feature columns, in model input order.
    pub features: Vec<String>,
    /// The sorted distinct target values (classification), the class order of a model that does
    /// not name its classes.
    pub target_values: Option<Vec<String>>,
    /// `task.missing_features`.
    pub missing: MissingFeatures,
}

/// What the gate learns of its ONNX model files before it loads them, beside the datasets:
/// their digests, and the cache their signatures and predictions are kept in.
#[derive(Debug, Default, Clone)]
pub struct ModelFiles {
    cache: Option<ModelCache>,
    digests: HashMap<PathBuf, String>,
}

impl ModelFiles {
    /// Reads `files` (`None`: a model still to download from the registry), finds the cache for
    /// the ONNX Runtime library a run would load, and loads that library unless every model's
    /// signature is kept: ONNX Runtime takes longer to load than a small gate's data, so this
    /// runs beside them (a loading error is the models' to report).
    pub fn read(
        files: &[Option<PathBuf>],
        onnxruntime: Option<&Path>,
        cache_dir: Option<&Path>,
    ) -> ModelFiles {
        let cache = find_onnxruntime(onnxruntime)
            .ok()
            .and_then(|lib| ModelCache::new(cache_dir, &lib));
        // Without a cache, or with a model to download, ONNX Runtime is needed: it loads first.
        let mut kept = cache.is_some() && files.iter().all(Option::is_some);
        if !kept {
            let _ = init_onnxruntime(onnxruntime);
        }
        let mut digests = HashMap::new();
        for f in files.iter().flatten() {
            let Ok(sha) = crate::files::sha256_file(f) else {
                continue;
            };
            kept &= cache
                .as_ref()
                .is_some_and(|c| c.has_signature(&c.model_key(&sha)));
            digests.insert(f.clone(), sha);
        }
        if !kept {
            let _ = init_onnxruntime(onnxruntime);
        }
        ModelFiles { cache, digests }
    }
}

/// One dataset's predictions, computed by the first caller (a second waits for it).
type PredictionCell = Arc<OnceLock<Result<Arc<Dataset>, CallError>>>;

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
    /// What rows with a missing feature do (`task.missing_features`).
    pub missing: MissingFeatures,
    predictions: Mutex<HashMap<String, PredictionCell>>,
    /// How long each dataset's predictions took, and whether they came from the cache, in the
    /// order computed (for `--timings`).
    predict_times: Mutex<Vec<PredictTime>>,
    /// The cache, and this model's key in it (ONNX models).
    cache: Option<(ModelCache, String)>,
}

/// How long a dataset's predictions took: the dataset, the time, whether they came from the
/// cache.
pub type PredictTime = (String, std::time::Duration, bool);

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
    /// `files` has the digests of local model files (others are hashed here) and the cache.
    pub fn load(
        name: &str,
        spec: &ModelSpec,
        path: Option<PathBuf>,
        task: &ModelTask,
        onnxruntime: Option<&Path>,
        files: &ModelFiles,
    ) -> anyhow::Result<Model> {
        let ModelTask {
            kind: task,
            ref features,
            ref target_values,
            missing,
        } = *task;
        let target_values = target_values.as_deref();
        let explicit_classes: Option<Vec<String>> = spec
            .classes
            .as_ref()
            .map(|c| c.iter().map(|l| l.0.clone()).collect());
        let mut cache = None;
        let (source, sha256, onnx_classes) = match (&path, &spec.predictions) {
            (Some(p), _) => {
                let bytes = std::fs::read(p).with_context(|| {
                    format!(
                        "cannot read model `{name}` ({}): check `models.{name}.onnx` in the policy",
                        p.display()
                    )
                })?;
                let sha = match files.digests.get(p) {
                    Some(sha) => sha.clone(),
                    None => crate::files::sha256_bytes(&bytes),
                };
                let classes = onnx_class_labels(&bytes);
                cache = files.cache.clone().map(|c| {
                    let key = c.model_key(&sha);
                    (c, key)
                });
                let kept = cache.as_ref().map(|(c, k)| (c, k.as_str()));
                let m = OnnxModel::load(name, p, task, spec, features, onnxruntime, kept)?;
                (Source::Onnx(Box::new(m)), Some(sha), classes)
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
            Source::Onnx(m) => m.outputs.has_probabilities(),
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
        let features = match &source {
            Source::Onnx(m) => m.layout.columns(features),
            Source::Columns { .. } => features.to_vec(),
        };
        Ok(Model {
            name: name.to_string(),
            task,
            classes,
            path,
            sha256,
            features,
            source,
            missing,
            predictions: Mutex::new(HashMap::new()),
            predict_times: Mutex::new(Vec::new()),
            cache,
        })
    }

    /// Whether the model file is read again when the model first runs (its session was not
    /// opened at load: the signature came from the cache).
    pub fn reads_file_later(&self) -> bool {
        matches!(&self.source, Source::Onnx(m) if !m.is_open())
    }

    /// Whether the graph takes every feature as one float matrix `[rows, features]` (so the
    /// features must be numeric), rather than one input per column.
    pub fn takes_matrix(&self) -> bool {
        matches!(&self.source, Source::Onnx(m) if m.layout.is_matrix())
    }

    /// Whether `data`'s columns can feed the model's graph inputs (per-column graphs): an error
    /// names the input, the column, the declared type and what was found.
    pub fn check_input_types(&self, data: &Dataset) -> Result<(), String> {
        match &self.source {
            Source::Onnx(m) => m.layout.check_types(&self.name, data),
            Source::Columns { .. } => Ok(()),
        }
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
            map.entry(data.cache_key()).or_default().clone()
        };
        cell.get_or_init(|| {
            let started = Instant::now();
            let mut cached = false;
            let out = self.compute_predictions(data, &mut cached).map(Arc::new);
            self.predict_times
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((data.cache_key(), started.elapsed(), cached));
            out
        })
        .clone()
    }

    /// How long each dataset's predictions took, in the order they were computed.
    pub fn predict_times(&self) -> Vec<PredictTime> {
        self.predict_times
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The cache and the key of this model's predictions on `data`, when they are kept: an ONNX
    /// model, a dataset as loaded from its file, of at most [`MAX_CACHED_ROWS`] rows.
    fn predictions_key(&self, m: &OnnxModel, data: &Dataset) -> Option<(&ModelCache, String)> {
        let (cache, model_key) = self.cache.as_ref()?;
        let content = data.content.as_deref()?;
        if data.rows() > MAX_CACHED_ROWS {
            return None;
        }
        let parts = [
            content,
            &format!("{:?}", self.features),
            &format!("{:?}", m.layout),
            &format!("{:?}", m.outputs),
            &format!("{:?}", self.classes),
            &m.null_text,
            &format!("{:?} {:?}", self.missing, self.task),
        ];
        Some((cache, ModelCache::predictions_key(model_key, &parts)))
    }

    /// The predictions on `data`; `cached` says whether they came from the cache.
    fn compute_predictions(&self, data: &Dataset, cached: &mut bool) -> Result<Dataset, CallError> {
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
                let key = self.predictions_key(m, data);
                columns = match key
                    .as_ref()
                    .and_then(|(c, k)| c.predictions(k, data.rows()))
                {
                    Some(kept) => {
                        *cached = true;
                        kept
                    }
                    None => {
                        let columns = self.onnx_predictions(m, data)?;
                        if let Some((c, k)) = &key {
                            c.keep_predictions(k, &columns);
                        }
                        columns
                    }
                };
            }
        }
        let df = DataFrame::new_infer_height(columns).map_err(|e| fail(e.to_string()))?;
        Ok(Dataset::from_frame(name, df))
    }

    /// Rows an ONNX model runs on at once when every row's inputs are complete: a run's input
    /// matrix and intermediate tensors stay a few MiB whatever the dataset's size.
    const BATCH_ROWS: usize = 65_536;

    /// The prediction columns of an ONNX model on `data`: in batches of [`Self::BATCH_ROWS`] rows
    /// when no row misses a feature (rows are independent, so the batches' outputs are the
    /// whole run's), else in one run (see [`missing`]). The batches are fed and read on one
    /// thread per core (the graph runs one batch at a time) and their outputs go into the
    /// columns in row order as they come: the largest transient is a few batches.
    fn onnx_predictions(&self, m: &OnnxModel, data: &Dataset) -> Result<Vec<Column>, CallError> {
        let rows = data.rows();
        let complete = data.is_complete(&self.features);
        let batched = rows > Self::BATCH_ROWS && complete;
        let mut kept: Option<Vec<bool>> = None;
        let mut predicted = Predicted::default();
        if batched {
            let frame = data.frame()?;
            let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
            in_order(
                rows.div_ceil(Self::BATCH_ROWS),
                workers,
                |i| {
                    let start = i * Self::BATCH_ROWS;
                    let part = Dataset::from_frame(
                        data.name.clone(),
                        frame.slice(start as i64, Self::BATCH_ROWS),
                    );
                    self.run_onnx(m, &part, true).map(|(out, n, _)| (out, n))
                },
                |(out, n)| predicted.push(out, n, rows, self),
            )?;
        } else {
            let (out, n, k) = self.run_onnx(m, data, complete)?;
            predicted.push(out, n, n, self)?;
            kept = k;
        }
        let columns = predicted.into_columns(self)?;
        if self.missing == MissingFeatures::Nan {
            self.check_finite_outputs(data, &columns)?;
        }
        match kept {
            Some(kept) => missing::spread(columns, &kept)
                .map_err(|e| CallError::new(CallErrorKind::Failed, e.to_string())),
            None => Ok(columns),
        }
    }

    /// One run of an ONNX model on `data`: its outputs, the rows it ran on and, when rows with
    /// a missing feature were left out, which rows those are (`complete`: whether every row's
    /// inputs are complete, as [`Dataset::is_complete`] says).
    fn run_onnx(
        &self,
        m: &OnnxModel,
        data: &Dataset,
        complete: bool,
    ) -> Result<(RawOutputs, usize, Option<Vec<bool>>), CallError> {
        let missing::Inputs { feed, rows, kept } = self.inputs(m, data, complete)?;
        let out = m.run(&feed, rows, &self.classes).map_err(|e| {
            CallError::new(
                CallErrorKind::Failed,
                format!(
                    "model `{}` failed on dataset `{}`: {e:#}",
                    self.name, data.name
                ),
            )
        })?;
        Ok((out, rows, kept))
    }

    /// Times `iterations` runs on the first `batch` rows (on an engine: its sample of `batch`
    /// rows) after `warmup` untimed runs; nanoseconds each.
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
        // On an engine, the rows come from its sample (not all of them may be fetched).
        let sampled;
        let data = match data.backend() {
            Some(_) => {
                sampled = Dataset::from_frame(data.name.clone(), data.sample(batch as usize)?);
                &sampled
            }
            None => data,
        };
        // With `missing_features = "drop"` the batch is made of complete rows, as predictions are.
        let complete;
        let data = match self.missing {
            MissingFeatures::Drop => {
                complete = missing::complete_view(data, &self.features)?;
                &complete
            }
            _ => data,
        };
        let head = Dataset::from_frame(data.name.clone(), data.sample(batch as usize)?);
        let complete = head.is_complete(&self.features);
        let missing::Inputs { feed, rows, .. } = self.inputs(m, &head, complete)?;
        let mut out = Vec::with_capacity(iterations as usize);
        for i in 0..warmup + iterations {
            let t = Instant::now();
            m.run(&feed, rows, &self.classes).map_err(|e| {
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

fn no_prediction(model: &Model) -> CallError {
    CallError::new(
        CallErrorKind::Failed,
        format!("model `{}` produced no prediction output", model.name),
    )
}

/// A model's outputs gathered into full-length columns, run by run.
#[derive(Default)]
struct Predicted {
    labels: Option<Series>,
    values: Option<Vec<f64>>,
    /// One column per class.
    proba: Option<Vec<Vec<f64>>>,
}

impl Predicted {
    /// Appends one run's outputs for `rows` rows (of `total` in all).
    fn push(
        &mut self,
        out: RawOutputs,
        rows: usize,
        total: usize,
        model: &Model,
    ) -> Result<(), CallError> {
        let fail = |m: String| CallError::new(CallErrorKind::Failed, m);
        match (out.labels, out.values) {
            (Some(labels), _) => match &mut self.labels {
                None => self.labels = Some(labels),
                Some(all) => {
                    all.append_owned(labels).map_err(|e| fail(e.to_string()))?;
                }
            },
            (None, Some(v)) => self
                .values
                .get_or_insert_with(|| Vec::with_capacity(total))
                .extend(v),
            (None, None) => return Err(no_prediction(model)),
        }
        if let Some((p, k)) = out.proba {
            if !model.classes.is_empty() && k != model.classes.len() {
                return Err(fail(format!(
                    "model `{}` outputs {k} probabilities per row but has {} classes ({})",
                    model.name,
                    model.classes.len(),
                    model.classes.join(", ")
                )));
            }
            let columns = self
                .proba
                .get_or_insert_with(|| (0..k).map(|_| Vec::with_capacity(total)).collect());
            for (j, column) in columns.iter_mut().enumerate() {
                column.extend((0..rows).map(|i| p[i * k + j]));
            }
        }
        Ok(())
    }

    /// `prediction` and `proba_0`, `proba_1`, ...
    fn into_columns(self, model: &Model) -> Result<Vec<Column>, CallError> {
        let mut columns: Vec<Column> = Vec::new();
        match (self.labels, self.values) {
            (Some(labels), _) => {
                columns.push(labels.rechunk().with_name("prediction".into()).into());
            }
            (None, Some(v)) => columns.push(Series::new("prediction".into(), v).into()),
            (None, None) => return Err(no_prediction(model)),
        }
        for (j, p) in self.proba.into_iter().flatten().enumerate() {
            columns.push(Series::new(format!("proba_{j}").into(), p).into());
        }
        Ok(columns)
    }
}

/// Computes `produce(0)`, …, `produce(n - 1)` on up to `workers` threads and hands each result
/// to `consume` in index order as soon as it and every earlier one are ready. The first error in
/// index order is returned; after an error no new index is started.
fn in_order<T: Send, E: Send>(
    n: usize,
    workers: usize,
    produce: impl Fn(usize) -> Result<T, E> + Sync,
    mut consume: impl FnMut(T) -> Result<(), E>,
) -> Result<(), E> {
    if workers <= 1 || n <= 1 {
        return (0..n).try_for_each(|i| consume(produce(i)?));
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::channel();
        for _ in 0..workers.min(n) {
            let (tx, next, stop, produce) = (tx.clone(), &next, &stop, &produce);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n || tx.send((i, produce(i))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut ready = std::collections::BTreeMap::new();
        let mut due = 0;
        let result = rx.iter().try_for_each(|(i, r)| {
            ready.insert(i, r);
            while let Some(r) = ready.remove(&due) {
                due += 1;
                consume(r?)?;
            }
            Ok(())
        });
        // Workers stop at their next index; the scope waits for the batches under way.
        stop.store(true, Ordering::Relaxed);
        result
    })
}

#[cfg(test)]
mod tests {
    use super::in_order;
    use std::time::Duration;

    /// Results come in index order whatever order the threads finish in; the first error in
    /// index order wins, and nothing after it is consumed.
    #[test]
    fn in_order_hands_results_over_in_index_order() {
        let slow_first = |i: usize| {
            std::thread::sleep(Duration::from_millis(((17 - i % 17) % 5) as u64));
            Ok::<usize, String>(i)
        };
        for workers in [1, 2, 4] {
            let mut got = Vec::new();
            in_order(40, workers, slow_first, |i| {
                got.push(i);
                Ok(())
            })
            .unwrap();
            assert_eq!(got, (0..40).collect::<Vec<_>>(), "{workers} workers");
        }
        let failing = |i: usize| {
            std::thread::sleep(Duration::from_millis(if i == 7 { 20 } else { 1 }));
            if i == 7 || i == 9 {
                Err(format!("batch {i}"))
            } else {
                Ok(i)
            }
        };
        let mut got = Vec::new();
        let r = in_order(30, 3, failing, |i| {
            got.push(i);
            Ok(())
        });
        assert_eq!(r, Err("batch 7".to_string()));
        assert_eq!(got, (0..7).collect::<Vec<_>>());
        let r = in_order(5, 2, Ok::<usize, String>, |i| {
            if i == 3 {
                Err("consumer".to_string())
            } else {
                Ok(())
            }
        });
        assert_eq!(r, Err("consumer".to_string()));
    }
}
