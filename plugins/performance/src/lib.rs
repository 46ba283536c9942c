//! The built-in `performance` check of modelgate.
//!
//! Evaluates the candidate model (and the baseline model, if the gate has one) on a labelled
//! dataset with scikit-learn-compatible metrics and gates the candidate on bounds:
//!
//! ```toml
//! [[checks]]
//! id = "performance"
//! plugin = "performance"
//! [checks.config]
//! dataset = "current"        # default "current"
//! candidate = "candidate"    # default: "candidate" if the gate has it, else its first model
//! baseline = "baseline"      # default: "baseline" if the gate has it and it is not the
//!                            # candidate, else none (`Context::baseline_model`)
//! [checks.config.metrics]
//! accuracy = { min = 0.90 }
//! roc_auc  = { min = 0.95, max_drop = 0.01 }
//! ```
//!
//! Metrics (see [`evaluate::BINARY`], [`evaluate::MULTICLASS`], [`evaluate::REGRESSION`]):
//! binary `accuracy, precision, recall, f1, roc_auc, pr_auc, log_loss, brier`; multiclass
//! `accuracy, precision, recall, f1` (macro averages), `precision_weighted, recall_weighted,
//! f1_weighted, log_loss`; regression `rmse, mae, r2, mape`. Metrics that need class
//! probabilities are not reported for a model without them. Class labels compare as text.
//!
//! `confidence = 0.95` on a metric's bounds gates on paired bootstrap bounds instead of point
//! values (see [`bootstrap`]; `bootstrap_samples`, `bootstrap_seed`, `bootstrap_method`).
//!
//! Slices evaluate the same metrics on groups of rows (see [`slices`]): `slices = ["column"]`,
//! named value groups or numeric ranges, with `min_slice_size` and optional `slice_metrics`
//! bounds; each slice's metrics carry `slice = "column=value"` and a failing slice fails the check.
//!
//! The math is in [`metrics`]; [`evaluate`] turns columns into metric values and bounds into a
//! result; [`slices`] cuts rows; [`read`] reads the host's tables (streaming predictions past
//! the target unless slices or confidence bounds need the rows).

pub mod bootstrap;
pub mod evaluate;
pub mod metrics;
pub mod read;
pub mod slices;

use modelgate_sdk::{
    export_validator, log, warn, About, Check, CheckResult, Context, Metric, ModelRef, Needs,
    Status, Table, TaskKind,
};

use evaluate::{Config, Evaluated, ModelMetrics, Task};
use slices::{Predictions, Truth};

/// The check.
pub struct Performance;

impl Check for Performance {
    type Config = Config;

    fn about() -> About {
        About {
            name: "performance".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "Evaluates the candidate model (and the baseline model, if any) on a \
                          labelled dataset with scikit-learn-compatible metrics (binary: accuracy, \
                          precision, recall, f1, roc_auc, pr_auc, log_loss, brier; multiclass: \
                          accuracy, macro and weighted precision / recall / f1, log_loss; \
                          regression: rmse, mae, r2, mape) and gates the candidate on min / max \
                          bounds and on its change vs the baseline (max_drop, max_rise, \
                          max_relative_drop)."
                .to_string(),
            needs: Needs {
                datasets: vec!["current".to_string()],
                models: true,
                labels: true,
            },
        }
    }

    fn check(ctx: &Context, config: Config) -> Result<CheckResult, String> {
        run(ctx, &config)
    }
}

export_validator!(Performance);

