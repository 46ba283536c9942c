//! The drift tests, as Evidently's stattests compute them on a reference and a current sample
//! (Evidently `src/evidently/legacy/calculations/stattests/*.py`, newest version on GitHub,
//! re-implemented here; see the crate documentation for which rule comes from where).
//!
//! Samples arrive cleaned: `±inf` turned into NaN and NaN and nulls dropped (Evidently's
//! `get_one_column_drift`). Numeric samples are kept twice, in row order (numpy's summation
//! order for `np.std`) and sorted.

use modelgate_sdk::numeric::pairwise_sum;

use crate::stats::{self, Ks};

/// A cleaned numeric sample: finite values in row order and sorted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NumSample {
    /// Finite values in row order.
    pub values: Vec<f64>,
    /// The same values sorted ascending.
    pub sorted: Vec<f64>,
}

impl NumSample {
    /// Builds a sample from finite values in row order.
    pub fn new(values: Vec<f64>) -> Self {
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        // -0.0 sorts before 0.0 under total_cmp but they are equal values; that changes nothing
        // below (comparisons use `<=` / `==`).
        NumSample { values, sorted }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Number of distinct values (`Series.nunique()`).
    pub fn unique(&self) -> usize {
        count_unique(&self.sorted)
    }
}

/// Number of distinct values of a sorted slice.
pub fn count_unique(sorted: &[f64]) -> usize {
    if sorted.is_empty() {
        return 0;
    }
    1 + sorted.windows(2).filter(|w| w[1] != w[0]).count()
}

/// Number of distinct values of the union of two sorted slices
/// (`pd.concat([reference, current]).nunique()`).
pub fn union_unique(a: &[f64], b: &[f64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() || j < b.len() {
        let v = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => unreachable!(),
        };
        while i < a.len() && a[i] <= v {
            i += 1;
        }
        while j < b.len() && b[j] <= v {
            j += 1;
        }
        n += 1;
    }
    n
}

/// Category counts of both samples over the union of their categories, in sort order
/// (numbers numerically, text by code point, as Python's `sorted` orders them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Categories {
    /// The categories, as text.
    pub labels: Vec<String>,
    /// Reference count of each category.
    pub reference: Vec<u64>,
    /// Current count of each category.
    pub current: Vec<u64>,
}

impl Categories {
    /// Categories of two numeric samples (every distinct value is a category), labelled by
    /// `label`.
    pub fn from_sorted(a: &[f64], b: &[f64], label: impl Fn(f64) -> String) -> Self {
        let mut out = Categories::default();
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let v = match (a.get(i), b.get(j)) {
                (Some(&x), Some(&y)) => x.min(y),
                (Some(&x), None) => x,
                (None, Some(&y)) => y,
                (None, None) => unreachable!(),
            };
            let (i0, j0) = (i, j);
            while i < a.len() && a[i] <= v {
                i += 1;
            }
            while j < b.len() && b[j] <= v {
                j += 1;
            }
            out.labels.push(label(v));
            out.reference.push((i - i0) as u64);
            out.current.push((j - j0) as u64);
        }
        out
    }

    /// Categories from text value counts of both samples.
    pub fn from_counts(reference: &[(String, u64)], current: &[(String, u64)]) -> Self {
        let mut all: std::collections::BTreeMap<&str, (u64, u64)> = Default::default();
        for (k, c) in reference {
            all.entry(k).or_default().0 += c;
        }
        for (k, c) in current {
            all.entry(k).or_default().1 += c;
        }
        let mut out = Categories::default();
        for (k, (r, c)) in all {
            out.labels.push(k.to_string());
            out.reference.push(r);
            out.current.push(c);
        }
        out
    }

    /// Number of categories.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no categories.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Total reference count.
    pub fn reference_total(&self) -> u64 {
        self.reference.iter().sum()
    }

    /// Total current count.
    pub fn current_total(&self) -> u64 {
        self.current.iter().sum()
    }

    /// Number of categories the reference has.
    pub fn reference_unique(&self) -> usize {
        self.reference.iter().filter(|&&c| c > 0).count()
    }
}

/// Two-sample Kolmogorov–Smirnov test (Evidently `ks`: `scipy.stats.ks_2samp`, drift when
/// `p_value <= threshold`).
pub fn ks(reference: &NumSample, current: &NumSample) -> Ks {
    stats::ks_2samp(&reference.sorted, &current.sorted)
}

