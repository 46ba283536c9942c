//! HTML (`--html PATH`): one self-contained page for people — a verdict banner, the table of
//! checks, and a section per check with its thresholded metrics, errors, logs and plots.
//!
//! The page loads nothing: the CSS is inline, there is no script, and the plots are inline SVG
//! drawn here from the checks' metrics and details (drift histograms, A/B lift forest plots,
//! performance of the candidate against the baseline with its bounds, latency percentiles per
//! batch size).
//! Plugins are untrusted, so every piece of text from a plugin or the policy is escaped, in
//! the SVG too. The output depends only on the run: no clock, stable ordering.

mod forest;
mod plots;
use forest::ab_test_plots;
use plots::{drift_plots, latency_plot, performance_plots};
pub mod monitor;
mod svg;
#[cfg(test)]
mod tests;

use std::fmt::Write as _;

use serde_json::Value;

use crate::outcome::{Metric, Status};
use crate::policy::Severity;
use crate::record::{CheckReport, GateRun};
use crate::report::fmt_value;
use crate::verdict::Verdict;

/// Most drift columns plotted per check (drifted columns first).
const MAX_DRIFT_PLOTS: usize = 24;
/// Most bins or categories drawn in one histogram.
const MAX_BARS: usize = 60;
/// Most rows and columns of a confusion matrix drawn.
const MAX_MATRIX_LABELS: usize = 30;
/// Most thresholds that hold listed without folding.
const MAX_OPEN_HOLDING: usize = 12;
/// Most bytes of captured plugin output shown.
const MAX_OUTPUT: usize = 16 * 1024;

const REFERENCE_COLOR: &str = "#8c9bb0";
const CURRENT_COLOR: &str = "#e07b39";
const MODEL_COLORS: [&str; 6] = [
    "#2563eb", "#94a3b8", "#0d9488", "#d97706", "#7c3aed", "#db2777",
];
const PERCENTILE_COLORS: [&str; 3] = ["#93c5fd", "#3b82f6", "#1e3a8a"];
const BOUND_COLOR: &str = "#cf222e";

/// Renders the HTML report.
pub fn render(run: &GateRun, verdict: Verdict) -> String {
    let mut s = String::with_capacity(64 * 1024);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"modelgate {}\">\n<title>modelgate: {} — {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&run.name),
        verdict.as_str().to_uppercase()
    );
    banner(&mut s, run, verdict);
    checks_table(&mut s, run);
    for (i, c) in run.checks.iter().enumerate() {
        check_section(&mut s, i, c);
    }
    inputs(&mut s, run);
    let _ = write!(
        s,
        "<footer>Written by modelgate {}.</footer>\n</main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    s
}

// ---------------------------------------------------------------------------------------------
// Text

/// Escapes text for HTML (content, quoted attributes, SVG text).
fn esc(s: &str) -> String {
    crate::report::escape_markup(s)
}

/// At most `n` characters, with an ellipsis when cut.
fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A fragment id for check `i`: ASCII only, unique by index.
fn anchor(i: usize, id: &str) -> String {
    let slug: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(48)
        .collect();
    format!("check-{}-{slug}", i + 1)
}

/// A short number for plot labels: about three significant digits.
fn fmt_short(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let a = v.abs();
    if !(1e-3..1e7).contains(&a) {
        return format!("{v:.2e}");
    }
    let digits = (2 - a.log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A share as a percentage label.
fn fmt_pct(v: f64, top: f64) -> String {
    if top < 0.1 {
        format!("{:.1}%", v * 100.0)
    } else {
        format!("{:.0}%", v * 100.0)
    }
}

fn status_badge(st: Status) -> String {
    let (mark, word) = match st {
        Status::Pass => ("✓", "pass"),
        Status::Warn => ("!", "warn"),
        Status::Fail => ("✗", "fail"),
        Status::Error => ("⚠", "error"),
        Status::Skipped => ("–", "skipped"),
    };
    format!(
        "<span class=\"badge {word}\"><span aria-hidden=\"true\">{mark}</span> {}</span>",
        word.to_uppercase()
    )
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Blocking => "blocking",
        Severity::Advisory => "advisory",
    }
}

fn fmt_ms(ms: u128) -> String {
    if ms >= 10_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{ms} ms")
    }
}

