//! The monitor's HTML page (`monitor --html`): the decision banner, the windows table, and a time
//! series per deciding metric — its value per window, its bounds, failing windows marked. Like
//! the gate's page it loads nothing and escapes every text from plugins and the policy.

use std::fmt::Write as _;

use super::svg::{n, Svg};
use super::{esc, fmt_short, status_badge, BOUND_COLOR, CSS, MODEL_COLORS};
use crate::decision::{Action, MetricKey, MonitorRun};
use crate::outcome::Metric;
use crate::report::monitor::text::{action_words, window_name};

/// The realized metric beside an estimate.
const REALIZED_COLOR: &str = "#e07b39";

/// Most time series drawn (those with a failing window first, then blocking checks').
const MAX_SERIES: usize = 40;

/// Renders the page.
pub fn render(run: &MonitorRun) -> String {
    let mut s = String::with_capacity(64 * 1024);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"modelgate {v}\">\n<title>modelgate monitor: {name} — {A}</title>\n\
         <style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        v = env!("CARGO_PKG_VERSION"),
        name = esc(&run.gate.name),
        A = run.action.as_str().to_uppercase()
    );
    let class = match run.action {
        Action::None => "promote",
        Action::Alert | Action::Retrain => "reject",
        Action::Error => "error",
    };
    let _ = write!(
        s,
        "<header class=\"banner {class}\" role=\"banner\">\n<div class=\"verdict\"><span class=\"label\">action</span> {A}</div>\n\
         <div class=\"meta\"><div class=\"gate\">{name}</div>\n<div>{words} — exit {code}</div>\n\
         <div>{windows} windows <span class=\"sep\">|</span> retrain after {after} failing in a row <span class=\"sep\">|</span> bounds from the {from}</div></div>\n</header>\n",
        A = run.action.as_str().to_uppercase(),
        name = esc(&run.gate.name),
        words = esc(&action_words(run)),
        code = run.exit_code(),
        windows = run.windows.len(),
        after = run.retrain_after,
        from = match run.thresholds {
            crate::policy::Thresholds::Policy => "policy",
            crate::policy::Thresholds::Reference => "reference (mean ± 3σ)",
        },
    );
    for n in run.notifications.iter().filter(|n| !n.delivered) {
        let _ = writeln!(
            s,
            "<p class=\"note\">The notification to <code>{}</code> was not delivered: {}</p>",
            esc(&n.url),
            esc(n.error.as_deref().unwrap_or(""))
        );
    }
    windows_table(&mut s, run);
    series(&mut s, run);
    let _ = write!(
        s,
        "<footer>Written by modelgate {}.</footer>\n</main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    s
}

fn windows_table(s: &mut String, run: &MonitorRun) {
    s.push_str(
        "<section aria-labelledby=\"windows-h\">\n<h2 id=\"windows-h\">Windows</h2>\n<table>\n\
         <thead><tr><th>window</th><th>rows</th><th>labelled</th><th>status</th><th>failing or errored blocking checks</th></tr></thead>\n<tbody>\n",
    );
    for (i, w) in run.windows.iter().enumerate() {
        let reasons: Vec<String> = run
            .reasons
            .iter()
            .filter(|r| r.window == i)
            .map(|r| format!("<b>{}</b> {}", esc(&r.check), esc(&r.summary)))
            .collect();
        let _ = writeln!(
            s,
            "<tr class=\"{st}\"><td class=\"when\">{name}</td><td class=\"num\">{rows}</td><td class=\"num\">{lab}</td><td>{badge}</td><td>{reasons}</td></tr>",
            st = w.status.as_str(),
            name = esc(&window_name(w, i)),
            rows = w.rows,
            lab = w.labelled_rows.map_or_else(|| "–".into(), |l| l.to_string()),
            badge = status_badge(w.status),
            reasons = reasons.join("<br>")
        );
    }
    s.push_str("</tbody>\n</table>\n</section>\n");
}

/// One series: a check's metric across the windows.
struct Series<'a> {
    check: &'a str,
    blocking: bool,
    key: MetricKey,
    points: Vec<Option<&'a Metric>>,
    /// For an estimate (`estimated_<m>`): the realized metric where labels were there.
    realized: Vec<Option<f64>>,
    /// For an estimate: its band (`estimated_<m>_ci_lower` … `_ci_upper`).
    band: Vec<Option<(f64, f64)>>,
}

