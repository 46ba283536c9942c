//! Thresholds on a metric: the `{ min, max, max_drop, max_rise, max_relative_drop }` table that
//! built-in checks accept per metric, and its evaluation.
//!
//! Semantics (explicit by name, no ambiguity):
//!
//! | key | passes when |
//! |-----|-------------|
//! | `min` | `value >= min` (inclusive) |
//! | `max` | `value <= max` (inclusive) |
//! | `max_drop` | worsening vs the baseline `<= max_drop`, where worsening is `baseline - value` for a higher-is-better metric and `value - baseline` for a lower-is-better one |
//! | `max_rise` | `value - baseline <= max_rise`: the raw value's increase, whatever the metric's direction |
//! | `max_relative_drop` | worsening / `|baseline|` `<= max_relative_drop` (a fraction: 0.02 = 2 %) |
//!
//! * `max_drop`, `max_rise` and `max_relative_drop` compare with a baseline value (typically
//!   the production model's value of the same metric). Without one, [`Bounds::evaluate`] returns
//!   an error: the check fails closed instead of passing a bound it could not evaluate.
//! * A NaN value (or NaN baseline) fails every bound it takes part in.
//! * With a zero baseline the relative worsening is `+inf` if the metric worsened at all (so it
//!   fails), `0` if it did not change and `-inf` if it improved.
//! * Differences are compared with a slack of a few units in the last place of the operands, so
//!   that rounding in the subtraction does not fail a bound that holds in decimal: a drop from
//!   0.95 to 0.94 is a drop of 0.01 (in `f64`, `0.95 - 0.94` is `0.010000000000000009`).
//! * Negative limits are allowed: `max_drop = -0.01` demands an improvement of at least 0.01.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::Threshold;

/// Which way a metric gets better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Larger values are better (accuracy, AUC, R²).
    HigherIsBetter,
    /// Smaller values are better (losses, errors, drift statistics).
    LowerIsBetter,
}

/// One kind of bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundKind {
    /// Inclusive lower bound on the value.
    Min,
    /// Inclusive upper bound on the value.
    Max,
    /// Largest allowed absolute worsening vs the baseline (direction-aware).
    MaxDrop,
    /// Largest allowed absolute increase of the raw value vs the baseline.
    MaxRise,
    /// Largest allowed worsening vs the baseline, relative to `|baseline|`.
    MaxRelativeDrop,
}

impl BoundKind {
    /// Every kind, in the order bounds are evaluated and reported.
    pub const ALL: [BoundKind; 5] = [
        BoundKind::Min,
        BoundKind::Max,
        BoundKind::MaxDrop,
        BoundKind::MaxRise,
        BoundKind::MaxRelativeDrop,
    ];

    /// The key in a policy's config table, e.g. `max_drop`.
    pub fn key(self) -> &'static str {
        match self {
            BoundKind::Min => "min",
            BoundKind::Max => "max",
            BoundKind::MaxDrop => "max_drop",
            BoundKind::MaxRise => "max_rise",
            BoundKind::MaxRelativeDrop => "max_relative_drop",
        }
    }

    /// The `kind` of the [`Threshold`] reported to the host, as the WIT contract spells it
    /// (`min`, `max`, `max_drop`, `max_rise`, `max_relative_drop`).
    pub fn threshold_kind(self) -> &'static str {
        match self {
            BoundKind::Min => "min",
            BoundKind::Max => "max",
            BoundKind::MaxDrop => "max_drop",
            BoundKind::MaxRise => "max_rise",
            BoundKind::MaxRelativeDrop => "max_relative_drop",
        }
    }

    /// Whether the bound compares with a baseline value.
    pub fn needs_baseline(self) -> bool {
        matches!(
            self,
            BoundKind::MaxDrop | BoundKind::MaxRise | BoundKind::MaxRelativeDrop
        )
    }
}