/// Evidently `wasserstein`: `scipy.stats.wasserstein_distance(reference, current) /
/// max(np.std(reference), 0.001)`; drift when `>= threshold`.
pub fn wasserstein_normed(reference: &NumSample, current: &NumSample) -> f64 {
    let norm = stats::std_pop(&reference.values).max(0.001);
    wasserstein(&reference.sorted, &current.sorted) / norm
}

/// The first Wasserstein distance of two sorted samples as scipy's `_cdf_distance(1, ...)`
/// computes it: `Σ |F_u − F_v| Δ` over the sorted union of the values.
pub fn wasserstein(u: &[f64], v: &[f64]) -> f64 {
    let mut all: Vec<f64> = Vec::with_capacity(u.len() + v.len());
    let (mut i, mut j) = (0, 0);
    while i < u.len() || j < v.len() {
        if j >= v.len() || (i < u.len() && u[i] <= v[j]) {
            all.push(u[i]);
            i += 1;
        } else {
            all.push(v[j]);
            j += 1;
        }
    }
    let (nu, nv) = (u.len() as f64, v.len() as f64);
    let mut terms = Vec::with_capacity(all.len().saturating_sub(1));
    let (mut pu, mut pv) = (0usize, 0usize);
    for w in all.windows(2) {
        let x = w[0];
        while pu < u.len() && u[pu] <= x {
            pu += 1;
        }
        while pv < v.len() && v[pv] <= x {
            pv += 1;
        }
        terms.push((pu as f64 / nu - pv as f64 / nv).abs() * (w[1] - w[0]));
    }
    pairwise_sum(&terms)
}

/// Evidently `chisquare`: `scipy.stats.chisquare(f_obs = current counts, f_exp = reference
/// counts × n_current / n_reference)` over the union of categories; drift when
/// `p_value < threshold`. Returns (statistic, p-value); the statistic is `+inf` (p-value 0)
/// when the current sample has a category the reference lacks. With a single category there
/// is nothing to test: (0, 1).
pub fn chi2(c: &Categories) -> (f64, f64) {
    if c.len() < 2 {
        return (0.0, 1.0);
    }
    let k_norm = c.current_total() as f64 / c.reference_total() as f64;
    let terms: Vec<f64> = c
        .reference
        .iter()
        .zip(&c.current)
        .map(|(&r, &o)| {
            let e = r as f64 * k_norm;
            let d = o as f64 - e;
            d * d / e
        })
        .collect();
    let stat = pairwise_sum(&terms);
    (stat, stats::chi2_sf(stat, (c.len() - 1) as f64))
}

/// Evidently `z`: the two-proportion z-test of "not the first category" (categories sorted)
/// between reference and current, two-sided p-value `2 (1 − Φ(|z|))`; drift when
/// `p_value < threshold`. Returns (z, p-value); z is `None` when both samples hold one and the
/// same single value (Evidently's p-value 1).
pub fn z_test(c: &Categories) -> (Option<f64>, f64) {
    let ref_unique = c.reference.iter().filter(|&&x| x > 0).count();
    let cur_unique = c.current.iter().filter(|&&x| x > 0).count();
    if c.len() < 2 || (ref_unique == 1 && cur_unique == 1 && c.len() == 1) {
        return (None, 1.0);
    }
    let n1 = c.reference_total() as f64;
    let n2 = c.current_total() as f64;
    let p1 = (c.reference_total() - c.reference[0]) as f64 / n1;
    let p2 = (c.current_total() - c.current[0]) as f64 / n2;
    let pp = (p1 * n1 + p2 * n2) / (n1 + n2);
    let z = (p1 - p2) / (pp * (1.0 - pp) * (1.0 / n1 + 1.0 / n2)).sqrt();
    (Some(z), 2.0 * (1.0 - stats::ndtr(z.abs())))
}

/// `np.histogram_bin_edges(np.concatenate([reference, current]), bins="sturges")` from the
/// two sorted samples (`integer`: both columns have an integer dtype, for which numpy floors
/// the bin width at 1).
pub fn sturges_edges(a: &[f64], b: &[f64], integer: bool) -> Vec<f64> {
    sturges_edges_of(
        a[0].min(b[0]),
        a[a.len() - 1].max(b[b.len() - 1]),
        (a.len() + b.len()) as u64,
        integer,
    )
}

