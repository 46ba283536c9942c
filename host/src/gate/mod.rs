//! Orchestration: load the inputs once, resolve and pin every plugin, then run the checks
//! concurrently, each in its own sandbox, and record what happened.
//!
//! One phase per file: `inputs` (datasets, features, models), `plugins` (resolve, pin,
//! compile), `checks` (run them); `features` holds what the models need of the data and
//! [`builtins`] the plugins compiled into this binary. [`run`] wires the phases into a
//! [`GateRun`].

pub mod builtins;
mod checks;
mod features;
mod inputs;
mod plugins;
mod views;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;

pub use crate::runtime::Labels;
pub use checks::CheckInputs;
pub use plugins::resolve_plugin;
pub use views::{RowFlags, WindowInputs};

use crate::data::Dataset;
use crate::files::sha256_file;
use crate::model::ModelFiles;
use crate::policy::Policy;
use crate::progress::Progress;
use crate::record::{CheckReport, DatasetInput, GateRun, InputFile, PluginInput, Timing};
use crate::runtime::Runtime;

/// How to run a gate.
#[derive(Debug, Clone, Default)]
pub struct GateOptions {
    /// Checks run at once (default: twice the number of CPUs).
    pub jobs: Option<usize>,
    /// Explicit ONNX Runtime library.
    pub onnxruntime: Option<PathBuf>,
    /// Compiled-component cache directory (None: no disk cache).
    pub cache_dir: Option<PathBuf>,
}

/// Everything a gate needs before its checks run: the policy's digest, the datasets and models
/// loaded, the plugins compiled. `check` runs the checks once; `monitor` once per window.
pub struct Prepared {
    /// sha256 of the policy file.
    pub policy_sha: String,
    data: inputs::Datasets,
    models: inputs::Models,
    rt: Arc<Runtime>,
    checks: Vec<plugins::PreparedCheck>,
    /// Checks run at once.
    pub jobs: usize,
    /// Where the time went so far.
    pub timings: Vec<Timing>,
}

impl Prepared {
    /// The loaded datasets, in policy order.
    pub fn datasets(&self) -> &[Arc<Dataset>] {
        &self.data.datasets
    }

    /// What every check sees when the gate runs on the datasets as loaded.
    pub fn inputs(&self) -> CheckInputs {
        CheckInputs {
            features: self.models.features.clone(),
            datasets: self.data.datasets.clone(),
            model_datasets: self.models.model_views.clone(),
            label_datasets: self.models.label_views.clone(),
            models: self.models.models.clone(),
            labels: match &self.models.label_error {
                Some(e) => Labels::Error(e.clone()),
                None => Labels::Ready,
            },
        }
    }
}

/// Reads the policy's inputs and prepares its checks. An `Err` is an error verdict (exit 2).
pub async fn prepare(
    policy: &Policy,
    opts: &GateOptions,
    progress: &Progress,
) -> anyhow::Result<Prepared> {
    let policy_sha = sha256_file(&policy.path)
        .with_context(|| format!("cannot read {}", policy.path.display()))?;
    let mut timings = Vec::new();
    // The model files are hashed, and ONNX Runtime loaded unless the cache has what the models
    // need of it, beside the datasets (the models wait for it; its error, if any, is theirs).
    let model_files = inputs::onnx_files(policy).map(|files| {
        let (path, cache) = (
            inputs::onnxruntime_path(policy, opts),
            opts.cache_dir.clone(),
        );
        std::thread::spawn(move || ModelFiles::read(&files, path.as_deref(), cache.as_deref()))
    });
    let data = inputs::load_datasets(policy, progress, &mut timings).await;
    // Never left running into an early exit.
    let model_files = model_files
        .map(|t| t.join().unwrap_or_default())
        .unwrap_or_default();
    let data = data?;
    let models = inputs::load_models(
        policy,
        opts,
        &data.datasets,
        &model_files,
        progress,
        &mut timings,
    )
    .await?;
    // Fuel is metered only for a policy that sets a budget somewhere.
    let spec = &policy.spec;
    let metered = spec.runtime.fuel.is_some() || spec.checks.iter().any(|c| c.fuel.is_some());
    let rt = Arc::new(Runtime::new(opts.cache_dir.clone(), metered)?);
    let checks = plugins::prepare(policy, &rt, progress, &mut timings).await?;
    let jobs = opts.jobs.unwrap_or_else(default_jobs).max(1);
    Ok(Prepared {
        policy_sha,
        data,
        models,
        rt,
        checks,
        jobs,
        timings,
    })
}

