//! Orchestration: load the inputs once, resolve and pin every plugin, then run the checks
//! concurrently, each in its own sandbox, and collect their outcomes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};

use crate::data::{sha256_file, ColumnType, Dataset};
use crate::model::Model;
use crate::policy::{Policy, Severity, TaskType};
use crate::report::progress::Progress;
use crate::runtime::{self, CheckContext, Limits, Outcome, Runtime};

/// The built-in plugins compiled into this binary: (name, component bytes).
pub mod builtins {
    include!(concat!(env!("OUT_DIR"), "/builtins.rs"));

    /// The component bytes of a built-in plugin, by name (`-` and `_` are interchangeable).
    pub fn get(name: &str) -> Option<&'static [u8]> {
        let norm = name.replace('_', "-");
        BUILTINS
            .iter()
            .find(|(n, _)| n.replace('_', "-") == norm)
            .map(|(_, b)| *b)
    }

    /// Names of the built-in plugins.
    pub fn names() -> Vec<&'static str> {
        BUILTINS.iter().map(|(n, _)| *n).collect()
    }
}

/// How to run a gate.
#[derive(Debug, Clone, Default)]
pub struct GateOptions {
    /// Checks run at once (default: the number of CPUs).
    pub jobs: Option<usize>,
    /// Explicit ONNX Runtime library.
    pub onnxruntime: Option<PathBuf>,
    /// Compiled-component cache directory (None: no disk cache).
    pub cache_dir: Option<PathBuf>,
}

/// A file the verdict depends on.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputFile {
    /// Path as resolved (`models:/NAME/VERSION` for a model from the registry).
    pub path: String,
    /// sha256, hex.
    pub sha256: String,
    /// Where a model came from in the MLflow registry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<crate::registry::RegistryModel>,
}

/// A loaded dataset as reported.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DatasetInput {
    /// Path.
    pub path: String,
    /// sha256.
    pub sha256: String,
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub columns: usize,
    /// The DVC entry that tracks the file, checked against it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dvc: Option<crate::dvc::DvcEntry>,
}

/// A plugin as reported.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PluginInput {
    /// A file path, or `builtin:NAME`.
    pub path: String,
    /// sha256 of the component.
    pub sha256: String,
    /// Its name (from `describe`).
    pub name: String,
    /// Its version (from `describe`).
    pub version: String,
    /// The `modelgate:plugin` WIT version it was built against (empty when it did not start).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub wit_version: String,
}

/// One check's report.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Id.
    pub id: String,
    /// The plugin as written in the policy.
    pub plugin: String,
    /// Severity.
    pub severity: Severity,
    /// What the sandbox returned.
    pub outcome: Outcome,
    /// Wall time.
    pub duration: Duration,
}

/// Everything a gate run produced.
#[derive(Debug, Clone)]
pub struct GateRun {
    /// The gate's name.
    pub name: String,
    /// The policy file.
    pub policy: InputFile,
    /// Datasets by name, in policy order.
    pub datasets: Vec<(String, DatasetInput)>,
    /// Models by name, in policy order (ONNX files only have a path).
    pub models: Vec<(String, Option<InputFile>)>,
    /// Plugins by check id.
    pub plugins: Vec<(String, PluginInput)>,
    /// Checks in policy order.
    pub checks: Vec<CheckReport>,
    /// Where the time went: (depth, what, wall time); depth 0 is a phase, 1 an item of it.
    pub timings: Vec<(u8, String, Duration)>,
}

struct PreparedCheck {
    index: usize,
    pre: Arc<runtime::bindings::PluginPre<runtime::HostState>>,
    config_json: String,
    limits: Limits,
}

