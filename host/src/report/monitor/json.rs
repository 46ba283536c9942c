//! The decision JSON (`monitor --json`; contract: `schema_version: 1`, see
//! `docs/monitor.schema.json`).

use serde::Serialize;
use serde_json::Value;

use crate::decision::rfc3339_ms;
use crate::decision::{Action, MonitorRun, Notification, ReferenceBound, Windowing};
use crate::outcome::Status;
use crate::policy::Thresholds;
use crate::record::InputFile;
use crate::report::json::{check, inputs, rfc3339, CheckJson, Inputs, Tool};

/// The decision file's format version.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole decision.
#[derive(Debug, Serialize)]
pub struct Decision<'a> {
    /// Always 1 for this format.
    pub schema_version: u32,
    /// Which tool wrote it.
    pub tool: Tool,
    /// The gate's name.
    pub gate: &'a str,
    /// none / alert / retrain / error.
    pub action: Action,
    /// Failing windows in a row that ask for retraining.
    pub retrain_after: usize,
    /// How the log was split.
    pub windowing: &'a Windowing,
    /// Where the bounds came from: policy / reference.
    pub thresholds: &'static str,
    /// Bounds learnt from the reference's windows (`thresholds = "reference"`).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub reference_bounds: &'a [ReferenceBound],
    /// The blocking checks that failed or errored, window by window.
    pub reasons: Vec<ReasonJson<'a>>,
    /// Notifications sent (`--notify`).
    pub notifications: &'a [Notification],
    /// The windows in time order.
    pub chunks: Vec<ChunkJson<'a>>,
    /// The policy file.
    pub policy: &'a InputFile,
    /// Every input the decision depends on.
    pub inputs: Inputs<'a>,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// Total wall time.
    pub duration_ms: u64,
}

/// A failing or errored blocking check in a window.
#[derive(Debug, Serialize)]
pub struct ReasonJson<'a> {
    /// The window's index.
    pub window: usize,
    /// Its start.
    pub start: Option<String>,
    /// Its end.
    pub end: Option<String>,
    /// The check.
    pub check: &'a str,
    /// fail / error.
    pub status: Status,
    /// What the check said.
    pub summary: &'a str,
}

/// One window.
#[derive(Debug, Serialize)]
pub struct ChunkJson<'a> {
    /// 0 = the earliest.
    pub index: usize,
    /// RFC 3339 UTC; null for chunks of a log without times.
    pub start: Option<String>,
    /// RFC 3339 UTC (a period's end is exclusive; a chunk's is its last time).
    pub end: Option<String>,
    /// Rows in the window.
    pub rows: usize,
    /// Rows with a label (what checks that need labels evaluated); absent without a task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labelled_rows: Option<usize>,
    /// pass / warn / fail / error / skipped.
    pub status: Status,
    /// Its checks, as in the gate report (details only for the latest window).
    pub checks: Vec<CheckJson<'a>>,
}

/// A window's start and end in RFC 3339.
fn times(run: &MonitorRun, i: usize) -> (Option<String>, Option<String>) {
    let w = &run.windows[i];
    (w.start.map(rfc3339_ms), w.end.map(rfc3339_ms))
}

/// The failing or errored blocking checks, with their windows.
pub fn reasons(run: &MonitorRun) -> Vec<ReasonJson<'_>> {
    run.reasons
        .iter()
        .map(|r| {
            let (start, end) = times(run, r.window);
            ReasonJson {
                window: r.window,
                start,
                end,
                check: &r.check,
                status: r.status,
                summary: &r.summary,
            }
        })
        .collect()
}

/// Builds the decision of a monitor run.
pub fn decision(
    run: &MonitorRun,
    started: std::time::SystemTime,
    duration: std::time::Duration,
) -> Decision<'_> {
    let last = run.windows.len().saturating_sub(1);
    Decision {
        schema_version: SCHEMA_VERSION,
        tool: Tool::THIS,
        gate: &run.gate.name,
        action: run.action,
        retrain_after: run.retrain_after,
        windowing: &run.windowing,
        thresholds: match run.thresholds {
            Thresholds::Policy => "policy",
            Thresholds::Reference => "reference",
        },
        reference_bounds: &run.reference_bounds,
        reasons: reasons(run),
        notifications: &run.notifications,
        chunks: run
            .windows
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let (start, end) = times(run, i);
                ChunkJson {
                    index: i,
                    start,
                    end,
                    rows: w.rows,
                    labelled_rows: w.labelled_rows,
                    status: w.status,
                    checks: w.checks.iter().map(|c| check(c, i == last)).collect(),
                }
            })
            .collect(),
        policy: &run.gate.policy,
        inputs: inputs(&run.gate),
        started_at: rfc3339(started),
        duration_ms: duration.as_millis() as u64,
    }
}

/// The JSON body: `action`, `gate`, `window` (the latest: index, start, end, status), `reasons`
/// and a Slack-compatible `text`.
pub fn notification(run: &MonitorRun) -> Value {
    let latest = run.windows.len().saturating_sub(1);
    let window = run.windows.last().map(|w| {
        serde_json::json!({
            "index": latest,
            "start": w.start.map(rfc3339_ms),
            "end": w.end.map(rfc3339_ms),
            "rows": w.rows,
            "status": w.status,
        })
    });
    serde_json::json!({
        "action": run.action,
        "gate": run.gate.name,
        "window": window,
        "reasons": reasons(run),
        "text": text(run),
    })
}

/// One line for a chat message: the gate, the action, and which checks failed in the latest
/// window.
fn text(run: &MonitorRun) -> String {
    let latest = run.windows.len().saturating_sub(1);
    let label = run
        .windows
        .last()
        .and_then(|w| w.start)
        .map_or_else(|| format!("window {}", latest + 1), rfc3339_ms);
    let failed: Vec<String> = run
        .reasons
        .iter()
        .filter(|r| r.window == latest)
        .map(|r| format!("{} ({})", r.check, r.status.as_str()))
        .collect();
    let what = match run.action.as_str() {
        "retrain" => format!("retrain: {} failing windows in a row", run.retrain_after),
        other => other.to_string(),
    };
    if failed.is_empty() {
        format!(
            "modelgate monitor `{}`: {what} (latest window {label})",
            run.gate.name
        )
    } else {
        format!(
            "modelgate monitor `{}`: {what} — latest window {label}: {}",
            run.gate.name,
            failed.join(", ")
        )
    }
}
