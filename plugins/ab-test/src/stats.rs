//! The statistics of the check, from per-arm moments (counts, means and centered co-moments, as
//! the host's `grouped-moments` returns them) to estimates, tests and intervals.
//!
//! * [`mean_metric`], [`ratio_metric`], [`cuped`]: one arm's estimate of a metric and the
//!   variance of that estimate (sample variance over `n`; the delta method for a ratio of
//!   means; the CUPED-adjusted mean with θ pooled over both arms).
//! * [`compare`]: Welch's t-test of the difference, its CI, and the relative lift with its
//!   delta-method CI (GrowthBook's frequentist engine), at a fixed horizon or as an
//!   always-valid confidence sequence ([`Method::Sequential`]).
//! * [`srm`]: the sample-ratio-mismatch chi-square test.

use modelgate_sdk::stats::{chi2_sf, t_isf, t_two_sided_p};

/// One arm's moments of a metric's columns, in the order the check asked for them.
#[derive(Debug, Clone, PartialEq)]
pub struct Moments {
    /// Units with every column finite.
    pub n: u64,
    /// Per column, its mean.
    pub means: Vec<f64>,
    /// Centered co-moments of every pair (i ≤ j), row-major upper triangle.
    pub comoments: Vec<f64>,
}

/// One arm's estimate of a metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArmEstimate {
    /// Units.
    pub n: u64,
    /// The metric's value in the arm (a mean, a ratio of means, or an adjusted mean).
    pub mean: f64,
    /// The variance of that value (of the estimate, not of a unit).
    pub var: f64,
}

/// A mean metric: `mean` and `s² / n` (`s²` with ddof 1).
pub fn mean_metric(m: &Moments) -> ArmEstimate {
    let n = m.n as f64;
    ArmEstimate {
        n: m.n,
        mean: m.means[0],
        var: m.comoments[0] / (n - 1.0) / n,
    }
}

/// A ratio metric from moments of `[numerator, denominator]`: `R = ā / b̄` and its delta-method
/// variance `(s_a² − 2 R s_ab + R² s_b²) / (n b̄²)` (sample moments, ddof 1).
pub fn ratio_metric(m: &Moments) -> ArmEstimate {
    let n = m.n as f64;
    let (a, b) = (m.means[0], m.means[1]);
    let r = a / b;
    let (saa, sab, sbb) = (
        m.comoments[0] / (n - 1.0),
        m.comoments[1] / (n - 1.0),
        m.comoments[2] / (n - 1.0),
    );
    ArmEstimate {
        n: m.n,
        mean: r,
        var: (saa - 2.0 * r * sab + r * r * sbb) / (n * b * b),
    }
}

/// CUPED from moments of `[y, x]` per arm (x the pre-experiment covariate): `θ = cov(x, y) /
/// var(x)` over the units of both arms, and per arm the mean and variance of `y′ = y − θ (x −
/// x̄)`, `x̄` the mean over both arms. Returns `(control, treatment, θ)`, or an error when `x`
/// is constant over both arms.
pub fn cuped(c: &Moments, t: &Moments) -> Result<(ArmEstimate, ArmEstimate, f64), String> {
    let (nc, nt) = (c.n as f64, t.n as f64);
    let total = nc + nt;
    let y_bar = (nc * c.means[0] + nt * t.means[0]) / total;
    let x_bar = (nc * c.means[1] + nt * t.means[1]) / total;
    // Pooled co-moments: within the arms plus between them (the parallel-axis theorem).
    let pooled = |g: &Moments, ng: f64| {
        let (dy, dx) = (g.means[0] - y_bar, g.means[1] - x_bar);
        (g.comoments[1] + ng * dx * dy, g.comoments[2] + ng * dx * dx)
    };
    let (cxy, cxx) = pooled(c, nc);
    let (txy, txx) = pooled(t, nt);
    let (mxy, mxx) = (cxy + txy, cxx + txx);
    if mxx <= 0.0 {
        return Err("the covariate is constant over both arms, so CUPED cannot use it".into());
    }
    let theta = mxy / mxx;
    let arm = |g: &Moments| {
        let n = g.n as f64;
        let m2 = g.comoments[0] - 2.0 * theta * g.comoments[1] + theta * theta * g.comoments[2];
        ArmEstimate {
            n: g.n,
            mean: g.means[0] - theta * (g.means[1] - x_bar),
            var: m2.max(0.0) / (n - 1.0) / n,
        }
    };
    Ok((arm(c), arm(t), theta))
}

