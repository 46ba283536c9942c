//! SVG primitives for the report's plots: a minimal writer, nice axes, grouped vertical bar
//! charts and horizontal metric bars with bounds.

use std::fmt::Write as _;

use super::*;

/// A number for an SVG coordinate (non-finite values become 0).
pub(super) fn n(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    format!("{v:.2}")
}

/// A minimal SVG writer.
pub(super) struct Svg {
    pub(super) w: f64,
    pub(super) h: f64,
    pub(super) title: String,
    pub(super) body: String,
}

impl Svg {
    pub(super) fn new(w: f64, h: f64, title: &str) -> Svg {
        Svg {
            w,
            h,
            title: title.to_string(),
            body: String::new(),
        }
    }

    pub(super) fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, tip: Option<&str>) {
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

    pub(super) fn line(
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
    pub(super) fn text(&mut self, x: f64, y: f64, anchor: &str, class: &str, t: &str) {
        let _ = write!(
            self.body,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" class=\"{class}\">{}</text>",
            n(x),
            n(y),
            esc(t)
        );
    }

    pub(super) fn finish(self) -> String {
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
pub(super) fn nice_axis(max: f64) -> (f64, f64) {
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
pub(super) fn bar_heights(values: &[f64], top: f64, plot_h: f64) -> Vec<Option<f64>> {
    values
        .iter()
        .map(|&v| (v.is_finite() && v >= 0.0 && top > 0.0).then(|| (v / top).min(1.0) * plot_h))
        .collect()
}

/// One series of a bar chart: its name, colour and one value per group.
pub(super) struct Series {
    pub(super) name: String,
    pub(super) color: &'static str,
    pub(super) values: Vec<f64>,
}

/// A vertical grouped bar chart.
pub(super) struct BarChart {
    pub(super) title: String,
    pub(super) width: f64,
    pub(super) height: f64,
    /// One label per group (`\n` separates lines); empty labels are not drawn.
    pub(super) groups: Vec<String>,
    /// Group names for the bars' tooltips, when not the labels.
    pub(super) tips: Option<Vec<String>>,
    pub(super) series: Vec<Series>,
    /// Values are shares: ticks as percentages.
    pub(super) percent: bool,
    /// Labels under the left edge, the middle and the right edge of the plot (numeric bins).
    pub(super) x_edges: Option<[String; 3]>,
    /// Value labels above the bars.
    pub(super) value_labels: bool,
    /// Axis unit, drawn above the axis.
    pub(super) unit: String,
}

impl BarChart {
    /// The SVG, or None when there is no finite value to draw.
    pub(super) fn render(&self) -> Option<String> {
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
pub(super) struct MetricRow {
    pub(super) name: String,
    pub(super) values: Vec<(String, f64)>,
    pub(super) bounds: Vec<(String, f64)>,
}

/// The end of a metric row's scale: 1 when every value and bound lies in [0, 1], else a nice
/// number above the largest.
pub(super) fn row_top(r: &MetricRow) -> f64 {
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
pub(super) fn metric_bars(
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
