//! The gate's inputs, loaded once: datasets in parallel (each checked against DVC first), then the
//! task's features and the models (from files or the MLflow registry).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, bail, Context as _};

use super::features::{check_features, file_of, same_feature_columns, sorted_distinct};
use super::{plural, GateOptions};
use crate::data::{incomplete, present, Dataset};
use crate::dvc::DvcEntry;
use crate::files::TempDir;
use crate::model::{Model, ModelFiles, ModelTask};
use crate::policy::{MissingFeatures, ModelSpec, Policy, TaskType};
use crate::progress::Progress;
use crate::record::Timing;
use crate::registry::{self, RegistryModel};

/// The datasets, in policy order, with the DVC entry that tracks each (if any).
pub(super) struct Datasets {
    pub datasets: Vec<Arc<Dataset>>,
    pub dvc: Vec<Option<DvcEntry>>,
    /// `monitor.timestamp` of each dataset that has it, taken out of the data: it places rows in
    /// windows, and no check sees it (its values move with time by design).
    pub timestamps: Vec<Option<polars::prelude::Series>>,
}

/// Loads every dataset in parallel; a DVC-tracked file must be the tracked version first.
pub(super) async fn load_datasets(
    policy: &Policy,
    progress: &Progress,
    timings: &mut Vec<Timing>,
) -> anyhow::Result<Datasets> {
    let spec = &policy.spec;
    progress.step(format!(
        "loading {}",
        plural(spec.datasets.len(), "dataset")
    ));
    let phase_started = Instant::now();
    let at = timings.len();
    let mut loads = Vec::new();
    #[cfg(not(feature = "spark"))]
    if spec.engine.is_some() {
        bail!("this modelgate was built without the Spark engine (cargo feature `spark`); remove `[engine]` from the policy, or use a build with it");
    }
    #[cfg(feature = "spark")]
    if let Some(engine) = &spec.engine {
        let (engine, policy) = (engine.clone(), policy.clone());
        let connected = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            crate::spark::Engine::connect(&engine).map(|e| (e, policy, started.elapsed()))
        });
        let (engine, policy, took) = connected
            .await
            .map_err(|e| anyhow!("the Spark connection crashed: {e}"))??;
        timings.push(Timing::item(
            format!("connect to the Spark engine at {}", engine.endpoint),
            took,
        ));
        let policy = Arc::new(policy);
        for name in spec.datasets.keys() {
            let (engine, policy, name) = (engine.clone(), policy.clone(), name.clone());
            loads.push(tokio::task::spawn_blocking(move || {
                let started = Instant::now();
                let spec = &policy.spec.datasets[&name];
                let d = match &spec.profile {
                    Some(p) => {
                        // The source beside a profile is read for its fingerprint only.
                        let check = if spec.has_source() {
                            let mut source = spec.clone();
                            source.profile = None;
                            let d = engine.dataset(&name, &source, &policy)?;
                            Some(crate::profile::SourceDigest {
                                source: source.source(),
                                digest: d.sha256.unwrap_or_default(),
                                kind: crate::profile::SPARK_DIGEST,
                            })
                        } else {
                            None
                        };
                        crate::profile::open(&name, &policy.resolve(p), check)?
                    }
                    None => engine.dataset(&name, spec, &policy)?,
                };
                Ok((d, None, started.elapsed()))
            }));
        }
    }
    for (name, d) in spec.datasets.iter().filter(|_| spec.engine.is_none()) {
        let name = name.clone();
        if let Some(profile) = &d.profile {
            let profile = policy.resolve(profile);
            let source = d
                .has_source()
                .then(|| (d.source(), policy.resolve(&d.path)));
            loads.push(tokio::task::spawn_blocking(move || {
                let started = Instant::now();
                let check = source.map(|(source, path)| {
                    crate::profile::SourceDigest::of_file(source, &path).with_context(|| {
                        format!(
                            "dataset `{name}`: cannot read {}, the source its profile must match; \
                             check `datasets.{name}.path`, or remove it to use the profile unchecked",
                            path.display()
                        )
                    })
                });
                let d = crate::profile::open(&name, &profile, check.transpose()?)?;
                Ok((d, None, started.elapsed()))
            }));
            continue;
        }
        let (path, format, csv) = (policy.resolve(&d.path), d.format, d.csv.clone());
        loads.push(tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            // A DVC-tracked file must be the tracked version before anything reads it.
            let dvc = crate::dvc::check(&name, &path)?;
            Dataset::load(&name, &path, format, &csv).map(|d| (d, dvc, started.elapsed()))
        }));
    }
    let mut out = Datasets {
        datasets: Vec::new(),
        dvc: Vec::new(),
        timestamps: Vec::new(),
    };
    let timestamp = spec.monitor.as_ref().and_then(|m| m.timestamp.as_deref());
    for l in loads {
        let (mut d, dvc, took) = l
            .await
            .map_err(|e| anyhow!("dataset loader crashed: {e}"))??;
        timings.push(Timing::item(
            format!(
                "dataset `{}` ({} rows × {} columns)",
                d.name,
                d.rows(),
                d.width()
            ),
            took,
        ));
        let ts = match timestamp.filter(|t| d.column_type(t).is_ok()) {
            Some(t) => Some(
                d.frame_mut()?
                    .drop_in_place(t)?
                    .as_materialized_series()
                    .clone(),
            ),
            None => None,
        };
        out.timestamps.push(ts);
        out.datasets.push(Arc::new(d));
        out.dvc.push(dvc);
    }
    timings.insert(
        at,
        Timing::phase("load datasets (in parallel)", phase_started.elapsed()),
    );
    Ok(out)
}

