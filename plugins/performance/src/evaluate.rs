//! From decoded columns to metric values, and from metric values and configured bounds to a
//! check result. No host calls here, so all of it runs in native unit tests.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use modelgate_sdk::bounds::fmt_num;
use modelgate_sdk::details::{details_json, ConfusionMatrix, ModelPlots};
use modelgate_sdk::schema::{only_keys, Schema};
use modelgate_sdk::{
    BoundKind, Bounds, CheckResult, Dictionary, Direction, Evaluation, FirstSeen, JsonSchema,
    LogLevel, Metric, Status,
};
use serde::{Deserialize, Serialize};

use crate::metrics::{self, pairwise_sums};

/// The task, as far as the metrics care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Task {
    /// Two classes; `positive` is the positive label, as text.
    Binary { positive: String },
    /// More than two classes.
    Multiclass,
    /// A numeric target.
    Regression,
}

impl Task {
    /// The task's name in a policy.
    pub fn name(&self) -> &'static str {
        match self {
            Task::Binary { .. } => "binary",
            Task::Multiclass => "multiclass",
            Task::Regression => "regression",
        }
    }

    /// The metrics defined for the task, in report order.
    pub fn metrics(&self) -> &'static [MetricDef] {
        match self {
            Task::Binary { .. } => BINARY,
            Task::Multiclass => MULTICLASS,
            Task::Regression => REGRESSION,
        }
    }
}

/// A metric the check can compute.
#[derive(Debug, PartialEq, Eq)]
pub struct MetricDef {
    /// Its stable snake_case name.
    pub name: &'static str,
    /// Which way it gets better.
    pub direction: Direction,
    /// Whether it needs the model's class probabilities.
    pub needs_proba: bool,
}

const fn def(name: &'static str, direction: Direction, needs_proba: bool) -> MetricDef {
    MetricDef {
        name,
        direction,
        needs_proba,
    }
}

use Direction::{HigherIsBetter as Higher, LowerIsBetter as Lower};

/// Binary classification metrics.
pub const BINARY: &[MetricDef] = &[
    def("accuracy", Higher, false),
    def("precision", Higher, false),
    def("recall", Higher, false),
    def("f1", Higher, false),
    def("roc_auc", Higher, true),
    def("pr_auc", Higher, true),
    def("log_loss", Lower, true),
    def("brier", Lower, true),
];

/// Multiclass classification metrics (precision / recall / f1 are macro averages).
pub const MULTICLASS: &[MetricDef] = &[
    def("accuracy", Higher, false),
    def("precision", Higher, false),
    def("recall", Higher, false),
    def("f1", Higher, false),
    def("precision_weighted", Higher, false),
    def("recall_weighted", Higher, false),
    def("f1_weighted", Higher, false),
    def("log_loss", Lower, true),
];

/// Regression metrics.
pub const REGRESSION: &[MetricDef] = &[
    def("rmse", Lower, false),
    def("mae", Lower, false),
    def("r2", Higher, false),
    def("mape", Lower, false),
];

/// Every metric name of every task, without duplicates, in a stable order.
pub fn all_metric_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for d in BINARY.iter().chain(MULTICLASS).chain(REGRESSION) {
        if !names.contains(&d.name) {
            names.push(d.name);
        }
    }
    names
}

/// The check's `config`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "performance check config")]
pub struct Config {
    /// The labelled dataset to evaluate on (default `current`).
    #[serde(default)]
    #[schemars(extend("default" = "current"))]
    pub dataset: Option<String>,
    /// The model whose metrics are gated (default `candidate` if the gate has it, else its
    /// first model).
    #[serde(default)]
    pub candidate: Option<String>,
    /// The model that max_drop, max_rise and max_relative_drop compare with (default
    /// `baseline` if the gate has it and it is not the candidate, else none).
    #[serde(default)]
    pub baseline: Option<String>,
    /// Bounds per metric. binary: accuracy, precision, recall, f1, roc_auc, pr_auc, log_loss,
    /// brier; multiclass: accuracy, precision, recall, f1 (macro), precision_weighted,
    /// recall_weighted, f1_weighted, log_loss; regression: rmse, mae, r2, mape.
    #[serde(default)]
    #[schemars(transform = metric_names)]
    pub metrics: BTreeMap<String, MetricBounds>,
    /// Resamples for bounds with `confidence` (paired bootstrap; default 1000).
    #[serde(default)]
    #[schemars(range(min = 10), extend("default" = crate::bootstrap::DEFAULT_SAMPLES))]
    pub bootstrap_samples: Option<u32>,
    /// Seed of the bootstrap; the same seed gives the same bounds (default 0).
    #[serde(default)]
    #[schemars(extend("default" = 0))]
    pub bootstrap_seed: Option<u64>,
    /// How the bootstrap draws a resample: `rows` (n rows with replacement; the default) or
    /// `poisson` (every row weighted by its own Poisson(1) count; faster on large data).
    #[serde(default)]
    #[schemars(extend("default" = "rows"))]
    pub bootstrap_method: Option<crate::bootstrap::Method>,
    /// Evaluate the metrics on slices too: a column name (one slice per value),
    /// `{ column, groups = { name = [values] } }`, or `{ column, edges = [numbers] }` (ranges
    /// `[e_i, e_i+1)`, the last closed). See [`crate::slices`].
    #[serde(default)]
    pub slices: Vec<crate::slices::SliceSpec>,
    /// Slices with fewer rows are reported (slice_rows) but not evaluated (default 30).
    #[serde(default)]
    #[schemars(range(min = 1), extend("default" = crate::slices::DEFAULT_MIN_SLICE_SIZE))]
    pub min_slice_size: Option<usize>,
    /// Bounds for every slice (default: the same as `metrics`).
    #[serde(default)]
    #[schemars(transform = metric_names)]
    pub slice_metrics: Option<BTreeMap<String, MetricBounds>>,
}

/// Bounds are keyed by the metrics of [`all_metric_names`].
fn metric_names(schema: &mut Schema) {
    only_keys(schema, all_metric_names());
}