impl Series<'_> {
    fn failing(&self) -> bool {
        self.points
            .iter()
            .flatten()
            .any(|m| m.passed == Some(false))
    }
    fn bounded(&self) -> bool {
        self.points.iter().flatten().any(|m| m.threshold.is_some())
    }
}

fn collect(run: &MonitorRun) -> Vec<Series<'_>> {
    let mut out: Vec<Series> = Vec::new();
    for (i, w) in run.windows.iter().enumerate() {
        for c in &w.checks {
            for m in &c.outcome.metrics {
                let key = MetricKey::of(m);
                let at = match out.iter().position(|s| s.check == c.id && s.key == key) {
                    Some(at) => at,
                    None => {
                        out.push(Series {
                            check: &c.id,
                            blocking: c.severity == crate::policy::Severity::Blocking,
                            key,
                            points: vec![None; run.windows.len()],
                            realized: Vec::new(),
                            band: Vec::new(),
                        });
                        out.len() - 1
                    }
                };
                out[at].points[i] = Some(m);
            }
        }
    }
    overlay_estimates(&mut out);
    if out.iter().any(Series::bounded) {
        out.retain(Series::bounded);
    }
    // Failing series first, then those of blocking checks; otherwise policy order.
    out.sort_by_key(|s| (!s.failing(), !s.blocking));
    out.truncate(MAX_SERIES);
    out
}

/// Puts each estimate's realized metric and ±3 SE band on the estimate's own series (CBPE:
/// estimated against realized performance, window by window).
fn overlay_estimates(all: &mut [Series]) {
    let values = |all: &[Series], of: &Series, name: &str| -> Option<Vec<Option<f64>>> {
        all.iter()
            .find(|s| {
                s.check == of.check
                    && s.key.name == name
                    && (&s.key.column, &s.key.model, &s.key.slice)
                        == (&of.key.column, &of.key.model, &of.key.slice)
            })
            .map(|s| s.points.iter().map(|p| p.map(|m| m.value)).collect())
    };
    for i in 0..all.len() {
        let name = all[i].key.name.clone();
        let Some(metric) = name.strip_prefix("estimated_") else {
            continue;
        };
        if metric.ends_with("_ci_lower") || metric.ends_with("_ci_upper") {
            continue;
        }
        let realized = values(all, &all[i], &format!("realized_{metric}"));
        let lower = values(all, &all[i], &format!("{name}_ci_lower"));
        let upper = values(all, &all[i], &format!("{name}_ci_upper"));
        all[i].realized = realized.unwrap_or_default();
        if let (Some(lo), Some(hi)) = (lower, upper) {
            all[i].band = lo.iter().zip(&hi).map(|(l, h)| l.zip(*h)).collect();
        }
    }
}

fn series(s: &mut String, run: &MonitorRun) {
    let all = collect(run);
    if all.is_empty() {
        return;
    }
    s.push_str(
        "<section aria-labelledby=\"series-h\">\n<h2 id=\"series-h\">Metrics over time</h2>\n",
    );
    for one in &all {
        let scope: Vec<String> = [
            ("column", &one.key.column),
            ("model", &one.key.model),
            ("slice", &one.key.slice),
        ]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
        .collect();
        let title = format!(
            "{} · {}{}",
            one.check,
            one.key.name,
            if scope.is_empty() {
                String::new()
            } else {
                format!(" [{}]", scope.join(", "))
            }
        );
        let _ = writeln!(
            s,
            "<figure class=\"series\"><figcaption>{}</figcaption>{}</figure>",
            esc(&title),
            plot(run, one, &title)
        );
    }
    s.push_str("</section>\n");
}

/// An absolute bound of a metric (`min` / `max`), if it has one.
fn bound(m: &Metric, kind: &str) -> Option<f64> {
    m.threshold.as_ref()?.get(kind)?.as_f64()
}

