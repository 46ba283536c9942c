//! Plots from check results: drift histograms (`details.columns`, `details.predictions`),
//! performance bars and confusion matrices (`details.models`), latency percentiles.

use std::fmt::Write as _;

use serde_json::Value;

use super::svg::*;
use super::*;

pub(super) fn f64s(v: Option<&Value>) -> Vec<f64> {
    v.and_then(Value::as_array).map_or_else(Vec::new, |a| {
        a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect()
    })
}

/// Counts as shares of their total (all zeros when the total is not positive).
pub(super) fn shares(counts: &[f64], total: f64) -> Vec<f64> {
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
pub(super) fn drift_figure(col: &Value) -> Option<String> {
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
pub(super) fn drift_plots(s: &mut String, d: &Value) {
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
pub(super) fn model_order(metrics: &[&Metric]) -> Vec<String> {
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
pub(super) fn performance_plots(s: &mut String, metrics: &[Metric], details: Option<&Value>) {
    let scoped: Vec<&Metric> = metrics
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

pub(super) fn confusion_table(model: &str, cm: &Value) -> Option<String> {
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
pub(super) fn slice_key(slice: &str) -> (u64, String) {
    let num = slice
        .rsplit('=')
        .next()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(u64::MAX);
    (num, slice.to_string())
}

/// Latency: p50 / p95 / p99 per model and slice (batch size) as grouped bars.
pub(super) fn latency_plot(s: &mut String, metrics: &[Metric]) {
    const NAMES: [(&str, &str); 3] = [
        ("latency_p50_ms", "p50"),
        ("latency_p95_ms", "p95"),
        ("latency_p99_ms", "p99"),
    ];
    let lat: Vec<&Metric> = metrics
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
