//! Special functions and distributions the drift tests need, computed as scipy 1.17 computes
//! them (re-implemented here: the plugin runs in a WebAssembly sandbox without C libraries).
//!
//! * [`std_pop`]: `np.std`, in numpy's summation order ([`modelgate_sdk::numeric`], shared with
//!   the other plugins, has the pairwise sum and the mean).
//! * [`erf`], [`erfc`], [`ndtr`]: the Cephes rational approximations scipy's `special.ndtr`
//!   (hence `stats.norm.cdf`) uses.
//! * [`chi2_sf`]: `stats.chi2.sf` = `special.chdtrc` = the regularized upper incomplete gamma
//!   `igamc(df / 2, x / 2)`, with the same series / continued fraction split as scipy's Cephes
//!   port (scipy additionally switches to a uniform asymptotic expansion when `a ~ x` and
//!   `a > 20`; here the series and continued fraction are iterated to convergence instead, which
//!   agrees to ~1e-13 relative).
//! * [`ks_2samp`]: `stats.ks_2samp(..., method="auto")`, two-sided: the exact distribution of
//!   the two-sample statistic when both samples have at most 10,000 values (Hodges' lattice-path
//!   recursions, as scipy's `_compute_prob_outside_square` and
//!   `_compute_outer_prob_inside_method`), otherwise `stats.kstwo.sf(d, round(m n / (m + n)))`
//!   with scipy's `_kolmogn` algorithm selection (Ruben–Gambino closed forms, Durbin matrix,
//!   Pomeranz recursion, Pelz–Good expansion, and `2 * special.smirnov(n, d)`).
//! * [`smirnov_sf`]: the one-sided statistic's survival function (Birnbaum–Tingey sum). scipy
//!   sums it in double-double arithmetic; here every term is a binomial probability computed
//!   with Loader's saddle-point method (`stirlerr`, `bd0`), which keeps each positive term to
//!   ~1e-14 relative without extended precision.
//!
//! Every function is plain Rust over `f64`, unit-tested against values scipy prints (see
//! `testdata/make_scipy_reference.py`). One family per file, statrs-style; each function's doc
//! gives its formula, domain and source:
//!
//! | file | functions |
//! |------|-----------|
//! | `descriptive` | [`std_pop`] |
//! | `cephes` | [`ldexp`] and the polynomial helpers and constants of the Cephes ports |
//! | `normal` | [`erf`], [`erfc`], [`ndtr`] |
//! | `modelgate_sdk::stats` | [`ln_gamma`], [`igamc`], [`chi2_sf`] (shared with the `ab-test` check) |
//! | `ks` | [`ks_2samp`] ([`Ks`]), [`prob_outside_square`], [`outer_prob_inside`] |
//! | `kolmogorov` | [`kolmogn_sf`] (Durbin, Pomeranz, Pelz–Good) |
//! | `smirnov` | [`smirnov_sf`] (Loader's binomial terms) |

// The published constants keep their full decimal expansions.
#![allow(clippy::excessive_precision)]

mod cephes;
mod descriptive;
mod kolmogorov;
mod ks;
mod normal;
mod smirnov;

pub use cephes::ldexp;
pub use descriptive::std_pop;
pub use kolmogorov::kolmogn_sf;
pub use ks::{ks_2samp, outer_prob_inside, prob_outside_square, Ks, KS_MAX_AUTO_N};
pub use modelgate_sdk::stats::{chi2_sf, igamc, ln_gamma};
pub use normal::{erf, erfc, ndtr};
pub use smirnov::smirnov_sf;

#[cfg(test)]
mod tests {
    use modelgate_sdk::numeric::pairwise_sum;

    use super::*;

    fn close(a: f64, b: f64, rtol: f64) -> bool {
        (a - b).abs() <= rtol * b.abs() || a == b
    }

    #[test]
    fn pairwise_sum_matches_naive_for_small_inputs() {
        let v: Vec<f64> = (0..300).map(|i| i as f64 * 0.1).collect();
        let naive: f64 = v.iter().sum();
        assert!((pairwise_sum(&v) - naive).abs() < 1e-9);
        assert_eq!(pairwise_sum(&[1.0, 2.0]), 3.0);
        assert_eq!(pairwise_sum(&[]), 0.0);
    }

    #[test]
    fn normal_cdf_known_values() {
        // scipy.stats.norm.cdf
        assert!(close(ndtr(0.0), 0.5, 1e-15));
        assert!(close(ndtr(1.96), 0.9750021048517795, 1e-14));
        assert!(close(ndtr(-3.0), 0.0013498980316300933, 1e-13));
        assert!(close(erfc(2.0), 0.004677734981047266, 1e-14));
    }

    #[test]
    fn ln_gamma_known_values() {
        assert!((ln_gamma(1.0)).abs() < 1e-15);
        assert!((ln_gamma(2.0)).abs() < 1e-15);
        assert!(close(ln_gamma(0.5), 0.5723649429247, 1e-14));
        assert!(close(ln_gamma(10.0), 12.801827480081469, 1e-14));
        assert!(close(ln_gamma(1000.5), 5908.674175848678, 1e-13));
    }

    #[test]
    fn chi2_sf_known_values() {
        // scipy.stats.chi2.sf(x, df)
        assert!(close(chi2_sf(3.84, 1.0), 0.05004352124870519, 1e-12));
        assert!(close(chi2_sf(10.0, 4.0), 0.04042768199451279, 1e-12));
        assert!(close(chi2_sf(2.0, 2.0), (-1.0f64).exp(), 1e-14));
        assert_eq!(chi2_sf(f64::INFINITY, 3.0), 0.0);
        assert_eq!(chi2_sf(0.0, 3.0), 1.0);
    }

    #[test]
    fn ks_exact_small_samples() {
        // scipy.stats.ks_2samp([1, 2, 3], [4, 5, 6]): D = 1, p = 0.1
        let r = ks_2samp(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]);
        assert_eq!(r.statistic, 1.0);
        assert!(close(r.pvalue, 0.1, 1e-14), "{r:?}");
        assert!(r.exact);
        let r = ks_2samp(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(r.statistic, 0.0);
        assert_eq!(r.pvalue, 1.0);
    }

    #[test]
    fn smirnov_agrees_with_known_values() {
        // scipy.special.smirnov
        assert!(
            close(smirnov_sf(5, 0.5), 0.056, 1e-12),
            "{}",
            smirnov_sf(5, 0.5)
        );
        assert!(
            close(smirnov_sf(10, 0.3), 0.1354635556, 1e-12),
            "{}",
            smirnov_sf(10, 0.3)
        );
    }
}
