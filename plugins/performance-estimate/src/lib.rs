//! The built-in `performance-estimate` check of modelgate: confidence-based performance
//! estimation (CBPE) of a binary or multiclass classifier on data whose labels have not arrived
//! yet.
//!
//! ```toml
//! [[checks]]
//! id = "estimated-performance"
//! plugin = "performance-estimate"
//! [checks.config]
//! model = "candidate"          # default: `candidate` if the gate has it, else its first model
//! reference = "reference"      # labelled data the calibrator learns from (default: reference)
//! dataset = "current"          # the data to estimate on (default: current)
//! calibration = "isotonic"     # or "none" (the model's probabilities as they are)
//! [checks.config.metrics]
//! estimated_roc_auc = { min = 0.80, max_drop = 0.03 }   # max_drop: vs the realized metric on the reference
//! estimated_f1 = { min = 0.6 }
//! ```
//!
//! The score of a row is the model's probability of the task's `positive_label`; a calibrator
//! (isotonic regression of the reference's labels on its scores, as scikit-learn fits it) turns
//! it into `p`, the probability that the row is positive. The expected confusion matrix of the
//! checked dataset follows from `p` and the model's predicted labels, and from it
//! `estimated_accuracy`, `estimated_precision`, `estimated_recall`, `estimated_f1` and
//! `estimated_roc_auc` (see [`cbpe`]). Each comes with `estimated_<metric>_ci_lower` / `_upper`
//! = estimate ± 3 standard errors (NannyML's formulas, [`cbpe::standard_errors`]), clipped to
//! [0, 1], and, where the dataset has labels, `realized_<metric>`.
//!
//! Multiclass: one calibrator per class (one-vs-rest) on that class's probability, rows
//! renormalised to sum 1 (uniform where they sum to 0), and the macro averages of the per-class
//! expected confusion matrices ([`cbpe::multiclass_metrics`], [`cbpe::MulticlassErrors`]).

pub mod cbpe;
mod fit;
#[cfg(test)]
mod nannyml_reference;
#[cfg(test)]
mod sklearn_reference;

use std::collections::BTreeMap;

use modelgate_sdk::schema::{only_keys, Schema};
use modelgate_sdk::{
    debug, export_validator, info, memo, About, Bounds, Check, CheckResult, Context, Direction,
    JsonSchema, Metric, ModelRef, Needs, Table, TaskKind,
};
use serde::Deserialize;

use cbpe::METRICS;
use fit::Fit;

/// How raw scores become probabilities of the positive class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(crate = "modelgate_sdk::schemars")]
pub enum Calibration {
    /// Isotonic regression of the reference's labels on its scores (scikit-learn's
    /// `IsotonicRegression(out_of_bounds="clip")`).
    #[default]
    Isotonic,
    /// The model's probabilities as they are.
    None,
}

/// The check's config.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "modelgate_sdk::schemars")]
#[schemars(title = "performance-estimate check config")]
pub struct Config {
    /// The model whose performance is estimated (default `candidate` if the gate has it, else
    /// its first model).
    #[serde(default)]
    pub model: Option<String>,
    /// The labelled dataset the calibrator and the sampling errors learn from (default
    /// `reference`).
    #[serde(default)]
    #[schemars(extend("default" = "reference"))]
    pub reference: Option<String>,
    /// The dataset to estimate on; it needs no labels (default `current`).
    #[serde(default)]
    #[schemars(extend("default" = "current"))]
    pub dataset: Option<String>,
    /// `isotonic` (default) or `none`.
    #[serde(default)]
    pub calibration: Calibration,
    /// Bounds per estimated metric (`estimated_accuracy`, `estimated_precision`,
    /// `estimated_recall`, `estimated_f1`, `estimated_roc_auc`): min, max, and max_drop /
    /// max_rise / max_relative_drop against the realized metric on the reference.
    #[serde(default)]
    #[schemars(transform = metric_names)]
    pub metrics: BTreeMap<String, Bounds>,
}

fn metric_names(schema: &mut Schema) {
    only_keys(schema, METRICS.iter().map(|m| format!("estimated_{m}")));
}

/// The check.
pub struct PerformanceEstimate;

impl Check for PerformanceEstimate {
    type Config = Config;

