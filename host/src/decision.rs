//! The monitor's decision (`modelgate monitor`): each window's status from its checks, and the
//! action the windows call for — `retrain` when the last `retrain_after` windows each have a
//! failing blocking check, `alert` when the latest has one, `error` when a blocking check of the
//! latest window errored (fail closed: it wins over the others), else `none`. Advisory checks
//! never change it.

use std::collections::HashMap;

use crate::outcome::{Metric, Status};
use crate::policy::{Severity, Thresholds};
use crate::record::{CheckReport, GateRun};

/// A Unix time in milliseconds as RFC 3339 UTC (`2026-11-01T00:00:00Z`; milliseconds only when
/// there are some).
pub fn rfc3339_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    )
}

/// What the monitored windows call for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Nothing (exit 0).
    None,
    /// The latest window has a failing blocking check (exit 1).
    Alert,
    /// The last `retrain_after` windows each have one (exit 1).
    Retrain,
    /// A blocking check of the latest window could not be evaluated, or an alert was not
    /// delivered (exit 2).
    Error,
}

impl Action {
    /// The process exit code: 0 none, 1 alert or retrain, 2 error.
    pub fn exit_code(self) -> u8 {
        match self {
            Action::None => 0,
            Action::Alert | Action::Retrain => 1,
            Action::Error => 2,
        }
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::None => "none",
            Action::Alert => "alert",
            Action::Retrain => "retrain",
            Action::Error => "error",
        }
    }
}

/// One window and what its checks found.
#[derive(Debug, Clone)]
pub struct WindowRecord {
    /// Where it starts (Unix ms), if the log has times.
    pub start: Option<i64>,
    /// Where it ends (Unix ms; a period's end is exclusive).
    pub end: Option<i64>,
    /// Its rows.
    pub rows: usize,
    /// Its rows with a label (what checks that need labels evaluated); `None` without a task.
    pub labelled_rows: Option<usize>,
    /// pass / warn / fail / error, or skipped (no rows, or every check skipped).
    pub status: Status,
    /// Its checks, in policy order (none for an empty window).
    pub checks: Vec<CheckReport>,
}

/// A blocking check that failed or errored in a window.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Reason {
    /// The window's index (0 = the earliest).
    pub window: usize,
    /// The check's id.
    pub check: String,
    /// fail or error.
    pub status: Status,
    /// The check's summary (or why it errored).
    pub summary: String,
}

/// A notification sent for the decision.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Notification {
    /// Where it was sent.
    pub url: String,
    /// Whether a 2xx answer came back.
    pub delivered: bool,
    /// Attempts made.
    pub attempts: u32,
    /// The last answer or failure, when not delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A metric's bounds learnt from windows of the reference (`monitor.thresholds = "reference"`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReferenceBound {
    /// The check.
    pub check: String,
    /// The metric's name, column, model and slice.
    #[serde(flatten)]
    pub metric: MetricKey,
    /// The mean over the reference's windows.
    pub mean: f64,
    /// Their population standard deviation.
    pub std: f64,
    /// mean − 3σ.
    pub lower: f64,
    /// mean + 3σ.
    pub upper: f64,
    /// How many reference windows had the metric.
    pub windows: usize,
    /// Its value in each of them.
    pub values: Vec<f64>,
}

/// Which metric: name, column, model, slice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct MetricKey {
    /// Name.
    pub name: String,
    /// Column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Slice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slice: Option<String>,
}

impl MetricKey {
    /// The key of a reported metric.
    pub fn of(m: &Metric) -> MetricKey {
        MetricKey {
            name: m.name.clone(),
            column: m.column.clone(),
            model: m.model.clone(),
            slice: m.slice.clone(),
        }
    }
}

/// How the log was split.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Windowing {
    /// The timestamp column, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// The period, if windows are calendar periods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// The chunk size, if windows are chunks of rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chunk_size: Option<usize>,
}

/// Everything a monitor run produced.
#[derive(Debug, Clone)]
pub struct MonitorRun {
    /// The inputs as a gate records them (its `checks`: those of the latest window with rows).
    pub gate: GateRun,
    /// How the log was split.
    pub windowing: Windowing,
    /// Failing windows in a row that ask for retraining.
    pub retrain_after: usize,
    /// Where the bounds came from.
    pub thresholds: Thresholds,
    /// Bounds learnt from the reference (with `thresholds = "reference"`).
    pub reference_bounds: Vec<ReferenceBound>,
    /// The windows in time order.
    pub windows: Vec<WindowRecord>,
    /// What they call for.
    pub action: Action,
    /// The blocking checks that failed or errored, window by window.
    pub reasons: Vec<Reason>,
    /// Notifications sent (`--notify`).
    pub notifications: Vec<Notification>,
}