// ---------------------------------------------------------------------------------------------
// Page parts

fn banner(s: &mut String, run: &GateRun, verdict: Verdict) {
    let parts = crate::report::status_counts(run);
    let counts = if parts.is_empty() {
        "no checks ran".to_string()
    } else {
        parts.join(" · ")
    };
    let blocking = run
        .checks
        .iter()
        .filter(|c| c.severity == Severity::Blocking)
        .count();
    let meaning = match verdict {
        Verdict::Promote => "the candidate may be promoted",
        Verdict::Reject => "a blocking check failed",
        Verdict::Error => "the gate could not decide (fail closed)",
    };
    let sha = &run.policy.sha256[..12.min(run.policy.sha256.len())];
    let _ = write!(
        s,
        "<header class=\"banner {v}\" role=\"banner\">\n<div class=\"verdict\"><span class=\"label\">verdict</span> {V}</div>\n\
         <div class=\"meta\"><div class=\"gate\">{name}</div>\n<div>{meaning} — exit {code}</div>\n\
         <div>{counts} <span class=\"sep\">|</span> {n} checks, {blocking} blocking, {advisory} advisory</div>\n\
         <div class=\"small\">policy <code>{path}</code> sha256 <code>{sha}</code></div></div>\n</header>\n",
        v = verdict.as_str(),
        V = verdict.as_str().to_uppercase(),
        name = esc(&run.name),
        code = verdict.exit_code(),
        n = run.checks.len(),
        advisory = run.checks.len() - blocking,
        path = esc(&run.policy.path),
        sha = esc(sha),
    );
    for line in crate::report::dropped_rows(run) {
        let _ = writeln!(s, "<p class=\"note\">{}</p>", esc(&line));
    }
}

fn checks_table(s: &mut String, run: &GateRun) {
    s.push_str("<section aria-labelledby=\"checks-h\">\n<h2 id=\"checks-h\">Checks</h2>\n");
    if run.checks.is_empty() {
        s.push_str("<p>No checks ran.</p>\n</section>\n");
        return;
    }
    s.push_str(
        "<table class=\"checks\">\n<thead><tr><th scope=\"col\">Check</th><th scope=\"col\">Plugin</th><th scope=\"col\">Severity</th>\
         <th scope=\"col\">Status</th><th scope=\"col\">Summary</th><th scope=\"col\" class=\"num\">Time</th></tr></thead>\n<tbody>\n",
    );
    for (i, c) in run.checks.iter().enumerate() {
        let _ = writeln!(
            s,
            "<tr class=\"{st}\"><td><a href=\"#{a}\"><code>{id}</code></a></td><td><code>{plugin}</code></td><td>{sev}</td><td>{badge}</td>\
             <td>{summary}</td><td class=\"num\">{time}</td></tr>",
            st = c.outcome.status.as_str(),
            a = anchor(i, &c.id),
            id = esc(&c.id),
            plugin = esc(&c.plugin),
            sev = severity_word(c.severity),
            badge = status_badge(c.outcome.status),
            summary = esc(&c.outcome.summary),
            time = fmt_ms(c.duration.as_millis()),
        );
    }
    s.push_str("</tbody>\n</table>\n</section>\n");
}