    fn about() -> About {
        About {
            name: "performance-estimate".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "Estimates a binary or multiclass classifier's accuracy, precision, \
                          recall, f1 and roc_auc (macro averages for multiclass) on data without \
                          labels (confidence-based performance \
                          estimation, CBPE): its probabilities, calibrated by isotonic regression \
                          on the labelled reference, give an expected confusion matrix; reports \
                          ±3 standard-error bands and, where labels exist, the realized metrics, \
                          and gates the estimates on min / max and on their drop from the \
                          realized metrics on the reference."
                .to_string(),
            // The labels it needs are the reference's, which it reads and checks itself: the
            // data it estimates on needs none (a production window whose labels have not
            // arrived is what it is for), so the host must not hold it to labelled rows.
            needs: Needs {
                datasets: vec!["reference".to_string(), "current".to_string()],
                models: true,
                labels: false,
            },
        }
    }

    fn check(ctx: &Context, config: Config) -> Result<CheckResult, String> {
        run(ctx, &config)
    }
}

export_validator!(PerformanceEstimate);

/// What the check reads of one dataset, by class index in the model's class order.
struct Scored {
    /// Per class, the model's probability of it per row.
    scores: Vec<Vec<f64>>,
    /// The predicted class per row.
    predicted: Vec<usize>,
    /// The true class per row ([`OTHER`] for a label that is not one of the model's classes,
    /// binary only), if the dataset has labels.
    labels: Option<Vec<usize>>,
}

/// The class index of a label that is none of the model's classes.
const OTHER: usize = usize::MAX;

/// What the check computed, in the order of [`METRICS`].
struct Estimates {
    estimated: [Option<f64>; 5],
    standard_errors: [Option<f64>; 5],
    realized: Option<[Option<f64>; 5]>,
    reference_realized: [Option<f64>; 5],
    calibrator_points: Vec<usize>,
}