impl MonitorRun {
    /// The exit code: the action's (0 none, 1 alert or retrain, 2 error), or 2 when a
    /// notification was not delivered (an alert that did not go out is an error).
    pub fn exit_code(&self) -> u8 {
        if self.notifications.iter().any(|n| !n.delivered) {
            2
        } else {
            self.action.exit_code()
        }
    }
}

/// The latest window that has checks (a window with rows), with its index.
pub fn latest_with_checks(windows: &[WindowRecord]) -> Option<(usize, &WindowRecord)> {
    windows
        .iter()
        .enumerate()
        .rev()
        .find(|(_, w)| !w.checks.is_empty())
}

/// A window's status from its checks: error if a blocking check errored, else fail if one
/// failed, else warn if anything warned or an advisory check failed or errored, else pass;
/// skipped when it has no checks or every check was skipped.
pub fn window_status(checks: &[CheckReport]) -> Status {
    let blocking = |s: Status| {
        checks
            .iter()
            .any(|c| c.severity == Severity::Blocking && c.outcome.status == s)
    };
    if blocking(Status::Error) {
        Status::Error
    } else if blocking(Status::Fail) {
        Status::Fail
    } else if checks.iter().any(|c| {
        matches!(
            c.outcome.status,
            Status::Warn | Status::Fail | Status::Error
        )
    }) {
        Status::Warn
    } else if checks.iter().any(|c| c.outcome.status == Status::Pass) {
        Status::Pass
    } else {
        Status::Skipped
    }
}

/// The action the windows call for, and the blocking checks that failed or errored in each.
pub fn decide(windows: &[WindowRecord], retrain_after: usize) -> (Action, Vec<Reason>) {
    let failing = |w: &WindowRecord| {
        w.checks
            .iter()
            .any(|c| c.severity == Severity::Blocking && c.outcome.status == Status::Fail)
    };
    let reasons = windows
        .iter()
        .enumerate()
        .flat_map(|(i, w)| {
            w.checks
                .iter()
                .filter(|c| {
                    c.severity == Severity::Blocking
                        && matches!(c.outcome.status, Status::Fail | Status::Error)
                })
                .map(move |c| Reason {
                    window: i,
                    check: c.id.clone(),
                    status: c.outcome.status,
                    summary: c
                        .outcome
                        .error
                        .clone()
                        .unwrap_or_else(|| c.outcome.summary.clone()),
                })
        })
        .collect();
    let Some(latest) = windows.last() else {
        return (Action::Error, reasons);
    };
    let action = if latest
        .checks
        .iter()
        .any(|c| c.severity == Severity::Blocking && c.outcome.status == Status::Error)
    {
        Action::Error
    } else if windows.len() >= retrain_after
        && windows[windows.len() - retrain_after..].iter().all(failing)
    {
        Action::Retrain
    } else if failing(latest) {
        Action::Alert
    } else {
        Action::None
    };
    (action, reasons)
}

/// Each deciding metric's mean ± 3σ (population σ) over the reference's windows: the metrics that
/// carry a threshold in a check's outcome, by check and metric.
pub fn reference_bounds(reference_windows: &[Vec<CheckReport>]) -> Vec<ReferenceBound> {
    let mut values: Vec<((String, MetricKey), Vec<f64>)> = Vec::new();
    let mut at: HashMap<(String, MetricKey), usize> = HashMap::new();
    for checks in reference_windows {
        for c in checks {
            for m in c.outcome.metrics.iter().filter(|m| m.threshold.is_some()) {
                let key = (c.id.clone(), MetricKey::of(m));
                let i = *at.entry(key.clone()).or_insert_with(|| {
                    values.push((key, Vec::new()));
                    values.len() - 1
                });
                values[i].1.push(m.value);
            }
        }
    }
    values
        .into_iter()
        .map(|((check, metric), v)| {
            let n = v.len() as f64;
            let mean = v.iter().sum::<f64>() / n;
            let std = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
            ReferenceBound {
                check,
                metric,
                mean,
                std,
                lower: mean - 3.0 * std,
                upper: mean + 3.0 * std,
                windows: v.len(),
                values: v,
            }
        })
        .collect()
}

