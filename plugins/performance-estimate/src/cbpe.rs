//! The math of confidence-based performance estimation (CBPE), binary case.
//!
//! * [`Isotonic`]: scikit-learn's `IsotonicRegression(out_of_bounds="clip", increasing=True)`
//!   with unit weights, step by step as scikit-learn 1.7 does it (sort by `(x, y)`, merge equal
//!   `x` into their mean `y`, pool adjacent violators, drop interior points equal to both
//!   neighbours, `np.interp` between the fitted points, clip outside `[min x, max x]`).
//! * [`weighted_roc_auc`]: the ROC AUC in which every row is a positive of weight `p` and a
//!   negative of weight `1 - p` at its score (`sklearn.metrics.roc_auc_score([1]*n + [0]*n,
//!   score ++ score, sample_weight=p ++ (1 - p))`).
//! * [`Expected`]: the expected confusion matrix `TP = Σ p` over predicted positives,
//!   `FP = Σ (1 - p)` over predicted positives, `FN = Σ p` and `TN = Σ (1 - p)` over predicted negatives,
//!   and the metrics derived from it. With `p` = the true label (0 / 1) the same formulas give
//!   the realized metrics, as scikit-learn computes them.
//! * [`standard_errors`]: NannyML's sampling-error formulas, from the reference's labels.

/// The metrics the check estimates, in report order.
pub const METRICS: [&str; 5] = ["accuracy", "precision", "recall", "f1", "roc_auc"];

/// `np.finfo(np.float64).resolution`: scikit-learn's `_make_unique` merges x values closer than
/// this to the first x of a group.
const RESOLUTION: f64 = 1e-15;

/// A fitted isotonic (increasing) calibrator.
#[derive(Debug, Clone, PartialEq)]
pub struct Isotonic {
    /// Thresholds (increasing x), after trimming.
    x: Vec<f64>,
    /// Fitted values at `x`.
    y: Vec<f64>,
}

impl Isotonic {
    /// Fits on `(x, y)` with unit weights. Errors on an empty input or a non-finite value.
    pub fn fit(x: &[f64], y: &[f64]) -> Result<Isotonic, String> {
        if x.len() != y.len() {
            return Err(format!("{} scores but {} labels", x.len(), y.len()));
        }
        if x.is_empty() {
            return Err("no rows to fit the calibrator on".to_string());
        }
        if x.iter().chain(y).any(|v| !v.is_finite()) {
            return Err("the calibrator needs finite scores and labels".to_string());
        }
        // np.lexsort((y, X)): by x, then by y.
        let mut order: Vec<usize> = (0..x.len()).collect();
        order.sort_by(|&a, &b| {
            x[a].partial_cmp(&x[b])
                .expect("finite")
                .then(y[a].partial_cmp(&y[b]).expect("finite"))
        });
        // _make_unique: weighted mean y per group of (nearly) equal x.
        let mut ux = Vec::new();
        let mut uy = Vec::new();
        let mut uw = Vec::new();
        let mut current_x = x[order[0]];
        let mut current_y = 0.0;
        let mut current_w = 0.0;
        for &j in &order {
            let xj = x[j];
            if xj - current_x >= RESOLUTION {
                ux.push(current_x);
                uw.push(current_w);
                uy.push(current_y / current_w);
                current_x = xj;
                current_w = 1.0;
                current_y = y[j];
            } else {
                current_w += 1.0;
                current_y += y[j];
            }
        }
        ux.push(current_x);
        uw.push(current_w);
        uy.push(current_y / current_w);

        pool_adjacent_violators(&mut uy, &mut uw);

        // Trim interior points whose y equals both neighbours' (faster, same function).
        let n = uy.len();
        let keep: Vec<bool> = (0..n)
            .map(|i| i == 0 || i == n - 1 || uy[i] != uy[i - 1] || uy[i] != uy[i + 1])
            .collect();
        let (x, y) = ux
            .iter()
            .zip(&uy)
            .zip(&keep)
            .filter(|(_, &k)| k)
            .map(|((&a, &b), _)| (a, b))
            .unzip();
        Ok(Isotonic { x, y })
    }