/// A metric's bounds plus an optional bootstrap `confidence` (see [`crate::bootstrap`]).
#[derive(Debug, Clone, Default, PartialEq, JsonSchema)]
#[schemars(with = "MetricBoundsTable")]
pub struct MetricBounds {
    /// min / max / max_drop / max_rise / max_relative_drop.
    pub bounds: Bounds,
    /// Gate on a paired bootstrap bound at this confidence level, in (0.5, 1).
    pub confidence: Option<f64>,
}

/// What [`MetricBounds`] accepts: the SDK's bounds table plus `confidence`.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Only its schema is used.
struct MetricBoundsTable {
    #[serde(flatten)]
    bounds: Bounds,
    /// Gate on the paired bootstrap bound at this confidence level instead of the point value.
    #[serde(default)]
    #[schemars(extend("exclusiveMinimum" = 0.5, "exclusiveMaximum" = 1))]
    confidence: Option<f64>,
}

impl<'de> Deserialize<'de> for MetricBounds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        let confidence = match map.remove("confidence") {
            None => None,
            Some(v) => match v.as_f64() {
                Some(c) if c > 0.5 && c < 1.0 => Some(c),
                _ => {
                    return Err(D::Error::custom(format!(
                        "confidence: expected a level in (0.5, 1), e.g. 0.95, got {v}"
                    )))
                }
            },
        };
        let bounds = Bounds::deserialize(serde_json::Value::Object(map)).map_err(|e| {
            let m = e.to_string();
            // The SDK's list of keys does not know `confidence`: add it.
            D::Error::custom(if m.starts_with("unknown field") {
                format!("{m}, `confidence`")
            } else {
                m
            })
        })?;
        Ok(MetricBounds { bounds, confidence })
    }
}

/// Checks that every configured metric exists for the task.
pub fn check_metric_names(config: &Config, task: &Task) -> Result<(), String> {
    let defs = task.metrics();
    let slice_names = config.slice_metrics.iter().flat_map(|m| m.keys());
    for name in config.metrics.keys().chain(slice_names) {
        if defs.iter().any(|d| d.name == name) {
            continue;
        }
        let valid = defs.iter().map(|d| d.name).collect::<Vec<_>>().join(", ");
        return Err(if all_metric_names().contains(&name.as_str()) {
            format!(
                "config.metrics.{name}: `{name}` is not defined for {} tasks; metrics for {} \
                 tasks: {valid}",
                task.name(),
                task.name()
            )
        } else {
            format!(
                "config.metrics.{name}: unknown metric `{name}`; metrics for {} tasks: {valid}",
                task.name()
            )
        });
    }
    Ok(())
}

/// A metric's value for one model, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The value.
    Value(f64),
    /// The metric is undefined on this data (the reason completes "undefined: ...").
    Undefined(String),
    /// The model has no class probabilities.
    NoProbabilities,
}

/// A confusion matrix with its labels (rows: true label, columns: predicted label).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confusion {
    /// Labels in display order.
    pub labels: Vec<String>,
    /// `matrix[i][j]`: rows with true label `labels[i]` predicted as `labels[j]`.
    pub matrix: Vec<Vec<u64>>,
}

/// Everything computed for one model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelMetrics {
    /// One outcome per metric of the task, in [`Task::metrics`] order.
    pub outcomes: Vec<(&'static MetricDef, Outcome)>,
    /// The confusion matrix (classification only).
    pub confusion: Option<Confusion>,
}

impl ModelMetrics {
    /// The outcome of the metric called `name`.
    pub fn get(&self, name: &str) -> Option<&Outcome> {
        self.outcomes
            .iter()
            .find(|(d, _)| d.name == name)
            .map(|(_, o)| o)
    }
}

/// Class probabilities of a model, reduced to what the metrics need.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Probabilities {
    /// Per row, the probability of the row's true class.
    pub p_true: Vec<f64>,
    /// Per row, the probability of the positive class (binary only).
    pub p_positive: Option<Vec<f64>>,
}

/// Orders labels as scikit-learn's `np.unique` would order the typed values: numerically if
/// every label is a number, else as text (code point order).
pub fn sort_labels(labels: &mut [String]) {
    let numeric: Option<Vec<f64>> = labels
        .iter()
        .map(|l| l.trim().parse::<f64>().ok())
        .collect();
    if numeric.is_some_and(|v| v.iter().all(|x| x.is_finite())) {
        labels.sort_by(|a, b| {
            let (x, y) = (
                a.trim().parse::<f64>().unwrap(),
                b.trim().parse::<f64>().unwrap(),
            );
            x.partial_cmp(&y)
                .unwrap_or(Ordering::Equal)
                .then_with(|| a.cmp(b))
        });
    } else {
        labels.sort();
    }
}

/// A classification target and one model's predicted labels, counted: what every label metric
/// and the confusion matrix need. A pass over the rows fills it without holding them.
#[derive(Debug, Clone, Default)]
pub struct LabelCounts {
    /// Labels in the order first seen; codes are positions here.
    labels: FirstSeen<String>,
    /// `pairs[true][predicted]`: rows (rows grow as predicted codes appear).
    pairs: Vec<Vec<u64>>,
    rows: usize,
}

impl LabelCounts {
    /// Counts that know `labels` (a target's distinct values) as codes `0..labels.len()`.
    pub fn with_labels(labels: &[String]) -> Self {
        let mut counts = Self::default();
        for l in labels {
            counts.code(l);
        }
        counts
    }

    /// The code of `label`, if it is known.
    pub fn find(&self, label: &str) -> Option<u32> {
        self.labels.find(label)
    }

    /// The code of `label`, adding it if it is new.
    pub fn code(&mut self, label: &str) -> u32 {
        match self.labels.find(label) {
            Some(c) => c,
            None => self.labels.push(label.to_string()),
        }
    }

    /// A label column without nulls as codes, adding its labels.
    pub fn codes_of(&mut self, d: &Dictionary) -> Vec<u32> {
        let map: Vec<u32> = d.values.iter().map(|v| self.code(v)).collect();
        d.codes
            .iter()
            .map(|c| map[c.expect("nulls rejected before") as usize])
            .collect()
    }

