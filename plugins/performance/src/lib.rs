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
//! baseline = "baseline"      # default: "baseline" if the gate has it, else none
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
//! The math is in [`metrics`]; [`evaluate`] turns columns into metric values and bounds into a
//! result; this file reads the host's tables.

pub mod evaluate;
pub mod metrics;

use modelgate_sdk::{
    export_validator, log, warn, CheckResult, Context, Dictionary, Model, Needs, PluginInfo, Table,
    TaskKind, Validator,
};

use evaluate::{quote_list, Config, Evaluated, ModelMetrics, Probabilities, Task};

/// The check.
pub struct Performance;

impl Validator for Performance {
    fn info() -> PluginInfo {
        PluginInfo {
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
            config_schema: config_schema(),
            needs: Needs {
                datasets: vec!["current".to_string()],
                models: true,
                labels: true,
            },
        }
    }

    fn validate(ctx: &Context, config: &str) -> Result<CheckResult, String> {
        run(ctx, config)
    }
}

export_validator!(Performance);

/// The JSON Schema of [`Config`].
pub fn config_schema() -> String {
    const SCHEMA: &str = r##"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "performance check config",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "dataset": {
      "type": "string",
      "default": "current",
      "description": "The labelled dataset to evaluate on."
    },
    "candidate": {
      "type": "string",
      "description": "The model whose metrics are gated. Default: `candidate` if the gate has it, else its first model."
    },
    "baseline": {
      "type": "string",
      "description": "The model that max_drop, max_rise and max_relative_drop compare with. Default: `baseline` if the gate has it, else none."
    },
    "metrics": {
      "type": "object",
      "description": "Bounds per metric. binary: accuracy, precision, recall, f1, roc_auc, pr_auc, log_loss, brier; multiclass: accuracy, precision, recall, f1 (macro), precision_weighted, recall_weighted, f1_weighted, log_loss; regression: rmse, mae, r2, mape.",
      "propertyNames": { "enum": "$METRIC_NAMES" },
      "additionalProperties": { "$ref": "#/$defs/bounds" }
    }
  },
  "$defs": {
    "bounds": "$BOUNDS"
  }
}"##;
    let names = serde_json::to_string(&evaluate::all_metric_names()).expect("strings serialize");
    SCHEMA
        .replace("\"$METRIC_NAMES\"", &names)
        .replace("\"$BOUNDS\"", modelgate_sdk::Bounds::JSON_SCHEMA)
}

/// A model to evaluate, with its name.
struct Subject<'a> {
    name: String,
    model: &'a Model,
}

fn run(ctx: &Context, config_json: &str) -> Result<CheckResult, String> {
    let config: Config = modelgate_sdk::config(config_json)?;
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
    evaluate::check_metric_names(&config, &task)?;

    let dataset = config.dataset.as_deref().unwrap_or("current");
    let table = ctx
        .dataset(dataset)
        .map_err(|e| format!("config.dataset: {e}"))?;
    let (candidate, baseline) = subjects(ctx, &config)?;
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

    let evaluated: Vec<(String, ModelMetrics)> = match &task {
        Task::Regression => {
            let y = read_finite(table, target)?;
            let mut out = Vec::new();
            for s in std::iter::once(&candidate).chain(baseline.as_ref()) {
                let preds = predictions(s, table, dataset, rows)?;
                let p = read_finite(&preds, "prediction")?;
                out.push((s.name.clone(), evaluate::regression(&y, &p)));
            }
            out
        }
        Task::Binary { .. } | Task::Multiclass => {
            let y_true = read_labels(table, target)?;
            let mut out = Vec::new();
            for s in std::iter::once(&candidate).chain(baseline.as_ref()) {
                let preds = predictions(s, table, dataset, rows)?;
                let y_pred = read_labels(&preds, "prediction")?;
                let proba = read_probabilities(s, &preds, &y_true, &task)?;
                let m = evaluate::classification(&task, &y_true, &y_pred, &s.name, proba.as_ref())?;
                out.push((s.name.clone(), m));
            }
            out
        }
    };

    let mut models = evaluated
        .iter()
        .map(|(name, metrics)| Evaluated { name, metrics });
    let candidate_eval = models.next().expect("the candidate is evaluated");
    let baseline_eval = models.next();
    let (result, notes) =
        evaluate::assemble(&config, dataset, rows, candidate_eval, baseline_eval)?;
    for (level, note) in notes {
        log(level, note);
    }
    Ok(result)
}

