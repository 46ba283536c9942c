//! Distributions the built-in checks share, computed as scipy computes them (re-implemented:
//! plugins run in a WebAssembly sandbox without C libraries), each unit-tested against values
//! scipy prints.
//!
//! * [`ln_gamma`], [`igamc`], [`chi2_sf`]: `ln Γ`, the regularized upper incomplete gamma
//!   function and `scipy.stats.chi2.sf` (Cephes / Boost ports; the drift check's chi-square
//!   test and the ab-test check's sample-ratio test).
//! * [`t_sf`], [`t_cdf`], [`t_pdf`], [`t_isf`], [`t_two_sided_p`]: Student's t for real
//!   degrees of freedom (`scipy.stats.t`), via the regularized incomplete beta function
//!   [`incomplete_beta`] and the large-argument-safe gamma ratio [`ln_gamma_delta`] (Welch's
//!   t-test in the ab-test check).

// The published constants keep their full decimal expansions.
#![allow(clippy::excessive_precision)]

mod gamma;
mod student_t;

pub use gamma::{chi2_sf, igamc, ln_gamma};
pub use student_t::{incomplete_beta, ln_gamma_delta, t_cdf, t_isf, t_pdf, t_sf, t_two_sided_p};
