//! `monitor --prometheus FILE`: the Prometheus text exposition format (0.0.4), for
//! node_exporter's textfile collector. Gauges `modelgate_…` for the latest window with rows,
//! labelled by gate, check, metric, column (and model and slice where a metric has them); the
//! action as one gauge per action (1 for the decided one); the time of the run.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::decision::{latest_with_checks, MonitorRun};
use crate::outcome::Status;

/// Escapes a label value: backslash, double quote and line feed.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `{k="v",...}` from pairs.
fn labels(pairs: &[(&str, &str)]) -> String {
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", label(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// A number as Prometheus reads it.
fn value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

/// One gauge family with its samples.
fn family(out: &mut String, name: &str, help: &str, samples: &[(String, f64)]) {
    if samples.is_empty() {
        return;
    }
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
    for (l, v) in samples {
        let _ = writeln!(out, "{name}{l} {}", value(*v));
    }
}

/// Renders the exposition; `now` is the time of the run.
pub fn render(run: &MonitorRun, now: SystemTime) -> String {
    let gate = run.gate.name.as_str();
    let g = [("gate", gate)];
    let mut out = String::new();
    let actions: Vec<(String, f64)> = ["none", "alert", "retrain", "error"]
        .iter()
        .map(|a| {
            (
                labels(&[("gate", gate), ("action", a)]),
                f64::from(u8::from(run.action.as_str() == *a)),
            )
        })
        .collect();
    family(
        &mut out,
        "modelgate_monitor_action",
        "The monitor's decision: 1 for the action taken (none, alert, retrain, error), 0 for the others.",
        &actions,
    );
    let secs = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    family(
        &mut out,
        "modelgate_monitor_last_run_timestamp_seconds",
        "When the monitor ran (Unix time).",
        &[(labels(&g), secs)],
    );
    family(
        &mut out,
        "modelgate_monitor_windows",
        "Windows the log was split into.",
        &[(labels(&g), run.windows.len() as f64)],
    );
    let streak = run
        .windows
        .iter()
        .rev()
        .take_while(|w| w.status == Status::Fail)
        .count();
    family(
        &mut out,
        "modelgate_monitor_failing_windows",
        "Failing windows in a row, ending at the latest.",
        &[(labels(&g), streak as f64)],
    );
    let Some((_, latest)) = latest_with_checks(&run.windows) else {
        return out;
    };
    if let Some(start) = latest.start {
        family(
            &mut out,
            "modelgate_window_start_timestamp_seconds",
            "Where the latest window with rows starts (Unix time).",
            &[(labels(&g), start as f64 / 1000.0)],
        );
    }
    family(
        &mut out,
        "modelgate_window_rows",
        "Rows in the latest window with rows.",
        &[(labels(&g), latest.rows as f64)],
    );
    if let Some(l) = latest.labelled_rows {
        family(
            &mut out,
            "modelgate_window_labelled_rows",
            "Rows with a label in the latest window with rows.",
            &[(labels(&g), l as f64)],
        );
    }
    let mut statuses = Vec::new();
    let (mut values, mut passed) = (Vec::new(), Vec::new());
    for c in &latest.checks {
        for s in ["pass", "warn", "fail", "error", "skipped"] {
            statuses.push((
                labels(&[("gate", gate), ("check", &c.id), ("status", s)]),
                f64::from(u8::from(c.outcome.status.as_str() == s)),
            ));
        }
        for m in &c.outcome.metrics {
            let mut l = vec![
                ("gate", gate),
                ("check", c.id.as_str()),
                ("metric", m.name.as_str()),
                ("column", m.column.as_deref().unwrap_or("")),
            ];
            if let Some(model) = &m.model {
                l.push(("model", model));
            }
            if let Some(slice) = &m.slice {
                l.push(("slice", slice));
            }
            values.push((labels(&l), m.value));
            if let Some(p) = m.passed {
                passed.push((labels(&l), f64::from(u8::from(p))));
            }
        }
    }
    family(
        &mut out,
        "modelgate_check_status",
        "Each check's status in the latest window with rows: 1 for its status, 0 for the others.",
        &statuses,
    );
    family(
        &mut out,
        "modelgate_metric_value",
        "Each metric's value in the latest window with rows.",
        &values,
    );
    family(
        &mut out,
        "modelgate_metric_passed",
        "1 when the metric's bounds hold in the latest window with rows, 0 when not.",
        &passed,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(labels(&[("a", "x\"y\\z\nw")]), "{a=\"x\\\"y\\\\z\\nw\"}");
        assert_eq!(value(0.1), "0.1");
        assert_eq!(value(f64::INFINITY), "+Inf");
    }
}