/// The task's feature columns and the loaded models.
#[derive(Default)]
pub(super) struct Models {
    pub features: Vec<String>,
    pub models: Vec<Arc<Model>>,
    /// Where each model from the registry came from, by model name.
    pub registry: Vec<(String, RegistryModel)>,
    /// With `task.missing_features = "drop"`: each dataset's rows with complete features, which
    /// checks that need a model see instead (empty otherwise).
    pub model_views: Vec<Arc<Dataset>>,
    /// With `task.missing_features = "drop"`: each dataset's rows with complete features and a
    /// label, which checks that need labels see instead (empty otherwise).
    pub label_views: Vec<Arc<Dataset>>,
    /// The first missing label (null, NaN or infinite), unless `task.missing_features = "drop"`
    /// leaves such rows out: checks that need labels error with it.
    pub label_error: Option<String>,
    /// Models downloaded from the registry that ONNX Runtime has not read yet (their signatures
    /// came from the cache): kept until the gate ends.
    pub downloads: Vec<TempDir>,
}

/// The first dataset with a missing label, as the reason checks that need labels cannot run.
pub(super) fn missing_label(datasets: &[Arc<Dataset>], target: &str) -> Option<String> {
    datasets.iter().find_map(|d| {
        let (count, row, kind) = incomplete(d.series(target).ok()?)?;
        Some(format!(
            "target `{target}` of dataset `{}` ({}) has {count} {kind} label{} (the first in data row \
             {row}); a check that needs labels evaluates labelled rows only — set \
             `task.missing_features = \"drop\"` to leave such rows out, or fix the data",
            d.name,
            file_of(d),
            if count == 1 { "" } else { "s" }
        ))
    })
}

/// One view per dataset, in policy order.
type Views = Vec<Arc<Dataset>>;

/// Each dataset's rows with complete features (what checks that need a model see) and with
/// complete features and a label (what checks that need labels see), as views; the dataset itself
/// where no row is left out. The features are scanned once for both.
fn complete_views(
    datasets: &[Arc<Dataset>],
    features: &[String],
    target: &str,
) -> anyhow::Result<(Views, Views)> {
    let view = |d: &Arc<Dataset>, keep: &[bool], what: &str| -> anyhow::Result<Arc<Dataset>> {
        if keep.iter().all(|k| *k) {
            return Ok(d.clone());
        }
        let v = d
            .view(keep, &format!("rows with complete {what}"))
            .with_context(|| {
                format!(
                    "cannot leave out the incomplete rows of dataset `{}`",
                    d.name
                )
            })?;
        Ok(Arc::new(v))
    };
    let (mut model, mut label) = (Vec::new(), Vec::new());
    for d in datasets {
        let mut keep = d.complete_rows(features);
        model.push(view(d, &keep, "model inputs")?);
        if let Ok(s) = d.series(target) {
            for (k, p) in keep.iter_mut().zip(present(s)) {
                *k &= p;
            }
        }
        label.push(view(d, &keep, "model inputs and labels")?);
    }
    Ok((model, label))
}