/// Resolves the candidate and baseline models from the config and the gate's models.
fn subjects<'a>(
    ctx: &'a Context,
    config: &Config,
) -> Result<(Subject<'a>, Option<Subject<'a>>), String> {
    let candidate_name = match &config.candidate {
        Some(name) => name.clone(),
        None if ctx.has_model("candidate") => "candidate".to_string(),
        None => ctx
            .models
            .first()
            .map(|m| m.name.clone())
            .ok_or("the performance check needs a model, but the gate defines none")?,
    };
    let candidate = ctx
        .model(&candidate_name)
        .map_err(|e| format!("config.candidate: {e}"))?;
    let baseline_name = match &config.baseline {
        Some(name) => Some(name.clone()),
        None if ctx.has_model("baseline") && candidate_name != "baseline" => {
            Some("baseline".to_string())
        }
        None => None,
    };
    if baseline_name.as_deref() == Some(candidate_name.as_str()) {
        return Err(format!(
            "config.baseline: the baseline model is the candidate model (`{candidate_name}`)"
        ));
    }
    let baseline = match baseline_name {
        Some(name) => {
            let model = ctx
                .model(&name)
                .map_err(|e| format!("config.baseline: {e}"))?;
            Some(Subject { name, model })
        }
        None => None,
    };
    Ok((
        Subject {
            name: candidate_name,
            model: candidate,
        },
        baseline,
    ))
}

fn task_name(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::Binary => "binary",
        TaskKind::Multiclass => "multiclass",
        TaskKind::Regression => "regression",
    }
}

/// The model's predictions on the dataset, checked to have one row per dataset row and a
/// `prediction` column.
fn predictions(
    s: &Subject<'_>,
    table: &Table,
    dataset: &str,
    rows: usize,
) -> Result<Table, String> {
    let preds = s.model.predict(table).map_err(|e| {
        format!(
            "predictions of model `{}` on `{dataset}`: {}",
            s.name, e.message
        )
    })?;
    let n = preds.row_count()?;
    if n != rows {
        return Err(format!(
            "predictions of model `{}` on `{dataset}` have {n} rows, the dataset {rows}",
            s.name
        ));
    }
    preds.column("prediction")?;
    Ok(preds)
}

/// A numeric column without nulls, NaN or infinities.
fn read_finite(table: &Table, column: &str) -> Result<Vec<f64>, String> {
    let values = table.read_column_f64(column)?;
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(format!(
            "column `{column}` of `{}` has the value {} at row {i}; the metrics need finite numbers",
            table.name(),
            values[i]
        ));
    }
    Ok(values)
}

/// A column of class labels as text, without nulls.
fn read_labels(table: &Table, column: &str) -> Result<Dictionary, String> {
    let labels = table.read_column_dictionary(column)?;
    if let Some(first) = labels.first_null() {
        return Err(format!(
            "column `{column}` of `{}` has {} null(s) (the first at row {first}); every row \
             needs a label",
            table.name(),
            labels.null_count()
        ));
    }
    Ok(labels)
}

