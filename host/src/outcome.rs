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
    /// Not evaluated, for a reason that is no fault (`monitor`: a window whose labels have not
    /// arrived yet, for a check that needs them). Never produced by `check`.
    Skipped,
}

impl Status {
    /// Every status a gate's check can have, in report order: pass, warn, fail, error.
    pub const ALL: [Status; 4] = [Status::Pass, Status::Warn, Status::Fail, Status::Error];

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Skipped => "skipped",
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

/// Which way a metric gets better, for the metric names of the contract whose bounds can be
/// relative to a baseline (performance and latency). `None` for names this host does not know:
/// their baseline bounds are worded without a direction ("worse than baseline").
pub fn lower_is_better(name: &str) -> Option<bool> {
    const LOWER: &[&str] = &[
        "log_loss",
        "brier",
        "rmse",
        "mae",
        "mape",
        "latency_mean_ms",
    ];
    const HIGHER: &[&str] = &[
        "accuracy",
        "precision",
        "recall",
        "f1",
        "roc_auc",
        "pr_auc",
        "r2",
        "precision_weighted",
        "recall_weighted",
        "f1_weighted",
        "throughput_rows_per_s",
    ];
    if LOWER.contains(&name) || (name.starts_with("latency_p") && name.ends_with("_ms")) {
        Some(true)
    } else if HIGHER.contains(&name)
        || name.starts_with("estimated_")
        || name.starts_with("realized_")
    {
        Some(false)
    } else {
        None
    }
}

/// A bound on a metric in words: `min 0.9500` and `max 50` as they are; bounds relative to the
/// baseline with their direction, e.g. "no more than 0.02 below baseline" (`max_drop` on a
/// higher-is-better metric) or "at most 200% slower than baseline" (`max_relative_drop` on a
/// latency). `fmt` renders a number.
pub fn bound_words(metric: &str, kind: &str, value: f64, fmt: impl Fn(f64) -> String) -> String {
    let latency = metric.starts_with("latency_") && metric.ends_with("_ms");
    // (worse, better) for this metric.
    let (worse, better) = match lower_is_better(metric) {
        Some(true) if latency => ("slower than", "faster than"),
        Some(true) => ("above", "below"),
        Some(false) => ("below", "above"),
        None => ("worse than", "better than"),
    };
    // Percentages without trailing zeros: 2.0 → "200%", 0.025 → "2.5%".
    let pct = |v: f64| {
        let p = format!("{:.4}", v * 100.0);
        format!("{}%", p.trim_end_matches('0').trim_end_matches('.'))
    };
    let relative = matches!(kind, "max_relative_drop" | "max_relative_worsening");
    let amount = |v: f64| if relative { pct(v) } else { fmt(v) };
    match kind {
        "max_drop" | "max_worsening" | "max_relative_drop" | "max_relative_worsening" => {
            if value == 0.0 {
                format!("not {worse} baseline")
            } else if value > 0.0 {
                let lead = if relative { "at most" } else { "no more than" };
                format!("{lead} {} {worse} baseline", amount(value))
            } else {
                format!("at least {} {better} baseline", amount(-value))
            }
        }
        "max_rise" if value >= 0.0 => format!("no more than {} above baseline", fmt(value)),
        "max_rise" => format!("at least {} below baseline", fmt(-value)),
        _ => format!("{kind} {}", fmt(value)),
    }
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
    fn baseline_bounds_read_with_their_direction() {
        let f = |v: f64| format!("{v}");
        assert_eq!(
            bound_words("accuracy", "max_drop", 0.02, f),
            "no more than 0.02 below baseline"
        );
        assert_eq!(
            bound_words("log_loss", "max_drop", 0.02, f),
            "no more than 0.02 above baseline"
        );
        assert_eq!(
            bound_words("latency_p95_ms", "max_relative_drop", 2.0, f),
            "at most 200% slower than baseline"
        );
        assert_eq!(
            bound_words("roc_auc", "max_relative_worsening", 0.05, f),
            "at most 5% below baseline"
        );
        assert_eq!(
            bound_words("accuracy", "max_drop", -0.01, f),
            "at least 0.01 above baseline"
        );
        assert_eq!(
            bound_words("rmse", "max_rise", 1.5, f),
            "no more than 1.5 above baseline"
        );
        assert_eq!(
            bound_words("my_score", "max_drop", 1.0, f),
            "no more than 1 worse than baseline"
        );
        assert_eq!(bound_words("accuracy", "min", 0.9, f), "min 0.9");
        assert_eq!(lower_is_better("latency_p99_ms"), Some(true));
        assert_eq!(lower_is_better("throughput_rows_per_s"), Some(false));
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