fn run(ctx: &Context, config: &Config) -> Result<CheckResult, String> {
    let task_info = ctx.require_task()?;
    let task = match task_info.kind {
        TaskKind::Binary => Task::Binary {
            positive: task_info
                .positive_label
                .clone()
                .ok_or("the task is binary, but the policy sets no positive_label")?,
        },
        TaskKind::Multiclass => Task::Multiclass,
        TaskKind::Regression => Task::Regression,
    };
    evaluate::check_metric_names(config, &task)?;

    let dataset = config.dataset.as_deref().unwrap_or("current");
    let table = ctx
        .dataset(dataset)
        .map_err(|e| format!("config.dataset: {e}"))?;
    let candidate = ctx.candidate_model(config.candidate.as_deref())?;
    let baseline = ctx.baseline_model(config.baseline.as_deref(), candidate.name)?;
    for s in std::iter::once(&candidate).chain(baseline.as_ref()) {
        let kind = s.model.task();
        if kind != task_info.kind {
            return Err(format!(
                "model `{}` solves a {} task, but the gate's task is {}",
                s.name,
                task_name(kind),
                task.name()
            ));
        }
    }

    let rows = table.row_count()?;
    if rows == 0 {
        return Err(format!(
            "dataset `{dataset}` is empty: no rows to evaluate on"
        ));
    }
    let target = task_info.target.as_str();
    table
        .column(target)
        .map_err(|e| format!("target column: {e}"))?;

    let subjects = Subjects {
        table,
        dataset,
        target,
        models: std::iter::once(&candidate)
            .chain(baseline.as_ref())
            .collect(),
    };
    // Bootstrap resamples and slices need the rows; without them, predictions stream past.
    let needs_rows =
        !config.slices.is_empty() || config.metrics.values().any(|b| b.confidence.is_some());
    let mut held = None;
    let evaluated: Vec<(String, ModelMetrics)> = if needs_rows {
        let (truth, preds) = hold_rows(&task, &subjects)?;
        let evaluated = preds
            .iter()
            .map(|p| Ok((p.name.clone(), slices::metrics_on(&task, &truth, p, None)?)))
            .collect::<Result<_, String>>()?;
        held = Some((truth, preds));
        evaluated
    } else {
        stream(&task, &subjects)?
    };
    let mut models = evaluated
        .iter()
        .map(|(name, metrics)| Evaluated { name, metrics });
    let candidate_eval = models.next().expect("the candidate is evaluated");
    let baseline_eval = models.next();
    let (ci, ci_metrics) = match &held {
        Some((truth, preds)) => bootstrap::intervals(config, &task, truth, preds)?,
        None => Default::default(),
    };
    let (mut result, notes) =
        evaluate::assemble(config, dataset, rows, candidate_eval, baseline_eval, &ci)?;
    result.metrics.extend(ci_metrics);
    for (level, note) in notes {
        log(level, note);
    }
    if let Some((truth, preds)) = &held {
        evaluate_slices(config, table, &task, truth, preds, &mut result)?;
    }
    Ok(result)
}

/// The labelled dataset and the models evaluated on it.
struct Subjects<'a> {
    table: &'a Table,
    dataset: &'a str,
    target: &'a str,
    models: Vec<&'a ModelRef<'a>>,
}

impl Subjects<'_> {
    /// Model `s`'s predictions on the dataset.
    fn predictions(&self, s: &ModelRef<'_>) -> Result<Table, String> {
        read::predictions(s, self.table, self.dataset)
    }
}

/// Every model's metrics, its predictions streaming past the target held in the sandbox.
fn stream(task: &Task, on: &Subjects<'_>) -> Result<Vec<(String, ModelMetrics)>, String> {
    let (table, target, models) = (on.table, on.target, &on.models);
    match task {
        Task::Regression => {
            let y = read::read_finite(table, target)?;
            let r2_denominator = metrics::r2_denominator(&y);
            models
                .iter()
                .map(|s| {
                    let p = on.predictions(s)?;
                    Ok((
                        s.name.to_string(),
                        read::regression(&y, r2_denominator, &p)?,
                    ))
                })
                .collect()
        }
        Task::Binary { .. } | Task::Multiclass => {
            let y = read::Labels::read(table, target)?;
            models
                .iter()
                .map(|s| {
                    let p = on.predictions(s)?;
                    Ok((s.name.to_string(), read::classification(task, &y, s, &p)?))
                })
                .collect()
        }
    }
}

/// The target and every model's predictions, held per row (for slices and resamples).
fn hold_rows(task: &Task, on: &Subjects<'_>) -> Result<(Truth, Vec<Predictions>), String> {
    let (table, target, models) = (on.table, on.target, &on.models);
    let mut preds = Vec::new();
    match task {
        Task::Regression => {
            let y = read::read_finite(table, target)?;
            for s in models {
                let p = on.predictions(s)?;
                preds.push(Predictions {
                    name: s.name.to_string(),
                    predicted: Truth::Values(read::read_finite(&p, "prediction")?),
                    proba: None,
                });
            }
            Ok((Truth::Values(y), preds))
        }
        Task::Binary { .. } | Task::Multiclass => {
            let y = read::Labels::read(table, target)?;
            for s in models {
                let p = on.predictions(s)?;
                let predicted = read::Labels::read(&p, "prediction")?.to_dictionary();
                let proba = read::read_probabilities(s, &p, &y, task)?;
                preds.push(Predictions {
                    name: s.name.to_string(),
                    predicted: Truth::Labels(predicted),
                    proba,
                });
            }
            Ok((Truth::Labels(y.to_dictionary()), preds))
        }
    }
}