fn run(ctx: &Context, config: &Config) -> Result<CheckResult, String> {
    let task = ctx.require_task()?;
    let positive = match task.kind {
        TaskKind::Binary => Some(
            task.positive_label
                .clone()
                .ok_or("the task is binary, but the policy sets no positive_label")?,
        ),
        TaskKind::Multiclass => None,
        TaskKind::Regression => {
            return Err(
                "the task is regression, but performance-estimate (CBPE) estimates \
                        classification metrics from class probabilities; it needs a binary or \
                        multiclass task"
                    .to_string(),
            )
        }
    };
    let model = ctx
        .candidate_model(config.model.as_deref())
        .map_err(|e| e.replace("config.candidate", "config.model"))?;
    if model.model.task() != task.kind {
        return Err(format!(
            "model `{}` does not solve the gate's {} task",
            model.name,
            if positive.is_some() {
                "binary"
            } else {
                "multiclass"
            }
        ));
    }
    let reference_name = config.reference.as_deref().unwrap_or("reference");
    let dataset_name = config.dataset.as_deref().unwrap_or("current");
    let reference = ctx
        .dataset(reference_name)
        .map_err(|e| format!("config.reference: {e}"))?;
    let dataset = ctx
        .dataset(dataset_name)
        .map_err(|e| format!("config.dataset: {e}"))?;

    let classes = model.model.classes();
    let positive_index = match &positive {
        Some(positive) => {
            if classes.len() != 2 {
                return Err(format!(
                    "the task is binary, but model `{}` has {} classes",
                    model.name,
                    classes.len()
                ));
            }
            Some(classes.iter().position(|c| c == positive).ok_or_else(|| {
                format!(
                    "positive_label `{positive}` is not one of model `{}`'s classes ({})",
                    model.name,
                    classes.join(", ")
                )
            })?)
        }
        None => None,
    };
    let target = task.target.as_str();
    let binary_task = positive.is_some();
    // What is learnt from the reference is kept for the next call (each window of `monitor`).
    let key = format!(
        "performance-estimate/fit/1 reference={} model={} target={target} calibration={:?} \
         positive={positive_index:?}",
        reference.identity(),
        model.name,
        config.calibration
    );
    let fit = match memo::get(&key).and_then(|bytes| Fit::decode(&bytes)) {
        Some(fit) => {
            debug(format!(
                "the calibrator learnt from `{reference_name}` earlier in this run is reused"
            ));
            fit
        }
        None => {
            let fit = learn(
                config,
                &model,
                &classes,
                reference,
                reference_name,
                target,
                positive_index,
            )?;
            if let Err(e) = memo::put(&key, &fit.encode()) {
                debug(format!(
                    "the calibrator is not kept for later calls: {}",
                    e.message
                ));
            }
            fit
        }
    };
    let data = read(
        &model,
        &classes,
        dataset,
        dataset_name,
        target,
        false,
        binary_task,
    )?;
    let n = data.predicted.len();
    let est = fit.estimate(&data);

    for key in config.metrics.keys() {
        if !METRICS.iter().any(|m| format!("estimated_{m}") == *key) {
            return Err(format!(
                "config.metrics: unknown metric `{key}`; known: {}",
                METRICS.map(|m| format!("estimated_{m}")).join(", ")
            ));
        }
    }
    let mut out = Vec::new();
    let mut failures = Vec::new();
    let mut headline = Vec::new();
    for (k, name) in METRICS.iter().enumerate() {
        let est_name = format!("estimated_{name}");
        let bounds = config.metrics.get(&est_name);
        let Some(value) = est.estimated[k] else {
            if bounds.is_some() {
                return Err(format!(
                    "{est_name} is undefined on `{dataset_name}` ({}), but config.metrics bounds it",
                    undefined_reason(name)
                ));
            }
            info(format!(
                "{est_name} is undefined on `{dataset_name}` ({}): not reported",
                undefined_reason(name)
            ));
            continue;
        };
        let mut metric = Metric::new(&est_name, value).model(model.name);
        if let Some(bounds) = bounds {
            let eval = bounds.evaluate(
                &est_name,
                value,
                est.reference_realized[k],
                Direction::HigherIsBetter,
            )?;
            if !eval.passed() {
                failures.push(eval.summary());
            }
            metric = metric.evaluated(&eval);
        }
        out.push(metric);
        headline.push(format!(
            "{name} {}",
            modelgate_sdk::bounds::fmt_num(value, 3)
        ));
        if let Some(se) = est.standard_errors[k].filter(|se| se.is_finite()) {
            out.push(
                Metric::new(
                    format!("{est_name}_ci_lower"),
                    (value - 3.0 * se).clamp(0.0, 1.0),
                )
                .model(model.name),
            );
            out.push(
                Metric::new(
                    format!("{est_name}_ci_upper"),
                    (value + 3.0 * se).clamp(0.0, 1.0),
                )
                .model(model.name),
            );
        }
        if let Some(Some(r)) = est.realized.as_ref().map(|r| r[k]) {
            out.push(Metric::new(format!("realized_{name}"), r).model(model.name));
        }
    }
    let summary = if failures.is_empty() {
        format!(
            "estimated on {n} rows of `{dataset_name}` without labels: {}",
            headline.join(", ")
        )
    } else {
        failures.join("; ")
    };
    let details = serde_json::json!({
        "model": model.name,
        "dataset": dataset_name,
        "rows": n,
        "reference": reference_name,
        "reference_rows": fit.reference_rows,
        "calibration": match config.calibration { Calibration::Isotonic => "isotonic", Calibration::None => "none" },
        "calibrator_points": est.calibrator_points,
        "reference_realized": METRICS.iter().zip(est.reference_realized).map(|(m, v)| (m.to_string(), v)).collect::<BTreeMap<_, _>>(),
    });
    Ok(CheckResult::from_metrics(summary, out).details(details.to_string()))
}

/// Reads the labelled reference and learns from it (see [`Fit::learn`]).
fn learn(
    config: &Config,
    model: &ModelRef<'_>,
    classes: &[String],
    reference: &Table,
    reference_name: &str,
    target: &str,
    positive_index: Option<usize>,
) -> Result<Fit, String> {
    let ref_data = read(
        model,
        classes,
        reference,
        reference_name,
        target,
        true,
        positive_index.is_some(),
    )?;
    let ref_labels = ref_data.labels.as_ref().expect("required");
    let distinct: std::collections::BTreeSet<usize> = ref_labels
        .iter()
        .map(|&c| match positive_index {
            Some(p) => usize::from(c == p),
            None => c,
        })
        .collect();
    if distinct.len() < 2 {
        return Err(format!(
            "the labels of the reference `{reference_name}` (column `{target}`) hold one class \
             only: the calibrator needs at least two"
        ));
    }
    Fit::learn(config.calibration, &ref_data, positive_index)
}

fn undefined_reason(metric: &str) -> &'static str {
    match metric {
        "precision" => "the model predicts no row positive",
        "recall" => "no row is expected to be positive",
        "roc_auc" => "every row is expected to be of one class",
        _ => "no rows",
    }
}

