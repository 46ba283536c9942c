//! Unit tests of the HTML report: escaping, plots, and a whole page.

use std::time::Duration;

use super::plots::*;
use super::svg::*;
use super::*;
use crate::outcome::{LogLine, Outcome};
use crate::record::{DatasetInput, InputFile, PluginInput};

fn metric(
    name: &str,
    value: f64,
    model: Option<&str>,
    slice: Option<&str>,
    min: Option<f64>,
    passed: Option<bool>,
) -> Metric {
    Metric {
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
    metrics: Vec<Metric>,
    details: Option<Value>,
) -> CheckReport {
    CheckReport {
        id: id.into(),
        plugin: id.into(),
        severity: Severity::Blocking,
        outcome: Outcome {
            metrics,
            details,
            logs: vec![LogLine {
                level: "info",
                message: "hello <b>".into(),
            }],
            ..Outcome::with_status(status, summary)
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
                engine: None,
                dropped_rows: None,
                profile_of: None,
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
    assert!(lat.find(">batch_size=1</text>").unwrap() < lat.find(">batch_size=64</text>").unwrap());
    // A URL in a plugin's text is only text.
    let mut r2 = r.clone();
    r2.checks[0].outcome.summary = "see <a href=\"https://evil.example\">here</a>".into();
    let html = render(&r2, Verdict::Promote);
    assert!(!html.contains("<a href=\"https"));
    assert!(html.contains("&lt;a href=&quot;https://evil.example&quot;&gt;"));
    assert!(html.contains("banner promote"));
}