    /// The calibrated value at `t` (clipped to the fitted range, then `np.interp`).
    pub fn predict(&self, t: f64) -> f64 {
        let (xs, ys) = (&self.x, &self.y);
        if xs.len() == 1 {
            return ys[0];
        }
        let t = t.clamp(xs[0], xs[xs.len() - 1]);
        // The largest j with xs[j] <= t.
        let j = xs.partition_point(|&v| v <= t) - 1;
        if xs[j] == t || j == xs.len() - 1 {
            return ys[j];
        }
        let slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j]);
        slope * (t - xs[j]) + ys[j]
    }

    /// The fitted thresholds and values.
    pub fn points(&self) -> (&[f64], &[f64]) {
        (&self.x, &self.y)
    }

    /// The calibrator with these [`Isotonic::points`]; `None` unless they are as a fit leaves
    /// them (as many values as thresholds, at least one, finite, thresholds increasing).
    pub fn from_points(x: Vec<f64>, y: Vec<f64>) -> Option<Isotonic> {
        let finite = x.iter().chain(&y).all(|v| v.is_finite());
        let increasing = x.windows(2).all(|w| w[0] < w[1]);
        (x.len() == y.len() && !x.is_empty() && finite && increasing).then_some(Isotonic { x, y })
    }
}

/// scikit-learn's `_inplace_contiguous_isotonic_regression` (increasing), in place.
fn pool_adjacent_violators(y: &mut [f64], w: &mut [f64]) {
    let n = y.len();
    let mut target: Vec<usize> = (0..n).collect();
    let mut i = 0;
    while i < n {
        let mut k = target[i] + 1;
        if k == n {
            break;
        }
        if y[i] < y[k] {
            i = k;
            continue;
        }
        let mut sum_wy = w[i] * y[i];
        let mut sum_w = w[i];
        loop {
            let prev_y = y[k];
            sum_wy += w[k] * y[k];
            sum_w += w[k];
            k = target[k] + 1;
            if k == n || prev_y < y[k] {
                y[i] = sum_wy / sum_w;
                w[i] = sum_w;
                target[i] = k - 1;
                target[k - 1] = i;
                if i > 0 {
                    i = target[i - 1];
                }
                break;
            }
        }
    }
    let mut i = 0;
    while i < n {
        let k = target[i] + 1;
        let v = y[i];
        y[i + 1..k].fill(v);
        i = k;
    }
}

/// The ROC AUC of `score` when each row is a positive of weight `p[i]` and a negative of weight
/// `1 - p[i]`; `None` when either total weight is zero (the AUC is undefined).
pub fn weighted_roc_auc(score: &[f64], p: &[f64]) -> Option<f64> {
    let mut order: Vec<usize> = (0..score.len()).collect();
    // Descending score; ties form one ROC point, so their order does not matter.
    order.sort_by(|&a, &b| score[b].partial_cmp(&score[a]).expect("finite scores"));
    let mut tps = vec![0.0];
    let mut fps = vec![0.0];
    let (mut tp, mut fp) = (0.0, 0.0);
    for (k, &i) in order.iter().enumerate() {
        tp += p[i];
        fp += 1.0 - p[i];
        let last_of_group = k + 1 == order.len() || score[order[k + 1]] != score[i];
        if last_of_group {
            tps.push(tp);
            fps.push(fp);
        }
    }
    if !(tp > 0.0 && fp > 0.0) {
        return None;
    }
    let mut area = 0.0;
    for k in 1..tps.len() {
        let (x0, x1) = (fps[k - 1] / fp, fps[k] / fp);
        let (y0, y1) = (tps[k - 1] / tp, tps[k] / tp);
        area += (x1 - x0) * (y1 + y0) / 2.0;
    }
    Some(area)
}

/// An expected (or, with 0/1 probabilities, realized) confusion matrix.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Expected {
    /// Σ p over predicted positives.
    pub tp: f64,
    /// Σ (1 - p) over predicted positives.
    pub fp: f64,
    /// Σ p over predicted negatives.
    pub fn_: f64,
    /// Σ (1 - p) over predicted negatives.
    pub tn: f64,
}

