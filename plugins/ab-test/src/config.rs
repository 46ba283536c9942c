//! The check's `config` table and its validation.

use std::collections::BTreeMap;

use modelgate_sdk::JsonSchema;
use serde::Deserialize;

/// How intervals are built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(crate = "modelgate_sdk::schemars")]
pub enum MethodName {
    /// Fixed horizon: Welch's t-test and Student-t intervals, valid when the experiment is
    /// analysed once, at a sample size decided in advance.
    #[default]
    Fixed,
    /// Always-valid confidence sequences: valid however often the experiment is analysed.
    Sequential,
}

/// What to do with units whose metric value is null.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(crate = "modelgate_sdk::schemars")]
pub enum Nulls {
    /// The check errors, saying how many nulls there are.
    #[default]
    Error,
    /// Units with a null in a metric's columns are left out of that metric (and counted in the
    /// log); the sample-ratio test still counts every unit.
    Drop,
}

/// The better direction of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(crate = "modelgate_sdk::schemars")]
pub enum Goal {
    /// Higher is better (conversion, revenue).
    Increase,
    /// Lower is better (latency, errors).
    Decrease,
}

/// What a metric decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(crate = "modelgate_sdk::schemars")]
pub enum Role {
    /// Must improve significantly: its lift CI must lie beyond `min_lift` in the goal's
    /// direction. At least one success metric must pass (when there are any).
    Success,
    /// Must not get worse than `margin`: its lift CI must exclude a change worse than that.
    Guardrail,
}

/// An arm's value in the arm column: text, or an integer or boolean (compared as text, as the
/// host renders the column: `1`, `true`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(crate = "modelgate_sdk::schemars")]
pub enum ArmValue {
    /// A text value.
    Text(String),
    /// An integer value.
    Integer(i64),
    /// A boolean value.
    Boolean(bool),
}

impl ArmValue {
    /// The value as the host renders the column's values.
    pub fn text(&self) -> String {
        match self {
            ArmValue::Text(s) => s.clone(),
            ArmValue::Integer(i) => i.to_string(),
            ArmValue::Boolean(b) => b.to_string(),
        }
    }
}

/// One metric: a mean (`column`, optionally with a CUPED `covariate`) or a ratio of means
/// (`numerator` / `denominator`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "modelgate_sdk::schemars")]
pub struct MetricConfig {
    /// A per-unit value; the metric is its mean per arm.
    #[serde(default)]
    pub column: Option<String>,
    /// A pre-experiment value of the same unit, for CUPED variance reduction (mean metrics).
    #[serde(default)]
    pub covariate: Option<String>,
    /// A ratio metric's numerator column: the metric is mean(numerator) / mean(denominator).
    #[serde(default)]
    pub numerator: Option<String>,
    /// A ratio metric's denominator column.
    #[serde(default)]
    pub denominator: Option<String>,
    /// The better direction: `increase` or `decrease`.
    pub goal: Goal,
    /// `success` (must improve significantly) or `guardrail` (must not get worse than
    /// `margin`).
    pub role: Role,
    /// Success metrics: the relative lift the CI must lie beyond, in the goal's direction
    /// (default 0: any significant improvement).
    #[serde(default)]
    #[schemars(range(min = 0.0))]
    pub min_lift: Option<f64>,
    /// Guardrails (required): the relative worsening tolerated, e.g. 0.02 = 2% worse.
    #[serde(default)]
    #[schemars(range(min = 0.0))]
    pub margin: Option<f64>,
}

/// The check's config.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "modelgate_sdk::schemars")]
#[schemars(title = "ab-test check config")]
pub struct Config {
    /// The dataset holding one row per randomisation unit (default `experiment`).
    #[serde(default = "default_dataset")]
    pub dataset: String,
    /// The column holding each unit's arm (default `arm`).
    #[serde(default = "default_arm")]
    pub arm: String,
    /// The arm column's value for the control arm (the production model).
    pub control: ArmValue,
    /// The arm column's value for the treatment arm (the candidate).
    pub treatment: ArmValue,
    /// CIs at level 1 − alpha; success metrics at 1 − alpha / (number of success metrics)
    /// (Bonferroni). Default 0.05.
    #[serde(default = "default_alpha")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub alpha: f64,
    /// The planned share of units per arm, keyed by arm value (default: equal). Normalised.
    #[serde(default)]
    pub expected_split: Option<BTreeMap<String, f64>>,
    /// The sample-ratio-mismatch test's level: a p-value below it makes the check error
    /// (default 0.001).
    #[serde(default = "default_srm_alpha")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub srm_alpha: f64,
    /// `fixed` (default) or `sequential`.
    #[serde(default)]
    pub method: MethodName,
    /// `sequential` only: the total number of units (both arms) the confidence sequence is
    /// tuned to be tightest at, N* (GrowthBook's `sequentialTuningParameter`; default 5000).
    #[serde(default = "default_tuning")]
    #[schemars(range(min = 1.0))]
    pub sequential_tuning: f64,
    /// `error` (default) or `drop`: what nulls in a metric's columns do.
    #[serde(default)]
    pub nulls: Nulls,
    /// The metrics, by name (the `column` of every metric the check reports).
    #[schemars(length(min = 1))]
    pub metrics: BTreeMap<String, MetricConfig>,
}