/// [`sturges_edges`] from the smallest and largest value and the number of values.
pub fn sturges_edges_of(first: f64, last: f64, size: u64, integer: bool) -> Vec<f64> {
    let (first, last) = if first == last {
        (first - 0.5, last + 0.5)
    } else {
        (first, last)
    };
    let size = size as f64;
    let mut width = (last - first) / (size.log2() + 1.0);
    let bins = if width != 0.0 {
        if integer && width < 1.0 {
            width = 1.0;
        }
        ((last - first) / width).ceil() as usize
    } else {
        1
    };
    let bins = bins.max(1);
    linspace(first, last, bins + 1)
}

/// `np.linspace(start, stop, num)` with the end point.
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let div = (num - 1) as f64;
    let step = (stop - start) / div;
    let mut out: Vec<f64> = (0..num)
        .map(|i| {
            if step == 0.0 {
                i as f64 / div * (stop - start) + start
            } else {
                i as f64 * step + start
            }
        })
        .collect();
    if num > 1 {
        out[num - 1] = stop;
    }
    out
}

/// `np.histogram(values, edges)[0]` of a sorted sample: bins `[e_i, e_{i+1})`, the last one
/// closed; values outside the edges are not counted.
pub fn histogram_sorted(sorted: &[f64], edges: &[f64]) -> Vec<u64> {
    let below = |e: f64| sorted.partition_point(|&x| x < e);
    let at_most = |e: f64| sorted.partition_point(|&x| x <= e);
    let nb = edges.len() - 1;
    (0..nb)
        .map(|i| {
            let lo = below(edges[i]);
            let hi = if i + 1 == nb {
                at_most(edges[i + 1])
            } else {
                below(edges[i + 1])
            };
            (hi - lo) as u64
        })
        .collect()
}

/// The binned frequencies Evidently's `get_binned_data` gives Jensen–Shannon and PSI: for a
/// numerical column whose **reference** has more than 20 distinct values, the shares of each
/// sample in the Sturges bins of both samples together; otherwise the shares of each category
/// of the union.
#[derive(Debug, Clone, PartialEq)]
pub struct Binned {
    /// Reference shares.
    pub reference: Vec<f64>,
    /// Current shares.
    pub current: Vec<f64>,
}

/// Shares per Sturges bin of two sorted numeric samples.
pub fn binned_numeric(a: &[f64], b: &[f64], integer: bool) -> Binned {
    let edges = sturges_edges(a, b, integer);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    Binned {
        reference: histogram_sorted(a, &edges)
            .into_iter()
            .map(|c| c as f64 / na)
            .collect(),
        current: histogram_sorted(b, &edges)
            .into_iter()
            .map(|c| c as f64 / nb)
            .collect(),
    }
}

/// Shares per category.
pub fn binned_categories(c: &Categories) -> Binned {
    let (na, nb) = (c.reference_total() as f64, c.current_total() as f64);
    Binned {
        reference: c.reference.iter().map(|&x| x as f64 / na).collect(),
        current: c.current.iter().map(|&x| x as f64 / nb).collect(),
    }
}

/// Evidently's zero replacement for PSI (`feel_zeroes`): zeros become the smallest non-zero
/// share / 10^6 if that is at most 0.0001, else 0.0001 (each sample separately).
pub fn fill_zeroes(p: &mut [f64]) {
    let min = p
        .iter()
        .cloned()
        .filter(|&x| x != 0.0)
        .fold(f64::INFINITY, f64::min);
    if !min.is_finite() {
        return;
    }
    let fill = if min <= 0.0001 { min / 1e6 } else { 0.0001 };
    for x in p.iter_mut() {
        if *x == 0.0 {
            *x = fill;
        }
    }
}

