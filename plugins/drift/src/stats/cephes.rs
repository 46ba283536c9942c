//! Helpers and constants shared by the Cephes ports (Moshier, *Methods and Programs for
//! Mathematical Functions*, 1989; as in scipy's `xsf/cephes`).

/// `ldexp(x, e) = x · 2^e` for any `x` and any exponent `e` (C's `ldexp`, which scipy's
/// `_kolmogn` calls to undo its rescaling); exact unless the result is subnormal, zero or
/// infinite. Scales in steps of `2^±1000` so that `2^e` itself never overflows.
pub fn ldexp(mut x: f64, mut e: i64) -> f64 {
    while e > 1000 {
        x *= 2f64.powi(1000);
        e -= 1000;
        if x.is_infinite() {
            return x;
        }
    }
    while e < -1000 {
        x *= 2f64.powi(-1000);
        e += 1000;
        if x == 0.0 {
            return x;
        }
    }
    x * 2f64.powi(e as i32)
}

/// `c[0] x^N + c[1] x^(N-1) + ... + c[N]`, a polynomial with coefficients from the highest
/// power down, by Horner's rule (Cephes `polevl`, Moshier 1989).
pub(super) fn polevl(x: f64, coef: &[f64]) -> f64 {
    coef.iter().fold(0.0, |acc, &c| acc * x + c)
}

/// `x^N + c[0] x^(N-1) + ... + c[N-1]`: [`polevl`] with an implicit leading coefficient 1
/// (Cephes `p1evl`).
pub(super) fn p1evl(x: f64, coef: &[f64]) -> f64 {
    coef.iter().fold(1.0, |acc, &c| acc * x + c)
}

/// Cephes' `MAXLOG`: `ln(2^1024)`.
pub(super) const MAXLOG: f64 = 7.09782712893383996843E2;
/// Cephes' `MINLOG`: `ln(2^-1022)`.
pub(super) const MINLOG: f64 = -7.08396418532264106224E2;