impl Expected {
    /// From the probabilities of the positive class and the predicted labels.
    pub fn new(p: &[f64], predicted_positive: &[bool]) -> Expected {
        let mut e = Expected::default();
        for (&p, &pos) in p.iter().zip(predicted_positive) {
            if pos {
                e.tp += p;
                e.fp += 1.0 - p;
            } else {
                e.fn_ += p;
                e.tn += 1.0 - p;
            }
        }
        e
    }

    /// `accuracy`, `precision`, `recall` or `f1`; `None` when the denominator is zero.
    pub fn metric(&self, name: &str) -> Option<f64> {
        let ratio = |a: f64, b: f64| (b > 0.0).then(|| a / b);
        match name {
            "accuracy" => ratio(self.tp + self.tn, self.tp + self.fp + self.fn_ + self.tn),
            "precision" => ratio(self.tp, self.tp + self.fp),
            "recall" => ratio(self.tp, self.tp + self.fn_),
            "f1" => ratio(2.0 * self.tp, 2.0 * self.tp + self.fp + self.fn_),
            _ => None,
        }
    }
}

/// The metrics of [`METRICS`] from probabilities `p` of the positive class, predicted labels and
/// scores (for the AUC), in the order of [`METRICS`].
pub fn metrics(score: &[f64], p: &[f64], predicted_positive: &[bool]) -> [Option<f64>; 5] {
    let e = Expected::new(p, predicted_positive);
    [
        e.metric("accuracy"),
        e.metric("precision"),
        e.metric("recall"),
        e.metric("f1"),
        weighted_roc_auc(score, p),
    ]
}

/// Population standard deviation (`np.std`).
fn std(values: impl Iterator<Item = f64> + Clone) -> Option<f64> {
    let n = values.clone().count();
    if n == 0 {
        return None;
    }
    let mean = values.clone().sum::<f64>() / n as f64;
    Some((values.map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64).sqrt())
}

/// Per-metric sampling-error components learnt from the reference: the standard error of a
/// metric on a dataset of `n` rows is `std / sqrt(n * fraction)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Component {
    /// Spread of the per-row contributions on the reference.
    pub std: f64,
    /// Share of rows that contribute to the metric.
    pub fraction: f64,
}

impl Component {
    /// The standard error on `n` rows.
    pub fn standard_error(&self, n: usize) -> f64 {
        let effective = n as f64 * self.fraction;
        if effective > 0.0 {
            self.std / effective.sqrt()
        } else {
            f64::INFINITY
        }
    }
}

/// NannyML's sampling-error components (CBPE, binary), from the reference's labels `y`,
/// predicted labels and scores, in the order of [`METRICS`]; `None` where no row contributes.
///
/// * accuracy: `std(correct)` over every row;
/// * precision: `std(y)` over predicted positives;
/// * recall: `std(predicted)` over actual positives;
/// * f1: over the rows that are TP, FP or FN, `std` of 1 for a TP and 0 otherwise, scaled by
///   `rows / (TP + (FP + FN) / 2)`;
/// * roc_auc: the positives' ranks among the scores sorted increasingly (stable), each minus the
///   number of positives before it, divided by the number of negatives; `std` of those, fraction
///   = share of positives (labels flipped and scores mirrored when positives are the majority).
pub fn standard_errors(
    y: &[bool],
    predicted_positive: &[bool],
    score: &[f64],
) -> [Option<Component>; 5] {
    let n = y.len() as f64;
    let rows = || y.iter().zip(predicted_positive).map(|(&t, &p)| (t, p));
    let share = |k: usize| k as f64 / n;
    let accuracy = std(rows().map(|(t, p)| f64::from(u8::from(t == p))))
        .map(|std| Component { std, fraction: 1.0 });
    let ppos = rows().filter(|&(_, p)| p);
    let precision = std(ppos.clone().map(|(t, _)| f64::from(u8::from(t)))).map(|std| Component {
        std,
        fraction: share(ppos.count()),
    });
    let apos = rows().filter(|&(t, _)| t);
    let recall = std(apos.clone().map(|(_, p)| f64::from(u8::from(p)))).map(|std| Component {
        std,
        fraction: share(apos.count()),
    });
    let (tp, fp, fn_) = rows().fold((0usize, 0usize, 0usize), |(a, b, c), (t, p)| {
        (
            a + usize::from(t && p),
            b + usize::from(!t && p),
            c + usize::from(t && !p),
        )
    });
    let relevant = tp + fp + fn_;
    let f1 = (relevant > 0).then(|| {
        let factor = relevant as f64 / ((fn_ + fp) as f64 * 0.5 + tp as f64);
        let values = std::iter::repeat_n(factor, tp).chain(std::iter::repeat_n(0.0, fp + fn_));
        Component {
            std: std(values).expect("relevant rows"),
            fraction: share(relevant),
        }
    });
    let roc_auc = auc_component(y, score);
    [accuracy, precision, recall, f1, roc_auc]
}