fn default_dataset() -> String {
    "experiment".into()
}
fn default_arm() -> String {
    "arm".into()
}
fn default_alpha() -> f64 {
    0.05
}
fn default_srm_alpha() -> f64 {
    0.001
}
fn default_tuning() -> f64 {
    5000.0
}

/// What a metric is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// The mean of a column.
    Mean(String),
    /// The mean of a column, CUPED-adjusted with a covariate.
    Cuped(String, String),
    /// mean(numerator) / mean(denominator).
    Ratio(String, String),
}

impl Kind {
    /// The columns whose moments the metric needs, with the config key of each.
    pub fn columns(&self) -> Vec<(&'static str, &str)> {
        match self {
            Kind::Mean(c) => vec![("column", c)],
            Kind::Cuped(c, x) => vec![("column", c), ("covariate", x)],
            Kind::Ratio(a, b) => vec![("numerator", a), ("denominator", b)],
        }
    }
}

impl MetricConfig {
    /// The metric's kind, or an error naming the key path `config.metrics.<name>...`.
    pub fn kind(&self, name: &str) -> Result<Kind, String> {
        let key = format!("config.metrics.{name}");
        let kind = match (&self.column, &self.numerator, &self.denominator) {
            (Some(c), None, None) => match &self.covariate {
                Some(x) => Kind::Cuped(c.clone(), x.clone()),
                None => Kind::Mean(c.clone()),
            },
            (None, Some(a), Some(b)) => {
                if self.covariate.is_some() {
                    return Err(format!(
                        "{key}.covariate: CUPED applies to mean metrics (`column`), not to ratio metrics"
                    ));
                }
                Kind::Ratio(a.clone(), b.clone())
            }
            (None, Some(_), None) | (None, None, Some(_)) => {
                return Err(format!(
                    "{key}: a ratio metric needs both `numerator` and `denominator`"
                ))
            }
            (None, None, None) => {
                return Err(format!(
                    "{key}: set `column` (a mean metric) or `numerator` and `denominator` (a ratio metric)"
                ))
            }
            (Some(_), _, _) => {
                return Err(format!(
                    "{key}: set either `column` or `numerator` and `denominator`, not both"
                ))
            }
        };
        match self.role {
            Role::Success if self.margin.is_some() => Err(format!(
                "{key}.margin: a success metric has `min_lift`, not `margin` (margins are for guardrails)"
            )),
            Role::Guardrail if self.min_lift.is_some() => Err(format!(
                "{key}.min_lift: a guardrail has `margin`, not `min_lift` (min_lift is for success metrics)"
            )),
            Role::Guardrail if self.margin.is_none() => Err(format!(
                "{key}.margin: a guardrail needs a margin, the relative worsening it tolerates (e.g. 0.02 = 2%)"
            )),
            _ => Ok(kind),
        }
    }
}

impl Config {
    /// Checks what the schema cannot express; returns the arm values as text and the expected
    /// shares of control and treatment (normalised).
    pub fn arms(&self) -> Result<([String; 2], [f64; 2]), String> {
        let (control, treatment) = (self.control.text(), self.treatment.text());
        if control == treatment {
            return Err(format!(
                "config.treatment: the treatment arm `{treatment}` is the control arm"
            ));
        }
        for (key, v) in [("alpha", self.alpha), ("srm_alpha", self.srm_alpha)] {
            if !(v > 0.0 && v < 1.0) {
                return Err(format!("config.{key}: {v} is not in (0, 1)"));
            }
        }
        let shares = match &self.expected_split {
            None => [0.5, 0.5],
            Some(split) => {
                let known = |k: &String| *k == control || *k == treatment;
                if let Some(k) = split.keys().find(|k| !known(k)) {
                    return Err(format!(
                        "config.expected_split: `{k}` is neither the control arm `{control}` nor the treatment arm `{treatment}`"
                    ));
                }
                let share = |arm: &str| {
                    split
                        .get(arm)
                        .copied()
                        .ok_or_else(|| format!("config.expected_split: no share for arm `{arm}`"))
                };
                let (c, t) = (share(&control)?, share(&treatment)?);
                if !(c > 0.0 && t > 0.0 && c.is_finite() && t.is_finite()) {
                    return Err(format!(
                        "config.expected_split: shares must be positive (got {c} and {t})"
                    ));
                }
                [c / (c + t), t / (c + t)]
            }
        };
        Ok(([control, treatment], shares))
    }
}