/// Replaces the bounds of each metric that has reference bounds with them, and decides the
/// check again: fail if any metric is outside its bounds, else pass. Errored and skipped checks
/// stay as they are.
pub fn apply_reference_bounds(checks: &mut [CheckReport], bounds: &[ReferenceBound]) {
    for c in checks {
        if matches!(c.outcome.status, Status::Error | Status::Skipped) {
            continue;
        }
        let (mut bounded, mut outside) = (0, 0);
        for m in &mut c.outcome.metrics {
            let key = MetricKey::of(m);
            let Some(b) = bounds.iter().find(|b| b.check == c.id && b.metric == key) else {
                continue;
            };
            let mut t = serde_json::Map::new();
            t.insert("min".into(), serde_json::json!(b.lower));
            t.insert("max".into(), serde_json::json!(b.upper));
            m.threshold = Some(t);
            let ok = b.lower <= m.value && m.value <= b.upper;
            m.passed = Some(ok);
            bounded += 1;
            outside += usize::from(!ok);
        }
        if bounded == 0 {
            continue;
        }
        let own_failures = c
            .outcome
            .metrics
            .iter()
            .filter(|m| m.passed == Some(false))
            .count();
        c.outcome.status = if own_failures > 0 {
            Status::Fail
        } else {
            Status::Pass
        };
        c.outcome.summary = format!(
            "{outside} of {bounded} metric{} outside the reference's mean ± 3σ",
            if bounded == 1 { "" } else { "s" }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;

    fn check(id: &str, severity: Severity, status: Status) -> CheckReport {
        CheckReport {
            id: id.into(),
            plugin: "p".into(),
            severity,
            outcome: Outcome::with_status(status, "x"),
            duration: Default::default(),
        }
    }

    fn window(checks: Vec<CheckReport>) -> WindowRecord {
        WindowRecord {
            start: None,
            end: None,
            rows: 1,
            labelled_rows: None,
            status: window_status(&checks),
            checks,
        }
    }

    #[test]
    fn actions_follow_the_latest_windows() {
        use Severity::{Advisory as A, Blocking as B};
        use Status::{Error as E, Fail as F, Pass as P, Skipped as S};
        let w = |s: Status, sev: Severity| window(vec![check("c", sev, s)]);
        let act = |ws: Vec<WindowRecord>, n| decide(&ws, n).0;
        assert_eq!(act(vec![w(F, B), w(P, B)], 2), Action::None);
        assert_eq!(act(vec![w(P, B), w(F, B)], 2), Action::Alert);
        assert_eq!(act(vec![w(F, B), w(F, B)], 2), Action::Retrain);
        assert_eq!(act(vec![w(F, B)], 2), Action::Alert);
        assert_eq!(act(vec![w(F, B)], 1), Action::Retrain);
        assert_eq!(act(vec![w(F, B), w(S, B), w(F, B)], 2), Action::Alert);
        assert_eq!(act(vec![w(F, B), w(E, B)], 2), Action::Error);
        assert_eq!(act(vec![w(E, B), w(P, B)], 2), Action::None);
        assert_eq!(act(vec![w(F, A), w(F, A)], 2), Action::None);
        let (_, reasons) = decide(&[w(F, B), w(P, B), w(E, B), w(F, A)], 2);
        let at: Vec<(usize, Status)> = reasons.iter().map(|r| (r.window, r.status)).collect();
        assert_eq!(at, [(0, F), (2, E)]);
        assert_eq!(w(S, B).status, S);
        assert_eq!(w(F, A).status, Status::Warn);
        assert_eq!(window(vec![]).status, S);
        assert_eq!(Action::Retrain.exit_code(), 1);
    }

    #[test]
    fn reference_bounds_are_mean_plus_minus_three_population_sigmas() {
        let with = |v: f64| {
            let mut c = check("drift", Severity::Blocking, Status::Pass);
            c.outcome.metrics = vec![Metric {
                name: "share".into(),
                value: v,
                column: None,
                model: None,
                slice: None,
                threshold: Some(serde_json::Map::new()),
                passed: Some(true),
            }];
            c
        };
        let b = reference_bounds(&[vec![with(1.0)], vec![with(2.0)], vec![with(3.0)]]);
        let std = (2.0f64 / 3.0).sqrt();
        assert_eq!(b.len(), 1);
        assert!((b[0].std - std).abs() < 1e-15 && b[0].mean == 2.0);
        assert!((b[0].upper - (2.0 + 3.0 * std)).abs() < 1e-15);
        let mut checks = vec![with(4.5), with(2.5)];
        checks[1].id = "other".into();
        apply_reference_bounds(&mut checks, &b);
        assert_eq!(checks[0].outcome.status, Status::Fail);
        assert_eq!(checks[0].outcome.metrics[0].passed, Some(false));
        // Bounds are per check: `other` keeps its own.
        assert_eq!(checks[1].outcome.status, Status::Pass);
    }
}
