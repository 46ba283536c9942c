//! The metric math: plain functions over slices, computed as scikit-learn 1.7 computes them.
//!
//! Matching scikit-learn means more than the formulas: every sum is numpy's pairwise summation
//! ([`pairwise_sum`], from [`modelgate_sdk::numeric`]: the algorithm `np.sum` / `np.mean` use on
//! a contiguous `f64` array), in numpy's element order, and every intermediate array is formed as
//! scikit-learn forms it (e.g. the ROC curve's collinear points are dropped before the trapezoids
//! are summed). With that, results agree with scikit-learn to the last bit except where a
//! transcendental function (`ln`, `sqrt` is exact) differs in the last place between libms.
//!
//! Undefined values are `None` (a single-class target for ROC AUC, ...); callers decide whether
//! that is an error (a threshold is configured) or a metric to skip.

// numpy's summation order, shared with the other plugins through the SDK.
pub use modelgate_sdk::numeric::{
    mean_by, pairwise_sum, pairwise_sum_by, pairwise_sums, try_pairwise_sums,
};

// ---------------------------------------------------------------------------------------------
// Classification from labels. Labels are codes (indices into a sorted list of label names).
// ---------------------------------------------------------------------------------------------

/// `accuracy_score`: the fraction of rows whose predicted label is the true label.
pub fn accuracy(y_true: &[u32], y_pred: &[u32]) -> f64 {
    let hits = y_true.iter().zip(y_pred).filter(|(t, p)| t == p).count();
    hits as f64 / y_true.len() as f64
}

/// The confusion matrix: `m[i][j]` = rows with true label `i` predicted as `j`
/// (`confusion_matrix`'s layout). Codes must be below `n_labels`.
pub fn confusion_matrix(y_true: &[u32], y_pred: &[u32], n_labels: usize) -> Vec<Vec<u64>> {
    let mut m = vec![vec![0u64; n_labels]; n_labels];
    for (&t, &p) in y_true.iter().zip(y_pred) {
        m[t as usize][p as usize] += 1;
    }
    m
}

/// Precision, recall and F1 of one label from its counts, with `zero_division = 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prf {
    /// tp / (tp + fp)
    pub precision: f64,
    /// tp / (tp + fn)
    pub recall: f64,
    /// 2 tp / (2 tp + fp + fn), as scikit-learn ≥ 1.3 computes it from the counts.
    pub f1: f64,
}

/// [`Prf`] from `tp`, the number of rows predicted as the label and the number of rows that
/// truly have it.
pub fn prf(tp: u64, predicted: u64, actual: u64) -> Prf {
    let div = |num: f64, den: u64| if den == 0 { 0.0 } else { num / den as f64 };
    Prf {
        precision: div(tp as f64, predicted),
        recall: div(tp as f64, actual),
        // (1 + beta²) tp / (beta² true_sum + pred_sum) with beta = 1.
        f1: div(2.0 * tp as f64, actual + predicted),
    }
}

/// Binary precision / recall / F1 (`average="binary"`) for the label `positive`.
pub fn binary_prf(y_true: &[u32], y_pred: &[u32], positive: u32) -> Prf {
    let (mut tp, mut predicted, mut actual) = (0u64, 0u64, 0u64);
    for (&t, &p) in y_true.iter().zip(y_pred) {
        tp += u64::from(t == positive && p == positive);
        predicted += u64::from(p == positive);
        actual += u64::from(t == positive);
    }
    prf(tp, predicted, actual)
}

/// Macro and support-weighted averages of precision, recall and F1 over every label of a
/// confusion matrix (`average="macro"` / `"weighted"`, `zero_division=0`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Averages {
    /// Unweighted means over labels.
    pub macro_avg: Prf,
    /// Means weighted by each label's support (its number of true rows).
    pub weighted: Prf,
}