/// How intervals are built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Fixed horizon: Student's t with Welch–Satterthwaite degrees of freedom.
    Fixed,
    /// Always-valid: the asymptotic confidence sequence of Howard et al. (2021) in the closed
    /// form GrowthBook and Eppo publish, tuned for `tuning` total units (N*).
    Sequential {
        /// The sample size the sequence is narrowest at.
        tuning: f64,
    },
}

/// The comparison of treatment with control on one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// The control arm.
    pub control: ArmEstimate,
    /// The treatment arm.
    pub treatment: ArmEstimate,
    /// `treatment − control`.
    pub delta: f64,
    /// Its standard error `√(v_C + v_T)`.
    pub se: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p-value (fixed: Student's t; sequential: the always-valid p-value).
    pub p_value: f64,
    /// CI (or confidence sequence) of the difference.
    pub delta_ci: (f64, f64),
    /// Relative lift `delta / control`.
    pub lift: f64,
    /// Its delta-method standard error.
    pub lift_se: f64,
    /// CI (or confidence sequence) of the lift.
    pub lift_ci: (f64, f64),
}

/// `ρ` of the asymptotic confidence sequence for two-sided level `1 − α`, tuned to be tightest
/// at `tuning` units (Waudby-Smith et al. 2023, eq. 161; GrowthBook's `sequential_rho`).
pub fn sequential_rho(alpha: f64, tuning: f64) -> f64 {
    let l = -2.0 * alpha.ln();
    ((l + (l + 1.0).ln()) / tuning).sqrt()
}

/// The half-width of the asymptotic confidence sequence after `n` units for an estimate with
/// standard error `se`: `√(se² n) · √(2 (n ρ² + 1) / (n ρ)² · ln(√(n ρ² + 1) / α))`.
pub fn sequential_halfwidth(se: f64, n: f64, alpha: f64, rho: f64) -> f64 {
    let r2 = n * rho * rho + 1.0;
    (se * se * n).sqrt() * (2.0 * r2 * (r2.sqrt() / alpha).ln() / (n * rho).powi(2)).sqrt()
}

/// The always-valid p-value after `n` units: `min(1, 1 / E)` with the e-value `E = exp(ρ² s /
/// (2 (n ρ² + 1))) / √(n ρ² + 1)`, `s = n Δ² / se²` (Waudby-Smith et al. 2023, eq. 155, as
/// GrowthBook writes it).
pub fn sequential_p_value(delta: f64, se: f64, n: f64, rho: f64) -> f64 {
    let st2 = delta * delta * n / (se * se);
    let r2 = n * rho * rho + 1.0;
    let log_e = rho * rho * st2 / (2.0 * r2) - 0.5 * r2.ln();
    (-log_e).exp().min(1.0)
}