/// The class index of each row's label (`None` for a null), by text; a label that is none of
/// the classes is [`OTHER`] if `other_ok`, else an error.
fn class_indices(
    dict: &modelgate_sdk::Dictionary,
    classes: &[String],
    other_ok: bool,
    what: &str,
) -> Result<Vec<Option<usize>>, String> {
    let index: Vec<usize> = dict
        .values
        .iter()
        .map(|v| match classes.iter().position(|c| c == v) {
            Some(i) => Ok(i),
            None if other_ok => Ok(OTHER),
            None => Err(format!(
                "{what} holds `{v}`, which is not one of the model's classes ({})",
                classes.join(", ")
            )),
        })
        .collect::<Result<_, _>>()?;
    Ok(dict
        .codes
        .iter()
        .map(|c| c.map(|c| index[c as usize]))
        .collect())
}

/// Reads the model's class probabilities and predicted classes on `table`, and its labels (an
/// error if `need_labels` and the target column is missing or has nulls).
fn read(
    model: &ModelRef<'_>,
    classes: &[String],
    table: &Table,
    name: &str,
    target: &str,
    need_labels: bool,
    binary: bool,
) -> Result<Scored, String> {
    let rows = table.row_count()?;
    if rows == 0 {
        return Err(format!("dataset `{name}` is empty: no rows to estimate on"));
    }
    let labels = if table.has_column(target) {
        let dict = table.read_column_dictionary(target)?;
        match dict.first_null() {
            Some(first) if need_labels => {
                return Err(format!(
                    "the target column `{target}` of the reference `{name}` has {} null(s) (the \
                     first at row {first}); the calibrator needs a label on every row",
                    dict.null_count()
                ))
            }
            Some(_) => None,
            None => Some(
                class_indices(
                    &dict,
                    classes,
                    binary,
                    &format!("the target column `{target}` of `{name}`"),
                )?
                .into_iter()
                .map(|c| c.expect("no nulls"))
                .collect(),
            ),
        }
    } else if need_labels {
        return Err(format!(
            "the reference `{name}` has no labels (no target column `{target}`): the calibrator \
             learns from labelled data"
        ));
    } else {
        None
    };

    let preds = model.predictions(table, name)?;
    let mut scores = Vec::with_capacity(classes.len());
    for (c, class) in classes.iter().enumerate() {
        let column = format!("proba_{c}");
        if !preds.has_column(&column) {
            return Err(format!(
                "model `{}` gives no class probabilities (no `{column}` in its predictions); \
                 CBPE estimates from them",
                model.name
            ));
        }
        let mut score = Vec::with_capacity(rows);
        preds.for_each_f64(&column, |i, v| match v {
            Some(v) if (0.0..=1.0).contains(&v) => {
                score.push(v);
                Ok(())
            }
            other => Err(format!(
                "the probability of `{class}` by model `{}` on `{name}` is {} at row {i}, not a \
                 probability in [0, 1]",
                model.name,
                other.map_or("null".to_string(), |v| v.to_string())
            )),
        })?;
        scores.push(score);
    }
    let predicted_dict = preds.read_column_dictionary("prediction")?;
    if let Some(first) = predicted_dict.first_null() {
        return Err(format!(
            "the predicted label of model `{}` on `{name}` is null at row {first}",
            model.name
        ));
    }
    let predicted = class_indices(
        &predicted_dict,
        classes,
        false,
        &format!("the `prediction` of model `{}` on `{name}`", model.name),
    )?
    .into_iter()
    .map(|c| c.expect("no nulls"))
    .collect();
    Ok(Scored {
        scores,
        predicted,
        labels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelgate_sdk::Validator;

    #[test]
    fn schema_lists_the_estimated_metrics() {
        let schema: serde_json::Value =
            serde_json::from_str(&PerformanceEstimate::info().config_schema).unwrap();
        assert_eq!(schema["additionalProperties"], false);
        let names = schema["properties"]["metrics"]["propertyNames"]["enum"]
            .as_array()
            .unwrap();
        assert_eq!(names.len(), 5);
        assert_eq!(names[4], "estimated_roc_auc");
        let info = PerformanceEstimate::info();
        assert_eq!(info.name, "performance-estimate");
    }

    #[test]
    fn config_parses() {
        let c: Config = modelgate_sdk::config(
            r#"{"calibration": "none", "metrics": {"estimated_f1": {"min": 0.6}}}"#,
        )
        .unwrap();
        assert_eq!(c.calibration, Calibration::None);
        assert!(modelgate_sdk::config::<Config>(r#"{"calibration": "platt"}"#).is_err());
    }
}