/// Evaluates the metrics on every configured slice and merges them into `result`: each slice's
/// metrics carry its name, a failed bound in any slice fails the check.
fn evaluate_slices(
    config: &Config,
    table: &Table,
    task: &Task,
    truth: &Truth,
    preds: &[Predictions],
    result: &mut CheckResult,
) -> Result<(), String> {
    if config.slices.is_empty() {
        return Ok(());
    }
    let min_size = config
        .min_slice_size
        .unwrap_or(slices::DEFAULT_MIN_SLICE_SIZE);
    let bounds = config
        .slice_metrics
        .clone()
        .unwrap_or_else(|| config.metrics.clone());
    let slice_config = Config {
        metrics: bounds,
        slices: Vec::new(),
        ..config.clone()
    };
    let dataset = config.dataset.as_deref().unwrap_or("current");
    let mut failed = Vec::new();
    let mut evaluated = 0usize;
    for spec in &config.slices {
        let column = spec.column();
        table
            .column(column)
            .map_err(|e| format!("config.slices: {e}"))?;
        let cut = match spec {
            slices::SliceSpec::Edges { edges, .. } => {
                slices::by_edges(column, edges, &table.read_column_f64_nullable(column)?)
            }
            _ => slices::by_values(spec, &table.read_column_dictionary(column)?),
        };
        for slice in cut {
            result
                .metrics
                .push(Metric::new("slice_rows", slice.rows.len() as f64).slice(&slice.name));
            if slice.rows.len() < min_size {
                let bounded = !slice_config.metrics.values().all(|b| b.bounds.is_empty());
                if slice.rows.is_empty()
                    && bounded
                    && matches!(spec, slices::SliceSpec::Groups { .. })
                {
                    return Err(format!(
                        "slice {} has no rows in `{dataset}`, so its thresholds cannot be checked",
                        slice.name
                    ));
                }
                warn(format!(
                    "slice {} has {} rows, fewer than min_slice_size {min_size}: not evaluated",
                    slice.name,
                    slice.rows.len()
                ));
                continue;
            }
            evaluated += 1;
            let per_model: Vec<(String, ModelMetrics)> = preds
                .iter()
                .map(|p| {
                    Ok((
                        p.name.clone(),
                        slices::metrics_on(task, truth, p, Some(&slice.rows))?,
                    ))
                })
                .collect::<Result<_, String>>()
                .map_err(|e| format!("slice {}: {e}", slice.name))?;
            let mut models = per_model
                .iter()
                .map(|(name, metrics)| Evaluated { name, metrics });
            let cand = models.next().expect("the candidate is evaluated");
            let (r, notes) = evaluate::assemble(
                &slice_config,
                dataset,
                slice.rows.len(),
                cand,
                models.next(),
                &Default::default(),
            )
            .map_err(|e| format!("slice {}: {e}", slice.name))?;
            for (level, note) in notes {
                log(level, format!("slice {}: {note}", slice.name));
            }
            if r.status == Status::Fail {
                failed.push(format!("[{}] {}", slice.name, r.summary));
            }
            result.metrics.extend(r.metrics.into_iter().map(|m| Metric {
                slice: Some(slice.name.clone()),
                ..m
            }));
        }
    }
    if !failed.is_empty() {
        let first = failed.first().cloned().unwrap_or_default();
        let more = if failed.len() > 1 {
            format!(" (and {} more failing slices)", failed.len() - 1)
        } else {
            String::new()
        };
        result.summary = if result.status == Status::Fail {
            format!("{}; slice {first}{more}", result.summary)
        } else {
            format!(
                "{} of {evaluated} slices failed: {first}{more}",
                failed.len()
            )
        };
        result.status = Status::Fail;
    }
    Ok(())
}

fn task_name(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::Binary => "binary",
        TaskKind::Multiclass => "multiclass",
        TaskKind::Regression => "regression",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_json_and_lists_every_metric() {
        use modelgate_sdk::Validator;
        let schema: serde_json::Value =
            serde_json::from_str(&Performance::info().config_schema).unwrap();
        assert_eq!(schema["additionalProperties"], false);
        let names = schema["properties"]["metrics"]["propertyNames"]["enum"]
            .as_array()
            .unwrap();
        assert_eq!(names.len(), 15);
        let bounds = &schema["$defs"]["MetricBounds"];
        assert_eq!(bounds["additionalProperties"], false, "{schema:#}");
        assert!(
            bounds["properties"]["max_relative_drop"].is_object(),
            "{schema:#}"
        );
        assert_eq!(bounds["properties"]["confidence"]["exclusiveMinimum"], 0.5);
        assert_eq!(schema["properties"]["bootstrap_samples"]["minimum"], 10);
        assert_eq!(
            schema["properties"]["bootstrap_samples"]["default"],
            bootstrap::DEFAULT_SAMPLES
        );
        assert!(
            schema["properties"]["slices"]["items"].is_object(),
            "{schema:#}"
        );
    }

    #[test]
    fn info_describes_the_check() {
        use modelgate_sdk::Validator;
        let info = Performance::info();
        assert_eq!(info.name, "performance");
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(info.needs.datasets, ["current"]);
        assert!(info.needs.models && info.needs.labels);
    }
}
