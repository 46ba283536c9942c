//! The two-sample Kolmogorov–Smirnov test and its exact null distribution.

use super::kolmogorov::kolmogn_sf;

/// The result of [`ks_2samp`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ks {
    /// The statistic `D` (in exact mode rounded to a multiple of `1 / lcm(n1, n2)`, as scipy
    /// returns it).
    pub statistic: f64,
    /// The two-sided p-value.
    pub pvalue: f64,
    /// Whether the exact distribution was used (else the asymptotic `kstwo`).
    pub exact: bool,
}

/// scipy's `MAX_AUTO_N`: `method="auto"` is exact when both samples have at most this many
/// values.
pub const KS_MAX_AUTO_N: usize = 10_000;

/// The two-sample Kolmogorov–Smirnov test, two-sided: the statistic `D = sup_x |F_a(x) −
/// F_b(x)|` of the two empirical CDFs and its p-value, as
/// `scipy.stats.ks_2samp(a, b, alternative="two-sided", method="auto")`. Domain: two **sorted**,
/// non-empty samples (panics on an empty one). Exact p-value (Hodges' lattice paths:
/// [`prob_outside_square`] for equal sizes, else [`outer_prob_inside`]) when both samples have
/// at most [`KS_MAX_AUTO_N`] values, else the asymptotic `stats.kstwo.sf(D, round(m n / (m +
/// n)))` ([`kolmogn_sf`](super::kolmogn_sf)). Source: scipy `stats/_stats_py.py` `ks_2samp`,
/// `_compute_prob_outside_square`, `_compute_outer_prob_inside_method`.
pub fn ks_2samp(a: &[f64], b: &[f64]) -> Ks {
    let (n1, n2) = (a.len(), b.len());
    assert!(n1 > 0 && n2 > 0, "ks_2samp needs non-empty samples");
    // cdf1 - cdf2 at every value of both samples (searchsorted side="right").
    let (mut i, mut j) = (0usize, 0usize);
    let (mut max_s, mut min_s) = (f64::NEG_INFINITY, f64::INFINITY);
    while i < n1 || j < n2 {
        let v = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => unreachable!(),
        };
        while i < n1 && a[i] <= v {
            i += 1;
        }
        while j < n2 && b[j] <= v {
            j += 1;
        }
        let diff = i as f64 / n1 as f64 - j as f64 / n2 as f64;
        max_s = max_s.max(diff);
        min_s = min_s.min(diff);
    }
    let min_s = (-min_s).clamp(0.0, 1.0);
    let mut d = if min_s > max_s { min_s } else { max_s };

    if n1.max(n2) <= KS_MAX_AUTO_N {
        let g = gcd(n1 as u64, n2 as u64);
        let lcm = (n1 as u64 / g) * n2 as u64;
        let h = (d * lcm as f64).round_ties_even() as u64;
        d = h as f64 / lcm as f64;
        if h == 0 {
            return Ks {
                statistic: d,
                pvalue: 1.0,
                exact: true,
            };
        }
        let prob = if n1 == n2 {
            prob_outside_square(n1 as u64, h)
        } else {
            outer_prob_inside(n1 as u64, n2 as u64, g, h)
        };
        if (0.0..=1.0).contains(&prob) {
            return Ks {
                statistic: d,
                pvalue: prob,
                exact: true,
            };
        }
    }
    let (m, n) = if n1 >= n2 {
        (n1 as f64, n2 as f64)
    } else {
        (n2 as f64, n1 as f64)
    };
    let en = m * n / (m + n);
    let p = kolmogn_sf(en.round_ties_even() as u64, d);
    Ks {
        statistic: d,
        pvalue: p.clamp(0.0, 1.0),
        exact: false,
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `P(D_{n,n} >= h / n)` for two samples of equal size `n >= 1`, `0 <= h <= n`:
/// `2 Σ_{j >= 1} (−1)^(j+1) C(2n, n − j h) / C(2n, n)`, the alternating binomial sum in Horner
/// form. Source: scipy's `_compute_prob_outside_square` (Hodges 1958).
pub fn prob_outside_square(n: u64, h: u64) -> f64 {
    let (n, h) = (n as i64, h as i64);
    let mut p = 0.0f64;
    let mut k = n / h;
    while k >= 0 {
        let mut p1 = 1.0f64;
        for j in 0..h {
            p1 = (n - k * h - j) as f64 * p1 / (n + k * h + j + 1) as f64;
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// The proportion of lattice paths from (0, 0) to (m, n) that leave the band
/// `|x/m − y/n| < h / lcm(m, n)`, i.e. `P(D_{m,n} >= h / lcm(m, n))`, for `m, n >= 1`, `g =
/// gcd(m, n)`: Hodges' inside method computing `1 − p` directly (after Viehmann 2021).
/// Source: scipy's `_compute_outer_prob_inside_method`.
pub fn outer_prob_inside(m: u64, n: u64, g: u64, h: u64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (m, n, g, h) = (m as i64, n as i64, g as i64, h as i64);
    let mg = m / g;
    let ng = n / g;
    let mut minj: i64 = 0;
    let mut maxj: i64 = div_ceil(h, mg).min(n + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n + 1) as usize;
    let mut a = vec![1.0f64; len_a];
    for v in a.iter_mut().take(maxj as usize).skip(minj as usize) {
        *v = 0.0;
    }
    for i in 1..=m {
        let (lastminj, lastlen) = (minj, curlen);
        minj = (div_floor(ng * i - h, mg) + 1).max(0).min(n);
        maxj = div_ceil(ng * i + h, mg).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        let fi = i as f64;
        for jj in 0..(maxj - minj) {
            let j = jj + minj;
            val = (a[(jj + minj - lastminj) as usize] * fi + val * j as f64) / (fi + j as f64);
            a[jj as usize] = val;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            let start = (maxj - minj) as usize;
            let end = (start + (lastlen - curlen) as usize).min(a.len());
            for v in &mut a[start..end] {
                *v = 1.0;
            }
        }
    }
    a[(maxj - minj - 1) as usize]
}

fn div_floor(a: i64, b: i64) -> i64 {
    a.div_euclid(b)
}

fn div_ceil(a: i64, b: i64) -> i64 {
    -((-a).div_euclid(b))
}