/// Resolves the task's features, checks what the models need of the data (before loading any),
/// then loads each model.
/// The ONNX Runtime library named by `--onnxruntime` or the policy's `runtime.onnxruntime`.
pub(super) fn onnxruntime_path(policy: &Policy, opts: &GateOptions) -> Option<PathBuf> {
    opts.onnxruntime.clone().or_else(|| {
        policy
            .spec
            .runtime
            .onnxruntime
            .as_ref()
            .map(|p| policy.resolve(p))
    })
}

/// The MLflow registry reference a model's `onnx` gives (`models:/...`), if it is one.
fn registry_reference(m: &ModelSpec) -> Option<&str> {
    m.onnx
        .as_ref()
        .and_then(|p| p.to_str())
        .filter(|p| registry::is_registry_uri(p))
}

/// The policy's ONNX model files (`None` for a model from the registry, not downloaded yet), or
/// `None` when no model is an ONNX file.
pub(super) fn onnx_files(policy: &Policy) -> Option<Vec<Option<PathBuf>>> {
    let files: Vec<Option<PathBuf>> = policy
        .spec
        .models
        .values()
        .filter(|m| m.onnx.is_some())
        .map(|m| match (registry_reference(m), &m.onnx) {
            (None, Some(p)) => Some(policy.resolve(p)),
            _ => None,
        })
        .collect();
    (!files.is_empty()).then_some(files)
}