/// The bounds configured on one metric. Every field is optional; unknown keys are an error
/// when deserialized (so that `mni = 0.9` is not silently ignored), and so is a value that is
/// not a finite number.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = neutral_names)]
pub struct Bounds {
    /// Inclusive lower bound on the value.
    #[serde(
        default,
        deserialize_with = "finite",
        skip_serializing_if = "Option::is_none"
    )]
    pub min: Option<f64>,
    /// Inclusive upper bound on the value.
    #[serde(
        default,
        deserialize_with = "finite",
        skip_serializing_if = "Option::is_none"
    )]
    pub max: Option<f64>,
    /// Largest allowed worsening vs the baseline, in the metric's units (also written
    /// `max_worsening`, which reads the same whichever way the metric gets better).
    #[serde(
        alias = "max_worsening",
        default,
        deserialize_with = "finite",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_drop: Option<f64>,
    /// Largest allowed increase of the raw value vs the baseline, whatever the direction.
    #[serde(
        default,
        deserialize_with = "finite",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_rise: Option<f64>,
    /// Largest allowed worsening vs the baseline as a fraction of `|baseline|` (also written
    /// `max_relative_worsening`).
    #[serde(
        alias = "max_relative_worsening",
        default,
        deserialize_with = "finite",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_relative_drop: Option<f64>,
}

/// The direction-neutral names `max_worsening` and `max_relative_worsening` are serde aliases of
/// `max_drop` and `max_relative_drop`, which schemars does not see: the schema gets them here.
fn neutral_names(schema: &mut schemars::Schema) {
    let Some(props) = schema.get_mut("properties").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for (alias, name) in [
        ("max_worsening", "max_drop"),
        ("max_relative_worsening", "max_relative_drop"),
    ] {
        if let Some(mut branch) = props.get(name).cloned() {
            branch["description"] =
                format!("The same as `{name}`, named for either direction.").into();
            props.insert(alias.to_string(), branch);
        }
    }
}

/// Deserializes a number that must be finite (`deserialize_with = "finite_number"`), for config
/// keys where NaN or ±inf can only be a mistake.
pub fn finite_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(deserializer)?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "expected a finite number, got {v}"
        )))
    }
}

/// [`finite_number`] for an optional key (use with `#[serde(default)]`).
pub fn finite<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    finite_number(deserializer).map(Some)
}

impl Bounds {
    /// The limit of one kind of bound, if set.
    pub fn get(&self, kind: BoundKind) -> Option<f64> {
        match kind {
            BoundKind::Min => self.min,
            BoundKind::Max => self.max,
            BoundKind::MaxDrop => self.max_drop,
            BoundKind::MaxRise => self.max_rise,
            BoundKind::MaxRelativeDrop => self.max_relative_drop,
        }
    }

