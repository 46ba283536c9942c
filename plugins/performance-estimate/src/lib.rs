//! The built-in `performance-estimate` check of modelgate: confidence-based performance
//! estimation (CBPE) of a binary classifier on data whose labels have not arrived yet.
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

pub mod cbpe;
#[cfg(test)]
mod sklearn_reference;

use std::collections::BTreeMap;

use modelgate_sdk::schema::{only_keys, Schema};
use modelgate_sdk::{
    export_validator, info, About, Bounds, Check, CheckResult, Context, Direction, JsonSchema,
    Metric, ModelRef, Needs, Table, TaskKind,
};
use serde::Deserialize;

use cbpe::{Component, Isotonic, METRICS};

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
            description: "Estimates a binary classifier's accuracy, precision, recall, f1 and \
                          roc_auc on data without labels (confidence-based performance \
                          estimation, CBPE): its probabilities, calibrated by isotonic regression \
                          on the labelled reference, give an expected confusion matrix; reports \
                          ±3 standard-error bands and, where labels exist, the realized metrics, \
                          and gates the estimates on min / max and on their drop from the \
                          realized metrics on the reference."
                .to_string(),
            needs: Needs {
                datasets: vec!["reference".to_string(), "current".to_string()],
                models: true,
                labels: true,
            },
        }
    }

    fn check(ctx: &Context, config: Config) -> Result<CheckResult, String> {
        run(ctx, &config)
    }
}

export_validator!(PerformanceEstimate);

/// What the check reads of one dataset.
struct Scored {
    /// The model's probability of the positive class per row.
    score: Vec<f64>,
    /// Whether the model predicts the positive class per row.
    predicted: Vec<bool>,
    /// The true labels (positive or not), if the dataset has them.
    labels: Option<Vec<bool>>,
}

fn run(ctx: &Context, config: &Config) -> Result<CheckResult, String> {
    let task = ctx.require_task()?;
    let positive = match task.kind {
        TaskKind::Binary => task
            .positive_label
            .clone()
            .ok_or("the task is binary, but the policy sets no positive_label")?,
        TaskKind::Multiclass => {
            return Err(
                "performance-estimate supports binary tasks only for now: multiclass \
                        CBPE (one-vs-rest calibrators) is not implemented yet"
                    .to_string(),
            )
        }
        TaskKind::Regression => {
            return Err(
                "the task is regression, but performance-estimate (CBPE) estimates \
                        classification metrics from class probabilities; it needs a binary task"
                    .to_string(),
            )
        }
    };
    let model = ctx
        .candidate_model(config.model.as_deref())
        .map_err(|e| e.replace("config.candidate", "config.model"))?;
    if model.model.task() != TaskKind::Binary {
        return Err(format!(
            "model `{}` is not a binary classifier, but the gate's task is binary",
            model.name
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

    let target = task.target.as_str();
    let ref_data = read(&model, reference, reference_name, &positive, target, true)?;
    let ref_labels = ref_data.labels.as_ref().expect("required");
    let positives = ref_labels.iter().filter(|&&t| t).count();
    if positives == 0 || positives == ref_labels.len() {
        return Err(format!(
            "the labels of the reference `{reference_name}` (column `{target}`) hold one class \
             only ({} of {} rows are positive): the calibrator needs both classes",
            positives,
            ref_labels.len()
        ));
    }
    let data = read(&model, dataset, dataset_name, &positive, target, false)?;

    let ref_y: Vec<f64> = ref_labels.iter().map(|&t| f64::from(u8::from(t))).collect();
    let calibrator = match config.calibration {
        Calibration::Isotonic => Some(Isotonic::fit(&ref_data.score, &ref_y)?),
        Calibration::None => None,
    };
    let p: Vec<f64> = match &calibrator {
        Some(c) => data.score.iter().map(|&s| c.predict(s)).collect(),
        None => data.score.clone(),
    };
    let estimated = cbpe::metrics(&data.score, &p, &data.predicted);
    let reference_realized = cbpe::metrics(&ref_data.score, &ref_y, &ref_data.predicted);
    let realized = data.labels.as_ref().map(|y| {
        let y: Vec<f64> = y.iter().map(|&t| f64::from(u8::from(t))).collect();
        cbpe::metrics(&data.score, &y, &data.predicted)
    });
    let components = cbpe::standard_errors(ref_labels, &ref_data.predicted, &ref_data.score);
    let n = data.score.len();

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
        let Some(value) = estimated[k] else {
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
                reference_realized[k],
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
        if let Some(Component { std, fraction }) = components[k] {
            let se = Component { std, fraction }.standard_error(n);
            if se.is_finite() {
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
        }
        if let Some(Some(r)) = realized.as_ref().map(|r| r[k]) {
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
        "reference_rows": ref_labels.len(),
        "calibration": match config.calibration { Calibration::Isotonic => "isotonic", Calibration::None => "none" },
        "calibrator_points": calibrator.as_ref().map(|c| c.points().0.len()),
        "reference_realized": METRICS.iter().zip(reference_realized).map(|(m, v)| (m.to_string(), v)).collect::<BTreeMap<_, _>>(),
    });
    Ok(CheckResult::from_metrics(summary, out).details(details.to_string()))
}

fn undefined_reason(metric: &str) -> &'static str {
    match metric {
        "precision" => "the model predicts no row positive",
        "recall" => "no row is expected to be positive",
        "roc_auc" => "every row is expected to be of one class",
        _ => "no rows",
    }
}

/// Reads the model's scores and predicted labels on `table`, and its labels (an error if
/// `need_labels` and the target column is missing or has nulls).
fn read(
    model: &ModelRef<'_>,
    table: &Table,
    name: &str,
    positive: &str,
    target: &str,
    need_labels: bool,
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
                (0..dict.len())
                    .map(|i| dict.get(i) == Some(positive))
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

    let preds = model.model.predict(table).map_err(|e| {
        format!(
            "predictions of model `{}` on `{name}`: {}",
            model.name, e.message
        )
    })?;
    let n = preds.row_count()?;
    if n != rows {
        return Err(format!(
            "predictions of model `{}` on `{name}` have {n} rows, the dataset {rows}",
            model.name
        ));
    }
    let classes = model.model.classes();
    let index = classes.iter().position(|c| c == positive).ok_or_else(|| {
        format!(
            "positive_label `{positive}` is not one of model `{}`'s classes ({})",
            model.name,
            classes.join(", ")
        )
    })?;
    let column = format!("proba_{index}");
    if !preds.has_column(&column) {
        return Err(format!(
            "model `{}` gives no class probabilities (no `{column}` in its predictions); CBPE \
             estimates from them",
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
            "the probability of `{positive}` by model `{}` on `{name}` is {} at row {i}, not a \
             probability in [0, 1]",
            model.name,
            other.map_or("null".to_string(), |v| v.to_string())
        )),
    })?;
    let predicted_dict = preds.read_column_dictionary("prediction")?;
    if let Some(first) = predicted_dict.first_null() {
        return Err(format!(
            "the predicted label of model `{}` on `{name}` is null at row {first}",
            model.name
        ));
    }
    let predicted = (0..predicted_dict.len())
        .map(|i| predicted_dict.get(i) == Some(positive))
        .collect();
    Ok(Scored {
        score,
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