fn auc_component(y: &[bool], score: &[f64]) -> Option<Component> {
    let positives = y.iter().filter(|&&t| t).count();
    let flip = positives * 2 > y.len();
    let (y, score): (Vec<bool>, Vec<f64>) = if flip {
        (
            y.iter().map(|&t| !t).collect(),
            score.iter().map(|&s| 1.0 - s).collect(),
        )
    } else {
        (y.to_vec(), score.to_vec())
    };
    let n_pos = y.iter().filter(|&&t| t).count();
    let n_neg = y.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..y.len()).collect();
    order.sort_by(|&a, &b| score[a].partial_cmp(&score[b]).expect("finite scores"));
    let values: Vec<f64> = order
        .iter()
        .enumerate()
        .filter(|(_, &i)| y[i])
        .enumerate()
        .map(|(before, (rank, _))| (rank - before) as f64 / n_neg as f64)
        .collect();
    Some(Component {
        std: std(values.iter().copied())?,
        fraction: n_pos as f64 / y.len() as f64,
    })
}

/// Multiclass metrics from one-vs-rest probabilities: `scores[c]` and `p[c]` hold class `c`'s
/// raw and calibrated probability per row, `predicted` the predicted class per row. Accuracy is
/// Σ TP_c / n (the expected share of rows whose predicted class is right); precision, recall and
/// f1 are macro averages of the per-class values of the per-class expected confusion matrices (a
/// class whose denominator is zero counts 0, scikit-learn's `zero_division` default); roc_auc is
/// the mean of the per-class weighted AUCs (undefined if any is).
pub fn multiclass_metrics(
    scores: &[Vec<f64>],
    p: &[Vec<f64>],
    predicted: &[usize],
) -> [Option<f64>; 5] {
    let k = p.len();
    let n = predicted.len();
    let mut tp_total = 0.0;
    let (mut precision, mut recall, mut f1) = (0.0, 0.0, 0.0);
    let mut auc = Some(0.0);
    for c in 0..k {
        let pp: Vec<bool> = predicted.iter().map(|&q| q == c).collect();
        let e = Expected::new(&p[c], &pp);
        tp_total += e.tp;
        precision += e.metric("precision").unwrap_or(0.0);
        recall += e.metric("recall").unwrap_or(0.0);
        f1 += e.metric("f1").unwrap_or(0.0);
        auc = auc
            .zip(weighted_roc_auc(&scores[c], &p[c]))
            .map(|(a, b)| a + b);
    }
    let k = k as f64;
    [
        (n > 0).then(|| tp_total / n as f64),
        Some(precision / k),
        Some(recall / k),
        Some(f1 / k),
        auc.map(|a| a / k),
    ]
}

/// Renormalises per-row probabilities (`p[c][row]`) to sum 1; uniform where a row sums to 0.
pub fn renormalise(p: &mut [Vec<f64>]) {
    let k = p.len();
    let n = p.first().map_or(0, Vec::len);
    for row in 0..n {
        let sum: f64 = p.iter().map(|col| col[row]).sum();
        for col in p.iter_mut() {
            col[row] = if sum > 0.0 {
                col[row] / sum
            } else {
                1.0 / k as f64
            };
        }
    }
}