fn check_section(s: &mut String, i: usize, c: &CheckReport) {
    let o = &c.outcome;
    let a = anchor(i, &c.id);
    let _ = write!(
        s,
        "<section class=\"check {st}\" id=\"{a}\" aria-labelledby=\"{a}-h\">\n<h2 id=\"{a}-h\"><code>{id}</code> {badge}</h2>\n\
         <p class=\"sub\">plugin <code>{plugin}</code>{info} · {sev} · {time}</p>\n<p class=\"summary\">{summary}</p>\n",
        st = o.status.as_str(),
        id = esc(&c.id),
        badge = status_badge(o.status),
        plugin = esc(&c.plugin),
        info = o.info.as_ref().map_or_else(String::new, |i| format!(" ({} {})", esc(&i.name), esc(&i.version))),
        sev = severity_word(c.severity),
        time = fmt_ms(c.duration.as_millis()),
        summary = esc(&o.summary),
    );
    if let Some(e) = &o.error {
        let _ = writeln!(
            s,
            "<div class=\"error-box\" role=\"alert\"><strong>Error</strong><pre>{}</pre></div>",
            esc(e)
        );
    }
    findings(s, o.details.as_ref());
    metrics_tables(s, &a, c);
    let details = o.details.as_ref();
    if let Some(d) = details {
        drift_plots(s, d);
        ab_test_plots(s, d);
    }
    performance_plots(s, &o.metrics, details);
    latency_plot(s, &o.metrics);
    if !o.logs.is_empty() {
        let _ = write!(
            s,
            "<h3>Log ({} lines)</h3>\n<ul class=\"logs\">\n",
            o.logs.len()
        );
        for l in &o.logs {
            let _ = writeln!(
                s,
                "<li><span class=\"lvl {lvl}\">{lvl}</span> {}</li>",
                esc(&l.message),
                lvl = esc(l.level)
            );
        }
        s.push_str("</ul>\n");
    }
    if !o.output.is_empty() {
        let shown = if o.output.len() > MAX_OUTPUT {
            let mut end = MAX_OUTPUT;
            while !o.output.is_char_boundary(end) {
                end -= 1;
            }
            format!(
                "{}\n… ({} more bytes)",
                &o.output[..end],
                o.output.len() - end
            )
        } else {
            o.output.clone()
        };
        let open = if o.status == Status::Error {
            " open"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "<details{open}><summary>Captured output ({} bytes)</summary><pre>{}</pre></details>",
            o.output.len(),
            esc(&shown)
        );
    }
    s.push_str("<p class=\"top\"><a href=\"#checks-h\">back to the checks</a></p>\n</section>\n");
}

/// `details.findings`: `[{level, message}]` (the data-quality plugin's list).
fn findings(s: &mut String, details: Option<&Value>) {
    let Some(list) = details
        .and_then(|d| d.get("findings"))
        .and_then(Value::as_array)
    else {
        return;
    };
    let items: Vec<(&str, &str)> = list
        .iter()
        .filter_map(|f| {
            Some((
                f.get("level").and_then(Value::as_str).unwrap_or("info"),
                f.get("message")?.as_str()?,
            ))
        })
        .collect();
    if items.is_empty() {
        return;
    }
    let _ = write!(
        s,
        "<h3>Findings ({})</h3>\n<ul class=\"findings\">\n",
        items.len()
    );
    for (level, msg) in items.iter().take(200) {
        let _ = writeln!(
            s,
            "<li><span class=\"lvl {l}\">{l}</span> {}</li>",
            esc(msg),
            l = esc(level)
        );
    }
    if items.len() > 200 {
        let _ = writeln!(s, "<li>… and {} more</li>", items.len() - 200);
    }
    s.push_str("</ul>\n");
}

fn scope(m: &Metric) -> String {
    [
        ("model", &m.model),
        ("column", &m.column),
        ("slice", &m.slice),
    ]
    .iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} <code>{}</code>", esc(v))))
    .collect::<Vec<_>>()
    .join(", ")
}

fn bounds(m: &Metric) -> String {
    m.threshold.as_ref().map_or_else(String::new, |t| {
        t.iter()
            .map(|(k, v)| match v.as_f64() {
                Some(v) => esc(&crate::outcome::bound_words(&m.name, k, v, fmt_value)),
                None => format!("{} {}", esc(k), esc(&v.to_string())),
            })
            .collect::<Vec<_>>()
            .join(", ")
    })
}

fn mark(passed: Option<bool>, status: Status) -> &'static str {
    match (passed, status) {
        (Some(true), _) => "<span class=\"mark pass\">✓ pass</span>",
        (Some(false), Status::Warn) => "<span class=\"mark warn\">! warn</span>",
        (Some(false), _) => "<span class=\"mark fail\">✗ fail</span>",
        (None, _) => "<span class=\"mark none\">—</span>",
    }
}

fn metric_rows(s: &mut String, metrics: &[&Metric], status: Status) {
    s.push_str(
        "<table class=\"metrics\">\n<thead><tr><th scope=\"col\">Result</th><th scope=\"col\">Metric</th><th scope=\"col\">Scope</th>\
         <th scope=\"col\" class=\"num\">Value</th><th scope=\"col\">Bounds</th></tr></thead>\n<tbody>\n",
    );
    for m in metrics {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            mark(m.passed, status),
            esc(&m.name),
            scope(m),
            fmt_value(m.value),
            bounds(m)
        );
    }
    s.push_str("</tbody>\n</table>\n");
}