    /// Counts from a matrix of rows by (true, predicted) label code over `labels`, leaving out
    /// the labels no row has (as counting the rows one by one would).
    pub fn from_matrix(labels: &[String], matrix: &[Vec<u64>]) -> Self {
        let mut counts = Self::default();
        let present: Vec<Option<u32>> = (0..labels.len())
            .map(|l| {
                let rows = matrix[l].iter().sum::<u64>() + matrix.iter().map(|r| r[l]).sum::<u64>();
                (rows > 0).then(|| counts.code(&labels[l]))
            })
            .collect();
        let k = counts.labels.keys().len();
        counts.pairs = vec![vec![0; k]; k];
        for (t, row) in matrix.iter().enumerate() {
            for (p, &rows) in row.iter().enumerate() {
                if let (Some(ct), Some(cp), true) = (present[t], present[p], rows > 0) {
                    counts.pairs[ct as usize][cp as usize] += rows;
                    counts.rows += rows as usize;
                }
            }
        }
        counts
    }

    /// The labels, in the order first seen (codes are positions).
    pub fn into_labels(self) -> Vec<String> {
        self.labels.into_keys()
    }

    /// Counts one row with true label `truth` predicted as `predicted` (codes).
    pub fn add(&mut self, truth: u32, predicted: u32) {
        let (t, p) = (truth as usize, predicted as usize);
        if self.pairs.len() <= t {
            self.pairs.resize(t + 1, Vec::new());
        }
        let row = &mut self.pairs[t];
        if row.len() <= p {
            row.resize(p + 1, 0);
        }
        row[p] += 1;
        self.rows += 1;
    }
}

/// What the probability metrics of one model need, gathered in one pass over the rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoreSums {
    /// The curve of the positive class's probability (binary; `None` for a single-class target).
    pub curve: Option<metrics::ClfCurve>,
    /// [`pairwise_sum`](metrics::pairwise_sum)s over the rows, in row order, of
    /// [`metrics::log_loss_term`] and (binary) [`metrics::brier_term`].
    pub sums: [f64; 2],
}

/// One row's terms of [`ScoreSums::sums`]: `positive` is the row's class (binary), `p_true` the
/// probability of its true class, `p_positive` that of the positive class (binary).
pub fn score_terms(positive: bool, p_true: f64, p_positive: Option<f64>) -> [f64; 2] {
    [
        metrics::log_loss_term(p_true),
        p_positive.map_or(0.0, |p| metrics::brier_term(positive, p)),
    ]
}

/// Classification metrics of one model from rows held in memory: `y_true` and `y_pred` are the
/// target and predicted labels (as text, without nulls; the caller checks), `proba` the model's
/// probabilities if it has any (already checked against its classes). The same as
/// [`classification_from`] on counts gathered from the host's chunks, bit for bit.
pub fn classification(
    task: &Task,
    y_true: &Dictionary,
    y_pred: &Dictionary,
    model: &str,
    proba: Option<&Probabilities>,
) -> Result<ModelMetrics, String> {
    let n = y_true.len();
    debug_assert_eq!(n, y_pred.len());
    let mut counts = LabelCounts::default();
    let truth = counts.codes_of(y_true);
    let predicted = counts.codes_of(y_pred);
    for (&t, &p) in truth.iter().zip(&predicted) {
        counts.add(t, p);
    }
    let positive = match task {
        Task::Binary { positive } => counts.find(positive),
        _ => None,
    };
    let is_positive = |i: usize| positive == Some(truth[i]);
    let scores = proba.map(|proba| {
        let mut s = ScoreSums::default();
        if let Some(p) = &proba.p_positive {
            let y: Vec<bool> = (0..n).map(is_positive).collect();
            s.curve = metrics::clf_curve(&y, p);
        }
        s.sums = pairwise_sums(n, |i| {
            score_terms(
                is_positive(i),
                proba.p_true[i],
                proba.p_positive.as_ref().map(|p| p[i]),
            )
        });
        s
    });
    classification_from(task, &counts, model, scores)
}