/// Sampling-error components of a multiclass reference (NannyML's approach): accuracy from the
/// correct / wrong rows, each macro metric from the one-vs-rest binary components of every class;
/// see [`MulticlassErrors::standard_errors`].
#[derive(Debug, Clone, PartialEq)]
pub struct MulticlassErrors {
    /// `std` of 1 for a correct prediction, 0 otherwise.
    pub accuracy: Option<Component>,
    /// [`standard_errors`] of each class against the rest.
    pub per_class: Vec<[Option<Component>; 5]>,
}

impl MulticlassErrors {
    /// From the reference's classes, predicted classes and per-class scores.
    pub fn new(y: &[usize], predicted: &[usize], scores: &[Vec<f64>]) -> MulticlassErrors {
        let correct = std(y
            .iter()
            .zip(predicted)
            .map(|(a, b)| f64::from(u8::from(a == b))));
        MulticlassErrors {
            accuracy: correct.map(|std| Component { std, fraction: 1.0 }),
            per_class: (0..scores.len())
                .map(|c| {
                    let yc: Vec<bool> = y.iter().map(|&v| v == c).collect();
                    let pc: Vec<bool> = predicted.iter().map(|&v| v == c).collect();
                    standard_errors(&yc, &pc, &scores[c])
                })
                .collect(),
        }
    }

    /// Standard errors on `n` rows, in the order of [`METRICS`]: accuracy's own; a macro
    /// metric's `sqrt(Σ_c SE_c²) / k` (`None` if a class has no component).
    pub fn standard_errors(&self, n: usize) -> [Option<f64>; 5] {
        let mut out = [None; 5];
        out[0] = self.accuracy.map(|c| c.standard_error(n));
        for (m, slot) in out.iter_mut().enumerate().skip(1) {
            let squares: Option<f64> = self
                .per_class
                .iter()
                .map(|cls| cls[m].map(|c| c.standard_error(n).powi(2)))
                .sum();
            *slot = squares.map(|s| s.sqrt() / self.per_class.len() as f64);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pav_pools_violators() {
        let iso = Isotonic::fit(&[1.0, 2.0, 3.0, 4.0], &[1.0, 0.0, 1.0, 1.0]).unwrap();
        assert_eq!(iso.predict(1.0), 0.5);
        assert_eq!(iso.predict(2.0), 0.5);
        assert_eq!(iso.predict(3.5), 1.0);
        assert_eq!(iso.predict(2.5), 0.75);
        assert_eq!(iso.predict(-5.0), 0.5, "clipped below");
        assert_eq!(iso.predict(9.0), 1.0, "clipped above");
    }

    #[test]
    fn ties_in_x_merge_to_their_mean() {
        let iso = Isotonic::fit(&[0.2, 0.2, 0.2, 0.8], &[0.0, 1.0, 1.0, 1.0]).unwrap();
        assert!((iso.predict(0.2) - 2.0 / 3.0).abs() < 1e-15);
        let one = Isotonic::fit(&[0.3, 0.3], &[0.0, 1.0]).unwrap();
        assert_eq!(one.predict(0.9), 0.5);
    }

    #[test]
    fn realized_auc_is_the_plain_auc() {
        let score = [0.1, 0.4, 0.35, 0.8];
        let y = [0.0, 0.0, 1.0, 1.0];
        assert_eq!(weighted_roc_auc(&score, &y), Some(0.75));
        assert_eq!(weighted_roc_auc(&score, &[1.0; 4]), None);
    }

    #[test]
    fn expected_confusion() {
        let e = Expected::new(&[0.9, 0.2, 0.6], &[true, true, false]);
        assert!((e.tp - 1.1).abs() < 1e-15 && (e.fp - 0.9).abs() < 1e-15);
        assert!((e.fn_ - 0.6).abs() < 1e-15 && (e.tn - 0.4).abs() < 1e-15);
        assert_eq!(Expected::new(&[0.5], &[false]).metric("precision"), None);
    }
}