fn metrics_tables(s: &mut String, a: &str, c: &CheckReport) {
    let o = &c.outcome;
    // Failed bounds first, then those that hold, each in the plugin's order.
    let mut gated: Vec<&Metric> = o
        .metrics
        .iter()
        .filter(|m| m.passed == Some(false))
        .collect();
    gated.extend(o.metrics.iter().filter(|m| m.passed == Some(true)));
    if !gated.is_empty() {
        let failed = o.metrics.iter().filter(|m| m.passed == Some(false)).count();
        let _ = writeln!(
            s,
            "<h3 id=\"{a}-bounds\">Thresholds ({} checked, {failed} not holding)</h3>",
            gated.len()
        );
        // A long list of bounds that hold folds away; those that do not stay in view.
        if gated.len() - failed > MAX_OPEN_HOLDING {
            if failed > 0 {
                metric_rows(s, &gated[..failed], o.status);
            }
            let _ = writeln!(
                s,
                "<details><summary>{} thresholds that hold</summary>",
                gated.len() - failed
            );
            metric_rows(s, &gated[failed..], o.status);
            s.push_str("</details>\n");
        } else {
            metric_rows(s, &gated, o.status);
        }
    }
    let other: Vec<&Metric> = o.metrics.iter().filter(|m| m.passed.is_none()).collect();
    if !other.is_empty() {
        let what = if gated.is_empty() {
            "Metrics"
        } else {
            "Other metrics"
        };
        let _ = writeln!(
            s,
            "<details><summary>{what} ({}, without bounds)</summary>",
            other.len()
        );
        metric_rows(s, &other, o.status);
        s.push_str("</details>\n");
    }
}

fn inputs(s: &mut String, run: &GateRun) {
    s.push_str("<section class=\"inputs\" aria-labelledby=\"inputs-h\">\n<h2 id=\"inputs-h\">Inputs</h2>\n");
    s.push_str("<table>\n<thead><tr><th scope=\"col\">Kind</th><th scope=\"col\">Name</th><th scope=\"col\">Path</th><th scope=\"col\">Size</th><th scope=\"col\">sha256</th></tr></thead>\n<tbody>\n");
    let sha = |h: &str| {
        format!(
            "<code title=\"{}\">{}</code>",
            esc(h),
            esc(&h[..12.min(h.len())])
        )
    };
    let _ = writeln!(
        s,
        "<tr><td>policy</td><td>{}</td><td><code>{}</code></td><td></td><td>{}</td></tr>",
        esc(&run.name),
        esc(&run.policy.path),
        sha(&run.policy.sha256)
    );
    for (name, d) in &run.datasets {
        let _ = writeln!(
            s,
            "<tr><td>dataset</td><td><code>{}</code></td><td><code>{}</code></td><td>{} rows × {} columns</td><td>{}</td></tr>",
            esc(name),
            esc(&d.path),
            d.rows,
            d.columns,
            sha(&d.sha256)
        );
    }
    for (name, f) in &run.models {
        match f {
            Some(f) => {
                let _ = writeln!(s, "<tr><td>model</td><td><code>{}</code></td><td><code>{}</code></td><td>ONNX</td><td>{}</td></tr>", esc(name), esc(&f.path), sha(&f.sha256));
            }
            None => {
                let _ = writeln!(s, "<tr><td>model</td><td><code>{}</code></td><td>prediction columns</td><td></td><td></td></tr>", esc(name));
            }
        }
    }
    for (id, p) in &run.plugins {
        let what = if p.name.is_empty() {
            String::new()
        } else {
            format!("{} {}", esc(&p.name), esc(&p.version))
        };
        let _ = writeln!(s, "<tr><td>plugin</td><td><code>{}</code></td><td><code>{}</code></td><td>{what}</td><td>{}</td></tr>", esc(id), esc(&p.path), sha(&p.sha256));
    }
    s.push_str("</tbody>\n</table>\n</section>\n");
}

const CSS: &str = include_str!("style.css");