    /// The bounds that are set, in evaluation order, with their limits.
    pub fn iter(&self) -> impl Iterator<Item = (BoundKind, f64)> + '_ {
        BoundKind::ALL
            .into_iter()
            .filter_map(|k| self.get(k).map(|v| (k, v)))
    }

    /// Number of bounds set.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether no bound is set.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether any bound set compares with a baseline.
    pub fn needs_baseline(&self) -> bool {
        self.iter().any(|(k, _)| k.needs_baseline())
    }

    /// Evaluates the bounds on `value` of the metric called `metric`, with the baseline's
    /// value of the same metric if there is one.
    ///
    /// Errors (the check cannot be evaluated as configured, so it fails closed): a bound that
    /// needs a baseline but `baseline` is `None`; `min` greater than `max`.
    ///
    /// ```
    /// use modelgate_sdk::{Bounds, Direction};
    /// let bounds = Bounds { min: Some(0.9), max_drop: Some(0.01), ..Bounds::default() };
    /// let eval = bounds.evaluate("accuracy", 0.93, Some(0.95), Direction::HigherIsBetter).unwrap();
    /// assert!(!eval.passed());
    /// assert_eq!(eval.failures().count(), 1);
    /// assert_eq!(
    ///     eval.summary(),
    ///     "accuracy dropped 0.020 > max_drop 0.010 vs baseline (0.950 -> 0.930)"
    /// );
    /// assert!(bounds.evaluate("accuracy", 0.93, None, Direction::HigherIsBetter).is_err());
    /// ```
    pub fn evaluate(
        &self,
        metric: &str,
        value: f64,
        baseline: Option<f64>,
        direction: Direction,
    ) -> Result<Evaluation, String> {
        if let (Some(min), Some(max)) = (self.min, self.max) {
            if min > max {
                return Err(format!("{metric}: min {min} is greater than max {max}"));
            }
        }
        let outcomes = self
            .iter()
            .map(|(kind, limit)| {
                if kind.needs_baseline() {
                    match baseline {
                        Some(b) => Ok(relative_outcome(metric, kind, limit, value, b, direction)),
                        None => Err(format!(
                            "{metric}: `{}` compares with a baseline, but there is no baseline \
                             value",
                            kind.key()
                        )),
                    }
                } else {
                    Ok(value_outcome(metric, kind, limit, value))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Evaluation {
            metric: metric.to_string(),
            value,
            baseline,
            outcomes,
        })
    }
}

/// `min` / `max`.
fn value_outcome(metric: &str, kind: BoundKind, limit: f64, value: f64) -> BoundOutcome {
    let key = kind.key();
    let (passed, op_ok, op_fail) = match kind {
        BoundKind::Min => (value >= limit, ">=", "<"),
        _ => (value <= limit, "<=", ">"),
    };
    let message = if value.is_nan() {
        format!("{metric} is NaN, which fails {key} {}", fmt_num(limit, 3))
    } else {
        let (v, l) = fmt_pair(value, limit);
        format!(
            "{metric} {v} {} {key} {l}",
            if passed { op_ok } else { op_fail }
        )
    };
    BoundOutcome {
        kind,
        limit,
        observed: value,
        passed,
        message,
    }
}

/// `max_drop`, `max_rise`, `max_relative_drop`.
fn relative_outcome(
    metric: &str,
    kind: BoundKind,
    limit: f64,
    value: f64,
    baseline: f64,
    direction: Direction,
) -> BoundOutcome {
    let key = kind.key();
    let worsening = match direction {
        Direction::HigherIsBetter => baseline - value,
        Direction::LowerIsBetter => value - baseline,
    };
    // Rounding of the subtraction is at most half an ulp of the larger operand.
    let scale = value.abs().max(baseline.abs());
    let abs_slack = 4.0 * f64::EPSILON * scale;
    let (observed, slack) = match kind {
        BoundKind::MaxDrop => (worsening, abs_slack),
        BoundKind::MaxRise => (value - baseline, abs_slack),
        _ => {
            if baseline == 0.0 {
                let r = if worsening == 0.0 {
                    0.0
                } else {
                    worsening / baseline.abs()
                };
                (r, 0.0)
            } else {
                let r = worsening / baseline.abs();
                (r, abs_slack / baseline.abs() + 4.0 * f64::EPSILON * r.abs())
            }
        }
    };
    let passed = observed <= limit || observed - limit <= slack;
    let transition = {
        let (b, v) = fmt_pair(baseline, value);
        format!("vs baseline ({b} -> {v})")
    };
    let message = if value.is_nan() || baseline.is_nan() {
        let which = if value.is_nan() {
            "value"
        } else {
            "baseline value"
        };
        format!(
            "{metric}: the {which} is NaN, which fails {key} {}",
            fmt_num(limit, 3)
        )
    } else {
        let (o, l) = fmt_pair(observed.abs(), limit);
        let phrase = match (kind, direction) {
            (BoundKind::MaxDrop, Direction::HigherIsBetter) if observed >= 0.0 => {
                format!("dropped {o}")
            }
            (BoundKind::MaxDrop, Direction::LowerIsBetter) if observed >= 0.0 => {
                format!("worsened by {o}")
            }
            (BoundKind::MaxDrop, _) => format!("improved by {o}"),
            (BoundKind::MaxRise, _) if observed >= 0.0 => format!("rose {o}"),
            (BoundKind::MaxRise, _) => format!("fell {o}"),
            (_, _) if observed >= 0.0 => format!("worsened by a fraction {o}"),
            (_, _) => format!("improved by a fraction {o}"),
        };
        if passed {
            format!("{metric} {phrase} {transition}, within {key} {l}")
        } else {
            format!("{metric} {phrase} > {key} {l} {transition}")
        }
    };
    BoundOutcome {
        kind,
        limit,
        observed,
        passed,
        message,
    }
}

/// The outcome of one bound.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundOutcome {
    /// Which bound.
    pub kind: BoundKind,
    /// Its configured limit.
    pub limit: f64,
    /// The quantity compared with the limit: the value for `min` / `max`, the worsening for
    /// `max_drop`, the increase for `max_rise`, the relative worsening for
    /// `max_relative_drop`.
    pub observed: f64,
    /// Whether the bound holds.
    pub passed: bool,
    /// One line for people, e.g. `accuracy 0.912 < min 0.950`.
    pub message: String,
}