fn plot(run: &MonitorRun, one: &Series, title: &str) -> String {
    let (w, h, left, right, top, bottom) = (760.0, 190.0, 56.0, 12.0, 12.0, 34.0);
    let mut g = Svg::new(w, h, title);
    let count = one.points.len().max(1);
    let x = |i: usize| {
        if count == 1 {
            left + (w - left - right) / 2.0
        } else {
            left + (w - left - right) * i as f64 / (count - 1) as f64
        }
    };
    let mut values: Vec<f64> = one.points.iter().flatten().map(|m| m.value).collect();
    for m in one.points.iter().flatten() {
        values.extend(["min", "max"].iter().filter_map(|k| bound(m, k)));
    }
    values.extend(one.realized.iter().flatten());
    values.extend(one.band.iter().flatten().flat_map(|(l, h)| [*l, *h]));
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if (hi - lo).abs() < 1e-12 {
        (
            lo - 0.5_f64.max(lo.abs() * 0.1),
            hi + 0.5_f64.max(hi.abs() * 0.1),
        )
    } else {
        let pad = (hi - lo) * 0.08;
        (lo - pad, hi + pad)
    };
    let y = |v: f64| top + (h - top - bottom) * (1.0 - (v - lo) / (hi - lo));
    g.line((left, top), (left, h - bottom), "#d1d9e0", 1.0, false);
    g.line(
        (left, h - bottom),
        (w - right, h - bottom),
        "#d1d9e0",
        1.0,
        false,
    );
    for v in [lo, (lo + hi) / 2.0, hi] {
        g.text(left - 6.0, y(v) + 3.0, "end", "ax", &fmt_short(v));
    }
    if let (Some(first), Some(last)) = (run.windows.first(), run.windows.last()) {
        g.text(
            left,
            h - bottom + 16.0,
            "start",
            "ax",
            &window_name(first, 0),
        );
        if count > 1 {
            g.text(
                w - right,
                h - bottom + 16.0,
                "end",
                "ax",
                &window_name(last, count - 1),
            );
        }
    }
    // Bounds as steps: each window's bound across its slot.
    let half = if count == 1 {
        20.0
    } else {
        (x(1) - x(0)) / 2.0
    };
    for kind in ["min", "max"] {
        for (i, p) in one.points.iter().enumerate() {
            if let Some(b) = p.and_then(|m| bound(m, kind)) {
                g.line(
                    (x(i) - half, y(b)),
                    (x(i) + half, y(b)),
                    BOUND_COLOR,
                    1.2,
                    true,
                );
            }
        }
    }
    let color = MODEL_COLORS[0];
    // An estimate's ±3 SE band, one slot per window, under its line.
    for (i, b) in one.band.iter().enumerate() {
        if let Some((l, h)) = b {
            g.rect(
                x(i) - half * 0.6,
                y(*h),
                half * 1.2,
                y(*l) - y(*h),
                "#dbeafe",
                Some(&format!("±3 SE: {} – {}", fmt_short(*l), fmt_short(*h))),
            );
        }
    }
    // The realized metric, where labels were there.
    let mut realized = String::new();
    for (i, v) in one.realized.iter().enumerate() {
        if let Some(v) = v {
            let cmd = if i > 0 && one.realized[i - 1].is_some() {
                'L'
            } else {
                'M'
            };
            let _ = write!(realized, "{cmd}{} {} ", n(x(i)), n(y(*v)));
        }
    }
    if !realized.is_empty() {
        let _ = write!(
            g.body,
            "<path d=\"{}\" fill=\"none\" stroke=\"{REALIZED_COLOR}\" stroke-width=\"1.6\" stroke-dasharray=\"5 3\" class=\"realized\"/>",
            realized.trim_end()
        );
        g.text(
            w - right,
            top + 10.0,
            "end",
            "ax",
            "estimated (solid, ±3 SE band) · realized (dashed)",
        );
    }
    let mut path = String::new();
    for (i, p) in one.points.iter().enumerate() {
        if let Some(m) = p {
            let cmd = if i > 0 && one.points[i - 1].is_some() {
                'L'
            } else {
                'M'
            };
            let _ = write!(path, "{cmd}{} {} ", n(x(i)), n(y(m.value)));
        }
    }
    let _ = write!(
        g.body,
        "<path d=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.6\"/>",
        path.trim_end()
    );
    for (i, p) in one.points.iter().enumerate() {
        let Some(m) = p else { continue };
        let failing = m.passed == Some(false);
        let _ = write!(
            g.body,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\" class=\"{}\"><title>{}: {}{}</title></circle>",
            n(x(i)),
            n(y(m.value)),
            if failing { 4.5 } else { 2.8 },
            if failing { BOUND_COLOR } else { color },
            if failing { "point fail" } else { "point" },
            esc(&window_name(&run.windows[i], i)),
            esc(&fmt_short(m.value)),
            if failing { " (outside its bounds)" } else { "" }
        );
    }
    g.finish()
}
