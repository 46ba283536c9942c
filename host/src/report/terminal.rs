//! The human report: a table of checks, the thresholded metrics under each, and a verdict line.
//! Colour only on a terminal and when `NO_COLOR` is unset.

use std::fmt::Write as _;
use std::io::IsTerminal;

use crate::outcome::{Metric, Status};
use crate::record::GateRun;
use crate::report::metric_line;
use crate::verdict::Verdict;

/// Whether to colour output written to stdout.
pub fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// ANSI colour when on (shared with the monitor's output).
pub(crate) struct Paint(pub(crate) bool);

impl Paint {
    pub(crate) fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub(crate) fn status(&self, s: Status, width: usize) -> String {
        let text = format!("{:<width$}", s.as_str());
        match s {
            Status::Pass => self.wrap("32", &text),
            Status::Warn => self.wrap("33", &text),
            Status::Fail => self.wrap("31;1", &text),
            Status::Error => self.wrap("35;1", &text),
            Status::Skipped => self.wrap("2", &text),
        }
    }
    pub(crate) fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
}

/// The verdict line, e.g. "verdict: REJECT (exit 1) — 1 failed, 2 passed".
pub fn verdict_line(run: &GateRun, verdict: Verdict, color: bool) -> String {
    let p = Paint(color);
    let parts = crate::report::status_counts(run);
    let word = verdict.as_str().to_uppercase();
    let word = match verdict {
        Verdict::Promote => p.wrap("32;1", &word),
        Verdict::Reject => p.wrap("31;1", &word),
        Verdict::Error => p.wrap("35;1", &word),
    };
    let counts = if parts.is_empty() {
        "no checks ran".to_string()
    } else {
        parts.join(", ")
    };
    format!("verdict: {word} (exit {}): {counts}", verdict.exit_code())
}

/// A plugin as the table shows it: built-ins by name, files by file name (the JSON report has the path).
fn display_plugin(plugin: &str) -> String {
    std::path::Path::new(plugin)
        .file_name()
        .map_or_else(|| plugin.to_string(), |n| n.to_string_lossy().into_owned())
}

/// Renders the whole human report.
pub fn render(run: &GateRun, verdict: Verdict, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    let _ = writeln!(out, "modelgate: gate `{}` ({})", run.name, run.policy.path);
    for line in crate::report::dropped_rows(run) {
        let _ = writeln!(out, "  note: {line}");
    }
    let headers = ["CHECK", "PLUGIN", "SEVERITY", "STATUS", "TIME", "SUMMARY"];
    let rows: Vec<[String; 6]> = run
        .checks
        .iter()
        .map(|c| {
            [
                c.id.clone(),
                display_plugin(&c.plugin),
                format!("{:?}", c.severity).to_lowercase(),
                c.outcome.status.as_str().to_string(),
                format!("{:.2}s", c.duration.as_secs_f64()),
                c.outcome.summary.clone(),
            ]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r.iter()).take(5) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let _ = writeln!(out);
    let header: Vec<String> = headers
        .iter()
        .zip(widths)
        .map(|(h, w)| format!("{h:<w$}"))
        .collect();
    let _ = writeln!(out, "  {}", p.dim(header.join("  ").trim_end()));
    for (c, r) in run.checks.iter().zip(&rows) {
        let _ = writeln!(
            out,
            "  {:<w0$}  {:<w1$}  {:<w2$}  {}  {:>w4$}  {}",
            r[0],
            r[1],
            r[2],
            p.status(c.outcome.status, widths[3]),
            r[4],
            r[5],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w4 = widths[4]
        );
    }
    for c in &run.checks {
        let gated: Vec<&Metric> = c
            .outcome
            .metrics
            .iter()
            .filter(|m| m.passed.is_some())
            .collect();
        if gated.is_empty() && c.outcome.error.is_none() {
            continue;
        }
        let _ = writeln!(out, "\n  {}:", c.id);
        for m in gated {
            let mark = match (m.passed, c.outcome.status) {
                (Some(true), _) => p.wrap("32", "ok  "),
                (_, Status::Warn) => p.wrap("33", "WARN"),
                _ => p.wrap("31;1", "FAIL"),
            };
            let _ = writeln!(out, "    {mark} {}", metric_line(m));
        }
        if let Some(e) = &c.outcome.error {
            let _ = writeln!(out, "    {} {e}", p.wrap("35;1", "error:"));
        }
    }
    let _ = writeln!(out, "\n{}", verdict_line(run, verdict, color));
    out
}

/// `--timings`: where the gate's time went, one line per phase and item, with the total.
pub fn timings(run: &GateRun, total: std::time::Duration) -> String {
    let rows: Vec<(String, f64)> = run
        .timings
        .iter()
        .map(|t| {
            (
                format!("{}{}", "  ".repeat(usize::from(t.depth) + 1), t.what),
                t.took.as_secs_f64(),
            )
        })
        .chain(std::iter::once((
            "  total (wall, with reports)".to_string(),
            total.as_secs_f64(),
        )))
        .collect();
    let width = rows
        .iter()
        .map(|(w, _)| w.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::from("timings:\n");
    for (what, secs) in rows {
        let pad = width - what.chars().count();
        out.push_str(&format!("{what}{}  {secs:>8.3} s\n", " ".repeat(pad)));
    }
    out
}