/// Reads the policy's inputs and runs its checks. An `Err` is an error verdict (exit 2): the gate
/// could not be evaluated at all. Individual check failures are in the returned run.
pub async fn run(
    policy: &Policy,
    opts: &GateOptions,
    progress: &Progress,
) -> anyhow::Result<GateRun> {
    let spec = &policy.spec;
    let policy_sha = sha256_file(&policy.path)
        .with_context(|| format!("cannot read {}", policy.path.display()))?;

    // 1. Datasets, loaded in parallel.
    progress.step(format!(
        "loading {}",
        plural(spec.datasets.len(), "dataset")
    ));
    let mut timings: Vec<(u8, String, Duration)> = Vec::new();
    let phase_started = Instant::now();
    let mut loads = Vec::new();
    for (name, d) in &spec.datasets {
        let (name, path, format) = (name.clone(), policy.resolve(&d.path), d.format);
        loads.push(tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            // A DVC-tracked file must be the tracked version before anything reads it.
            let dvc = crate::dvc::check(&name, &path)?;
            Dataset::load(&name, &path, format).map(|d| (d, dvc, started.elapsed()))
        }));
    }
    let mut datasets = Vec::new();
    let mut dvc_entries = Vec::new();
    for l in loads {
        let (d, dvc, took) = l
            .await
            .map_err(|e| anyhow!("dataset loader crashed: {e}"))??;
        timings.push((
            1,
            format!(
                "dataset `{}` ({} rows × {} columns)",
                d.name,
                d.rows(),
                d.df.width()
            ),
            took,
        ));
        datasets.push(Arc::new(d));
        dvc_entries.push(dvc);
    }
    timings.insert(
        0,
        (
            0,
            "load datasets (in parallel)".into(),
            phase_started.elapsed(),
        ),
    );
    let phase_started = Instant::now();
    let models_at = timings.len();

    // 2. Task, features and models.
    if !spec.models.is_empty() {
        progress.step(format!("loading {}", plural(spec.models.len(), "model")));
    }
    let mut features = Vec::new();
    let mut models = Vec::new();
    let mut registry_models: Vec<(String, crate::registry::RegistryModel)> = Vec::new();
    if let Some(task) = &spec.task {
        let output_cols: Vec<String> = spec
            .models
            .values()
            .flat_map(|m| {
                m.predictions
                    .iter()
                    .cloned()
                    .chain(m.probabilities.iter().flatten().cloned())
            })
            .collect();
        features = match &task.features {
            Some(f) => f.clone(),
            None => datasets[0]
                .column_names()
                .into_iter()
                .filter(|c| c != &task.target && !output_cols.contains(c))
                .collect(),
        };
        let onnx = spec.models.values().any(|m| m.onnx.is_some());
        if onnx && task.features.is_none() {
            same_feature_columns(&datasets, &features, &task.target, &output_cols)?;
        }
        check_features(&datasets, &features, onnx)?;
        let labelled = datasets.iter().find(|d| d.series(&task.target).is_ok());
        if !spec.models.is_empty() && labelled.is_none() {
            bail!(
                "no dataset has the target column `{}` (task.target); the datasets' columns are: {}; set \
                 `task.target` to the label column, or add the labels to the data",
                task.target,
                datasets[0].column_names().join(", ")
            );
        }
        if !spec.models.is_empty() {
            check_target(&datasets, &task.target)?;
        }
        let target_values = match (labelled, task.kind) {
            (Some(d), TaskType::Binary | TaskType::Multiclass) => {
                Some(sorted_distinct(d, &task.target)?)
            }
            _ => None,
        };
        // Checked before loading any model: the target's values are already at hand.
        if let (TaskType::Binary, Some(d), Some(values), Some(pos)) =
            (task.kind, labelled, &target_values, &task.positive_label)
        {
            if !values.contains(&pos.0) {
                bail!(
                    "task.positive_label `{}` does not occur in column `{}` of dataset `{}` (values: {})",
                    pos.0,
                    task.target,
                    d.name,
                    values.join(", ")
                );
            }
        }
        let ort = opts
            .onnxruntime
            .clone()
            .or_else(|| spec.runtime.onnxruntime.as_ref().map(|p| policy.resolve(p)));
        let mut registry: Option<Arc<crate::registry::Client>> = None;
        for (name, m) in &spec.models {
            let reference = m
                .onnx
                .as_ref()
                .and_then(|p| p.to_str())
                .filter(|p| crate::registry::is_registry_uri(p));
            let (path, downloaded) = match reference {
                Some(uri) => {
                    let client = match &registry {
                        Some(c) => c.clone(),
                        None => registry
                            .insert(Arc::new(crate::registry::Client::new(
                                spec.registry.tracking_uri.as_deref(),
                            )?))
                            .clone(),
                    };
                    let (uri, model_name) = (uri.to_string(), name.clone());
                    let (file, info) = tokio::task::spawn_blocking(move || {
                        download_model(&client, &uri, &model_name)
                    })
                    .await
                    .map_err(|e| anyhow!("registry client crashed: {e}"))?
                    .with_context(|| format!("model `{name}` (models.{name}.onnx)"))?;
                    registry_models.push((name.clone(), info));
                    (Some(file.path().join("model.onnx")), Some(file))
                }
                None => (m.onnx.as_ref().map(|p| policy.resolve(p)), None),
            };
            let started = Instant::now();
            let (name, m, features, tv, ort, kind) = (
                name.clone(),
                m.clone(),
                features.clone(),
                target_values.clone(),
                ort.clone(),
                task.kind,
            );
            let model = tokio::task::spawn_blocking(move || {
                Model::load(
                    &name,
                    &m,
                    path,
                    kind,
                    &features,
                    tv.as_deref(),
                    ort.as_deref(),
                )
            })
            .await
            .map_err(|e| anyhow!("model loader crashed: {e}"))??;
            // ONNX Runtime has read the file: the download is not needed any more.
            let from = if downloaded.is_some() {
                " (from the registry)"
            } else {
                ""
            };
            drop(downloaded);
            timings.push((
                1,
                format!("model `{}`{from}", model.name),
                started.elapsed(),
            ));
            models.push(Arc::new(model));
        }
    }
    if !spec.models.is_empty() {
        timings.insert(
            models_at,
            (0, "load models".into(), phase_started.elapsed()),
        );
    }

    // 3. Plugins: resolve, pin, compile — all before anything runs.
    progress.step(format!("preparing {}", plural(spec.checks.len(), "plugin")));
    let phase_started = Instant::now();
    let plugins_at = timings.len();
    let rt = Arc::new(Runtime::new(opts.cache_dir.clone())?);
    let mut prepared = Vec::new();
    let mut plugin_inputs: Vec<(String, String, String)> = Vec::new();
    for (index, c) in spec.checks.iter().enumerate() {
        let (bytes, shown) = resolve_plugin(policy, &c.plugin)
            .with_context(|| format!("check `{}` (checks[{index}].plugin)", c.id))?;
        let sha = crate::data::sha256_bytes(&bytes);
        let bytes_len = bytes.len();
        if let Some(pin) = &c.sha256 {
            if !pin.eq_ignore_ascii_case(&sha) {
                bail!(
                    "check `{}`: plugin {shown} has sha256 {sha}, but the policy pins {pin} (checks[{index}].sha256); \
                     refusing to run a plugin that is not the one pinned",
                    c.id
                );
            }
        }
        let what = format!("plugin {shown} (check `{}`)", c.id);
        let started = Instant::now();
        let pre = {
            let rt = rt.clone();
            let sha = sha.clone();
            tokio::task::spawn_blocking(move || rt.prepare(&what, &bytes, &sha))
                .await
                .map_err(|e| anyhow!("compiler crashed: {e}"))??
        };
        let config = c.config.clone().unwrap_or_default();
        let config_json = serde_json::to_string(&config)
            .context("the check's config cannot be expressed as JSON")?;
        let limits = Limits {
            memory_bytes: (c.memory_mb.unwrap_or(spec.runtime.memory_mb) as usize)
                .saturating_mul(1 << 20),
            timeout: Duration::from_secs_f64(c.timeout_s.unwrap_or(spec.runtime.timeout_s)),
            fuel: c.fuel.or(spec.runtime.fuel),
        };
        timings.push((
            1,
            format!("plugin {shown} ({} KB)", bytes_len.div_ceil(1024)),
            started.elapsed(),
        ));
        plugin_inputs.push((c.id.clone(), shown, sha));
        prepared.push(PreparedCheck {
            index,
            pre,
            config_json,
            limits,
        });
    }

    timings.insert(
        plugins_at,
        (
            0,
            "prepare plugins (compile, or load from the cache)".into(),
            phase_started.elapsed(),
        ),
    );
    let phase_started = Instant::now();

    // 4. Run the checks concurrently, each in a fresh store on a blocking thread.
    progress.step(format!("running {}", plural(spec.checks.len(), "check")));
    let jobs = opts
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    let sem = Arc::new(tokio::sync::Semaphore::new(jobs));
    let task = spec.task.as_ref();
    let mut handles = Vec::new();
    for p in prepared {
        let c = &spec.checks[p.index];
        let ctx = CheckContext {
            check_id: c.id.clone(),
            task: task.map(|t| runtime::task_kind(t.kind)),
            target: task.map(|t| t.target.clone()).unwrap_or_default(),
            positive_label: task.and_then(|t| match t.kind {
                TaskType::Binary => Some(
                    t.positive_label
                        .as_ref()
                        .map_or_else(|| "1".to_string(), |l| l.0.clone()),
                ),
                _ => None,
            }),
            features: features.clone(),
            datasets: datasets.clone(),
            models: models.clone(),
        };
        let (rt, sem) = (rt.clone(), sem.clone());
        handles.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await;
            let started = Instant::now();
            let outcome = tokio::task::spawn_blocking(move || {
                rt.run_check(&p.pre, &ctx, &p.config_json, &p.limits)
            })
            .await
            .unwrap_or_else(|e| crashed_outcome(&e.to_string()));
            (p.index, outcome, started.elapsed())
        }));
    }
    let mut checks = Vec::new();
    let total = handles.len();
    for h in handles {
        let (index, outcome, duration) =
            h.await.map_err(|e| anyhow!("check runner crashed: {e}"))?;
        progress.tick(total);
        let c = &spec.checks[index];
        checks.push(CheckReport {
            id: c.id.clone(),
            plugin: c.plugin.clone(),
            severity: c.severity,
            outcome,
            duration,
        });
    }

    progress.finish();
    timings.push((
        0,
        format!("run checks ({jobs} at a time)"),
        phase_started.elapsed(),
    ));
    for c in &checks {
        timings.push((1, format!("check `{}`", c.id), c.duration));
    }
    for m in &models {
        for (dataset, took) in m.predict_times() {
            timings.push((
                1,
                format!(
                    "predictions of `{}` on `{dataset}` (inside the checks)",
                    m.name
                ),
                took,
            ));
        }
    }
    let plugins = plugin_inputs
        .into_iter()
        .zip(&checks)
        .map(|((id, path, sha256), check)| {
            let info = check.outcome.info.as_ref();
            let name = info.map_or_else(String::new, |i| i.name.clone());
            let version = info.map_or_else(String::new, |i| i.version.clone());
            let wit_version = info.map_or_else(String::new, |i| i.wit_version.clone());
            (
                id,
                PluginInput {
                    path,
                    sha256,
                    name,
                    version,
                    wit_version,
                },
            )
        })
        .collect();
    Ok(GateRun {
        name: spec.name.clone(),
        policy: InputFile {
            path: policy.path.display().to_string(),
            sha256: policy_sha,
            registry: None,
        },
        datasets: datasets
            .iter()
            .zip(dvc_entries)
            .map(|(d, dvc)| {
                let input = DatasetInput {
                    path: d
                        .path
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    sha256: d.sha256.clone().unwrap_or_default(),
                    rows: d.rows(),
                    columns: d.df.width(),
                    dvc,
                };
                (d.name.clone(), input)
            })
            .collect(),
        models: models
            .iter()
            .map(|m| {
                let registry = registry_models
                    .iter()
                    .find(|(n, _)| n == &m.name)
                    .map(|(_, r)| r.clone());
                let path = |p: &PathBuf| {
                    registry
                        .as_ref()
                        .map_or_else(|| p.display().to_string(), |r| r.pinned_uri())
                };
                let file = m.path.as_ref().map(|p| InputFile {
                    path: path(p),
                    sha256: m.sha256.clone().unwrap_or_default(),
                    registry: registry.clone(),
                });
                (m.name.clone(), file)
            })
            .collect(),
        plugins,
        checks,
        timings,
    })
}

