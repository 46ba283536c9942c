//! The JSON report (contract: `schema_version: 1`, see `docs/report.schema.json`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use indexmap::IndexMap;
use serde::Serialize;

use crate::outcome::{LogLine, Metric, Status};
use crate::policy::Severity;
use crate::record::{CheckReport, DatasetInput, GateRun, InputFile, PluginInput};
use crate::verdict::Verdict;

/// The report's format version.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    /// Always 1 for this format.
    pub schema_version: u32,
    /// Which tool wrote it.
    pub tool: Tool,
    /// The gate's name.
    pub gate: &'a str,
    /// promote / reject / error.
    pub verdict: Verdict,
    /// The policy file.
    pub policy: &'a InputFile,
    /// Every input the verdict depends on.
    pub inputs: Inputs<'a>,
    /// One entry per check, in policy order.
    pub checks: Vec<CheckJson<'a>>,
    /// When the gate started (RFC 3339, UTC).
    pub started_at: String,
    /// Total wall time.
    pub duration_ms: u64,
}

/// Tool name and version.
#[derive(Debug, Serialize)]
pub struct Tool {
    /// "modelgate".
    pub name: &'static str,
    /// Its version.
    pub version: &'static str,
    /// The git commit it was built from ("unknown" for a build outside a git checkout without
    /// `MODELGATE_GIT_COMMIT`).
    pub commit: &'static str,
}

impl Tool {
    /// This modelgate.
    pub const THIS: Tool = Tool {
        name: "modelgate",
        version: env!("CARGO_PKG_VERSION"),
        commit: env!("MODELGATE_GIT_COMMIT"),
    };
}

/// The inputs section.
#[derive(Debug, Serialize)]
pub struct Inputs<'a> {
    /// Datasets by name.
    pub datasets: IndexMap<&'a str, &'a DatasetInput>,
    /// Models by name.
    pub models: IndexMap<&'a str, ModelJson<'a>>,
    /// Plugins by check id.
    pub plugins: IndexMap<&'a str, &'a PluginInput>,
}

/// A model input: a file, or prediction columns.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ModelJson<'a> {
    /// An ONNX file.
    File(&'a InputFile),
    /// Predictions read from the data.
    Columns {
        /// Always "columns".
        source: &'static str,
    },
}

/// One check.
#[derive(Debug, Serialize)]
pub struct CheckJson<'a> {
    /// Id.
    pub id: &'a str,
    /// Plugin as written in the policy.
    pub plugin: &'a str,
    /// blocking / advisory.
    pub severity: Severity,
    /// pass / warn / fail / error.
    pub status: Status,
    /// One line.
    pub summary: &'a str,
    /// Metrics.
    pub metrics: &'a [Metric],
    /// Why it errored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    /// Plugin-specific details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<&'a serde_json::Value>,
    /// The plugin's log lines.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub logs: &'a [LogLine],
    /// Captured stdout/stderr.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub output: &'a str,
    /// Wall time.
    pub duration_ms: u64,
}

/// Builds the report of a gate run.
pub fn report<'a>(
    run: &'a GateRun,
    verdict: Verdict,
    started: SystemTime,
    duration: Duration,
) -> Report<'a> {
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool::THIS,
        gate: &run.name,
        verdict,
        policy: &run.policy,
        inputs: inputs(run),
        checks: run.checks.iter().map(|c| check(c, true)).collect(),
        started_at: rfc3339(started),
        duration_ms: duration.as_millis() as u64,
    }
}

/// The inputs section of a run.
pub fn inputs(run: &GateRun) -> Inputs<'_> {
    Inputs {
        datasets: run.datasets.iter().map(|(n, d)| (n.as_str(), d)).collect(),
        models: run
            .models
            .iter()
            .map(|(n, f)| {
                (
                    n.as_str(),
                    f.as_ref()
                        .map_or(ModelJson::Columns { source: "columns" }, ModelJson::File),
                )
            })
            .collect(),
        plugins: run.plugins.iter().map(|(n, p)| (n.as_str(), p)).collect(),
    }
}

/// One check as reported; its details only when asked for.
pub fn check(c: &CheckReport, details: bool) -> CheckJson<'_> {
    CheckJson {
        id: &c.id,
        plugin: &c.plugin,
        severity: c.severity,
        status: c.outcome.status,
        summary: &c.outcome.summary,
        metrics: &c.outcome.metrics,
        error: c.outcome.error.as_deref(),
        details: c.outcome.details.as_ref().filter(|_| details),
        logs: &c.outcome.logs,
        output: &c.outcome.output,
        duration_ms: c.duration.as_millis() as u64,
    }
}

/// Formats a time as RFC 3339 in UTC with millisecond precision.
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_millis(1_795_935_863_250)),
            "2026-11-29T07:04:23.250Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
    }
}
