//! The monitor for people: the windows on the terminal, and a Markdown summary for a PR or issue
//! comment (and `$GITHUB_STEP_SUMMARY`).

use std::fmt::Write as _;

use crate::decision::{latest_with_checks, rfc3339_ms};
use crate::decision::{Action, MonitorRun, WindowRecord};
use crate::report::markdown::{cell, icon};
use crate::report::metric_line;
use crate::report::terminal::Paint;

/// Most windows listed one by one (the latest ones; the JSON has them all).
const MAX_LISTED: usize = 60;

/// A window's name: its start, or its number.
pub fn window_name(w: &WindowRecord, i: usize) -> String {
    w.start
        .map_or_else(|| format!("window {}", i + 1), rfc3339_ms)
}

/// The blocking checks that failed or errored in window `i`, as "id (fail)".
fn failing(run: &MonitorRun, i: usize) -> Vec<String> {
    run.reasons
        .iter()
        .filter(|r| r.window == i)
        .map(|r| format!("{} ({})", r.check, r.status.as_str()))
        .collect()
}

/// What the action means, in one sentence.
pub fn action_words(run: &MonitorRun) -> String {
    let latest = run.windows.len().saturating_sub(1);
    let words = match run.action {
        Action::None => "no blocking check fails in the latest window".into(),
        Action::Alert => format!(
            "a blocking check fails in the latest window: {}",
            failing(run, latest).join(", ")
        ),
        Action::Retrain => format!(
            "blocking checks fail in each of the last {} windows",
            run.retrain_after
        ),
        Action::Error => format!(
            "a blocking check could not be evaluated in the latest window: {}",
            failing(run, latest).join(", ")
        ),
    };
    let undelivered = run.notifications.iter().filter(|n| !n.delivered).count();
    if undelivered > 0 {
        format!("{words}; {undelivered} notification(s) NOT delivered")
    } else {
        words
    }
}

/// The action line, e.g. "action: RETRAIN (exit 1): ...".
pub fn action_line(run: &MonitorRun, color: bool) -> String {
    let p = Paint(color);
    let word = run.action.as_str().to_uppercase();
    let word = match run.action {
        Action::None => p.wrap("32;1", &word),
        Action::Alert | Action::Retrain => p.wrap("31;1", &word),
        Action::Error => p.wrap("35;1", &word),
    };
    format!(
        "action: {word} (exit {}): {}",
        run.exit_code(),
        action_words(run)
    )
}

/// The terminal report: one line per window, the latest window's failing metrics, the action.
pub fn render(run: &MonitorRun, color: bool) -> String {
    let p = Paint(color);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "monitor: {} — {} windows{}",
        run.gate.name,
        run.windows.len(),
        match (&run.windowing.period, run.windowing.chunk_size) {
            (Some(period), _) => format!(" of {period}"),
            (_, Some(n)) => format!(" of {n} rows"),
            _ => String::new(),
        }
    );
    let skip = run.windows.len().saturating_sub(MAX_LISTED);
    if skip > 0 {
        let _ = writeln!(s, "  … {skip} earlier windows (see the JSON decision)");
    }
    for (i, w) in run.windows.iter().enumerate().skip(skip) {
        let labelled = w
            .labelled_rows
            .map(|l| format!(", {l} labelled"))
            .unwrap_or_default();
        let fails = failing(run, i);
        let _ = writeln!(
            s,
            "  {:<24} {} {}{}",
            window_name(w, i),
            p.status(w.status, 7),
            p.dim(&format!("{} rows{labelled}", w.rows)),
            if fails.is_empty() {
                String::new()
            } else {
                format!("  {}", fails.join(", "))
            }
        );
    }
    if let Some((i, w)) = latest_with_checks(&run.windows) {
        let _ = writeln!(s, "latest window ({}):", window_name(w, i));
        for c in &w.checks {
            let _ = writeln!(
                s,
                "  {} {}: {}",
                p.status(c.outcome.status, 7),
                c.id,
                c.outcome.summary
            );
            for m in c.outcome.metrics.iter().filter(|m| m.passed == Some(false)) {
                let _ = writeln!(s, "      {}", metric_line(m));
            }
        }
    }
    for n in run.notifications.iter() {
        let _ = writeln!(
            s,
            "notify {}: {}",
            n.url,
            if n.delivered {
                format!(
                    "delivered ({} attempt{})",
                    n.attempts,
                    if n.attempts == 1 { "" } else { "s" }
                )
            } else {
                format!(
                    "NOT delivered after {} attempt{}: {}",
                    n.attempts,
                    if n.attempts == 1 { "" } else { "s" },
                    n.error.as_deref().unwrap_or("")
                )
            }
        );
    }
    let _ = writeln!(s, "{}", action_line(run, color));
    s
}

/// The Markdown summary: the action, the windows table (the latest `MAX_LISTED`), and the
/// latest window's checks.
pub fn markdown(run: &MonitorRun) -> String {
    let mut s = String::new();
    let badge = match run.action {
        Action::None => "✅",
        Action::Alert => "⚠️",
        Action::Retrain => "🔁",
        Action::Error => "⛔",
    };
    let _ = writeln!(
        s,
        "## {badge} modelgate monitor `{}`: **{}**\n\n{}.\n",
        cell(&run.gate.name),
        run.action.as_str().to_uppercase(),
        cell(&action_words(run))
    );
    let _ = writeln!(
        s,
        "| window | rows | labelled | status | failing blocking checks |"
    );
    let _ = writeln!(s, "|---|---:|---:|---|---|");
    let skip = run.windows.len().saturating_sub(MAX_LISTED);
    for (i, w) in run.windows.iter().enumerate().skip(skip) {
        let mark = icon(w.status);
        let _ = writeln!(
            s,
            "| {} | {} | {} | {mark} | {} |",
            window_name(w, i),
            w.rows,
            w.labelled_rows
                .map_or_else(|| "–".to_string(), |l| l.to_string()),
            cell(&failing(run, i).join(", "))
        );
    }
    if skip > 0 {
        let _ = writeln!(s, "\n{skip} earlier windows are in the JSON decision.");
    }
    if let Some((i, w)) = latest_with_checks(&run.windows) {
        let _ = writeln!(s, "\n### Latest window ({})\n", window_name(w, i));
        for c in &w.checks {
            let _ = writeln!(
                s,
                "- **{}** {}: {}",
                cell(&c.id),
                c.outcome.status.as_str(),
                cell(&c.outcome.summary)
            );
            for m in c.outcome.metrics.iter().filter(|m| m.passed == Some(false)) {
                let _ = writeln!(s, "  - `{}`", metric_line(m).replace('`', "'"));
            }
        }
    }
    s
}