/// Classification metrics of one model from its [`LabelCounts`] and, if it has probabilities,
/// its [`ScoreSums`].
pub fn classification_from(
    task: &Task,
    counts: &LabelCounts,
    model: &str,
    scores: Option<ScoreSums>,
) -> Result<ModelMetrics, String> {
    let n = counts.rows;
    let mut labels = counts.labels.keys().to_vec();
    if let Task::Binary { positive } = task {
        if labels.len() > 2 {
            sort_labels(&mut labels);
            return Err(format!(
                "the task is binary, but the target and model `{model}`'s predictions hold {} \
                 labels: {}",
                labels.len(),
                quote_list(&labels, 10)
            ));
        }
        if labels.len() == 2 && !labels.contains(positive) {
            sort_labels(&mut labels);
            return Err(format!(
                "positive_label `{positive}` is not one of the labels in the target and model \
                 `{model}`'s predictions: {}",
                quote_list(&labels, 10)
            ));
        }
        // Show the positive label in the matrix even if no row has it.
        if !labels.contains(positive) {
            labels.push(positive.clone());
        }
    }
    sort_labels(&mut labels);
    let position = |code: u32| {
        let label = &counts.labels.keys()[code as usize];
        labels
            .iter()
            .position(|l| l == label)
            .expect("label in the union")
    };
    let mut matrix = vec![vec![0u64; labels.len()]; labels.len()];
    let codes: Vec<usize> = (0..counts.labels.keys().len() as u32)
        .map(position)
        .collect();
    for (t, row) in counts.pairs.iter().enumerate() {
        for (p, &rows) in row.iter().enumerate() {
            matrix[codes[t]][codes[p]] += rows;
        }
    }
    let hits: u64 = (0..labels.len()).map(|l| matrix[l][l]).sum();
    let accuracy = hits as f64 / n as f64;

    let mut values: Vec<(&'static str, Outcome)> = vec![("accuracy", Outcome::Value(accuracy))];
    match task {
        Task::Binary { positive } => {
            let pos = labels
                .iter()
                .position(|l| l == positive)
                .expect("added above");
            let predicted: u64 = matrix.iter().map(|row| row[pos]).sum();
            let positives: u64 = matrix[pos].iter().sum();
            let prf = metrics::prf(matrix[pos][pos], predicted, positives);
            values.push(("precision", Outcome::Value(prf.precision)));
            values.push(("recall", Outcome::Value(prf.recall)));
            values.push(("f1", Outcome::Value(prf.f1)));
            match scores {
                None => {
                    for name in ["roc_auc", "pr_auc", "log_loss", "brier"] {
                        values.push((name, Outcome::NoProbabilities));
                    }
                }
                Some(s) => {
                    let curve = s.curve;
                    values.push((
                        "roc_auc",
                        match curve.as_ref().and_then(metrics::ClfCurve::roc_auc) {
                            Some(v) => Outcome::Value(v),
                            None => Outcome::Undefined(format!(
                                "the target has a single class ({} of {n} rows are positive)",
                                positives
                            )),
                        },
                    ));
                    values.push((
                        "pr_auc",
                        match curve
                            .as_ref()
                            .and_then(metrics::ClfCurve::average_precision)
                        {
                            Some(v) => Outcome::Value(v),
                            None => Outcome::Undefined("the target has no positive row".into()),
                        },
                    ));
                    drop(curve);
                    values.push(("log_loss", Outcome::Value(s.sums[0] / n as f64)));
                    values.push(("brier", Outcome::Value(metrics::brier_from(n, s.sums[1]))));
                }
            }
        }
        Task::Multiclass => {
            let a = metrics::averages(&matrix);
            values.push(("precision", Outcome::Value(a.macro_avg.precision)));
            values.push(("recall", Outcome::Value(a.macro_avg.recall)));
            values.push(("f1", Outcome::Value(a.macro_avg.f1)));
            values.push(("precision_weighted", Outcome::Value(a.weighted.precision)));
            values.push(("recall_weighted", Outcome::Value(a.weighted.recall)));
            values.push(("f1_weighted", Outcome::Value(a.weighted.f1)));
            values.push((
                "log_loss",
                match scores {
                    Some(s) => Outcome::Value(s.sums[0] / n as f64),
                    None => Outcome::NoProbabilities,
                },
            ));
        }
        Task::Regression => unreachable!("classification() is not called for regression"),
    }
    Ok(ModelMetrics {
        outcomes: attach_defs(task, values),
        confusion: Some(Confusion { labels, matrix }),
    })
}

/// Regression metrics of one model (finite values, equal lengths; the caller checks).
pub fn regression(y: &[f64], p: &[f64]) -> ModelMetrics {
    let sums = pairwise_sums(y.len(), |i| metrics::regression_terms(y[i], p[i]));
    regression_from(y.len(), sums, metrics::r2_denominator(y))
}

/// Regression metrics of `n` rows from the [`pairwise_sum`](metrics::pairwise_sum)s of their
/// [`metrics::regression_terms`] and [`metrics::r2_denominator`] of the target.
pub fn regression_from(n: usize, sums: [f64; 3], r2_denominator: f64) -> ModelMetrics {
    let mean = |sum: f64| sum / n as f64;
    let values = vec![
        ("rmse", Outcome::Value(mean(sums[0]).sqrt())),
        ("mae", Outcome::Value(mean(sums[1]))),
        (
            "r2",
            match metrics::r2_from(n, sums[0], r2_denominator) {
                Some(v) => Outcome::Value(v),
                None => Outcome::Undefined("fewer than two rows".into()),
            },
        ),
        ("mape", Outcome::Value(mean(sums[2]))),
    ];
    ModelMetrics {
        outcomes: attach_defs(&Task::Regression, values),
        confusion: None,
    }
}

fn attach_defs(
    task: &Task,
    values: Vec<(&'static str, Outcome)>,
) -> Vec<(&'static MetricDef, Outcome)> {
    let defs = task.metrics();
    debug_assert_eq!(defs.len(), values.len());
    defs.iter()
        .map(|d| {
            let (_, o) = values
                .iter()
                .find(|(n, _)| *n == d.name)
                .expect("every metric computed");
            (d, o.clone())
        })
        .collect()
}

/// A model that was evaluated.
pub struct Evaluated<'a> {
    /// Its name in the policy.
    pub name: &'a str,
    /// Its metrics.
    pub metrics: &'a ModelMetrics,
}

/// What [`assemble`] produces besides the result: lines for the check's log.
pub type Notes = Vec<(LogLevel, String)>;

/// Largest confusion matrix put in the details.
const MAX_DETAIL_LABELS: usize = 50;

/// Evaluates the configured bounds on the candidate (with the baseline's values for relative
/// bounds) and builds the check's result: every metric of every evaluated model, the bounds on
/// the candidate's, a status, a one-line summary and the confusion matrices as details.
pub fn assemble(
    config: &Config,
    dataset: &str,
    rows: usize,
    candidate: Evaluated<'_>,
    baseline: Option<Evaluated<'_>>,
    ci: &crate::bootstrap::Ci,
) -> Result<(CheckResult, Notes), String> {
    let mut notes = Notes::new();
    // In the task's metric order, so that the summary lists failures in report order.
    let mut evaluations: Vec<Evaluation> = Vec::new();
    for (def, outcome) in &candidate.metrics.outcomes {
        let Some(MetricBounds { bounds, confidence }) = config.metrics.get(def.name) else {
            continue;
        };
        if bounds.is_empty() {
            continue;
        }
        let name = def.name;
        let value = require_value(name, outcome, candidate.name, "has thresholds")?;
        let baseline_value = match (&baseline, bounds.needs_baseline()) {
            (_, false) => None,
            (None, true) => {
                let kind = bounds
                    .iter()
                    .find(|(k, _)| k.needs_baseline())
                    .expect("needs")
                    .0;
                return Err(format!(
                    "config.metrics.{name}.{} compares with a baseline model, but there is \
                     none (set config.baseline, or add a model called `baseline`)",
                    kind.key()
                ));
            }
            (Some(b), true) => {
                let outcome = b.metrics.get(name).expect("same task");
                Some(require_value(
                    name,
                    outcome,
                    b.name,
                    "compares with this baseline",
                )?)
            }
        };
        let mut evaluation = bounds
            .evaluate(name, value, baseline_value, def.direction)
            .map_err(|e| format!("config.metrics.{e}"))?;
        if let (Some(c), Some(observed)) = (confidence, ci.get(name)) {
            apply_confidence(&mut evaluation, observed, *c);
        }
        evaluations.push(evaluation);
    }

    let mut out = Vec::new();
    for (model, is_candidate) in
        std::iter::once((&candidate, true)).chain(baseline.iter().map(|b| (b, false)))
    {
        let mut no_proba = Vec::new();
        for (def, outcome) in &model.metrics.outcomes {
            match outcome {
                Outcome::Value(v) => {
                    let mut metric = Metric::new(def.name, *v).model(model.name);
                    if is_candidate {
                        if let Some(e) = evaluations.iter().find(|e| e.metric == def.name) {
                            metric = metric.evaluated(e);
                        }
                    }
                    out.push(metric);
                }
                Outcome::Undefined(why) => notes.push((
                    LogLevel::Warn,
                    format!(
                        "{} of model `{}` is not reported: undefined, {why}",
                        def.name, model.name
                    ),
                )),
                Outcome::NoProbabilities => no_proba.push(def.name),
            }
        }
        if !no_proba.is_empty() {
            notes.push((
                LogLevel::Info,
                format!(
                    "model `{}` has no class probabilities: {} not computed",
                    model.name,
                    no_proba.join(", ")
                ),
            ));
        }
    }

    let total: usize = evaluations.iter().map(|e| e.outcomes.len()).sum();
    let failures: Vec<&str> = evaluations
        .iter()
        .flat_map(|e| e.failures().map(|o| o.message.as_str()))
        .collect();
    let status = if failures.is_empty() {
        Status::Pass
    } else {
        Status::Fail
    };
    let summary = if !failures.is_empty() {
        let shown = 3;
        let mut s = format!(
            "{} of {} failed on {}: {}",
            failures.len(),
            plural(total, "threshold"),
            candidate.name,
            failures
                .iter()
                .take(shown)
                .copied()
                .collect::<Vec<_>>()
                .join("; ")
        );
        if failures.len() > shown {
            s.push_str(&format!("; and {} more", failures.len() - shown));
        }
        s
    } else {
        let values: Vec<String> = if evaluations.is_empty() {
            candidate
                .metrics
                .outcomes
                .iter()
                .filter_map(|(d, o)| match o {
                    Outcome::Value(v) => Some(format!("{} {}", d.name, fmt_num(*v, 3))),
                    _ => None,
                })
                .collect()
        } else {
            evaluations
                .iter()
                .map(|e| format!("{} {}", e.metric, fmt_num(e.value, 3)))
                .collect()
        };
        let mut listed = values
            .iter()
            .take(4)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if values.len() > 4 {
            listed.push_str(", ...");
        }
        match total {
            0 => format!("no thresholds configured; {}: {listed}", candidate.name),
            1 => format!("1 threshold holds on {} ({listed})", candidate.name),
            n => format!("all {n} thresholds hold on {} ({listed})", candidate.name),
        }
    };

    let details = details(dataset, rows, &candidate, baseline.as_ref());
    let result = CheckResult::new(status, summary)
        .metrics(out)
        .details(details);
    Ok((result, notes))
}

/// Replaces point decisions by bootstrap-bound decisions (see [`crate::bootstrap`]).
fn apply_confidence(e: &mut Evaluation, observed: &[(BoundKind, f64)], confidence: f64) {
    let pct = fmt_num(confidence * 100.0, 0);
    for o in e.outcomes.iter_mut() {
        let Some(&(_, v)) = observed.iter().find(|(k, _)| *k == o.kind) else {
            continue;
        };
        let key = o.kind.key();
        let (passed, what) = match o.kind {
            BoundKind::Min => (v >= o.limit, format!("{} {pct}% lower bound", e.metric)),
            BoundKind::Max => (v <= o.limit, format!("{} {pct}% upper bound", e.metric)),
            BoundKind::MaxDrop => (
                v <= o.limit,
                format!("{} drop, {pct}% upper bound,", e.metric),
            ),
            BoundKind::MaxRise => (
                v <= o.limit,
                format!("{} rise, {pct}% upper bound,", e.metric),
            ),
            BoundKind::MaxRelativeDrop => (
                v <= o.limit,
                format!("{} relative drop, {pct}% upper bound,", e.metric),
            ),
        };
        let (sv, sl) = modelgate_sdk::bounds::fmt_pair(v, o.limit);
        let op = match (o.kind, passed) {
            (BoundKind::Min, true) => ">=",
            (BoundKind::Min, false) => "<",
            (_, true) => "<=",
            (_, false) => ">",
        };
        o.observed = v;
        o.passed = passed;
        o.message = format!("{what} {sv} {op} {key} {sl} (paired bootstrap)");
    }
}

fn require_value(name: &str, outcome: &Outcome, model: &str, why: &str) -> Result<f64, String> {
    match outcome {
        Outcome::Value(v) => Ok(*v),
        Outcome::Undefined(reason) => Err(format!(
            "config.metrics.{name} {why}, but {name} of model `{model}` is undefined: {reason}"
        )),
        Outcome::NoProbabilities => Err(format!(
            "config.metrics.{name} {why}, but model `{model}` has no class probabilities to \
             compute {name} from"
        )),
    }
}

fn details(
    dataset: &str,
    rows: usize,
    candidate: &Evaluated<'_>,
    baseline: Option<&Evaluated<'_>>,
) -> String {
    /// The details document (the SDK's [`ModelPlots`] per model, for the report's plots).
    #[derive(Serialize)]
    struct Details<'a> {
        dataset: &'a str,
        rows: usize,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        models: BTreeMap<&'a str, ModelPlots>,
    }
    let mut models = BTreeMap::new();
    for m in std::iter::once(candidate).chain(baseline) {
        let plots = match &m.metrics.confusion {
            None => continue,
            Some(c) if c.labels.len() > MAX_DETAIL_LABELS => ModelPlots {
                confusion_matrix: None,
                note: Some(format!(
                    "{} labels: confusion matrix omitted (more than {MAX_DETAIL_LABELS})",
                    c.labels.len()
                )),
            },
            Some(c) => ModelPlots {
                confusion_matrix: Some(ConfusionMatrix {
                    labels: c.labels.clone(),
                    matrix: c.matrix.clone(),
                }),
                note: None,
            },
        };
        models.insert(m.name, plots);
    }
    details_json(&Details {
        dataset,
        rows,
        models,
    })
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Renders up to `max` values as "`a`, `b`, ... (N more)".
pub fn quote_list(values: &[String], max: usize) -> String {
    let mut s = values
        .iter()
        .take(max)
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if values.len() > max {
        s.push_str(&format!(", ... ({} more)", values.len() - max));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict(values: &[&str]) -> Dictionary {
        let mut d = Dictionary::default();
        for v in values {
            let code = match d.values.iter().position(|x| x == v) {
                Some(c) => c,
                None => {
                    d.values.push(v.to_string());
                    d.values.len() - 1
                }
            };
            d.codes.push(Some(code as u32));
        }
        d
    }

    fn config(json: &str) -> Config {
        modelgate_sdk::config(json).unwrap()
    }

    fn binary() -> Task {
        Task::Binary {
            positive: "1".into(),
        }
    }

    fn value(m: &ModelMetrics, name: &str) -> f64 {
        match m.get(name) {
            Some(Outcome::Value(v)) => *v,
            other => panic!("{name}: {other:?}"),
        }
    }

    /// y_true [0, 0, 1, 1], scores [0.1, 0.4, 0.35, 0.8], predicted at 0.5.
    fn docs_example() -> (Dictionary, Dictionary, Probabilities) {
        let y_true = dict(&["0", "0", "1", "1"]);
        let y_pred = dict(&["0", "0", "0", "1"]);
        let p1 = vec![0.1, 0.4, 0.35, 0.8];
        let p_true = vec![0.9, 0.6, 0.35, 0.8];
        (
            y_true,
            y_pred,
            Probabilities {
                p_true,
                p_positive: Some(p1),
            },
        )
    }

    #[test]
    fn binary_metrics() {
        let (t, p, proba) = docs_example();
        let m = classification(&binary(), &t, &p, "candidate", Some(&proba)).unwrap();
        assert_eq!(value(&m, "accuracy"), 0.75);
        assert_eq!(value(&m, "precision"), 1.0);
        assert_eq!(value(&m, "recall"), 0.5);
        assert_eq!(value(&m, "f1"), 2.0 / 3.0);
        assert_eq!(value(&m, "roc_auc"), 0.75);
        assert_eq!(value(&m, "pr_auc"), 0.8333333333333333);
        // sklearn: log_loss([0,0,1,1], [[.9,.1],[.6,.4],[.65,.35],[.2,.8]]) and brier
        assert_eq!(value(&m, "log_loss"), 0.47228795380917615);
        assert_eq!(value(&m, "brier"), 0.15812500000000002);
        let c = m.confusion.unwrap();
        assert_eq!(c.labels, ["0", "1"]);
        assert_eq!(c.matrix, vec![vec![2, 0], vec![1, 1]]);
    }

    #[test]
    fn binary_without_probabilities() {
        let (t, p, _) = docs_example();
        let m = classification(&binary(), &t, &p, "candidate", None).unwrap();
        assert_eq!(m.get("roc_auc"), Some(&Outcome::NoProbabilities));
        assert_eq!(m.get("brier"), Some(&Outcome::NoProbabilities));
        assert_eq!(value(&m, "f1"), 2.0 / 3.0);
    }

    #[test]
    fn binary_label_checks() {
        let t = dict(&["0", "1", "2"]);
        let e = classification(&binary(), &t, &t, "m", None).unwrap_err();
        assert!(e.contains("3 labels") && e.contains("`2`"), "{e}");
        // Labels that do not match the positive label (e.g. "1.0" vs "1").
        let t = dict(&["0.0", "1.0"]);
        let e = classification(&binary(), &t, &t, "m", None).unwrap_err();
        assert!(
            e.contains("positive_label `1`") && e.contains("`0.0`, `1.0`"),
            "{e}"
        );
        // A single label that is not the positive one is fine: no positives.
        let t = dict(&["0", "0"]);
        let m = classification(&binary(), &t, &t, "m", None).unwrap();
        assert_eq!(value(&m, "precision"), 0.0);
        assert_eq!(m.confusion.unwrap().labels, ["0", "1"]);
    }

    #[test]
    fn single_class_target_makes_roc_auc_undefined() {
        let t = dict(&["1", "1", "1"]);
        let p = dict(&["1", "0", "1"]);
        let proba = Probabilities {
            p_true: vec![0.9, 0.4, 0.8],
            p_positive: Some(vec![0.9, 0.4, 0.8]),
        };
        let m = classification(&binary(), &t, &p, "m", Some(&proba)).unwrap();
        assert!(matches!(m.get("roc_auc"), Some(Outcome::Undefined(_))));
        assert_eq!(value(&m, "pr_auc"), 1.0);
    }

    #[test]
    fn multiclass_metrics() {
        // sklearn docs example; labels sorted as text.
        let t = dict(&["cat", "dog", "pig", "cat", "dog", "pig"]);
        let p = dict(&["cat", "pig", "dog", "cat", "cat", "dog"]);
        let m = classification(&Task::Multiclass, &t, &p, "m", None).unwrap();
        assert_eq!(value(&m, "accuracy"), 2.0 / 6.0);
        assert_eq!(value(&m, "precision"), 0.2222222222222222);
        assert_eq!(value(&m, "f1_weighted"), 0.26666666666666666);
        assert_eq!(m.get("log_loss"), Some(&Outcome::NoProbabilities));
        assert_eq!(m.confusion.unwrap().labels, ["cat", "dog", "pig"]);
    }

    #[test]
    fn labels_sort_numerically_when_numeric() {
        let mut l: Vec<String> = ["10", "2", "1"].iter().map(|s| s.to_string()).collect();
        sort_labels(&mut l);
        assert_eq!(l, ["1", "2", "10"]);
        let mut l: Vec<String> = ["b", "10", "a", "2"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        sort_labels(&mut l);
        assert_eq!(l, ["10", "2", "a", "b"]);
    }

    #[test]
    fn metric_names_are_checked_against_the_task() {
        let e = check_metric_names(&config(r#"{"metrics": {"rmse": {"max": 1}}}"#), &binary());
        let e = e.unwrap_err();
        assert!(e.contains("`rmse` is not defined for binary tasks"), "{e}");
        assert!(e.contains("accuracy, precision, recall, f1, roc_auc, pr_auc, log_loss, brier"));
        let e = check_metric_names(
            &config(r#"{"metrics": {"acuracy": {}}}"#),
            &Task::Regression,
        );
        assert!(e.unwrap_err().contains(
            "unknown metric `acuracy`; metrics for regression tasks: rmse, mae, r2, mape"
        ));
        assert!(check_metric_names(
            &config(r#"{"metrics": {"f1_weighted": {}}}"#),
            &Task::Multiclass
        )
        .is_ok());
    }

    #[test]
    fn config_rejects_unknown_keys() {
        let e = modelgate_sdk::config::<Config>(r#"{"datasets": "x"}"#).unwrap_err();
        assert!(
            e.contains("unknown field `datasets`") && e.contains("`dataset`"),
            "{e}"
        );
        let e = modelgate_sdk::config::<Config>(r#"{"metrics": {"accuracy": {"minimum": 1}}}"#)
            .unwrap_err();
        assert!(
            e.starts_with("config.metrics.accuracy: unknown field `minimum`")
                && e.contains("`confidence`"),
            "{e}"
        );
    }

    fn regression_pair() -> (ModelMetrics, ModelMetrics) {
        let y = [3.0, -0.5, 2.0, 7.0];
        (
            regression(&y, &[2.5, 0.0, 2.0, 8.0]),
            regression(&y, &[3.0, -0.5, 2.0, 7.5]),
        )
    }

    #[test]
    fn assemble_passes_and_fails() {
        let (cand, base) = regression_pair();
        let c = || Evaluated {
            name: "candidate",
            metrics: &cand,
        };
        let b = || {
            Some(Evaluated {
                name: "baseline",
                metrics: &base,
            })
        };

        // No thresholds: pass, every metric of both models, informational.
        let (r, notes) =
            assemble(&config("{}"), "current", 4, c(), b(), &Default::default()).unwrap();
        assert!(matches!(r.status, Status::Pass));
        assert_eq!(r.metrics.len(), 8);
        assert!(r
            .metrics
            .iter()
            .all(|m| m.passed.is_none() && m.thresholds.is_empty()));
        assert_eq!(r.metrics[4].model.as_deref(), Some("baseline"));
        assert!(
            r.summary
                .starts_with("no thresholds configured; candidate: rmse 0.612, mae 0.500"),
            "{}",
            r.summary
        );
        assert!(notes.is_empty());
        assert_eq!(
            r.details.as_deref(),
            Some(r#"{"dataset":"current","rows":4}"#)
        );

        // Thresholds that hold.
        let cfg = config(r#"{"metrics": {"r2": {"min": 0.9}, "rmse": {"max": 1.0}}}"#);
        let (r, _) = assemble(&cfg, "current", 4, c(), b(), &Default::default()).unwrap();
        assert!(matches!(r.status, Status::Pass));
        assert_eq!(
            r.summary,
            "all 2 thresholds hold on candidate (rmse 0.612, r2 0.949)"
        );
        let rmse = &r.metrics[0];
        assert_eq!((rmse.name.as_str(), rmse.passed), ("rmse", Some(true)));
        assert_eq!(rmse.thresholds[0].kind, "max");
        // Baseline metrics carry no thresholds.
        assert!(r.metrics[4..].iter().all(|m| m.passed.is_none()));

        // A relative bound that fails: the candidate is worse than the baseline.
        let cfg = config(r#"{"metrics": {"mae": {"max_drop": 0.1}, "r2": {"min": 0.9}}}"#);
        let (r, _) = assemble(&cfg, "current", 4, c(), b(), &Default::default()).unwrap();
        assert!(matches!(r.status, Status::Fail));
        assert_eq!(
            r.summary,
            "1 of 2 thresholds failed on candidate: mae worsened by 0.375 > max_drop 0.100 vs \
             baseline (0.125 -> 0.500)"
        );
        let mae = r.metrics.iter().find(|m| m.name == "mae").unwrap();
        assert_eq!(mae.passed, Some(false));
        assert_eq!(mae.thresholds[0].kind, "max_drop");
    }

    #[test]
    fn assemble_fails_closed() {
        let (cand, _) = regression_pair();
        let c = || Evaluated {
            name: "candidate",
            metrics: &cand,
        };
        // A relative bound without a baseline model.
        let cfg = config(r#"{"metrics": {"r2": {"max_relative_drop": 0.1}}}"#);
        let e = assemble(&cfg, "current", 4, c(), None, &Default::default()).unwrap_err();
        assert!(
            e.starts_with("config.metrics.r2.max_relative_drop compares with a baseline model"),
            "{e}"
        );

        // A threshold on a metric the model cannot have (no probabilities).
        let (t, p, _) = docs_example();
        let m = classification(&binary(), &t, &p, "candidate", None).unwrap();
        let cfg = config(r#"{"metrics": {"roc_auc": {"min": 0.5}}}"#);
        let e = assemble(
            &cfg,
            "current",
            4,
            Evaluated {
                name: "candidate",
                metrics: &m,
            },
            None,
            &Default::default(),
        );
        let e = e.unwrap_err();
        assert!(
            e.contains("model `candidate` has no class probabilities to compute roc_auc"),
            "{e}"
        );
        // ... but without a threshold the metric is skipped with a note.
        let (r, notes) = assemble(
            &config("{}"),
            "current",
            4,
            Evaluated {
                name: "candidate",
                metrics: &m,
            },
            None,
            &Default::default(),
        )
        .unwrap();
        assert_eq!(r.metrics.len(), 4);
        assert_eq!(notes.len(), 1);
        assert!(notes[0]
            .1
            .contains("roc_auc, pr_auc, log_loss, brier not computed"));

        // A threshold on an undefined metric.
        let t = dict(&["1", "1"]);
        let proba = Probabilities {
            p_true: vec![0.9, 0.8],
            p_positive: Some(vec![0.9, 0.8]),
        };
        let m = classification(&binary(), &t, &t, "candidate", Some(&proba)).unwrap();
        let e = assemble(
            &cfg,
            "current",
            2,
            Evaluated {
                name: "candidate",
                metrics: &m,
            },
            None,
            &Default::default(),
        );
        assert!(e
            .unwrap_err()
            .contains("roc_auc of model `candidate` is undefined: the target has a single class"));
        let (_, notes) = assemble(
            &config("{}"),
            "current",
            2,
            Evaluated {
                name: "candidate",
                metrics: &m,
            },
            None,
            &Default::default(),
        )
        .unwrap();
        assert!(matches!(notes[0].0, LogLevel::Warn));
        assert!(notes[0]
            .1
            .starts_with("roc_auc of model `candidate` is not reported"));

        // A relative bound whose baseline lacks the metric.
        let (t, p, proba) = docs_example();
        let with = classification(&binary(), &t, &p, "candidate", Some(&proba)).unwrap();
        let without = classification(&binary(), &t, &p, "baseline", None).unwrap();
        let cfg = config(r#"{"metrics": {"roc_auc": {"max_drop": 0.01}}}"#);
        let e = assemble(
            &cfg,
            "current",
            4,
            Evaluated {
                name: "candidate",
                metrics: &with,
            },
            Some(Evaluated {
                name: "baseline",
                metrics: &without,
            }),
            &Default::default(),
        );
        assert!(e.unwrap_err().contains(
            "compares with this baseline, but model `baseline` has no class probabilities"
        ));
    }

    #[test]
    fn summary_lists_at_most_three_failures() {
        let (cand, _) = regression_pair();
        let cfg = config(
            r#"{"metrics": {"rmse": {"max": 0.1}, "mae": {"max": 0.1}, "r2": {"min": 0.99}, "mape": {"max": 0.01}}}"#,
        );
        let (r, _) = assemble(
            &cfg,
            "current",
            4,
            Evaluated {
                name: "candidate",
                metrics: &cand,
            },
            None,
            &Default::default(),
        )
        .unwrap();
        assert!(
            r.summary
                .starts_with("4 of 4 thresholds failed on candidate: rmse 0.612 > max 0.100; "),
            "{}",
            r.summary
        );
        assert!(r.summary.ends_with("; and 1 more"), "{}", r.summary);
    }

    #[test]
    fn details_hold_confusion_matrices() {
        let (t, p, proba) = docs_example();
        let m = classification(&binary(), &t, &p, "candidate", Some(&proba)).unwrap();
        let (r, _) = assemble(
            &config("{}"),
            "current",
            4,
            Evaluated {
                name: "candidate",
                metrics: &m,
            },
            None,
            &Default::default(),
        )
        .unwrap();
        assert_eq!(
            r.details.as_deref(),
            Some(
                r#"{"dataset":"current","models":{"candidate":{"confusion_matrix":{"labels":["0","1"],"matrix":[[2,0],[1,1]]}}},"rows":4}"#
            )
        );
    }

    /// Scikit-learn's own values on the datasets of `testdata/sklearn_reference.json` (written by
    /// `testdata/make_sklearn_reference.py`). Every metric must match to the last bit, except
    /// log_loss, whose `ln` may differ in the last place between libms.
    #[test]
    fn sklearn_reference() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../testdata/sklearn_reference.json")).unwrap();
        let text = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| match x {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        };
        let floats = |v: &serde_json::Value| -> Vec<f64> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        };
        let check = |case: &str, m: &ModelMetrics, expected: &serde_json::Value| {
            let expected = expected.as_object().unwrap();
            assert_eq!(
                expected.len(),
                m.outcomes.len(),
                "{case}: every metric is compared"
            );
            for (name, want) in expected {
                let want = want.as_f64().unwrap();
                let got = value(m, name);
                if name == "log_loss" {
                    assert!(
                        (got - want).abs() <= 4.0 * f64::EPSILON * want,
                        "{case} {name}: {got} vs {want}"
                    );
                } else {
                    assert_eq!(got, want, "{case} {name}");
                }
            }
        };

        for (case, task) in [("binary", binary()), ("multiclass", Task::Multiclass)] {
            let c = &doc[case];
            let y_true = text(&c["y_true"]);
            let y_pred = text(&c["y_pred"]);
            let classes = text(&c["classes"]);
            let proba: Vec<Vec<f64>> = c["proba"].as_array().unwrap().iter().map(&floats).collect();
            let class_index = |label: &str| classes.iter().position(|c| c == label).unwrap();
            let p_true = y_true
                .iter()
                .zip(&proba)
                .map(|(t, row)| row[class_index(t)])
                .collect();
            let p_positive = matches!(task, Task::Binary { .. })
                .then(|| proba.iter().map(|row| row[class_index("1")]).collect());
            let refs = |v: &[String]| dict(&v.iter().map(String::as_str).collect::<Vec<_>>());
            let m = classification(
                &task,
                &refs(&y_true),
                &refs(&y_pred),
                "m",
                Some(&Probabilities { p_true, p_positive }),
            )
            .unwrap();
            check(case, &m, &c["expected"]);
        }

        let r = &doc["regression"];
        let m = regression(&floats(&r["y_true"]), &floats(&r["y_pred"]));
        check("regression", &m, &r["expected"]);
    }
}
