//! Descriptive statistics computed in numpy's summation order.

use modelgate_sdk::numeric::{mean, pairwise_sum};

/// The population standard deviation `sqrt(Σ (a_i − mean)² / n)` (ddof = 0), as `np.std(a)`
/// computes it: numpy's mean, the squared deviations, their pairwise sum over `n`, the square
/// root. The order of `a` matters in the last bits. Domain: a non-empty slice (NaN for an empty
/// one). Source: numpy `_methods._var`, `pairwise_sum` in `umath/loops_utils.h`.
pub fn std_pop(a: &[f64]) -> f64 {
    let m = mean(a);
    let sq: Vec<f64> = a
        .iter()
        .map(|&x| {
            let d = x - m;
            d * d
        })
        .collect();
    (pairwise_sum(&sq) / a.len() as f64).sqrt()
}
