//! Builders for [`Metric`] and [`CheckResult`].

use crate::{CheckResult, Evaluation, Metric, Status, Threshold};

impl Metric {
    /// An informational metric: a name (snake_case, stable across versions) and a value, about
    /// no particular model, column or slice, compared with nothing.
    ///
    /// ```
    /// use modelgate_sdk::Metric;
    /// let m = Metric::new("accuracy", 0.93).model("candidate").threshold("min", 0.9).passed(true);
    /// assert_eq!(m.model.as_deref(), Some("candidate"));
    /// assert_eq!(m.thresholds[0].kind, "min");
    /// ```
    pub fn new(name: impl Into<String>, value: f64) -> Self {
        Metric {
            name: name.into(),
            value,
            column: None,
            model: None,
            slice: None,
            thresholds: Vec::new(),
            passed: None,
        }
    }

    /// Sets the model the metric is about.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sets the column the metric is about.
    pub fn column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }

    /// Sets the data slice the metric is about (e.g. `"country=FR"`).
    pub fn slice(mut self, slice: impl Into<String>) -> Self {
        self.slice = Some(slice.into());
        self
    }

    /// Adds a bound the metric was compared with (`kind` as in [`Threshold::kind`]).
    pub fn threshold(mut self, kind: impl Into<String>, value: f64) -> Self {
        self.thresholds.push(Threshold {
            kind: kind.into(),
            value,
        });
        self
    }

    /// Sets whether the metric met all its thresholds.
    pub fn passed(mut self, passed: bool) -> Self {
        self.passed = Some(passed);
        self
    }

    /// Adds the bounds of an [`Evaluation`] of this metric and sets `passed` from it.
    /// An evaluation without bounds leaves the metric informational.
    pub fn evaluated(mut self, evaluation: &Evaluation) -> Self {
        if evaluation.outcomes.is_empty() {
            return self;
        }
        self.thresholds.extend(evaluation.thresholds());
        self.passed = Some(evaluation.passed());
        self
    }
}

impl CheckResult {
    /// A result with a status, a one-line summary, no metrics and no details.
    pub fn new(status: Status, summary: impl Into<String>) -> Self {
        CheckResult {
            status,
            summary: summary.into(),
            metrics: Vec::new(),
            details: None,
        }
    }

    /// A result whose status follows from its metrics: `fail` if any metric has
    /// `passed: Some(false)`, else `pass`.
    pub fn from_metrics(summary: impl Into<String>, metrics: Vec<Metric>) -> Self {
        let failed = metrics.iter().any(|m| m.passed == Some(false));
        let status = if failed { Status::Fail } else { Status::Pass };
        CheckResult {
            status,
            summary: summary.into(),
            metrics,
            details: None,
        }
    }

    /// Adds a metric.
    pub fn metric(mut self, metric: Metric) -> Self {
        self.metrics.push(metric);
        self
    }

    /// Adds metrics.
    pub fn metrics(mut self, metrics: impl IntoIterator<Item = Metric>) -> Self {
        self.metrics.extend(metrics);
        self
    }

    /// Sets the details: a JSON document for reports (keep it small).
    pub fn details(mut self, json: impl Into<String>) -> Self {
        self.details = Some(json.into());
        self
    }
}

/// Checks a result against the rules of the contract that a plugin can get wrong silently.
pub(crate) fn check_contract(result: &CheckResult) -> Result<(), String> {
    for m in &result.metrics {
        if !m.value.is_finite() {
            return Err(format!(
                "plugin error: metric `{}` has the value {}; metrics must be finite (leave an \
                 undefined metric out, and return an error if a threshold is on it)",
                m.name, m.value
            ));
        }
    }
    if matches!(result.status, Status::Pass) {
        if let Some(m) = result.metrics.iter().find(|m| m.passed == Some(false)) {
            return Err(format!(
                "plugin error: status is pass but metric `{}`{} failed its thresholds",
                m.name,
                m.model
                    .as_deref()
                    .map(|n| format!(" of model `{n}`"))
                    .unwrap_or_default()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_fill_fields() {
        let m = Metric::new("psi", 0.3)
            .column("age")
            .slice("country=FR")
            .threshold("max", 0.2);
        assert_eq!(m.column.as_deref(), Some("age"));
        assert_eq!(m.slice.as_deref(), Some("country=FR"));
        assert_eq!(m.passed, None);
        let r = CheckResult::new(Status::Warn, "s")
            .metric(m.clone())
            .details("{}");
        assert_eq!(r.metrics.len(), 1);
        assert_eq!(r.details.as_deref(), Some("{}"));
        let r = CheckResult::from_metrics("s", vec![m.clone().passed(false), m.passed(true)]);
        assert!(matches!(r.status, Status::Fail));
    }

    #[test]
    fn contract_rejects_silent_passes() {
        let nan = CheckResult::new(Status::Pass, "s").metric(Metric::new("x", f64::NAN));
        assert!(check_contract(&nan).unwrap_err().contains("must be finite"));
        let inf_failed = CheckResult::new(Status::Fail, "s")
            .metric(Metric::new("x", f64::INFINITY).passed(false));
        assert!(check_contract(&inf_failed).is_err());
        let lying = CheckResult::new(Status::Pass, "s")
            .metric(Metric::new("x", 1.0).model("candidate").passed(false));
        assert!(check_contract(&lying)
            .unwrap_err()
            .contains("model `candidate`"));
        let warn = CheckResult::new(Status::Warn, "s").metric(Metric::new("x", 1.0).passed(false));
        assert!(check_contract(&warn).is_ok());
    }
}