/// Checks run at once by default: twice the number of CPUs. A check's time goes to its host
/// calls and its sandbox, both on its own thread, so with one check a CPU, a core idles from
/// when the first check ends (or waits on a column another check is sorting) while the longest
/// goes on alone. With more checks than cores the system shares the cores among them until the
/// last ends: the benchmark gate's four checks on two cores, run side by side with one check a
/// CPU, took 1.52 s instead of 1.58–1.73 s at 1M rows and 15.2 s instead of 16.7–19.2 s at 10M,
/// at the same peak memory.
fn default_jobs() -> usize {
    2 * std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs every prepared check once on `inputs`; their reports in policy order. Timings go to
/// `timings` when given.
pub async fn run_checks(
    policy: &Policy,
    prepared: &Prepared,
    inputs: CheckInputs,
    progress: &Progress,
    timings: Option<&mut Vec<Timing>>,
) -> anyhow::Result<Vec<CheckReport>> {
    checks::run(
        policy,
        &prepared.rt,
        &prepared.checks,
        inputs,
        prepared.jobs,
        progress,
        timings,
    )
    .await
}

/// Reads the policy's inputs and runs its checks. An `Err` is an error verdict (exit 2): the gate
/// could not be evaluated at all. Individual check failures are in the returned run.
pub async fn run(
    policy: &Policy,
    opts: &GateOptions,
    progress: &Progress,
) -> anyhow::Result<GateRun> {
    let mut prepared = prepare(policy, opts, progress).await?;
    let mut timings = std::mem::take(&mut prepared.timings);
    let checks = run_checks(
        policy,
        &prepared,
        prepared.inputs(),
        progress,
        Some(&mut timings),
    )
    .await?;
    Ok(record(policy, &prepared, checks, timings))
}

/// The record of a run of `checks` on the prepared inputs.
pub fn record(
    policy: &Policy,
    prepared: &Prepared,
    checks: Vec<CheckReport>,
    timings: Vec<Timing>,
) -> GateRun {
    let (data, models) = (&prepared.data, &prepared.models);
    let plugins: Vec<(String, String)> = prepared
        .checks
        .iter()
        .map(|p| (p.shown.clone(), p.sha256.clone()))
        .collect();
    GateRun {
        name: policy.spec.name.clone(),
        policy: InputFile {
            path: policy.path.display().to_string(),
            sha256: prepared.policy_sha.clone(),
            registry: None,
        },
        datasets: data
            .datasets
            .iter()
            .zip(&data.dvc)
            .enumerate()
            .map(|(i, (d, dvc))| {
                let dropped = models
                    .label_views
                    .get(i)
                    .map(|v| d.rows() - v.rows())
                    .filter(|n| *n > 0);
                let input = DatasetInput {
                    // A profile's file, a file's path, or a source on the engine.
                    path: match (&d.path, d.backend()) {
                        (Some(p), _) => p.display().to_string(),
                        (None, Some(b)) => b.source(),
                        (None, None) => String::new(),
                    },
                    sha256: d.sha256.clone().unwrap_or_default(),
                    engine: d.backend().and_then(|b| b.engine()),
                    rows: d.rows(),
                    columns: d.width(),
                    dropped_rows: dropped,
                    dvc: dvc.clone(),
                    profile_of: d
                        .backend()
                        .and_then(|b| b.as_any().downcast_ref::<crate::profile::Profile>())
                        .map(|p| p.source().clone()),
                };
                (d.name.clone(), input)
            })
            .collect(),
        models: model_inputs(models),
        plugins: plugin_inputs(plugins, &checks),
        checks,
        timings,
    }
}

/// Each model's file as reported: a registry model by its pinned `models:/NAME/VERSION`.
fn model_inputs(models: &inputs::Models) -> Vec<(String, Option<InputFile>)> {
    models
        .models
        .iter()
        .map(|m| {
            let registry = models
                .registry
                .iter()
                .find(|(n, _)| n == &m.name)
                .map(|(_, r)| r.clone());
            let file = m.path.as_ref().map(|p| InputFile {
                path: registry
                    .as_ref()
                    .map_or_else(|| p.display().to_string(), |r| r.pinned_uri()),
                sha256: m.sha256.clone().unwrap_or_default(),
                registry: registry.clone(),
            });
            (m.name.clone(), file)
        })
        .collect()
}

/// Each check's plugin as reported: path and digest, and what it said of itself.
fn plugin_inputs(
    plugins: Vec<(String, String)>,
    checks: &[CheckReport],
) -> Vec<(String, PluginInput)> {
    plugins
        .into_iter()
        .zip(checks)
        .map(|((path, sha256), check)| {
            let info = check.outcome.info.as_ref();
            let field = |f: fn(&crate::outcome::PluginInfo) -> &String| {
                info.map_or_else(String::new, |i| f(i).clone())
            };
            let input = PluginInput {
                path,
                sha256,
                name: field(|i| &i.name),
                version: field(|i| &i.version),
                wit_version: field(|i| &i.wit_version),
            };
            (check.id.clone(), input)
        })
        .collect()
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
