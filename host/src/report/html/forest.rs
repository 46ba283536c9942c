//! The A/B test plots (`details.lifts`, `details.arms`, written by the `ab-test` check): a
//! forest plot of each metric's relative lift with its interval against 0 and the bound that
//! decided it, and the units per arm against the planned split with the sample-ratio test.

use std::fmt::Write as _;

use serde_json::Value;

use super::svg::*;
use super::*;

/// A lift as a signed percentage: `+3.1%`.
fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{:+.1}%", 100.0 * v)
    } else {
        "n/a".into()
    }
}

/// One row of the forest plot, read from `details.lifts`.
struct Row {
    metric: String,
    role: String,
    lift: f64,
    lower: f64,
    upper: f64,
    bound_kind: String,
    bound: f64,
    passed: bool,
}

fn rows(d: &Value) -> Vec<Row> {
    let num = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    d.get("lifts")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .take(40)
                .map(|l| Row {
                    metric: text(l, "metric"),
                    role: text(l, "role"),
                    lift: num(l, "lift"),
                    lower: num(l, "lower"),
                    upper: num(l, "upper"),
                    bound_kind: text(l, "bound_kind"),
                    bound: num(l, "bound"),
                    passed: l.get("passed").and_then(Value::as_bool).unwrap_or(false),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The forest plot: one row per metric, lift as a dot, interval as a bar (green when it met its
/// bound, red when not), a solid line at 0 and a dashed red mark at each row's bound.
fn forest_svg(rows: &[Row]) -> Option<String> {
    let finite: Vec<f64> = rows
        .iter()
        .flat_map(|r| [r.lower, r.upper, r.bound, 0.0])
        .filter(|v| v.is_finite())
        .collect();
    if rows.is_empty() || finite.is_empty() {
        return None;
    }
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo) * 0.08).max(1e-4);
    let (lo, hi) = (lo - pad, hi + pad);
    let (ml, mr, mt, row_h) = (200.0, 30.0, 28.0, 34.0);
    let width = 720.0;
    let plot_w = width - ml - mr;
    let height = mt + row_h * rows.len() as f64 + 30.0;
    let x = |v: f64| ml + (v - lo) / (hi - lo) * plot_w;
    let mut svg = Svg::new(
        width,
        height,
        "Relative lift of the treatment over the control per metric, with its interval",
    );
    svg.text(
        4.0,
        14.0,
        "start",
        "ax",
        "relative lift (treatment vs control)",
    );
    let bottom = mt + row_h * rows.len() as f64;
    svg.line((x(0.0), mt - 6.0), (x(0.0), bottom), "#57606a", 1.0, false);
    for (v, anchor) in [(lo, "start"), (0.0, "middle"), (hi, "end")] {
        svg.text(x(v), bottom + 16.0, anchor, "ax", &pct(v));
    }
    for (i, r) in rows.iter().enumerate() {
        let y = mt + row_h * i as f64 + row_h / 2.0;
        svg.text(ml - 8.0, y - 2.0, "end", "ax", &r.metric);
        svg.text(ml - 8.0, y + 10.0, "end", "ax dim", &r.role);
        let color = if r.passed { "#1a7f37" } else { BOUND_COLOR };
        let tip = format!(
            "{}: lift {} [{}, {}], {} bound {} {}",
            r.metric,
            pct(r.lift),
            pct(r.lower),
            pct(r.upper),
            if r.passed { "meets its" } else { "misses its" },
            r.bound_kind,
            pct(r.bound)
        );
        if r.lower.is_finite() && r.upper.is_finite() {
            svg.rect(
                x(r.lower),
                y - 4.0,
                x(r.upper) - x(r.lower),
                8.0,
                color,
                Some(&tip),
            );
        }
        if r.lift.is_finite() {
            svg.rect(x(r.lift) - 3.0, y - 7.0, 6.0, 14.0, "#24292f", Some(&tip));
        }
        if r.bound.is_finite() {
            svg.line(
                (x(r.bound), y - 12.0),
                (x(r.bound), y + 12.0),
                BOUND_COLOR,
                2.0,
                true,
            );
        }
    }
    Some(svg.finish())
}

/// `details.arms`: observed against expected shares of units per arm.
fn arms_table(s: &mut String, arms: &Value) {
    let Some(list) = arms.get("arms").and_then(Value::as_array) else {
        return;
    };
    let total: f64 = list
        .iter()
        .filter_map(|a| a.get("units").and_then(Value::as_f64))
        .sum();
    s.push_str(
        "<table class=\"metrics\">\n<thead><tr><th scope=\"col\">Arm</th><th scope=\"col\">Role</th>\
         <th scope=\"col\" class=\"num\">Units</th><th scope=\"col\" class=\"num\">Share</th>\
         <th scope=\"col\" class=\"num\">Planned</th></tr></thead>\n<tbody>\n",
    );
    for a in list.iter().take(10) {
        let units = a.get("units").and_then(Value::as_f64).unwrap_or(f64::NAN);
        let planned = a
            .get("expected_share")
            .and_then(Value::as_f64)
            .unwrap_or(f64::NAN);
        let _ = writeln!(
            s,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{:.2}%</td><td class=\"num\">{:.2}%</td></tr>",
            esc(a.get("arm").and_then(Value::as_str).unwrap_or("?")),
            esc(a.get("role").and_then(Value::as_str).unwrap_or("")),
            units,
            100.0 * units / total,
            100.0 * planned
        );
    }
    s.push_str("</tbody>\n</table>\n");
    let p = arms.get("srm_p_value").and_then(Value::as_f64);
    let alpha = arms.get("srm_alpha").and_then(Value::as_f64);
    if let (Some(p), Some(alpha)) = (p, alpha) {
        let _ = writeln!(
            s,
            "<p class=\"note\">Sample-ratio test (chi-square of the units per arm against the planned split): p = {} {} srm_alpha {} — {}.</p>",
            fmt_short(p),
            if p < alpha { "<" } else { "≥" },
            fmt_short(alpha),
            if p < alpha {
                "sample ratio mismatch: the experiment's assignment or logging is broken"
            } else {
                "no sample ratio mismatch"
            }
        );
    }
}

/// The A/B plots of a check whose details have `lifts` (and `arms`).
pub(super) fn ab_test_plots(s: &mut String, d: &Value) {
    let rows = rows(d);
    if let Some(svg) = forest_svg(&rows) {
        let _ = write!(
            s,
            "<h3>A/B test: relative lift per metric</h3>\n<figure class=\"wide forest\">{svg}<figcaption>Each metric's relative lift \
             (dot) with its interval (bar: green when it meets its bound, red when not), against no change (solid line) \
             and the bound that decides (dashed): the minimum lift of a success metric, the margin of a guardrail.</figcaption></figure>\n"
        );
    }
    if let Some(arms) = d.get("arms") {
        s.push_str("<h3>A/B test: units per arm</h3>\n");
        arms_table(s, arms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forest_plot_draws_each_metric_with_its_interval_and_bound() {
        let d = serde_json::json!({
            "lifts": [
                {"metric": "conversion", "role": "success", "lift": 0.27, "lower": 0.12, "upper": 0.42,
                 "bound_kind": "above", "bound": 0.0, "passed": true},
                {"metric": "latency_ms", "role": "guardrail", "lift": 0.023, "lower": 0.019, "upper": 0.028,
                 "bound_kind": "max", "bound": 0.01, "passed": false},
            ],
            "arms": {"arms": [
                {"arm": "champion", "role": "control", "units": 3976, "expected_share": 0.5},
                {"arm": "candidate", "role": "treatment", "units": 4024, "expected_share": 0.5}],
                "srm_p_value": 0.59, "srm_alpha": 0.001},
        });
        let mut s = String::new();
        ab_test_plots(&mut s, &d);
        assert!(s.contains("<figure class=\"wide forest\"><svg"), "{s}");
        assert!(s.contains("conversion: lift +27.0% [+12.0%, +42.0%], meets its bound above +0.0%"));
        assert!(s.contains("latency_ms: lift +2.3% [+1.9%, +2.8%], misses its bound max +1.0%"));
        assert_eq!(
            s.matches("stroke-dasharray").count(),
            2,
            "one bound per metric"
        );
        assert!(s.contains("<td class=\"num\">3976</td><td class=\"num\">49.70%</td>"));
        assert!(s.contains("no sample ratio mismatch"));
        let mut none = String::new();
        ab_test_plots(&mut none, &serde_json::json!({"columns": []}));
        assert!(none.is_empty());
    }
}