/// `scipy.special.rel_entr(x, y)`.
fn rel_entr(x: f64, y: f64) -> f64 {
    if x > 0.0 && y > 0.0 {
        x * (x / y).ln()
    } else if x == 0.0 && y >= 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

/// `scipy.spatial.distance.jensenshannon(p, q)` (natural log): both normalised to sum 1.
/// Evidently `jensenshannon` (no zero replacement), drift when `>= threshold`. A tiny negative
/// rounding residue, which would make scipy return NaN, is clamped to 0.
pub fn jensen_shannon(p: &[f64], q: &[f64]) -> f64 {
    let (sp, sq) = (pairwise_sum(p), pairwise_sum(q));
    let p: Vec<f64> = p.iter().map(|&x| x / sp).collect();
    let q: Vec<f64> = q.iter().map(|&x| x / sq).collect();
    let m: Vec<f64> = p.iter().zip(&q).map(|(&a, &b)| (a + b) / 2.0).collect();
    let left: Vec<f64> = p.iter().zip(&m).map(|(&a, &b)| rel_entr(a, b)).collect();
    let right: Vec<f64> = q.iter().zip(&m).map(|(&a, &b)| rel_entr(a, b)).collect();
    let js = pairwise_sum(&left) + pairwise_sum(&right);
    (js / 2.0).max(0.0).sqrt()
}

/// Evidently `psi`: `Σ (r − c) ln(r / c)` over the binned shares after [`fill_zeroes`]; drift
/// when `>= threshold`.
pub fn psi(reference: &[f64], current: &[f64]) -> f64 {
    let mut r = reference.to_vec();
    let mut c = current.to_vec();
    fill_zeroes(&mut r);
    fill_zeroes(&mut c);
    let terms: Vec<f64> = r
        .iter()
        .zip(&c)
        .map(|(&a, &b)| (a - b) * (a / b).ln())
        .collect();
    pairwise_sum(&terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_counts() {
        assert_eq!(count_unique(&[1.0, 1.0, 2.0, 3.0, 3.0]), 3);
        assert_eq!(union_unique(&[1.0, 2.0], &[2.0, 3.0, 3.0]), 3);
        assert_eq!(union_unique(&[], &[2.0]), 1);
    }

    #[test]
    fn categories_from_samples_and_counts() {
        let c = Categories::from_sorted(&[1.0, 1.0, 2.0], &[2.0, 3.0], |v| format!("{v}"));
        assert_eq!(c.labels, ["1", "2", "3"]);
        assert_eq!(c.reference, [2, 1, 0]);
        assert_eq!(c.current, [0, 1, 1]);
        let c = Categories::from_counts(
            &[("b".into(), 3), ("a".into(), 1)],
            &[("c".into(), 2), ("b".into(), 1)],
        );
        assert_eq!(c.labels, ["a", "b", "c"]);
        assert_eq!(c.reference, [1, 3, 0]);
        assert_eq!(c.current, [0, 1, 2]);
    }

    #[test]
    fn histogram_follows_numpy() {
        // np.histogram([1, 2, 2, 3, 4], [1, 2, 3, 4]) -> [1, 2, 2]
        assert_eq!(
            histogram_sorted(&[1.0, 2.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 3.0, 4.0]),
            [1, 2, 2]
        );
        // np.histogram_bin_edges(np.arange(10.0), bins="sturges") -> 0, 1.8, ..., 9 (5 bins)
        let a: Vec<f64> = (0..5).map(f64::from).collect();
        let b: Vec<f64> = (5..10).map(f64::from).collect();
        let e = sturges_edges(&a, &b, false);
        assert_eq!(e, [0.0, 1.8, 3.6, 5.4, 7.2, 9.0]);
    }

    #[test]
    fn psi_and_js_basics() {
        assert_eq!(jensen_shannon(&[0.5, 0.5], &[0.5, 0.5]), 0.0);
        // scipy.spatial.distance.jensenshannon([1, 0], [0, 1]) = sqrt(ln 2)
        assert!((jensen_shannon(&[1.0, 0.0], &[0.0, 1.0]) - 2f64.ln().sqrt()).abs() < 1e-15);
        let mut p = vec![0.0, 0.5, 0.5];
        fill_zeroes(&mut p);
        assert_eq!(p, [0.0001, 0.5, 0.5]);
        let mut p = vec![0.0, 0.00002, 0.99998];
        fill_zeroes(&mut p);
        assert_eq!(p[0], 0.00002 / 1e6);
        assert_eq!(psi(&[0.5, 0.5], &[0.5, 0.5]), 0.0);
    }

    #[test]
    fn z_test_edge_cases() {
        let same = Categories {
            labels: vec!["a".into()],
            reference: vec![10],
            current: vec![5],
        };
        assert_eq!(z_test(&same), (None, 1.0));
        let c = Categories {
            labels: vec!["a".into(), "b".into()],
            reference: vec![50, 50],
            current: vec![50, 50],
        };
        let (z, p) = z_test(&c);
        assert_eq!(z, Some(0.0));
        assert_eq!(p, 1.0);
    }
}