/// Resolves a `models:/` reference and downloads the version's ONNX file into a fresh temporary
/// directory (as `model.onnx`), removed when the returned guard is dropped.
fn download_model(
    client: &crate::registry::Client,
    uri: &str,
    model: &str,
) -> anyhow::Result<(crate::demo::TempDir, crate::registry::RegistryModel)> {
    let reference = crate::registry::parse(uri)?;
    let (version, bytes, artifact) = client.fetch_onnx(&reference)?;
    let dir = crate::demo::TempDir::new(&format!("registry-{model}"))?;
    let file = dir.path().join("model.onnx");
    std::fs::write(&file, &bytes)
        .with_context(|| format!("cannot write the downloaded model to {}", file.display()))?;
    let info = crate::registry::RegistryModel {
        tracking_uri: client.uri().to_string(),
        name: reference.name.clone(),
        version: version["version"].as_str().unwrap_or_default().to_string(),
        alias: match reference.selector {
            crate::registry::Selector::Alias(a) => Some(a),
            crate::registry::Selector::Version(_) => None,
        },
        run_id: version["run_id"]
            .as_str()
            .filter(|r| !r.is_empty())
            .map(str::to_string),
        artifact,
    };
    Ok((dir, info))
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn crashed_outcome(msg: &str) -> Outcome {
    Outcome {
        status: runtime::Status::Error,
        summary: format!("the check runner crashed: {msg}"),
        metrics: Vec::new(),
        details: None,
        error: Some(format!("the check runner crashed: {msg}")),
        logs: Vec::new(),
        output: String::new(),
        info: None,
    }
}

/// A built-in by name, or a `.wasm` file relative to the policy. Returns the bytes and how to show it.
pub fn resolve_plugin(policy: &Policy, plugin: &str) -> anyhow::Result<(Vec<u8>, String)> {
    if let Some(b) = builtins::get(plugin) {
        return Ok((b.to_vec(), format!("builtin:{plugin}")));
    }
    let looks_like_path =
        plugin.contains('/') || plugin.contains('\\') || plugin.ends_with(".wasm");
    if !looks_like_path {
        bail!(
            "unknown plugin `{plugin}`: the built-in plugins are {}; for your own plugin give the path to its .wasm file",
            builtins::names().join(", ")
        );
    }
    let path = policy.resolve(Path::new(plugin));
    let bytes = runtime::read_plugin_file(&path)?;
    Ok((bytes, path.display().to_string()))
}

/// Every dataset must carry every feature; ONNX models need them numeric and complete: no null,
/// NaN or infinite value (scikit-learn's `predict` refuses those too; ONNX Runtime would turn them
/// into meaningless scores without a word).
fn check_features(
    datasets: &[Arc<Dataset>],
    features: &[String],
    numeric: bool,
) -> anyhow::Result<()> {
    if features.is_empty() {
        bail!(
            "no feature columns: dataset `{}` has only the target column",
            datasets[0].name
        );
    }
    for d in datasets {
        let file = file_of(d);
        for f in features {
            let s = d.series(f).map_err(|e| match datasets.iter().find(|o| o.series(f).is_ok()) {
                Some(o) => anyhow!(
                    "feature `{f}` of dataset `{}` ({}) is missing from dataset `{}` ({file}); every dataset must have \
                     every feature — add it there, or list the model's inputs in `task.features`",
                    o.name,
                    file_of(o),
                    d.name
                ),
                None => anyhow!("{} ({file}); list the model's inputs in `task.features`", e.message),
            })?;
            if !numeric {
                continue;
            }
            if s.null_count() == s.len() {
                bail!(
                    "feature `{f}` of dataset `{}` ({file}) has no values: all {} rows are null; an ONNX model needs a \
                     value in every row — fill the column, or leave it out of `task.features`",
                    d.name,
                    s.len()
                );
            }
            if !ColumnType::of(s.dtype()).is_numeric() {
                let elsewhere = datasets
                    .iter()
                    .filter_map(|o| Some((o, o.series(f).ok()?)))
                    .find(|(_, o)| ColumnType::of(o.dtype()).is_numeric())
                    .map(|(o, c)| format!(" (in dataset `{}` it is {})", o.name, c.dtype()))
                    .unwrap_or_default();
                bail!(
                    "feature `{f}` of dataset `{}` ({file}) is {}{elsewhere}; ONNX models take numeric features — \
                     encode it, or list the model's inputs in `task.features`",
                    d.name,
                    s.dtype()
                );
            }
            if let Some((count, row, kind)) = incomplete(s) {
                bail!(
                    "feature `{f}` of dataset `{}` ({file}) has {count} {kind} value{} (the first in data row {row}); \
                     models get complete, finite inputs only — impute or drop those rows before the gate",
                    d.name,
                    if count == 1 { "" } else { "s" }
                );
            }
        }
    }
    Ok(())
}

/// The first kind of missing or non-finite value in a numeric column: (count, 1-based data row of
/// the first, "null" | "NaN" | "infinite").
fn incomplete(s: &polars::prelude::Series) -> Option<(usize, usize, &'static str)> {
    let first = |mask: Vec<bool>| -> Option<(usize, usize)> {
        let count = mask.iter().filter(|m| **m).count();
        mask.iter().position(|m| *m).map(|i| (count, i + 1))
    };
    if s.null_count() > 0 {
        let mask: Vec<bool> = s.is_null().iter().map(|v| v.unwrap_or(true)).collect();
        return first(mask).map(|(c, r)| (c, r, "null"));
    }
    if !s.dtype().is_float() {
        return None;
    }
    let values: Vec<f64> = s
        .cast(&polars::prelude::DataType::Float64)
        .ok()?
        .f64()
        .ok()?
        .into_no_null_iter()
        .collect();
    if let Some((c, r)) = first(values.iter().map(|v| v.is_nan()).collect()) {
        return Some((c, r, "NaN"));
    }
    first(values.iter().map(|v| v.is_infinite()).collect()).map(|(c, r)| (c, r, "infinite"))
}

/// With default features, every dataset must have the same feature columns: a column one dataset
/// has and another lacks would otherwise shift the model's inputs or be ignored without a word.
fn same_feature_columns(
    datasets: &[Arc<Dataset>],
    features: &[String],
    target: &str,
    outputs: &[String],
) -> anyhow::Result<()> {
    let first = &datasets[0];
    for d in &datasets[1..] {
        for c in d.column_names() {
            if c != target && !outputs.contains(&c) && !features.contains(&c) {
                bail!(
                    "column `{c}` of dataset `{}` ({}) is missing from dataset `{}` ({}); every dataset must have the \
                     same feature columns — add it there, or list the model's inputs in `task.features`",
                    d.name,
                    file_of(d),
                    first.name,
                    file_of(first)
                );
            }
        }
    }
    Ok(())
}

/// Every labelled row must have a label: no null (or, for a float column, NaN or infinite) target.
fn check_target(datasets: &[Arc<Dataset>], target: &str) -> anyhow::Result<()> {
    for d in datasets {
        let Ok(s) = d.series(target) else { continue };
        if let Some((count, row, kind)) = incomplete(s) {
            bail!(
                "target `{target}` of dataset `{}` ({}) has {count} {kind} label{} (the first in data row {row}); \
                 every row the gate evaluates needs a label — drop the unlabelled rows or fix the data",
                d.name,
                file_of(d),
                if count == 1 { "" } else { "s" }
            );
        }
    }
    Ok(())
}

fn file_of(d: &Dataset) -> String {
    d.path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

fn sorted_distinct(d: &Dataset, column: &str) -> anyhow::Result<Vec<String>> {
    let s = d.series(column).map_err(|e| anyhow!("{}", e.message))?;
    let mut values: Vec<(Option<f64>, String)> = d
        .value_counts(column, crate::data::MAX_VALUE_COUNTS)
        .map_err(|e| anyhow!("{}", e.message))?
        .into_iter()
        .map(|(v, _)| (v.parse::<f64>().ok(), v))
        .collect();
    // Numeric labels sort numerically (as scikit-learn's classes_ do), text labels lexically.
    if ColumnType::of(s.dtype()).is_numeric() {
        values.sort_by(|a, b| a.0.unwrap_or(f64::NAN).total_cmp(&b.0.unwrap_or(f64::NAN)));
    } else {
        values.sort_by(|a, b| a.1.cmp(&b.1));
    }
    Ok(values.into_iter().map(|(_, v)| v).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn incomplete_values_are_counted_with_the_first_row() {
        let s = Series::new("x".into(), [Some(1.0), None, Some(f64::NAN), None]);
        assert_eq!(incomplete(&s), Some((2, 2, "null")));
        let s = Series::new("x".into(), [1.0, f64::NAN, f64::INFINITY, f64::NAN]);
        assert_eq!(incomplete(&s), Some((2, 2, "NaN")));
        let s = Series::new("x".into(), [1.0, 2.0, f64::NEG_INFINITY]);
        assert_eq!(incomplete(&s), Some((1, 3, "infinite")));
        assert_eq!(incomplete(&Series::new("x".into(), [1i64, 2])), None);
        assert_eq!(
            incomplete(&Series::new("x".into(), [Some("a"), None])),
            Some((1, 2, "null"))
        );
    }

    #[test]
    fn features_and_targets_must_be_complete_and_the_same_everywhere() {
        let a = Arc::new(Dataset::from_frame(
            "a",
            df!("f" => [1.0, 2.0], "y" => [0i64, 1]).unwrap(),
        ));
        let b = Arc::new(Dataset::from_frame(
            "b",
            df!("f" => [1.0, 2.0], "g" => [3.0, 4.0], "y" => [Some(0i64), None]).unwrap(),
        ));
        let features = vec!["f".to_string()];
        let e = same_feature_columns(&[a.clone(), b.clone()], &features, "y", &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("column `g` of dataset `b`") && e.contains("missing from dataset `a`"),
            "{e}"
        );
        assert!(
            same_feature_columns(&[a.clone(), b.clone()], &features, "y", &["g".to_string()])
                .is_ok()
        );
        let e = check_target(&[a.clone(), b.clone()], "y")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("target `y` of dataset `b`")
                && e.contains("1 null label (the first in data row 2)"),
            "{e}"
        );
        let c = Arc::new(Dataset::from_frame(
            "c",
            df!("f" => [Some(1.0), None]).unwrap(),
        ));
        let e = check_features(&[a, c], &features, true)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("feature `f` of dataset `c`") && e.contains("1 null value"),
            "{e}"
        );
    }
}