/// The model's class probabilities reduced to what the metrics need, or `None` if its
/// predictions have no probability columns.
fn read_probabilities(
    s: &Subject<'_>,
    preds: &Table,
    y_true: &Dictionary,
    task: &Task,
) -> Result<Option<Probabilities>, String> {
    let name = &s.name;
    let columns = preds.column_names();
    let classes = s.model.classes();
    let wanted: Vec<String> = (0..classes.len()).map(|i| format!("proba_{i}")).collect();
    let present = wanted.iter().filter(|c| columns.contains(c)).count();
    let any_proba = columns.iter().any(|c| c.starts_with("proba_"));
    if present == 0 {
        if any_proba && classes.is_empty() {
            return Err(format!(
                "the predictions of model `{name}` have probability columns, but the model \
                 declares no classes to map them to"
            ));
        }
        return Ok(None);
    }
    if present != classes.len() {
        return Err(format!(
            "the predictions of model `{name}` have {present} of the {} probability columns \
             proba_0..proba_{} its classes need",
            classes.len(),
            classes.len() - 1
        ));
    }
    let positive_class = match task {
        Task::Binary { positive } => {
            if classes.len() != 2 {
                return Err(format!(
                    "the task is binary, but model `{name}` has {} classes: {}",
                    classes.len(),
                    quote_list(&classes, 10)
                ));
            }
            Some(classes.iter().position(|c| c == positive).ok_or_else(|| {
                format!(
                    "positive_label `{positive}` is not one of model `{name}`'s classes: {}",
                    quote_list(&classes, 10)
                )
            })?)
        }
        _ => None,
    };
    // The class (probability column) of each target value.
    let class_of: Vec<usize> = y_true
        .values
        .iter()
        .map(|v| {
            classes.iter().position(|c| c == v).ok_or_else(|| {
                format!(
                    "the target holds the label `{v}`, which is not one of model `{name}`'s \
                     classes ({}): its probabilities cannot score it",
                    quote_list(&classes, 10)
                )
            })
        })
        .collect::<Result<_, _>>()?;

    let rows = y_true.len();
    let mut p_true = vec![f64::NAN; rows];
    let mut p_positive = positive_class.map(|_| vec![f64::NAN; rows]);
    let mut row_sum = vec![0.0f64; rows];
    for (c, column) in wanted.iter().enumerate() {
        preds.for_each_f64(column, |i, v| {
            let v = v.ok_or_else(|| {
                format!(
                    "column `{column}` of the predictions of model `{name}` has a null at row {i}"
                )
            })?;
            if !(0.0..=1.0).contains(&v) {
                return Err(format!(
                    "column `{column}` of the predictions of model `{name}` has {v} at row {i}, \
                     not a probability in [0, 1]"
                ));
            }
            row_sum[i] += v;
            let code = y_true.codes[i].expect("nulls rejected") as usize;
            if class_of[code] == c {
                p_true[i] = v;
            }
            if let (Some(p), Some(pc)) = (p_positive.as_mut(), positive_class) {
                if pc == c {
                    p[i] = v;
                }
            }
            Ok(())
        })?;
    }
    // scikit-learn warns (and goes on) when rows do not sum to 1: np.allclose(sum, 1,
    // rtol=sqrt(eps)).
    let tolerance = 1e-8 + f64::EPSILON.sqrt();
    let off: Vec<usize> = (0..rows)
        .filter(|&i| (row_sum[i] - 1.0).abs() > tolerance)
        .collect();
    if let Some(&first) = off.first() {
        warn(format!(
            "the class probabilities of model `{name}` do not sum to 1 on {} of {rows} rows (the \
             first is row {first}, sum {})",
            off.len(),
            row_sum[first]
        ));
    }
    Ok(Some(Probabilities { p_true, p_positive }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_json_and_lists_every_metric() {
        let schema: serde_json::Value = serde_json::from_str(&config_schema()).unwrap();
        assert_eq!(schema["additionalProperties"], false);
        let names = schema["properties"]["metrics"]["propertyNames"]["enum"]
            .as_array()
            .unwrap();
        assert_eq!(names.len(), 15);
        assert_eq!(schema["$defs"]["bounds"]["additionalProperties"], false);
        assert!(schema["$defs"]["bounds"]["properties"]["max_relative_drop"].is_object());
    }

    #[test]
    fn info_describes_the_check() {
        let info = Performance::info();
        assert_eq!(info.name, "performance");
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(info.needs.datasets, ["current"]);
        assert!(info.needs.models && info.needs.labels);
    }
}
