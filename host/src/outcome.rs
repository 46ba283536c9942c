//! The words every stage shares about one check: its [`Status`], the [`Metric`]s it reports, the
//! [`LogLine`]s it wrote, what its plugin said about itself ([`PluginInfo`]), and all of it together
//! as an [`Outcome`]. The sandbox produces outcomes, the verdict and the reports read them; none of
//! them owns these types.

/// A check's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every threshold holds.
    Pass,
    /// Attention needed, nothing failed.
    Warn,
    /// A threshold does not hold.
    Fail,
    /// The check could not be evaluated.
    Error,
}

impl Status {
    /// Every status, in report order: pass, warn, fail, error.
    pub const ALL: [Status; 4] = [Status::Pass, Status::Warn, Status::Fail, Status::Error];

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Error => "error",
        }
    }
}

/// A metric as reported (contract: the `metrics` entries of the JSON report).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Metric {
    /// snake_case name, e.g. `roc_auc`.
    pub name: String,
    /// Its value (always finite).
    pub value: f64,
    /// The column it is about.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub column: Option<String>,
    /// The model it is about.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub model: Option<String>,
    /// The slice of the data it is about.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub slice: Option<String>,
    /// Bounds by kind, e.g. {"min": 0.9}.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub threshold: Option<serde_json::Map<String, serde_json::Value>>,
    /// Whether the bounds hold.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub passed: Option<bool>,
}

/// One log line from a plugin.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LogLine {
    /// trace / debug / info / warn / error.
    pub level: &'static str,
    /// The message (truncated to 4 KiB).
    pub message: String,
}

/// What a plugin says about itself, plus the WIT version it was built against.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PluginInfo {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Description.
    pub description: String,
    /// JSON Schema of its config, as JSON.
    pub config_schema: serde_json::Value,
    /// The WIT package version of its `validator` export.
    pub wit_version: String,
    /// Datasets it reads by default.
    pub needs_datasets: Vec<String>,
    /// Whether it needs a model.
    pub needs_models: bool,
    /// Whether it needs labels.
    pub needs_labels: bool,
}

/// What running a check produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// pass / warn / fail / error.
    pub status: Status,
    /// One line.
    pub summary: String,
    /// Metrics.
    pub metrics: Vec<Metric>,
    /// Details JSON (plot inputs and more; see docs/plugins.md).
    pub details: Option<serde_json::Value>,
    /// Why the check errored.
    pub error: Option<String>,
    /// Log lines.
    pub logs: Vec<LogLine>,
    /// Captured stdout + stderr (bounded).
    pub output: String,
    /// The plugin's self-description, when `describe` succeeded.
    pub info: Option<PluginInfo>,
}

impl Outcome {
    /// An `error` outcome whose summary and error are `reason`, with nothing else.
    pub fn errored(reason: impl Into<String>) -> Outcome {
        let reason = reason.into();
        Outcome {
            status: Status::Error,
            summary: reason.clone(),
            metrics: Vec::new(),
            details: None,
            error: Some(reason),
            logs: Vec::new(),
            output: String::new(),
            info: None,
        }
    }

    /// An outcome with this status and summary and nothing else (for tests and for hosts that
    /// decide without a plugin).
    pub fn with_status(status: Status, summary: impl Into<String>) -> Outcome {
        Outcome {
            status,
            error: None,
            summary: summary.into(),
            ..Outcome::errored("")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_errored_outcome_carries_its_reason_and_nothing_else() {
        let o = Outcome::errored("the check runner crashed: boom");
        assert_eq!(o.status, Status::Error);
        assert_eq!(o.summary, "the check runner crashed: boom");
        assert_eq!(o.error.as_deref(), Some("the check runner crashed: boom"));
        assert!(o.metrics.is_empty() && o.details.is_none() && o.info.is_none());
        let p = Outcome::with_status(Status::Pass, "ok");
        assert_eq!(
            (p.status, p.error.as_deref(), p.summary.as_str()),
            (Status::Pass, None, "ok")
        );
    }

    #[test]
    fn metrics_serialize_only_the_fields_they_have() {
        let m = Metric {
            name: "accuracy".into(),
            value: 0.5,
            column: None,
            model: Some("candidate".into()),
            slice: None,
            threshold: None,
            passed: Some(true),
        };
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"name":"accuracy","value":0.5,"model":"candidate","passed":true}"#
        );
        assert_eq!(
            Status::ALL.map(Status::as_str),
            ["pass", "warn", "fail", "error"]
        );
    }
}