/// The outcome of [`Bounds::evaluate`]: one [`BoundOutcome`] per bound set.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The metric's name.
    pub metric: String,
    /// The value evaluated.
    pub value: f64,
    /// The baseline value, if any.
    pub baseline: Option<f64>,
    /// One outcome per bound set, in [`BoundKind::ALL`] order.
    pub outcomes: Vec<BoundOutcome>,
}

impl Evaluation {
    /// Whether every bound holds (true when there are none).
    pub fn passed(&self) -> bool {
        self.outcomes.iter().all(|o| o.passed)
    }

    /// The bounds that do not hold.
    pub fn failures(&self) -> impl Iterator<Item = &BoundOutcome> {
        self.outcomes.iter().filter(|o| !o.passed)
    }

    /// The bounds as [`Threshold`]s for a [`crate::Metric`] (see [`crate::Metric::evaluated`]).
    pub fn thresholds(&self) -> Vec<Threshold> {
        self.outcomes
            .iter()
            .map(|o| Threshold {
                kind: o.kind.threshold_kind().to_string(),
                value: o.limit,
            })
            .collect()
    }

    /// One line for people: the failed bounds' messages joined by `; `, or, when every bound
    /// holds, the value and how many bounds hold.
    pub fn summary(&self) -> String {
        let failures: Vec<&str> = self.failures().map(|o| o.message.as_str()).collect();
        if !failures.is_empty() {
            return failures.join("; ");
        }
        let value = fmt_num(self.value, 3);
        match self.outcomes.len() {
            0 => format!("{} {value}", self.metric),
            1 => format!("{} {value}: its bound holds", self.metric),
            n => format!("{} {value}: all {n} bounds hold", self.metric),
        }
    }
}

/// Formats a number for people: 3 decimals, or scientific notation for very small or large
/// magnitudes.
pub fn fmt_num(x: f64, decimals: usize) -> String {
    let a = x.abs();
    if !x.is_finite() || x == 0.0 || (1e-3..1e9).contains(&a) {
        format!("{x:.decimals$}")
    } else {
        format!("{x:.decimals$e}")
    }
}

