//! What chance explains: the limits of the reference-derived rules (`null_fraction`,
//! `out_of_range_share`, `unseen_share`, `duplicate_share` when the config does not set them).
//!
//! A clean window and the reference are two samples of the same distribution. For a rate such as
//! the share of null values, the reference saw `x` of `n`; the number `K` of the window's `m`
//! values with that property then follows the beta-binomial law `BetaBinomial(m, x + 1,
//! n − x + 1)` (the posterior predictive of a binomial rate under a uniform prior). For values
//! outside the reference's `[min, max]` the law is exact for continuous data: the probability
//! mass outside the range of `n` draws is `Beta(2, n − 1)`, so `K ~ BetaBinomial(m, 2, n − 1)`,
//! whose mean share is `2 / (n + 1)`. A rule fails when `K` reaches the smallest `k` with
//! `P(K ≥ k) ≤ α`: the limit on the share is `(k − 1) / m`, and never below the reference's own
//! share plus [`TOLERANCE`], so that a tiny, significant change in a huge window is no alarm.
//! `α` is [`FALSE_ALARM_RATE`] shared equally (Bonferroni) by the check's derived rules.

/// The chance that a clean window raises any alarm of the derived rules of one check.
pub const FALSE_ALARM_RATE: f64 = 0.001;

/// The smallest excess over the reference's share that a derived rule reports (0.1 percentage
/// point).
pub const TOLERANCE: f64 = 0.001;

/// Log-weights below this (relative to the mode) are left out of the sums: `e^-120` ≈ 1e-52.
const NEGLIGIBLE: f64 = -120.0;

/// The smallest `k` with `P(K ≥ k) ≤ alpha` for `K ~ BetaBinomial(m, a, b)` (`a, b > 0`,
/// `0 < alpha < 1`), or `m + 1` when even `P(K = m)` is above `alpha`.
///
/// The probabilities come from the ratio `P(k + 1) / P(k) = (m − k)(k + a) / ((k + 1)(m − k − 1 +
/// b))`, walked from the mode outwards in log space until the terms are negligible, and
/// normalised by their sum (no gamma function needed; exact to rounding where the terms are
/// not negligible). Checked against `scipy.stats.betabinom.sf` (testdata/chance_reference.json).
pub fn beta_binomial_critical(m: u64, a: f64, b: f64, alpha: f64) -> u64 {
    debug_assert!(a > 0.0 && b > 0.0 && alpha > 0.0 && alpha < 1.0);
    let ratio = |k: u64| {
        let (k, mf) = (k as f64, m as f64);
        (mf - k) * (k + a) / ((k + 1.0) * (mf - k - 1.0 + b))
    };
    // The mode: the first k whose ratio to the next is at most 1.
    let mut mode = if a + b > 2.0 {
        ((m as f64) * (a - 1.0) / (a + b - 2.0)).clamp(0.0, m as f64) as u64
    } else {
        0
    };
    while mode < m && ratio(mode) > 1.0 {
        mode += 1;
    }
    while mode > 0 && ratio(mode - 1) < 1.0 {
        mode -= 1;
    }
    // Mass below the mode, and at and above it (relative to P(mode) = 1).
    let mut below = 0.0;
    let (mut k, mut lw) = (mode, 0.0f64);
    while k > 0 {
        lw -= ratio(k - 1).ln();
        k -= 1;
        if lw < NEGLIGIBLE {
            break;
        }
        below += lw.exp();
    }
    let mut upper = 0.0;
    let (mut k, mut lw) = (mode, 0.0f64);
    loop {
        upper += lw.exp();
        if k == m {
            break;
        }
        lw += ratio(k).ln();
        k += 1;
        if lw < NEGLIGIBLE {
            break;
        }
    }
    let total = below + upper;
    if upper / total <= alpha {
        // Even the mode is improbable enough (never for alpha < 1/2).
        return mode;
    }
    // Walk up again: P(K >= k) = (upper - mass of [mode, k)) / total.
    let (mut k, mut lw, mut before) = (mode, 0.0f64, 0.0);
    loop {
        before += lw.exp();
        if k == m {
            return m + 1;
        }
        lw += ratio(k).ln();
        k += 1;
        if (upper - before) / total <= alpha || lw < NEGLIGIBLE {
            return k;
        }
    }
}

/// The largest share of a window of `m` values that chance explains when the reference saw
/// `x` of `n` (`a = x + 1`, `b = n − x + 1`, or the law given), at significance `alpha`:
/// `(k − 1) / m` for the critical `k` of [`beta_binomial_critical`], and at least the
/// reference's share `x / n` plus [`TOLERANCE`].
pub fn share_limit(m: u64, a: f64, b: f64, reference_share: f64, alpha: f64) -> f64 {
    let k = beta_binomial_critical(m, a, b, alpha);
    let chance = k.saturating_sub(1) as f64 / m.max(1) as f64;
    chance.max(reference_share + TOLERANCE).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Case {
        m: u64,
        a: f64,
        b: f64,
        alpha: f64,
        k: u64,
    }

    #[test]
    fn critical_counts_equal_scipy_betabinom() {
        let text = include_str!("../testdata/chance_reference.json");
        let cases: Vec<Case> = serde_json::from_str(text).unwrap();
        assert!(cases.len() >= 20);
        for c in &cases {
            assert_eq!(
                beta_binomial_critical(c.m, c.a, c.b, c.alpha),
                c.k,
                "m={} a={} b={} alpha={}",
                c.m,
                c.a,
                c.b,
                c.alpha
            );
        }
    }

    #[test]
    fn limits_are_never_below_the_reference_share_plus_the_tolerance() {
        // A huge window and a huge reference: chance explains almost nothing more.
        let l = share_limit(10_000_000, 1.0, 10_000_001.0, 0.0, 1e-5);
        assert!((TOLERANCE..0.0011).contains(&l), "{l}");
        // 40 values against 341: a few values out of range are chance.
        let l = share_limit(40, 2.0, 340.0, 0.0, 1e-4);
        assert!(l >= 2.0 / 40.0, "{l}");
    }
}