/// [`Averages`] from a confusion matrix whose labels are the union of true and predicted
/// labels, as scikit-learn chooses them when `labels` is not given.
pub fn averages(confusion: &[Vec<u64>]) -> Averages {
    let k = confusion.len();
    let per_label: Vec<(Prf, u64)> = (0..k)
        .map(|l| {
            let tp = confusion[l][l];
            let predicted: u64 = confusion.iter().map(|row| row[l]).sum();
            let actual: u64 = confusion[l].iter().sum();
            (prf(tp, predicted, actual), actual)
        })
        .collect();
    let macro_of = |f: fn(&Prf) -> f64| mean_by(k, |l| f(&per_label[l].0));
    let support = pairwise_sum_by(k, |l| per_label[l].1 as f64);
    let weighted_of = |f: fn(&Prf) -> f64| {
        pairwise_sum_by(k, |l| f(&per_label[l].0) * per_label[l].1 as f64) / support
    };
    Averages {
        macro_avg: Prf {
            precision: macro_of(|p| p.precision),
            recall: macro_of(|p| p.recall),
            f1: macro_of(|p| p.f1),
        },
        weighted: Prf {
            precision: weighted_of(|p| p.precision),
            recall: weighted_of(|p| p.recall),
            f1: weighted_of(|p| p.f1),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Classification from scores.
// ---------------------------------------------------------------------------------------------

/// The points of scikit-learn's `_binary_clf_curve`: cumulative false and true positive counts
/// at each distinct score, from the highest score down. Both ROC AUC and average precision are
/// computed from it, so it is built (and the scores sorted) once for both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClfCurve {
    fps: Vec<u64>,
    tps: Vec<u64>,
}

/// The [`ClfCurve`] of a binary target (`true` = positive class) and the positive class's
/// score. `None` if a score is not finite (scikit-learn raises) or there are no rows.
pub fn clf_curve(y: &[bool], score: &[f64]) -> Option<ClfCurve> {
    let of = |class: bool| -> Vec<f64> {
        score
            .iter()
            .zip(y)
            .filter(|(_, &y)| y == class)
            .map(|(&s, _)| s)
            .collect()
    };
    clf_curve_split(of(true), of(false))
}

/// [`clf_curve`] from the scores of the positive rows and of the negative rows, each in any
/// order (what a pass over the rows collects without holding the target).
pub fn clf_curve_split(mut pos: Vec<f64>, mut neg: Vec<f64>) -> Option<ClfCurve> {
    if (pos.is_empty() && neg.is_empty()) || pos.iter().chain(&neg).any(|s| !s.is_finite()) {
        return None;
    }
    let descending = |a: &f64, b: &f64| b.partial_cmp(a).expect("finite scores");
    pos.sort_unstable_by(descending);
    neg.sort_unstable_by(descending);
    // The two sorted lists merged into one descending stream of rows of weight 1.
    let (mut i, mut j) = (0, 0);
    let merged = std::iter::from_fn(|| match (pos.get(i), neg.get(j)) {
        (Some(&p), Some(&n)) if p >= n => {
            i += 1;
            Some((p, true, 1))
        }
        (_, Some(&n)) => {
            j += 1;
            Some((n, false, 1))
        }
        (Some(&p), None) => {
            i += 1;
            Some((p, true, 1))
        }
        (None, None) => None,
    });
    clf_curve_weighted(merged)
}

/// [`clf_curve`] of rows that count `weight` times each (a bootstrap resample's multiplicities),
/// given in descending score order (ties in any order): the curve of the rows repeated that
/// often, without repeating them. `None` if no row has weight, or a weighted score is not finite.
pub fn clf_curve_weighted(rows: impl IntoIterator<Item = (f64, bool, u64)>) -> Option<ClfCurve> {
    let mut curve = ClfCurve::default();
    clf_curve_weighted_into(rows, &mut curve).then_some(curve)
}

/// [`clf_curve_weighted`] into `curve`, reusing its memory (one curve per bootstrap resample);
/// `false` where that gives `None`.
pub fn clf_curve_weighted_into(
    rows: impl IntoIterator<Item = (f64, bool, u64)>,
    curve: &mut ClfCurve,
) -> bool {
    let ClfCurve { fps, tps } = curve;
    fps.clear();
    tps.clear();
    let (mut threshold, mut tp, mut fp) = (None, 0u64, 0u64);
    for (score, positive, weight) in rows {
        if weight == 0 {
            continue;
        }
        if !score.is_finite() {
            return false;
        }
        // `!=` keeps 0.0 and -0.0 in one group, as `clf_curve` does.
        if threshold.is_some_and(|t| score != t) {
            fps.push(fp);
            tps.push(tp);
        }
        threshold = Some(score);
        if positive {
            tp += weight;
        } else {
            fp += weight;
        }
    }
    if threshold.is_none() {
        return false;
    }
    fps.push(fp);
    tps.push(tp);
    true
}

impl ClfCurve {
    /// `roc_auc_score`: the ROC curve as `roc_curve` builds it (tied scores grouped, collinear
    /// points dropped), integrated with the trapezoidal rule. Equals the Mann–Whitney U
    /// statistic / (P·N) with ties counting 1/2, up to rounding. `None` when the target has a
    /// single class.
    pub fn roc_auc(&self) -> Option<f64> {
        let (fps, tps) = (&self.fps, &self.tps);
        let (p, n) = (*tps.last()?, *fps.last()?);
        if p == 0 || n == 0 {
            return None;
        }
        // roc_curve prepends the point (0, 0); drop_intermediate keeps the ends and every point
        // where either curve bends. Each kept point adds its trapezoid, in order.
        let mut terms = Vec::with_capacity(fps.len());
        let mut previous = (0.0, 0.0);
        let mut keep = |i: usize| {
            let (fpr, tpr) = (fps[i] as f64 / n as f64, tps[i] as f64 / p as f64);
            let (fpr0, tpr0) = std::mem::replace(&mut previous, (fpr, tpr));
            // scipy.integrate.trapezoid: sum(d * (y[1:] + y[:-1]) / 2.0)
            terms.push((fpr - fpr0) * (tpr + tpr0) / 2.0);
        };
        keep(0);
        let bends = |v: &[u64]| v[0] + v[2] != 2 * v[1];
        for (i, (f, t)) in fps.windows(3).zip(tps.windows(3)).enumerate() {
            if bends(f) || bends(t) {
                keep(i + 1);
            }
        }
        if fps.len() > 1 {
            keep(fps.len() - 1);
        }
        Some(pairwise_sum(&terms))
    }

    /// `average_precision_score`: the step-wise integral of the precision–recall curve,
    /// `sum((R[i] - R[i+1]) * P[i])` over thresholds. `None` when the target has no positive
    /// row (scikit-learn warns and returns 0 there; here the metric is undefined, so that it is
    /// never gated on silently).
    pub fn average_precision(&self) -> Option<f64> {
        let (fps, tps) = (&self.fps, &self.tps);
        let p = *tps.last()?;
        if p == 0 {
            return None;
        }
        let m = tps.len();
        // precision_recall_curve reverses its arrays and appends precision 1, recall 0.
        let precision = |j: usize| {
            if j == m {
                1.0
            } else {
                let i = m - 1 - j;
                tps[i] as f64 / (tps[i] + fps[i]) as f64
            }
        };
        let recall = |j: usize| {
            if j == m {
                0.0
            } else {
                tps[m - 1 - j] as f64 / p as f64
            }
        };
        let sum = pairwise_sum_by(m, |j| (recall(j + 1) - recall(j)) * precision(j));
        Some(if -sum > 0.0 { -sum } else { 0.0 })
    }
}

/// `roc_auc_score` of a binary target and the positive class's score (see
/// [`ClfCurve::roc_auc`]). `None` when `y` has a single class (or is empty), or a score is not
/// finite.
pub fn roc_auc(y: &[bool], score: &[f64]) -> Option<f64> {
    clf_curve(y, score)?.roc_auc()
}

/// `average_precision_score` of a binary target and the positive class's score (see
/// [`ClfCurve::average_precision`]). `None` when `y` has no positive row, or a score is not
/// finite.
pub fn average_precision(y: &[bool], score: &[f64]) -> Option<f64> {
    clf_curve(y, score)?.average_precision()
}

/// `log_loss` given, per row, the probability the model gave the true class: each is clipped
/// to `[eps, 1 - eps]` with `eps = f64::EPSILON` (`np.finfo(float64).eps`), as scikit-learn 1.7
/// does (it no longer renormalises rows), and the mean of `-ln p` is returned.
pub fn log_loss(p_true: &[f64]) -> f64 {
    mean_by(p_true.len(), |i| log_loss_term(p_true[i]))
}

/// One row's term of [`log_loss`]: `-ln p`, `p` clipped to `[eps, 1 - eps]`.
pub fn log_loss_term(p_true: f64) -> f64 {
    let eps = f64::EPSILON;
    -p_true.clamp(eps, 1.0 - eps).ln()
}

/// `brier_score_loss` of a binary target and the positive class's probability, computed as
/// scikit-learn 1.7 does: half the mean over rows of the two-column squared error
/// `((1 - y) - (1 - p))² + (y - p)²`.
pub fn brier(y: &[bool], p: &[f64]) -> f64 {
    brier_from(
        y.len(),
        pairwise_sum_by(y.len(), |i| brier_term(y[i], p[i])),
    )
}

/// One row's term of [`brier`]: the two-column squared error.
pub fn brier_term(y: bool, p: f64) -> f64 {
    let sq = |x: f64| x * x;
    let t = if y { 1.0 } else { 0.0 };
    sq((1.0 - t) - (1.0 - p)) + sq(t - p)
}

/// [`brier`] from the [`pairwise_sum`] of its `n` terms.
pub fn brier_from(n: usize, sum: f64) -> f64 {
    0.5 * (sum / n as f64)
}

// ---------------------------------------------------------------------------------------------
// Regression.
// ---------------------------------------------------------------------------------------------

/// `root_mean_squared_error`.
pub fn rmse(y: &[f64], p: &[f64]) -> f64 {
    mean_by(y.len(), |i| regression_terms(y[i], p[i])[0]).sqrt()
}

/// `mean_absolute_error`.
pub fn mae(y: &[f64], p: &[f64]) -> f64 {
    mean_by(y.len(), |i| regression_terms(y[i], p[i])[1])
}

/// `mean_absolute_percentage_error`: mean of `|p - y| / max(|y|, eps)` with
/// `eps = f64::EPSILON`. A fraction, not a percentage (0.1 = 10 %).
pub fn mape(y: &[f64], p: &[f64]) -> f64 {
    mean_by(y.len(), |i| regression_terms(y[i], p[i])[2])
}

/// One row's terms of the regression metrics: the squared error (of [`rmse`] and of [`r2`]'s
/// numerator), the absolute error ([`mae`]) and the absolute percentage error ([`mape`]). Their
/// [`pairwise_sum`]s over the rows give every regression metric but [`r2`]'s denominator,
/// which depends on the target alone ([`r2_denominator`]).
pub fn regression_terms(y: f64, p: f64) -> [f64; 3] {
    let error = (p - y).abs();
    [(y - p) * (y - p), error, error / y.abs().max(f64::EPSILON)]
}

/// `r2_score` with `force_finite=True`: 1 for perfect predictions, 0 for imperfect predictions
/// of a constant target. `None` with fewer than two rows (scikit-learn returns NaN).
pub fn r2(y: &[f64], p: &[f64]) -> Option<f64> {
    let numerator = pairwise_sum_by(y.len(), |i| regression_terms(y[i], p[i])[0]);
    r2_from(y.len(), numerator, r2_denominator(y))
}

/// [`r2`]'s denominator: the squared deviations of the target from its mean, summed.
pub fn r2_denominator(y: &[f64]) -> f64 {
    let mean = mean_by(y.len(), |i| y[i]);
    pairwise_sum_by(y.len(), |i| (y[i] - mean) * (y[i] - mean))
}

/// [`r2`] of `n` rows from its numerator (the summed squared errors) and its denominator.
pub fn r2_from(n: usize, numerator: f64, denominator: f64) -> Option<f64> {
    if n < 2 {
        return None;
    }
    Some(if numerator == 0.0 {
        1.0
    } else if denominator == 0.0 {
        0.0
    } else {
        1.0 - numerator / denominator
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_curve_is_the_curve_of_the_repeated_rows() {
        // Scores with ties across classes, 0.0 and -0.0, and rows of weight 0, 1 and more.
        let rows: Vec<(f64, bool, u64)> = (0..400u64)
            .map(|i| {
                let score = [0.9, 0.5, 0.5, 0.0, -0.0, 0.25, 0.125][(i * 7 % 13 % 7) as usize];
                (score, (i * 31) % 5 < 2, (i * 11) % 4)
            })
            .collect();
        let (mut y, mut s) = (Vec::new(), Vec::new());
        for &(score, positive, weight) in &rows {
            for _ in 0..weight {
                y.push(positive);
                s.push(score);
            }
        }
        let mut sorted = rows.clone();
        sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
        assert_eq!(
            clf_curve_weighted(sorted.iter().copied()),
            clf_curve(&y, &s)
        );
        assert_eq!(clf_curve_weighted([(0.5, true, 0)]), None);
        assert_eq!(clf_curve_weighted([(f64::NAN, true, 1)]), None);
    }

    /// Naive left-to-right sum, to show where pairwise summation differs.
    fn naive(a: &[f64]) -> f64 {
        a.iter().sum()
    }

    #[test]
    fn pairwise_sum_follows_numpy() {
        assert_eq!(pairwise_sum(&[]), 0.0);
        assert_eq!(pairwise_sum(&[1.0, 2.0, 3.0]), 6.0);
        // 0.1 summed 1000 times: np.sum gives 100.00000000000001 (pairwise), a naive loop
        // 99.9999999999986.
        let a = vec![0.1; 1000];
        assert_eq!(pairwise_sum(&a), 100.00000000000001);
        assert_eq!(naive(&a), 99.9999999999986);
        // np.sum(np.arange(1, 10001) / 7)
        let b: Vec<f64> = (1..=10_000).map(|i| i as f64 / 7.0).collect();
        assert_eq!(pairwise_sum(&b), 7143571.428571429);
    }

    fn labels(v: &[u32]) -> Vec<u32> {
        v.to_vec()
    }

    #[test]
    fn accuracy_and_binary_prf() {
        // sklearn docs: accuracy_score([0, 2, 1, 3], [0, 1, 2, 3]) == 0.5
        assert_eq!(accuracy(&[0, 2, 1, 3], &[0, 1, 2, 3]), 0.5);
        // y_true = [0, 1, 1, 0, 1, 1], y_pred = [0, 1, 0, 0, 1, 1]: tp 3, fp 0, fn 1.
        let (t, p) = (labels(&[0, 1, 1, 0, 1, 1]), labels(&[0, 1, 0, 0, 1, 1]));
        let prf = binary_prf(&t, &p, 1);
        assert_eq!(prf.precision, 1.0);
        assert_eq!(prf.recall, 0.75);
        assert_eq!(prf.f1, 6.0 / 7.0);
        // Nothing predicted positive: zero_division = 0.
        let prf = binary_prf(&[1, 0], &[0, 0], 1);
        assert_eq!((prf.precision, prf.recall, prf.f1), (0.0, 0.0, 0.0));
        let prf = binary_prf(&[0, 0], &[0, 0], 1);
        assert_eq!((prf.precision, prf.recall, prf.f1), (0.0, 0.0, 0.0));
    }

    #[test]
    fn macro_and_weighted_averages() {
        // sklearn docs (precision_recall_fscore_support):
        // y_true = ['cat', 'dog', 'pig', 'cat', 'dog', 'pig']
        // y_pred = ['cat', 'pig', 'dog', 'cat', 'cat', 'dog']
        // macro  -> (0.2222222222222222, 0.3333333333333333, 0.26666666666666666)
        // weighted -> (0.2222222222222222, 0.3333333333333333, 0.26666666666666666)
        let (cat, dog, pig) = (0, 1, 2);
        let t = [cat, dog, pig, cat, dog, pig];
        let p = [cat, pig, dog, cat, cat, dog];
        let cm = confusion_matrix(&t, &p, 3);
        assert_eq!(cm, vec![vec![2, 0, 0], vec![1, 0, 1], vec![0, 2, 0]]);
        let a = averages(&cm);
        assert_eq!(a.macro_avg.precision, 0.2222222222222222);
        assert_eq!(a.macro_avg.recall, 0.3333333333333333);
        assert_eq!(a.macro_avg.f1, 0.26666666666666666);
        assert_eq!(a.weighted.precision, 0.2222222222222222);
        assert_eq!(a.weighted.recall, 0.3333333333333333);
        assert_eq!(a.weighted.f1, 0.26666666666666666);
    }

    #[test]
    fn a_label_only_predicted_counts_in_the_macro_average() {
        // y_true = [0, 0, 1, 1], y_pred = [0, 2, 1, 1]: labels {0, 1, 2};
        // precision_score(..., average='macro', zero_division=0) = (1 + 1 + 0) / 3
        let cm = confusion_matrix(&[0, 0, 1, 1], &[0, 2, 1, 1], 3);
        let a = averages(&cm);
        assert_eq!(a.macro_avg.precision, 2.0 / 3.0);
        assert_eq!(a.macro_avg.recall, (0.5 + 1.0 + 0.0) / 3.0);
        // weighted by support (2, 2, 0): (1*2 + 1*2 + 0*0) / 4
        assert_eq!(a.weighted.precision, 1.0);
    }

    #[test]
    fn roc_auc_matches_sklearn_docs() {
        // roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
        let y = [false, false, true, true];
        assert_eq!(roc_auc(&y, &[0.1, 0.4, 0.35, 0.8]), Some(0.75));
        assert_eq!(roc_auc(&y, &[0.1, 0.2, 0.8, 0.9]), Some(1.0));
        assert_eq!(roc_auc(&y, &[0.9, 0.8, 0.2, 0.1]), Some(0.0));
        assert_eq!(roc_auc(&y, &[0.5; 4]), Some(0.5));
    }

    #[test]
    fn roc_auc_ties_count_half() {
        // Mann–Whitney: pairs (pos, neg) with pos > neg count 1, ties 1/2.
        let y = [true, false, true, false, true, false, false];
        let s = [0.8, 0.8, 0.3, 0.3, 0.9, 0.1, 0.5];
        let mut u = 0.0;
        for (i, &yi) in y.iter().enumerate() {
            for (j, &yj) in y.iter().enumerate() {
                if yi && !yj {
                    u += if s[i] > s[j] {
                        1.0
                    } else if s[i] == s[j] {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        let expected = u / 12.0;
        let got = roc_auc(&y, &s).unwrap();
        assert!((got - expected).abs() < 1e-15, "{got} vs {expected}");
        // sklearn: roc_auc_score([1,0,1,0,1,0,0], [.8,.8,.3,.3,.9,.1,.5]) = 0.75
        assert_eq!(got, 0.75);
    }

    #[test]
    fn roc_auc_is_undefined_for_one_class() {
        assert_eq!(roc_auc(&[true, true], &[0.1, 0.9]), None);
        assert_eq!(roc_auc(&[false, false], &[0.1, 0.9]), None);
        assert_eq!(roc_auc(&[], &[]), None);
        assert_eq!(roc_auc(&[true, false], &[f64::NAN, 0.9]), None);
    }

    #[test]
    fn average_precision_matches_sklearn_docs() {
        // average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.8333333333333333
        let y = [false, false, true, true];
        assert_eq!(
            average_precision(&y, &[0.1, 0.4, 0.35, 0.8]),
            Some(0.8333333333333333)
        );
        assert_eq!(average_precision(&[true, true], &[0.2, 0.3]), Some(1.0));
        assert_eq!(average_precision(&[false, false], &[0.2, 0.3]), None);
        // ties: average_precision_score([1,0,1,0,1,0,0], [.8,.8,.3,.3,.9,.1,.5])
        let y = [true, false, true, false, true, false, false];
        let s = [0.8, 0.8, 0.3, 0.3, 0.9, 0.1, 0.5];
        assert_eq!(average_precision(&y, &s), Some(0.7222222222222222));
    }

    #[test]
    fn log_loss_matches_sklearn_docs() {
        // log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]])
        // == 0.21616... ; classes sorted: ham, spam -> probability of the true class:
        let p_true = [0.9, 0.9, 0.8, 0.65];
        assert_eq!(log_loss(&p_true), 0.21616187468057912);
        // Clipping: a zero probability for the true class costs -ln(eps), not infinity.
        assert_eq!(log_loss(&[0.0]), -f64::EPSILON.ln());
        assert_eq!(log_loss(&[1.0]), -(1.0 - f64::EPSILON).ln());
    }

    #[test]
    fn brier_matches_sklearn_docs() {
        // brier_score_loss([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3]) == 0.03749999999999999 (the docs
        // print 0.0375); the two-column form rounds differently from mean((y - p)^2).
        let got = brier(&[false, true, true, false], &[0.1, 0.9, 0.8, 0.3]);
        assert_eq!(got, 0.03749999999999999);
        assert_eq!(brier(&[true, false], &[1.0, 0.0]), 0.0);
        assert_eq!(brier(&[true], &[0.0]), 1.0);
    }

    #[test]
    fn regression_metrics_match_sklearn_docs() {
        let y = [3.0, -0.5, 2.0, 7.0];
        let p = [2.5, 0.0, 2.0, 8.0];
        // mean_squared_error -> 0.375, root_mean_squared_error -> 0.6123724356957945
        assert_eq!(rmse(&y, &p), 0.6123724356957945);
        // mean_absolute_error -> 0.5
        assert_eq!(mae(&y, &p), 0.5);
        // r2_score -> 0.9486081370449679
        assert_eq!(r2(&y, &p), Some(0.9486081370449679));
        // mean_absolute_percentage_error -> 0.3273809523809524
        assert_eq!(mape(&y, &p), 0.3273809523809524);
    }

    #[test]
    fn r2_edge_cases() {
        assert_eq!(r2(&[1.0], &[1.0]), None);
        assert_eq!(r2(&[-2.0, -2.0, -2.0], &[-2.0, -2.0, -2.0]), Some(1.0));
        assert_eq!(
            r2(&[-2.0, -2.0, -2.0], &[-2.0, -2.0, -2.0 + 1e-8]),
            Some(0.0)
        );
        assert_eq!(r2(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), Some(-3.0));
    }

    #[test]
    fn mape_guards_zero_targets() {
        // y = 0 divides by eps: a huge but finite error, as in scikit-learn.
        let got = mape(&[0.0, 1.0], &[1.0, 1.0]);
        assert_eq!(got, (1.0 / f64::EPSILON) / 2.0);
    }
}