pub(super) async fn load_models(
    policy: &Policy,
    opts: &GateOptions,
    datasets: &[Arc<Dataset>],
    files: &ModelFiles,
    progress: &Progress,
    timings: &mut Vec<Timing>,
) -> anyhow::Result<Models> {
    let spec = &policy.spec;
    if !spec.models.is_empty() {
        progress.step(format!("loading {}", plural(spec.models.len(), "model")));
    }
    let phase_started = Instant::now();
    let at = timings.len();
    let mut out = Models::default();
    let Some(task) = &spec.task else {
        return Ok(out);
    };
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
    let features = match &task.features {
        Some(f) => f.clone(),
        None => datasets[0]
            .column_names()
            .into_iter()
            .filter(|c| c != &task.target && !output_cols.contains(c))
            .collect(),
    };
    let onnx = spec.models.values().any(|m| m.onnx.is_some());
    if onnx && task.features.is_none() {
        same_feature_columns(datasets, &features, &task.target, &output_cols)?;
    }
    // Whether features must be numeric depends on the graphs: checked once they are loaded.
    check_features(datasets, &features, false)?;
    let labelled = datasets
        .iter()
        .find(|d| d.column_type(&task.target).is_ok());
    if !spec.models.is_empty() && labelled.is_none() {
        bail!(
            "no dataset has the target column `{}` (task.target); the datasets' columns are: {}; set \
             `task.target` to the label column, or add the labels to the data",
            task.target,
            datasets[0].column_names().join(", ")
        );
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
    let ort = onnxruntime_path(policy, opts);
    let model_task = ModelTask {
        kind: task.kind,
        features: features.clone(),
        target_values,
        missing: task.missing_features,
    };
    let mut client: Option<Arc<registry::Client>> = None;
    let mut loads = Vec::new();
    for (name, m) in &spec.models {
        let reference = registry_reference(m);
        let (path, downloaded): (Option<PathBuf>, Option<TempDir>) = match reference {
            Some(uri) => {
                let client = match &client {
                    Some(c) => c.clone(),
                    None => client
                        .insert(Arc::new(registry::Client::new(
                            spec.registry.tracking_uri.as_deref(),
                        )?))
                        .clone(),
                };
                let (uri, model_name) = (uri.to_string(), name.clone());
                let (file, info) =
                    tokio::task::spawn_blocking(move || download_model(&client, &uri, &model_name))
                        .await
                        .map_err(|e| anyhow!("registry client crashed: {e}"))?
                        .with_context(|| format!("model `{name}` (models.{name}.onnx)"))?;
                out.registry.push((name.clone(), info));
                (Some(file.path().join("model.onnx")), Some(file))
            }
            None => (m.onnx.as_ref().map(|p| policy.resolve(p)), None),
        };
        let (name, m, ort, model_task) = (name.clone(), m.clone(), ort.clone(), model_task.clone());
        let files = files.clone();
        // The models load at once (each session's set-up is its own), awaited in policy order.
        loads.push((
            tokio::task::spawn_blocking(move || {
                let started = Instant::now();
                Model::load(&name, &m, path, &model_task, ort.as_deref(), &files)
                    .map(|model| (model, started.elapsed()))
            }),
            downloaded,
        ));
    }
    for (load, downloaded) in loads {
        let (model, took) = load
            .await
            .map_err(|e| anyhow!("model loader crashed: {e}"))??;
        let from = if downloaded.is_some() {
            " (from the registry)"
        } else {
            ""
        };
        // Once ONNX Runtime has read the file, the download is not needed any more.
        if model.reads_file_later() {
            out.downloads.extend(downloaded);
        }
        timings.push(Timing::item(format!("model `{}`{from}", model.name), took));
        out.models.push(Arc::new(model));
    }
    if !spec.models.is_empty() {
        timings.insert(at, Timing::phase("load models", phase_started.elapsed()));
    }
    check_model_inputs(datasets, &out.models, &features, task.features.is_some())?;
    if task.missing_features == MissingFeatures::Drop {
        (out.model_views, out.label_views) = complete_views(datasets, &features, &task.target)?;
    } else {
        out.label_error = missing_label(datasets, &task.target);
    }
    out.features = features;
    Ok(out)
}

/// What the loaded graphs need of the data: a graph that takes one float matrix needs numeric
/// features; a graph with one input per column needs each column of the type its input declares;
/// and every feature must be an input of some graph (a column no model takes is a mistake the
/// gate does not guess about).
fn check_model_inputs(
    datasets: &[Arc<Dataset>],
    models: &[Arc<Model>],
    features: &[String],
    explicit: bool,
) -> anyhow::Result<()> {
    let runnable: Vec<&Arc<Model>> = models.iter().filter(|m| m.runnable()).collect();
    if runnable.is_empty() {
        return Ok(());
    }
    if runnable.iter().any(|m| m.takes_matrix()) {
        check_features(datasets, features, true)?;
    }
    for m in &runnable {
        for d in datasets {
            m.check_input_types(d).map_err(|e| anyhow!("{e}"))?;
        }
    }
    let unused: Vec<&String> = features
        .iter()
        .filter(|f| !runnable.iter().any(|m| m.features.contains(f)))
        .collect();
    if let Some(first) = unused.first() {
        let takes: Vec<String> = runnable
            .iter()
            .map(|m| format!("model `{}` takes {}", m.name, m.features.join(", ")))
            .collect();
        let names: Vec<String> = unused.iter().map(|f| format!("`{f}`")).collect();
        let listed: Vec<String> = features
            .iter()
            .filter(|f| !unused.contains(f))
            .map(|f| format!("{f:?}"))
            .collect();
        bail!(
            "feature{} {} {} not an input of any model's graph ({}); {} — e.g. `task.features = [{}]`, or map a graph input to `{first}` with `models.NAME.inputs`",
            if unused.len() == 1 { "" } else { "s" },
            names.join(", "),
            if unused.len() == 1 { "is" } else { "are" },
            takes.join("; "),
            if explicit {
                "list only the columns the models take in `task.features`"
            } else {
                "every column but the target is a feature by default: list the model's inputs in `task.features`"
            },
            listed.join(", ")
        );
    }
    Ok(())
}

/// Resolves a `models:/` reference and downloads the version's ONNX file into a fresh temporary
/// directory (as `model.onnx`), removed when the returned guard is dropped.
fn download_model(
    client: &registry::Client,
    uri: &str,
    model: &str,
) -> anyhow::Result<(TempDir, RegistryModel)> {
    let reference = registry::parse(uri)?;
    let (version, bytes, artifact) = client.fetch_onnx(&reference)?;
    let dir = TempDir::new(&format!("registry-{model}"))?;
    let file = dir.path().join("model.onnx");
    std::fs::write(&file, &bytes)
        .with_context(|| format!("cannot write the downloaded model to {}", file.display()))?;
    let info = RegistryModel {
        tracking_uri: client.uri().to_string(),
        name: reference.name.clone(),
        version: version["version"].as_str().unwrap_or_default().to_string(),
        alias: match reference.selector {
            registry::Selector::Alias(a) => Some(a),
            registry::Selector::Version(_) => None,
        },
        run_id: version["run_id"]
            .as_str()
            .filter(|r| !r.is_empty())
            .map(str::to_string),
        artifact,
    };
    Ok((dir, info))
}