/// Formats two numbers with [`fmt_num`], with as many decimals as it takes (3 at least) for
/// them to look different when they are different: `0.9995 < min 0.9996`, not `1.000 < 1.000`.
pub fn fmt_pair(a: f64, b: f64) -> (String, String) {
    for decimals in 3..=17 {
        let (sa, sb) = (fmt_num(a, decimals), fmt_num(b, decimals));
        if sa != sb || a == b || decimals == 17 {
            return (sa, sb);
        }
    }
    unreachable!("the loop returns at 17 decimals")
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{HigherIsBetter as Higher, LowerIsBetter as Lower};

    fn bounds(json: &str) -> Bounds {
        crate::config(json).unwrap()
    }

    #[test]
    fn min_and_max_are_inclusive() {
        let b = bounds(r#"{"min": 0.9, "max": 0.95}"#);
        assert!(b.evaluate("acc", 0.9, None, Higher).unwrap().passed());
        assert!(b.evaluate("acc", 0.95, None, Higher).unwrap().passed());
        let e = b.evaluate("acc", 0.89, None, Higher).unwrap();
        assert!(!e.passed());
        assert_eq!(e.summary(), "acc 0.890 < min 0.900");
        let e = b.evaluate("acc", 0.96, None, Higher).unwrap();
        assert_eq!(e.summary(), "acc 0.960 > max 0.950");
        // 94 / 100 is the double nearest to 0.94, like the literal.
        let b = bounds(r#"{"min": 0.94}"#);
        assert!(b
            .evaluate("acc", 94.0 / 100.0, None, Higher)
            .unwrap()
            .passed());
    }

    #[test]
    fn direction_neutral_names_are_the_same_bounds() {
        assert_eq!(
            bounds(r#"{"max_worsening": 0.02, "max_relative_worsening": 2.0}"#),
            bounds(r#"{"max_drop": 0.02, "max_relative_drop": 2.0}"#)
        );
        let both = crate::config::<Bounds>(r#"{"max_drop": 0.02, "max_worsening": 0.03}"#);
        assert!(both.unwrap_err().contains("duplicate field"));
        let schema = serde_json::to_value(crate::schema::config_schema_value::<Bounds>()).unwrap();
        let props = &schema["properties"];
        assert_eq!(props["max_worsening"]["type"], "number");
        assert_eq!(props["max_relative_worsening"]["type"], "number");
        assert_eq!(schema["additionalProperties"], false);
    }

    #[test]
    fn max_drop_is_direction_aware() {
        let b = bounds(r#"{"max_drop": 0.01}"#);
        // higher is better: a drop of exactly 0.01 holds despite 0.95 - 0.94 > 0.01 in f64.
        assert_eq!(0.95 - 0.94, 0.010000000000000009);
        assert!(b
            .evaluate("acc", 0.94, Some(0.95), Higher)
            .unwrap()
            .passed());
        let e = b.evaluate("acc", 0.93, Some(0.95), Higher).unwrap();
        assert!(!e.passed());
        assert!((e.outcomes[0].observed - 0.02).abs() < 1e-12);
        assert_eq!(
            e.summary(),
            "acc dropped 0.020 > max_drop 0.010 vs baseline (0.950 -> 0.930)"
        );
        assert!(b
            .evaluate("acc", 0.99, Some(0.95), Higher)
            .unwrap()
            .passed());
        // lower is better: a rise is a worsening.
        let e = b.evaluate("loss", 0.32, Some(0.30), Lower).unwrap();
        assert_eq!(
            e.summary(),
            "loss worsened by 0.020 > max_drop 0.010 vs baseline (0.300 -> 0.320)"
        );
        assert!(b
            .evaluate("loss", 0.10, Some(0.30), Lower)
            .unwrap()
            .passed());
        // a negative max_drop demands an improvement.
        let b = bounds(r#"{"max_drop": -0.01}"#);
        assert!(!b
            .evaluate("acc", 0.955, Some(0.95), Higher)
            .unwrap()
            .passed());
        assert!(b
            .evaluate("acc", 0.97, Some(0.95), Higher)
            .unwrap()
            .passed());
    }

    #[test]
    fn max_rise_is_the_raw_increase() {
        let b = bounds(r#"{"max_rise": 0.05}"#);
        for dir in [Higher, Lower] {
            assert!(b.evaluate("m", 1.05, Some(1.0), dir).unwrap().passed());
            assert!(!b.evaluate("m", 1.06, Some(1.0), dir).unwrap().passed());
            assert!(b.evaluate("m", 0.5, Some(1.0), dir).unwrap().passed());
        }
        let e = b.evaluate("rmse", 1.5, Some(1.0), Lower).unwrap();
        assert_eq!(
            e.summary(),
            "rmse rose 0.500 > max_rise 0.050 vs baseline (1.000 -> 1.500)"
        );
    }

    #[test]
    fn max_relative_drop_divides_by_abs_baseline() {
        let b = bounds(r#"{"max_relative_drop": 0.1}"#);
        // higher is better: (0.8 - 0.72) / 0.8 = 0.1 holds, 0.71 does not.
        assert!(b.evaluate("acc", 0.72, Some(0.8), Higher).unwrap().passed());
        let e = b.evaluate("acc", 0.71, Some(0.8), Higher).unwrap();
        assert!(!e.passed());
        assert!((e.outcomes[0].observed - 0.1125).abs() < 1e-12);
        // lower is better: (1.1 - 1.0) / 1.0.
        assert!(b.evaluate("loss", 1.1, Some(1.0), Lower).unwrap().passed());
        assert!(!b.evaluate("loss", 1.11, Some(1.0), Lower).unwrap().passed());
        // negative baseline (e.g. r2): |baseline|.
        let e = b.evaluate("r2", -0.6, Some(-0.5), Higher).unwrap();
        assert!((e.outcomes[0].observed - 0.2).abs() < 1e-12);
        assert!(!e.passed());
        // zero baseline.
        assert!(!b.evaluate("m", -0.001, Some(0.0), Higher).unwrap().passed());
        assert!(b.evaluate("m", 0.0, Some(0.0), Higher).unwrap().passed());
        assert!(b.evaluate("m", 0.001, Some(0.0), Higher).unwrap().passed());
    }

    #[test]
    fn baseline_bounds_without_baseline_are_errors() {
        for key in ["max_drop", "max_rise", "max_relative_drop"] {
            let b = bounds(&format!(r#"{{"min": 0.5, "{key}": 0.1}}"#));
            assert!(b.needs_baseline());
            let e = b.evaluate("acc", 0.9, None, Higher).unwrap_err();
            assert!(e.contains(key) && e.contains("no baseline"), "{e}");
        }
        assert!(!bounds(r#"{"min": 0.5}"#).needs_baseline());
    }

    #[test]
    fn nan_fails_every_bound() {
        let b = bounds(
            r#"{"min": 0.0, "max": 1.0, "max_drop": 1.0, "max_rise": 1.0, "max_relative_drop": 1.0}"#,
        );
        let e = b.evaluate("m", f64::NAN, Some(0.5), Higher).unwrap();
        assert_eq!(e.outcomes.len(), 5);
        assert_eq!(e.failures().count(), 5, "{e:?}");
        assert!(e.outcomes[0].message.contains("NaN"));
        let e = b.evaluate("m", 0.5, Some(f64::NAN), Higher).unwrap();
        assert_eq!(e.failures().count(), 3);
        assert!(e.summary().contains("baseline value is NaN"));
    }

    #[test]
    fn config_errors() {
        let e = crate::config::<Bounds>(r#"{"mni": 0.9}"#).unwrap_err();
        assert!(
            e.contains("unknown field `mni`") && e.contains("`max_relative_drop`"),
            "{e}"
        );
        let e = crate::config::<Bounds>(r#"{"min": null}"#).unwrap_err();
        assert!(e.starts_with("config.min:"), "{e}");
        let e = bounds(r#"{"min": 0.9, "max": 0.8}"#).evaluate("acc", 0.85, None, Higher);
        assert!(e.unwrap_err().contains("greater than max"));
    }

    #[test]
    fn thresholds_use_the_wit_spelling() {
        let b = bounds(r#"{"max_relative_drop": 0.1, "min": 0.5}"#);
        let e = b.evaluate("acc", 0.9, Some(0.9), Higher).unwrap();
        let kinds: Vec<String> = e.thresholds().into_iter().map(|t| t.kind).collect();
        assert_eq!(kinds, ["min", "max_relative_drop"]);
        assert_eq!(e.summary(), "acc 0.900: all 2 bounds hold");
    }

    #[test]
    fn numbers_get_enough_decimals() {
        assert_eq!(
            fmt_pair(0.9995, 0.9996),
            ("0.9995".to_string(), "0.9996".to_string())
        );
        assert_eq!(
            fmt_pair(0.95, 0.95),
            ("0.950".to_string(), "0.950".to_string())
        );
        assert_eq!(fmt_num(0.00001234, 3), "1.234e-5");
        assert_eq!(fmt_num(0.0, 3), "0.000");
        assert_eq!(fmt_num(12345.678, 3), "12345.678");
    }
}