/// Compares `treatment` with `control` at level `1 − alpha`. Errors (as a reason) when the
/// control value is 0 (the lift is undefined) or neither arm varies.
pub fn compare(
    control: ArmEstimate,
    treatment: ArmEstimate,
    alpha: f64,
    method: Method,
) -> Result<Comparison, String> {
    let (vc, vt) = (control.var, treatment.var);
    let se = (vc + vt).sqrt();
    if se.is_nan() || se <= 0.0 {
        return Err("it does not vary in either arm, so there is nothing to test".into());
    }
    if control.mean == 0.0 {
        return Err("its control value is 0, so the relative lift is undefined".into());
    }
    let df = (vc + vt).powi(2)
        / (vc * vc / (control.n as f64 - 1.0) + vt * vt / (treatment.n as f64 - 1.0));
    let delta = treatment.mean - control.mean;
    let mc = control.mean;
    let lift = delta / mc;
    let lift_se = (vc * treatment.mean * treatment.mean / mc.powi(4) + vt / (mc * mc)).sqrt();
    let (p_value, delta_half, lift_half) = match method {
        Method::Fixed => {
            let crit = t_isf(alpha / 2.0, df);
            (t_two_sided_p(delta / se, df), crit * se, crit * lift_se)
        }
        Method::Sequential { tuning } => {
            let n = (control.n + treatment.n) as f64;
            let rho = sequential_rho(alpha, tuning);
            (
                sequential_p_value(delta, se, n, rho),
                sequential_halfwidth(se, n, alpha, rho),
                sequential_halfwidth(lift_se, n, alpha, rho),
            )
        }
    };
    Ok(Comparison {
        control,
        treatment,
        delta,
        se,
        df,
        p_value,
        delta_ci: (delta - delta_half, delta + delta_half),
        lift,
        lift_se,
        lift_ci: (lift - lift_half, lift + lift_half),
    })
}

/// Pearson's chi-square goodness of fit of the arm counts against the expected shares
/// (`scipy.stats.chisquare(counts, total · shares)`): `(statistic, p-value)`.
pub fn srm(counts: &[u64], shares: &[f64]) -> (f64, f64) {
    let total: u64 = counts.iter().sum();
    let share_sum: f64 = shares.iter().sum();
    let stat: f64 = counts
        .iter()
        .zip(shares)
        .map(|(&o, &s)| {
            let e = total as f64 * s / share_sum;
            (o as f64 - e).powi(2) / e
        })
        .sum();
    (stat, chi2_sf(stat, (counts.len() - 1) as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuped_with_an_uncorrelated_covariate_changes_nothing_but_the_shift() {
        // y and x uncorrelated within and between arms: θ = 0.
        let c = Moments {
            n: 4,
            means: vec![1.0, 2.0],
            comoments: vec![2.0, 0.0, 5.0],
        };
        let t = Moments {
            n: 4,
            means: vec![1.5, 2.0],
            comoments: vec![3.0, 0.0, 1.0],
        };
        let (ac, at, theta) = cuped(&c, &t).unwrap();
        assert_eq!(theta, 0.0);
        assert_eq!(ac, mean_metric(&c));
        assert_eq!(at.mean, 1.5);
    }

    #[test]
    fn sequential_intervals_are_wider_than_fixed_ones() {
        let c = ArmEstimate {
            n: 5000,
            mean: 0.1,
            var: 0.09 / 5000.0,
        };
        let t = ArmEstimate {
            n: 5000,
            mean: 0.11,
            var: 0.0979 / 5000.0,
        };
        let fixed = compare(c, t, 0.05, Method::Fixed).unwrap();
        let seq = compare(c, t, 0.05, Method::Sequential { tuning: 5000.0 }).unwrap();
        assert_eq!(fixed.delta, seq.delta);
        assert!(seq.delta_ci.0 < fixed.delta_ci.0 && seq.delta_ci.1 > fixed.delta_ci.1);
        assert!(seq.p_value > fixed.p_value);
    }

    #[test]
    fn undefined_comparisons_are_errors() {
        let flat = ArmEstimate {
            n: 10,
            mean: 1.0,
            var: 0.0,
        };
        assert!(compare(flat, flat, 0.05, Method::Fixed)
            .unwrap_err()
            .contains("does not vary"));
        let zero = ArmEstimate {
            n: 10,
            mean: 0.0,
            var: 0.01,
        };
        assert!(compare(zero, flat, 0.05, Method::Fixed)
            .unwrap_err()
            .contains("control value is 0"));
    }

    #[test]
    fn srm_matches_scipy_chisquare() {
        // scipy.stats.chisquare([5100, 4900], [5000, 5000]) -> (4.0, 0.04550026389635857)
        let (stat, p) = srm(&[5100, 4900], &[0.5, 0.5]);
        assert!((stat - 4.0).abs() < 1e-12);
        assert!((p - 0.04550026389635857).abs() < 1e-15, "{p}");
    }
}
