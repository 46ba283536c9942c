//! HTML (`--html PATH`): one self-contained page for people — a verdict banner, the table of
//! checks, and a section per check with its thresholded metrics, errors, logs and plots.
//!
//! The page loads nothing: the CSS is inline, there is no script, and the plots are inline SVG
//! drawn here from the checks' metrics and details (drift histograms, performance of the
//! candidate against the baseline with its bounds, latency percentiles per batch size).
//! Plugins are untrusted, so every piece of text from a plugin or the policy is escaped, in
//! the SVG too. The output depends only on the run: no clock, stable ordering.

use std::fmt::Write as _;

use serde_json::Value;

use crate::gate::{CheckReport, GateRun};
use crate::policy::Severity;
use crate::report::fmt_value;
use crate::runtime::{MetricOut, Status};
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

fn scope(m: &MetricOut) -> String {
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

fn bounds(m: &MetricOut) -> String {
    m.threshold.as_ref().map_or_else(String::new, |t| {
        t.iter()
            .map(|(k, v)| {
                format!(
                    "{} {}",
                    esc(k),
                    v.as_f64().map_or_else(|| esc(&v.to_string()), fmt_value)
                )
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

fn metric_rows(s: &mut String, metrics: &[&MetricOut], status: Status) {
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
    let mut gated: Vec<&MetricOut> = o
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
    let other: Vec<&MetricOut> = o.metrics.iter().filter(|m| m.passed.is_none()).collect();
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

// ---------------------------------------------------------------------------------------------
// SVG

/// A number for an SVG coordinate (non-finite values become 0).
fn n(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    format!("{v:.2}")
}

/// A minimal SVG writer.
struct Svg {
    w: f64,
    h: f64,
    title: String,
    body: String,
}

impl Svg {
    fn new(w: f64, h: f64, title: &str) -> Svg {
        Svg {
            w,
            h,
            title: title.to_string(),
            body: String::new(),
        }
    }

    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, tip: Option<&str>) {
        let _ = write!(
            self.body,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"",
            n(x),
            n(y),
            n(w.max(0.0)),
            n(h.max(0.0))
        );
        match tip {
            Some(t) => {
                let _ = write!(self.body, "><title>{}</title></rect>", esc(t));
            }
            None => self.body.push_str("/>"),
        }
    }

    fn line(
        &mut self,
        (x1, y1): (f64, f64),
        (x2, y2): (f64, f64),
        stroke: &str,
        width: f64,
        dash: bool,
    ) {
        let _ = write!(
            self.body,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\" stroke-width=\"{}\"{}/>",
            n(x1),
            n(y1),
            n(x2),
            n(y2),
            n(width),
            if dash { " stroke-dasharray=\"4 3\"" } else { "" }
        );
    }

    /// Text; `anchor` is start / middle / end; `class` one of the page's SVG text classes.
    fn text(&mut self, x: f64, y: f64, anchor: &str, class: &str, t: &str) {
        let _ = write!(
            self.body,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" class=\"{class}\">{}</text>",
            n(x),
            n(y),
            esc(t)
        );
    }

    fn finish(self) -> String {
        format!(
            "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>{}</svg>",
            self.body,
            w = n(self.w),
            h = n(self.h),
            t = esc(&self.title)
        )
    }
}

/// A "nice" upper end of an axis covering `max` (1, 2 or 5 × a power of ten) and its tick step.
fn nice_axis(max: f64) -> (f64, f64) {
    if !max.is_finite() || max <= 0.0 {
        return (1.0, 0.5);
    }
    let raw = max / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    ((max / step - 1e-9).ceil().max(1.0) * step, step)
}

/// Bar heights for `values` on an axis from 0 to `top` drawn `plot_h` high: proportional to the
/// value; NaN, infinite and negative values get no bar (`None`).
fn bar_heights(values: &[f64], top: f64, plot_h: f64) -> Vec<Option<f64>> {
    values
        .iter()
        .map(|&v| (v.is_finite() && v >= 0.0 && top > 0.0).then(|| (v / top).min(1.0) * plot_h))
        .collect()
}

/// One series of a bar chart: its name, colour and one value per group.
struct Series {
    name: String,
    color: &'static str,
    values: Vec<f64>,
}

/// A vertical grouped bar chart.
struct BarChart {
    title: String,
    width: f64,
    height: f64,
    /// One label per group (`\n` separates lines); empty labels are not drawn.
    groups: Vec<String>,
    /// Group names for the bars' tooltips, when not the labels.
    tips: Option<Vec<String>>,
    series: Vec<Series>,
    /// Values are shares: ticks as percentages.
    percent: bool,
    /// Labels under the left edge, the middle and the right edge of the plot (numeric bins).
    x_edges: Option<[String; 3]>,
    /// Value labels above the bars.
    value_labels: bool,
    /// Axis unit, drawn above the axis.
    unit: String,
}

impl BarChart {
    /// The SVG, or None when there is no finite value to draw.
    fn render(&self) -> Option<String> {
        let ng = self.groups.len();
        let max = self
            .series
            .iter()
            .flat_map(|s| s.values.iter())
            .copied()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .fold(f64::NAN, f64::max);
        if ng == 0 || self.series.is_empty() || !max.is_finite() {
            return None;
        }
        let (top, step) = if self.percent && max > 0.5 {
            (1.0, 0.25)
        } else {
            nice_axis(max)
        };
        let lines = self
            .groups
            .iter()
            .map(|g| g.split('\n').count())
            .max()
            .unwrap_or(1);
        let has_labels = self.groups.iter().any(|g| !g.is_empty());
        let (ml, mr, mt) = (46.0, 10.0, 26.0);
        let mb = if has_labels {
            8.0 + 13.0 * lines as f64
        } else if self.x_edges.is_some() {
            20.0
        } else {
            8.0
        };
        let plot_w = self.width - ml - mr;
        let plot_h = self.height - mt - mb;
        let mut svg = Svg::new(self.width, self.height, &self.title);
        // Legend, top right.
        let mut x = self.width - mr;
        for sr in self.series.iter().rev() {
            let label = truncate(&sr.name, 24);
            let tw = 6.2 * label.chars().count() as f64;
            svg.text(x, 12.0, "end", "lg", &label);
            x -= tw + 4.0;
            svg.rect(x - 10.0, 3.0, 10.0, 10.0, sr.color, None);
            x -= 22.0;
        }
        if !self.unit.is_empty() {
            svg.text(4.0, 12.0, "start", "ax", &truncate(&self.unit, 40));
        }
        // Grid and ticks.
        let mut t = 0.0;
        while t <= top + step * 1e-6 {
            let y = mt + plot_h - t / top * plot_h;
            svg.line(
                (ml, y),
                (ml + plot_w, y),
                if t == 0.0 { "#8c959f" } else { "#e6e9ed" },
                1.0,
                false,
            );
            let label = if self.percent {
                fmt_pct(t, top)
            } else {
                fmt_short(t)
            };
            svg.text(ml - 4.0, y + 3.5, "end", "ax", &label);
            t += step;
        }
        // Bars.
        let gw = plot_w / ng as f64;
        let pad = if ng > 20 { gw * 0.06 } else { gw * 0.14 };
        let bw = (gw - 2.0 * pad) / self.series.len() as f64;
        for (si, sr) in self.series.iter().enumerate() {
            let hs = bar_heights(&sr.values, top, plot_h);
            for (gi, h) in hs.iter().enumerate().take(ng) {
                let x = ml + gi as f64 * gw + pad + si as f64 * bw;
                let v = sr.values[gi];
                let shown = if self.percent {
                    fmt_pct(v, top.min(0.09))
                } else {
                    fmt_short(v)
                };
                let group = self
                    .tips
                    .as_ref()
                    .unwrap_or(&self.groups)
                    .get(gi)
                    .map_or_else(String::new, |g| g.replace('\n', " "));
                let tip = if group.is_empty() {
                    format!("{}: {shown}", sr.name)
                } else {
                    format!("{group} — {}: {shown}", sr.name)
                };
                match h {
                    Some(h) => {
                        svg.rect(
                            x,
                            mt + plot_h - h,
                            (bw - 1.0).max(0.5),
                            *h,
                            sr.color,
                            Some(&tip),
                        );
                        if self.value_labels && bw >= 6.0 * shown.chars().count() as f64 + 2.0 {
                            svg.text(x + bw / 2.0, mt + plot_h - h - 3.0, "middle", "val", &shown);
                        }
                    }
                    None => svg.text(x + bw / 2.0, mt + plot_h - 3.0, "middle", "val", "n/a"),
                }
            }
        }
        // Group labels.
        if has_labels {
            let max_chars = ((gw - 2.0) / 6.0).floor() as usize;
            if max_chars >= 3 {
                for (gi, g) in self.groups.iter().enumerate() {
                    for (li, line) in g.split('\n').enumerate() {
                        let class = if li == 0 { "ax" } else { "ax dim" };
                        svg.text(
                            ml + (gi as f64 + 0.5) * gw,
                            mt + plot_h + 13.0 * (li + 1) as f64,
                            "middle",
                            class,
                            &truncate(line, max_chars),
                        );
                    }
                }
            }
        } else if let Some([a, m, b]) = &self.x_edges {
            let y = mt + plot_h + 14.0;
            svg.text(ml, y, "start", "ax", a);
            svg.text(ml + plot_w / 2.0, y, "middle", "ax", m);
            svg.text(ml + plot_w, y, "end", "ax", b);
        }
        Some(svg.finish())
    }
}

/// One metric's row of a horizontal bar chart: a value per model, and its `min`/`max` bounds.
struct MetricRow {
    name: String,
    values: Vec<(String, f64)>,
    bounds: Vec<(String, f64)>,
}

/// The end of a metric row's scale: 1 when every value and bound lies in [0, 1], else a nice
/// number above the largest.
fn row_top(r: &MetricRow) -> f64 {
    let finite = r
        .values
        .iter()
        .map(|v| v.1)
        .chain(r.bounds.iter().map(|b| b.1))
        .filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if lo >= 0.0 && hi <= 1.0 {
        1.0
    } else {
        nice_axis(hi * 1.05).0
    }
}

/// Horizontal bars, one group per metric, each metric on its own scale (0–1 when every value and
/// bound lies in [0, 1]), with the `min`/`max` bounds drawn as dashed lines.
fn metric_bars(
    title: &str,
    rows: &[MetricRow],
    colors: &[(String, &'static str)],
) -> Option<String> {
    if rows.is_empty() {
        return None;
    }
    let (w, label_w, right) = (1060.0, 230.0, 70.0);
    let bar_h = 13.0;
    let track_w = w - label_w - right;
    // Room for the bars, and for the name, bounds and scale lines on the left.
    let row_h = |r: &MetricRow| {
        let lines = 1 + usize::from(!r.bounds.is_empty()) + usize::from(row_top(r) != 1.0);
        (r.values.len() as f64 * (bar_h + 3.0) + 12.0).max(8.0 + 14.0 * lines as f64)
    };
    let legend_h = 22.0;
    let h = legend_h + rows.iter().map(row_h).sum::<f64>() + 4.0;
    let mut svg = Svg::new(w, h, title);
    let mut x = label_w;
    for (name, color) in colors {
        svg.rect(x, 5.0, 10.0, 10.0, color, None);
        let label = truncate(name, 24);
        svg.text(x + 14.0, 14.0, "start", "lg", &label);
        x += 14.0 + 6.2 * label.chars().count() as f64 + 16.0;
    }
    if rows.iter().any(|r| !r.bounds.is_empty()) {
        svg.line((x + 5.0, 3.0), (x + 5.0, 16.0), BOUND_COLOR, 1.5, true);
        svg.text(x + 14.0, 14.0, "start", "lg", "min / max bound");
    }
    let mut y = legend_h;
    for r in rows {
        let top = row_top(r);
        let rh = row_h(r);
        svg.line((0.0, y), (w, y), "#eef1f4", 1.0, false);
        svg.text(0.0, y + 15.0, "start", "name", &truncate(&r.name, 26));
        let b: Vec<String> = r
            .bounds
            .iter()
            .map(|(k, v)| format!("{k} {}", fmt_short(*v)))
            .collect();
        if !b.is_empty() {
            svg.text(
                0.0,
                y + 29.0,
                "start",
                "ax dim",
                &truncate(&b.join(", "), 30),
            );
        }
        if top != 1.0 {
            let line = if b.is_empty() { 29.0 } else { 42.0 };
            svg.text(
                0.0,
                y + line,
                "start",
                "ax dim",
                &format!("scale 0–{}", fmt_short(top)),
            );
        }
        for (mi, (model, v)) in r.values.iter().enumerate() {
            let by = y + 6.0 + mi as f64 * (bar_h + 3.0);
            let color = colors
                .iter()
                .find(|c| &c.0 == model)
                .map_or(MODEL_COLORS[0], |c| c.1);
            svg.text(
                label_w - 6.0,
                by + bar_h - 3.0,
                "end",
                "ax",
                &truncate(model, 16),
            );
            svg.rect(label_w, by, track_w, bar_h, "#f1f3f5", None);
            match bar_heights(&[*v], top, track_w)[0] {
                Some(len) => {
                    svg.rect(
                        label_w,
                        by,
                        len,
                        bar_h,
                        color,
                        Some(&format!("{} — {model}: {}", r.name, fmt_value(*v))),
                    );
                    svg.text(
                        label_w + len + 4.0,
                        by + bar_h - 3.0,
                        "start",
                        "val",
                        &fmt_short(*v),
                    );
                }
                None => svg.text(
                    label_w + 4.0,
                    by + bar_h - 3.0,
                    "start",
                    "val",
                    &format!("{} (not drawn)", fmt_short(*v)),
                ),
            }
        }
        for (k, v) in &r.bounds {
            if v.is_finite() && *v >= 0.0 && *v <= top {
                let bx = label_w + v / top * track_w;
                let y1 = y + 3.0;
                let y2 = y + 6.0 + r.values.len() as f64 * (bar_h + 3.0);
                svg.line((bx, y1), (bx, y2), BOUND_COLOR, 1.5, true);
                let _ = k;
            }
        }
        y += rh;
    }
    Some(svg.finish())
}

// ---------------------------------------------------------------------------------------------
// Plots from check results

fn f64s(v: Option<&Value>) -> Vec<f64> {
    v.and_then(Value::as_array).map_or_else(Vec::new, |a| {
        a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect()
    })
}

/// Counts as shares of their total (all zeros when the total is not positive).
fn shares(counts: &[f64], total: f64) -> Vec<f64> {
    counts
        .iter()
        .map(|c| {
            if total > 0.0 && c.is_finite() {
                c / total
            } else {
                0.0
            }
        })
        .collect()
}

/// One drift column's histogram as a chart and a caption.
fn drift_figure(col: &Value) -> Option<String> {
    let name = col.get("column").and_then(Value::as_str).unwrap_or("?");
    let model = col.get("model").and_then(Value::as_str);
    let label = match model {
        Some(m) => format!("{name} (model {m})"),
        None => name.to_string(),
    };
    let hist = col.get("histogram")?;
    let mut reference = f64s(hist.get("reference"));
    let mut current = f64s(hist.get("current"));
    let mut groups: Vec<String>;
    let mut x_edges = None;
    let categorical = hist.get("categories").is_some();
    if categorical {
        groups = hist
            .get("categories")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(o) = hist.get("other") {
            let k = o.get("categories").and_then(Value::as_u64).unwrap_or(0);
            groups.push(format!("{k} others"));
            reference.push(
                o.get("reference")
                    .and_then(Value::as_f64)
                    .unwrap_or(f64::NAN),
            );
            current.push(o.get("current").and_then(Value::as_f64).unwrap_or(f64::NAN));
        }
    } else {
        let edges = f64s(hist.get("edges"));
        let bins = reference.len();
        groups = vec![String::new(); bins];
        if edges.len() == bins + 1 && bins > 0 {
            let mid = if bins.is_multiple_of(2) {
                fmt_short(edges[bins / 2])
            } else {
                fmt_short((edges[bins / 2] + edges[bins / 2 + 1]) / 2.0)
            };
            x_edges = Some([fmt_short(edges[0]), mid, fmt_short(edges[bins])]);
            for (i, g) in groups.iter_mut().enumerate() {
                *g = format!("[{}, {})", fmt_short(edges[i]), fmt_short(edges[i + 1]));
            }
        }
    }
    let len = groups.len().min(reference.len()).min(current.len());
    if len == 0 {
        return None;
    }
    let cut = len.min(MAX_BARS);
    let sum = |v: &[f64]| v[..len].iter().filter(|x| x.is_finite()).sum::<f64>();
    let (rt, ct) = (sum(&reference), sum(&current));
    let (reference, current) = (shares(&reference[..cut], rt), shares(&current[..cut], ct));
    groups.truncate(cut);
    let drifted = col.get("drifted").and_then(Value::as_bool);
    // Numeric bins are named in the tooltips only; the axis shows the edges.
    let (axis_labels, tips) = if categorical {
        (groups, None)
    } else {
        (vec![String::new(); cut], Some(groups))
    };
    let chart = BarChart {
        title: format!(
            "{label}: share of rows per {} in reference and current data{}",
            if categorical { "category" } else { "bin" },
            match drifted {
                Some(true) => ", drift detected",
                Some(false) => ", no drift",
                None => "",
            }
        ),
        width: 520.0,
        height: 190.0,
        groups: axis_labels,
        tips,
        series: vec![
            Series {
                name: "reference".into(),
                color: REFERENCE_COLOR,
                values: reference,
            },
            Series {
                name: "current".into(),
                color: CURRENT_COLOR,
                values: current,
            },
        ],
        percent: true,
        x_edges,
        value_labels: false,
        unit: "share of rows".into(),
    };
    let svg = chart.render()?;
    let method = col.get("method").and_then(Value::as_str).unwrap_or("?");
    let threshold = col.get("threshold").and_then(Value::as_f64);
    let is_p = col.get("threshold_kind").and_then(Value::as_str) == Some("p_value");
    let stat = match (
        is_p,
        col.get("p_value").and_then(Value::as_f64),
        col.get("score").and_then(Value::as_f64),
    ) {
        (true, Some(p), _) | (true, None, Some(p)) => {
            let adj = col
                .get("p_value_adjusted")
                .and_then(Value::as_f64)
                .map_or_else(String::new, |a| format!(", adjusted {}", fmt_short(a)));
            format!("p-value {}{adj}", fmt_short(p))
        }
        (false, _, Some(v)) => format!("statistic {}", fmt_short(v)),
        _ => "statistic n/a".to_string(),
    };
    let thr = threshold.map_or_else(String::new, |t| format!(", threshold {}", fmt_short(t)));
    let rows = match (
        col.get("reference_rows").and_then(Value::as_u64),
        col.get("current_rows").and_then(Value::as_u64),
    ) {
        (Some(r), Some(c)) => format!("<br>reference {r} rows, current {c} rows"),
        _ => String::new(),
    };
    let more = if len > cut {
        format!(" (first {cut} of {len} bars)")
    } else {
        String::new()
    };
    let (cls, badge) = match drifted {
        Some(true) => (" drifted", "<span class=\"badge fail\">DRIFTED</span>"),
        Some(false) => ("", "<span class=\"badge pass\">no drift</span>"),
        None => ("", ""),
    };
    Some(format!(
        "<figure class=\"hist{cls}\">{svg}<figcaption><code>{}</code> {badge}<br>{} · {}{}{}{}</figcaption></figure>\n",
        esc(&label),
        esc(method),
        esc(&stat),
        esc(&thr),
        rows,
        esc(&more)
    ))
}

/// Drift: per column (drifted first), reference vs current distribution from `details.columns`
/// and `details.predictions`.
fn drift_plots(s: &mut String, d: &Value) {
    let cols: Vec<&Value> = ["columns", "predictions"]
        .iter()
        .filter_map(|k| d.get(*k).and_then(Value::as_array))
        .flatten()
        .filter(|c| c.get("histogram").is_some_and(Value::is_object))
        .collect();
    if cols.is_empty() {
        return;
    }
    let is_drifted = |c: &&Value| c.get("drifted").and_then(Value::as_bool) == Some(true);
    let mut order: Vec<&Value> = cols.iter().filter(|c| is_drifted(c)).copied().collect();
    let drifted = order.len();
    order.extend(cols.iter().filter(|c| !is_drifted(c)));
    let figures: Vec<String> = order
        .iter()
        .take(MAX_DRIFT_PLOTS)
        .filter_map(|c| drift_figure(c))
        .collect();
    let _ = write!(s, "<h3>Distributions: reference vs current</h3>\n<p class=\"note\">{drifted} of {} columns drifted", cols.len());
    if let Some(share) = d.get("drift_share").and_then(Value::as_f64) {
        let _ = write!(
            s,
            " (dataset drift when the drifted share ≥ {})",
            fmt_short(share)
        );
    }
    if let Some(dd) = d.get("dataset_drift").and_then(Value::as_bool) {
        let _ = write!(
            s,
            "; dataset drift: <strong>{}</strong>",
            if dd { "yes" } else { "no" }
        );
    }
    s.push_str(". Bars are the share of each sample's rows per bin or category, so samples of different sizes compare. ");
    let _ = write!(
        s,
        "Plotted: {} of {} columns, drifted first",
        figures.len(),
        cols.len()
    );
    if cols.len() > MAX_DRIFT_PLOTS {
        let _ = write!(
            s,
            "; {} not plotted (their statistics are in the metrics above)",
            cols.len() - MAX_DRIFT_PLOTS
        );
    }
    s.push_str(".</p>\n<div class=\"plots\">\n");
    for f in figures {
        s.push_str(&f);
    }
    s.push_str("</div>\n");
}

/// Models in the order they first appear in the metrics.
fn model_order(metrics: &[&MetricOut]) -> Vec<String> {
    let mut models: Vec<String> = Vec::new();
    for m in metrics {
        if let Some(model) = &m.model {
            if !models.contains(model) {
                models.push(model.clone());
            }
        }
    }
    models
}

/// Performance: per model, metrics without column or slice, as bars with their bounds; and the
/// confusion matrices of `details.models.*.confusion_matrix`.
fn performance_plots(s: &mut String, metrics: &[MetricOut], details: Option<&Value>) {
    let scoped: Vec<&MetricOut> = metrics
        .iter()
        .filter(|m| m.model.is_some() && m.column.is_none() && m.slice.is_none())
        .collect();
    let models = model_order(&scoped);
    let mut rows: Vec<MetricRow> = Vec::new();
    for m in &scoped {
        let model = m.model.clone().unwrap_or_default();
        let row = match rows.iter_mut().position(|r| r.name == m.name) {
            Some(i) => &mut rows[i],
            None => {
                rows.push(MetricRow {
                    name: m.name.clone(),
                    values: Vec::new(),
                    bounds: Vec::new(),
                });
                rows.last_mut().expect("just pushed")
            }
        };
        if !row.values.iter().any(|v| v.0 == model) {
            row.values.push((model, m.value));
        }
        for (k, v) in m.threshold.iter().flatten() {
            if let (true, Some(v)) = (k == "min" || k == "max", v.as_f64()) {
                if !row.bounds.iter().any(|b| b.0 == *k) {
                    row.bounds.push((k.clone(), v));
                }
            }
        }
    }
    for r in &mut rows {
        r.values
            .sort_by_key(|(m, _)| models.iter().position(|x| x == m));
    }
    let colors: Vec<(String, &'static str)> = models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.clone(), MODEL_COLORS[i % MODEL_COLORS.len()]))
        .collect();
    let title = format!("Metrics by model: {}", models.join(" vs "));
    if let Some(svg) = metric_bars(&title, &rows, &colors) {
        let _ = write!(
            s,
            "<h3>Metrics by model</h3>\n<figure class=\"wide\">{svg}<figcaption>Each metric on its own scale (0–1 for metrics within it); \
             dashed red lines are the <code>min</code>/<code>max</code> bounds of the policy. Bounds relative to the baseline \
             (<code>max_drop</code>, …) are in the table above.</figcaption></figure>\n"
        );
    }
    if let Some(ms) = details
        .and_then(|d| d.get("models"))
        .and_then(Value::as_object)
    {
        let mut names: Vec<&String> = ms.keys().collect();
        names.sort_by_key(|k| {
            (
                models.iter().position(|m| m == *k).unwrap_or(usize::MAX),
                (*k).clone(),
            )
        });
        let tables: Vec<String> = names
            .iter()
            .filter_map(|k| confusion_table(k, ms[*k].get("confusion_matrix")?))
            .collect();
        if !tables.is_empty() {
            s.push_str("<h3>Confusion matrices</h3>\n<div class=\"matrices\">\n");
            for t in tables {
                s.push_str(&t);
            }
            s.push_str("</div>\n");
        }
    }
}

fn confusion_table(model: &str, cm: &Value) -> Option<String> {
    let labels: Vec<String> = cm
        .get("labels")?
        .as_array()?
        .iter()
        .map(|l| l.as_str().map_or_else(|| l.to_string(), str::to_string))
        .collect();
    let matrix: Vec<Vec<f64>> = cm
        .get("matrix")?
        .as_array()?
        .iter()
        .map(|r| f64s(Some(r)))
        .collect();
    let k = labels.len();
    if k == 0 || k > MAX_MATRIX_LABELS || matrix.len() != k || matrix.iter().any(|r| r.len() != k) {
        return None;
    }
    let total: f64 = matrix.iter().flatten().filter(|v| v.is_finite()).sum();
    let correct: f64 = (0..k).map(|i| matrix[i][i]).filter(|v| v.is_finite()).sum();
    let mut t = format!(
        "<figure class=\"matrix\"><table aria-label=\"confusion matrix of model {m}\"><caption>model <code>{m}</code>: {c} of {tot} correct</caption>\n\
         <thead><tr><th scope=\"col\">actual ↓ predicted →</th>",
        m = esc(model),
        c = fmt_short(correct),
        tot = fmt_short(total)
    );
    for l in &labels {
        let _ = write!(t, "<th scope=\"col\">{}</th>", esc(&truncate(l, 16)));
    }
    t.push_str("</tr></thead>\n<tbody>\n");
    for (i, row) in matrix.iter().enumerate() {
        let row_total: f64 = row.iter().filter(|v| v.is_finite()).sum();
        let _ = write!(
            t,
            "<tr><th scope=\"row\">{}</th>",
            esc(&truncate(&labels[i], 16))
        );
        for (j, v) in row.iter().enumerate() {
            let frac = if row_total > 0.0 && v.is_finite() {
                v / row_total
            } else {
                0.0
            };
            let (rgb, cls) = if i == j {
                ("26,127,55", "hit")
            } else {
                ("207,34,46", "miss")
            };
            let alpha = if *v > 0.0 { 0.08 + 0.5 * frac } else { 0.0 };
            let _ = write!(
                t,
                "<td class=\"num {cls}\" style=\"background:rgba({rgb},{alpha:.3})\">{}</td>",
                fmt_short(*v)
            );
        }
        t.push_str("</tr>\n");
    }
    t.push_str("</tbody></table></figure>\n");
    Some(t)
}

/// The number in a slice like `batch_size=64`, for ordering.
fn slice_key(slice: &str) -> (u64, String) {
    let num = slice
        .rsplit('=')
        .next()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(u64::MAX);
    (num, slice.to_string())
}

/// Latency: p50 / p95 / p99 per model and slice (batch size) as grouped bars.
fn latency_plot(s: &mut String, metrics: &[MetricOut]) {
    const NAMES: [(&str, &str); 3] = [
        ("latency_p50_ms", "p50"),
        ("latency_p95_ms", "p95"),
        ("latency_p99_ms", "p99"),
    ];
    let lat: Vec<&MetricOut> = metrics
        .iter()
        .filter(|m| NAMES.iter().any(|n| n.0 == m.name))
        .collect();
    if lat.is_empty() {
        return;
    }
    let models = model_order(&lat);
    let mut slices: Vec<String> = Vec::new();
    for m in &lat {
        let sl = m.slice.clone().unwrap_or_default();
        if !slices.contains(&sl) {
            slices.push(sl);
        }
    }
    slices.sort_by_key(|a| slice_key(a));
    let models: Vec<Option<String>> = if models.is_empty() {
        vec![None]
    } else {
        models.into_iter().map(Some).collect()
    };
    let mut groups = Vec::new();
    let mut keys = Vec::new();
    for sl in &slices {
        for m in &models {
            let label = match (m, sl.is_empty()) {
                (Some(m), false) => format!("{m}\n{sl}"),
                (Some(m), true) => m.clone(),
                (None, _) => sl.clone(),
            };
            groups.push(label);
            keys.push((sl.clone(), m.clone()));
        }
    }
    let series: Vec<Series> = NAMES
        .iter()
        .enumerate()
        .filter(|(_, (name, _))| lat.iter().any(|m| m.name == *name))
        .map(|(i, (name, short))| Series {
            name: (*short).to_string(),
            color: PERCENTILE_COLORS[i],
            values: keys
                .iter()
                .map(|(sl, model)| {
                    lat.iter()
                        .find(|m| {
                            m.name == *name
                                && m.slice.clone().unwrap_or_default() == *sl
                                && m.model == *model
                        })
                        .map_or(f64::NAN, |m| m.value)
                })
                .collect(),
        })
        .collect();
    let width = (80.0 + groups.len() as f64 * 200.0).clamp(480.0, 1060.0);
    let chart = BarChart {
        title: "Latency percentiles (ms) per model and batch size".into(),
        width,
        height: 260.0,
        groups,
        tips: None,
        series,
        percent: false,
        x_edges: None,
        value_labels: true,
        unit: "milliseconds per call".into(),
    };
    if let Some(svg) = chart.render() {
        let _ = write!(
            s,
            "<h3>Latency</h3>\n<figure class=\"wide\">{svg}<figcaption>Latency percentiles in milliseconds per call, by model and \
             batch size, as measured natively by the host.</figcaption></figure>\n"
        );
    }
}

const CSS: &str = r#"
:root{--pass:#1a7f37;--warn:#9a6700;--fail:#cf222e;--error:#8250df;--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:1200px;margin:0 auto;padding:24px}
h2{font-size:20px;margin:28px 0 10px}
h3{font-size:15px;margin:20px 0 8px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
a{color:#0969da}
.banner{display:flex;gap:28px;align-items:center;border-radius:10px;padding:20px 26px;color:#fff}
.banner.promote{background:#1a7f37}.banner.reject{background:#cf222e}.banner.error{background:#8250df}
.banner .verdict{font-size:34px;font-weight:800;letter-spacing:.05em;line-height:1.1}
.banner .verdict .label{display:block;font-size:12px;font-weight:600;letter-spacing:.1em;text-transform:uppercase;opacity:.85}
.banner .gate{font-size:18px;font-weight:700}
.banner .small{font-size:12.5px;opacity:.9}
.banner code{color:#fff;background:rgba(255,255,255,.16);padding:0 4px;border-radius:3px}
.banner .sep{opacity:.6}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);border-radius:6px}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{background:#f0f3f6;font-weight:600;font-size:11.5px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.checks td:nth-child(5){max-width:560px}
tr.fail td:first-child{box-shadow:inset 3px 0 var(--fail)}tr.error td:first-child{box-shadow:inset 3px 0 var(--error)}
tr.warn td:first-child{box-shadow:inset 3px 0 var(--warn)}tr.pass td:first-child{box-shadow:inset 3px 0 var(--pass)}
.badge{display:inline-block;padding:0 8px;border-radius:999px;font-size:11.5px;font-weight:700;border:1px solid;white-space:nowrap;vertical-align:middle;letter-spacing:.03em}
.badge.pass{color:var(--pass);background:#dafbe1;border-color:#aceebb}
.badge.warn{color:var(--warn);background:#fff8c5;border-color:#f0d96b}
.badge.fail{color:var(--fail);background:#ffebe9;border-color:#ffcecb}
.badge.error{color:var(--error);background:#fbefff;border-color:#e6ccfd}
section.check{background:#fff;border:1px solid var(--line);border-left:5px solid var(--line);border-radius:8px;margin:22px 0;padding:4px 22px 10px}
section.check.pass{border-left-color:var(--pass)}section.check.warn{border-left-color:var(--warn)}
section.check.fail{border-left-color:var(--fail)}section.check.error{border-left-color:var(--error)}
section.check h2{margin-top:16px}section.check h2 code{font-size:19px}
.sub{color:var(--muted);margin:0;font-size:12.5px}
.summary{font-size:15px;margin:8px 0 4px}
.note{color:var(--muted);font-size:13px}
.mark{font-weight:700;white-space:nowrap}.mark.pass{color:var(--pass)}.mark.fail{color:var(--fail)}.mark.warn{color:var(--warn)}.mark.none{color:var(--muted)}
table.metrics{font-size:13px}table.metrics td,table.metrics th{padding:4px 10px}
details{margin:10px 0}details summary{cursor:pointer;color:#0969da}
.error-box{border:1px solid #e6ccfd;background:#fbefff;border-radius:6px;padding:8px 12px;margin:10px 0}
.error-box pre{margin:4px 0 0;white-space:pre-wrap;word-break:break-word}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:8px;white-space:pre-wrap;word-break:break-word;font-size:12px}
ul.logs,ul.findings{list-style:none;padding:0;margin:0;font-size:13px}
ul.logs li,ul.findings li{padding:3px 0;border-bottom:1px dashed #eef1f4}
.lvl{display:inline-block;min-width:46px;font-size:11px;font-weight:700;text-transform:uppercase;color:var(--muted)}
.lvl.warn{color:var(--warn)}.lvl.error,.lvl.fail{color:var(--fail)}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:12px}
figure.hist svg{width:100%}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:8px 8px 6px;background:#fff}
figure.hist.drifted{border-color:#ffcecb;box-shadow:inset 0 3px #cf222e}
figure.wide{overflow-x:auto}
figcaption{font-size:12px;color:var(--muted);margin-top:2px}
figcaption code{color:var(--ink);font-weight:600}
svg{max-width:100%;height:auto;display:block}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#1f2328}
svg text.ax{font-size:10px;fill:#59636e}svg text.dim{fill:#8c959f}svg text.lg{font-size:11px}
svg text.val{font-size:9.5px;fill:#1f2328;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}svg text.name{font-size:12px;font-weight:600}
.matrices{display:flex;flex-wrap:wrap;gap:12px}
figure.matrix{padding:0;border:0}
figure.matrix table{width:auto}figure.matrix caption{text-align:left;font-size:12.5px;color:var(--muted);padding:2px 0 4px}
figure.matrix td{min-width:52px}figure.matrix th{font-size:11.5px}
figure.matrix thead th{text-transform:none;letter-spacing:0}figure.matrix thead th+th{text-align:right}
p.top{text-align:right;font-size:12px;margin:8px 0 0}
section.inputs table{font-size:13px}
footer{color:var(--muted);font-size:12px;margin:24px 0 8px;text-align:center}
@media print{body{background:#fff}main{padding:0}section.check{break-inside:avoid-page}details{display:block}}
"#;

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::gate::{DatasetInput, InputFile, PluginInput};
    use crate::runtime::{LogLine, Outcome};

    fn metric(
        name: &str,
        value: f64,
        model: Option<&str>,
        slice: Option<&str>,
        min: Option<f64>,
        passed: Option<bool>,
    ) -> MetricOut {
        MetricOut {
            name: name.into(),
            value,
            column: None,
            model: model.map(str::to_string),
            slice: slice.map(str::to_string),
            threshold: min.map(|m| {
                let mut t = serde_json::Map::new();
                t.insert("min".into(), m.into());
                t
            }),
            passed,
        }
    }

    fn check(
        id: &str,
        status: Status,
        summary: &str,
        metrics: Vec<MetricOut>,
        details: Option<Value>,
    ) -> CheckReport {
        CheckReport {
            id: id.into(),
            plugin: id.into(),
            severity: Severity::Blocking,
            outcome: Outcome {
                status,
                summary: summary.into(),
                metrics,
                details,
                error: None,
                logs: vec![LogLine {
                    level: "info",
                    message: "hello <b>".into(),
                }],
                output: String::new(),
                info: None,
            },
            duration: Duration::from_millis(7),
        }
    }

    fn run() -> GateRun {
        let drift = serde_json::json!({
            "drift_share": 0.5, "dataset_drift": false,
            "columns": [
                {"column": "age", "drifted": false, "method": "ks", "threshold": 0.05, "threshold_kind": "p_value",
                 "p_value": 0.8, "score": 0.8, "reference_rows": 10, "current_rows": 8,
                 "histogram": {"type": "numeric", "edges": [0.0, 1.0, 2.0], "reference": [4, 6], "current": [5, 3]}},
                {"column": "city<script>", "drifted": true, "method": "jensen_shannon", "threshold": 0.1, "threshold_kind": "threshold",
                 "score": 0.3, "histogram": {"type": "categorical", "categories": ["a", "<b>"], "reference": [1, 2], "current": [2, 1]}}
            ]
        });
        let perf = serde_json::json!({"models": {"candidate": {"confusion_matrix": {"labels": ["0", "1"], "matrix": [[5, 1], [0, 4]]}}}});
        GateRun {
            name: "demo & co".into(),
            policy: InputFile {
                path: "gate.toml".into(),
                sha256: "ab".repeat(32),
                registry: None,
            },
            datasets: vec![(
                "current".into(),
                DatasetInput {
                    path: "cur.csv".into(),
                    sha256: "cd".repeat(32),
                    rows: 8,
                    columns: 2,
                    dvc: None,
                },
            )],
            models: vec![("candidate".into(), None)],
            plugins: vec![(
                "perf".into(),
                PluginInput {
                    path: "builtin:performance".into(),
                    sha256: "ef".repeat(32),
                    name: "performance".into(),
                    version: "0.1.0".into(),
                    wit_version: "0.1.0".into(),
                },
            )],
            checks: vec![
                check(
                    "perf",
                    Status::Pass,
                    "all good",
                    vec![
                        metric(
                            "accuracy",
                            0.9,
                            Some("candidate"),
                            None,
                            Some(0.8),
                            Some(true),
                        ),
                        metric("accuracy", 0.85, Some("baseline"), None, None, None),
                    ],
                    Some(perf),
                ),
                check("drift", Status::Pass, "no drift", vec![], Some(drift)),
                check(
                    "latency",
                    Status::Pass,
                    "fast",
                    vec![
                        metric(
                            "latency_p50_ms",
                            1.0,
                            Some("candidate"),
                            Some("batch_size=64"),
                            None,
                            None,
                        ),
                        metric(
                            "latency_p95_ms",
                            2.0,
                            Some("candidate"),
                            Some("batch_size=1"),
                            None,
                            None,
                        ),
                    ],
                    None,
                ),
                check(
                    "evil",
                    Status::Fail,
                    "<script>alert(1)</script><img src=\"x\" onerror='y'>",
                    vec![],
                    None,
                ),
            ],
            timings: Vec::new(),
        }
    }

    #[test]
    fn escaping_neutralises_markup() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(esc("a\u{0}b"), "a\u{FFFD}b");
        let html = render(&run(), Verdict::Reject);
        assert!(
            !html.contains("<script"),
            "a plugin's summary must not become a script element"
        );
        assert!(!html.contains("<img"));
        assert!(!html.contains("<b>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("city&lt;script&gt;"));
        assert!(html.contains("demo &amp; co"));
        let a = anchor(0, "x\"><script>");
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{a}"
        );
    }

    #[test]
    fn bar_heights_are_proportional_and_skip_bad_values() {
        let h = bar_heights(&[1.0, 2.0, 4.0], 4.0, 100.0);
        assert_eq!(h, vec![Some(25.0), Some(50.0), Some(100.0)]);
        let h = bar_heights(&[f64::NAN, f64::INFINITY, -1.0, 0.0], 4.0, 100.0);
        assert_eq!(h, vec![None, None, None, Some(0.0)]);
        assert!(bar_heights(&[], 1.0, 100.0).is_empty());
        assert_eq!(nice_axis(4.0), (4.0, 1.0));
        assert_eq!(nice_axis(0.83).0, 1.0);
        assert_eq!(nice_axis(f64::NAN), (1.0, 0.5));
    }

    #[test]
    fn bar_chart_draws_proportional_bars_and_handles_empty_and_nan() {
        let chart = |values: Vec<f64>| BarChart {
            title: "t".into(),
            width: 300.0,
            height: 134.0,
            groups: (0..values.len()).map(|i| format!("g{i}")).collect(),
            tips: None,
            series: vec![Series {
                name: "s".into(),
                color: "#000",
                values,
            }],
            percent: false,
            x_edges: None,
            value_labels: false,
            unit: String::new(),
        };
        // Plot height: 134 - 26 (top) - 21 (one label line) = 87; axis top is 4.
        let svg = chart(vec![1.0, 2.0, 4.0]).render().unwrap();
        // Bars are the rects with a tooltip (the legend swatch has none).
        let heights: Vec<f64> = svg
            .split("<rect ")
            .skip(1)
            .filter(|r| r.split('>').next().is_some_and(|tag| !tag.ends_with('/')))
            .map(|r| {
                r.split("height=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert_eq!(heights.len(), 3, "{svg}");
        assert!(
            (heights[1] / heights[0] - 2.0).abs() < 0.01
                && (heights[2] / heights[0] - 4.0).abs() < 0.01,
            "{heights:?}"
        );
        assert!(svg.contains("role=\"img\"") && svg.contains("<title>t</title>"));
        let svg = chart(vec![f64::NAN, 1.0]).render().unwrap();
        assert!(svg.contains("n/a") && !svg.contains("NaN"));
        assert!(chart(vec![]).render().is_none());
        assert!(chart(vec![f64::NAN]).render().is_none());
    }

    #[test]
    fn drift_plots_are_capped_drifted_first() {
        let col = |i: usize, drifted: bool| {
            serde_json::json!({"column": format!("c{i:02}"), "drifted": drifted, "method": "psi", "score": 0.1, "threshold": 0.2,
                "histogram": {"type": "numeric", "edges": [0.0, 1.0, 2.0], "reference": [1, 2], "current": [2, 1]}})
        };
        let cols: Vec<Value> = (0..30).map(|i| col(i, i == 29)).collect();
        let mut s = String::new();
        drift_plots(&mut s, &serde_json::json!({ "columns": cols }));
        assert_eq!(s.matches("<figure").count(), MAX_DRIFT_PLOTS);
        assert!(s.contains("6 not plotted"), "{s}");
        assert!(
            s.find("<code>c29</code>").unwrap() < s.find("<code>c00</code>").unwrap(),
            "drifted first"
        );
        let mut s = String::new();
        drift_plots(
            &mut s,
            &serde_json::json!({ "columns": [{"column": "x", "histogram": {"reference": [], "current": []}}] }),
        );
        assert!(!s.contains("<svg"), "an empty histogram draws nothing");
    }

    #[test]
    fn render_is_complete_self_contained_and_deterministic() {
        let r = run();
        let html = render(&r, Verdict::Reject);
        assert!(
            html.starts_with("<!DOCTYPE html>")
                && html.contains("<html lang=\"en\">")
                && html.contains("<title>")
        );
        assert!(html.contains("REJECT"));
        for c in &r.checks {
            assert!(
                html.contains(&format!("<code>{}</code>", esc(&c.id))),
                "{}",
                c.id
            );
        }
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "the page must not load anything"
        );
        assert!(!html.contains("src=\"") && !html.contains("<link") && !html.contains("url("));
        assert_eq!(
            html.matches("<svg").count(),
            4,
            "two drift histograms, metric bars, latency"
        );
        assert!(html.contains("confusion matrix of model candidate"));
        assert_eq!(html, render(&r, Verdict::Reject));
        // Batch sizes sort numerically: batch_size=1 before batch_size=64.
        let lat = &html[html.find("Latency percentiles").unwrap()..];
        assert!(
            lat.find(">batch_size=1</text>").unwrap() < lat.find(">batch_size=64</text>").unwrap()
        );
        // A URL in a plugin's text is only text.
        let mut r2 = r.clone();
        r2.checks[0].outcome.summary = "see <a href=\"https://evil.example\">here</a>".into();
        let html = render(&r2, Verdict::Promote);
        assert!(!html.contains("<a href=\"https"));
        assert!(html.contains("&lt;a href=&quot;https://evil.example&quot;&gt;"));
        assert!(html.contains("banner promote"));
    }
}
