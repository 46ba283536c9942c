//! The one-sided Kolmogorov–Smirnov distribution (`scipy.special.smirnov`) and the
//! binomial probabilities (Loader's saddle-point method) its sum is made of.

use super::cephes::MINLOG;

/// Loader's `stirlerr(n) = ln(n!) − ln(sqrt(2π n) (n/e)^n)` for integer `n >= 0`.
fn stirlerr(n: u64) -> f64 {
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    if n == 0 {
        return 0.0;
    }
    let nf = n as f64;
    if n <= 15 {
        let mut fact = 1.0f64;
        for i in 2..=n {
            fact *= i as f64;
        }
        return fact.ln() - (nf + 0.5) * nf.ln() + nf - (2.0 * std::f64::consts::PI).sqrt().ln();
    }
    let nn = nf * nf;
    if n > 500 {
        (S0 - S1 / nn) / nf
    } else if n > 80 {
        (S0 - (S1 - S2 / nn) / nn) / nf
    } else if n > 35 {
        (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / nf
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / nf
    }
}

/// Loader's deviance term `bd0(x, np) = x ln(x / np) + np − x`, without cancellation.
fn bd0(x: f64, np: f64) -> f64 {
    if (x - np).abs() < 0.1 * (x + np) {
        let mut v = (x - np) / (x + np);
        let mut s = (x - np) * v;
        let mut ej = 2.0 * x * v;
        v *= v;
        for j in 1..1000 {
            ej *= v;
            let s1 = s + ej / (2 * j + 1) as f64;
            if s1 == s {
                return s1;
            }
            s = s1;
        }
        s
    } else {
        x * (x / np).ln() + np - x
    }
}

/// The binomial probability `P(X = k)`, `X ~ B(n, p)`, given `n p` and `n q` (`q = 1 − p`)
/// computed accurately by the caller (Loader's saddle-point `dbinom_raw`).
fn dbinom(k: u64, n: u64, np: f64, nq: f64) -> f64 {
    let nf = n as f64;
    if np <= 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    if nq <= 0.0 {
        return if k == n { 1.0 } else { 0.0 };
    }
    let (p, q) = (np / nf, nq / nf);
    if k == 0 {
        let lc = if p < 0.1 {
            -bd0(nf, nq) - np
        } else {
            nf * q.ln()
        };
        return lc.exp();
    }
    if k == n {
        let lc = if q < 0.1 {
            -bd0(nf, np) - nq
        } else {
            nf * p.ln()
        };
        return lc.exp();
    }
    let kf = k as f64;
    let lc = stirlerr(n) - stirlerr(k) - stirlerr(n - k) - bd0(kf, np) - bd0(nf - kf, nq);
    let lf = (2.0 * std::f64::consts::PI).ln() + kf.ln() + (-kf / nf).ln_1p();
    (lc - 0.5 * lf).exp()
}

/// The survival function `P(D+_n > x)` of the one-sided Kolmogorov–Smirnov statistic
/// `D+_n = sup_t (F_n(t) − F(t))`, for `n >= 1` and `x` in `[0, 1]` (1 at `x = 0`, 0 at
/// `x = 1`, NaN outside or for `n = 0`), by the Birnbaum–Tingey (1951) sum
/// `x Σ_{v < n(1−x)} C(n, v) (x + v/n)^(v−1) (1 − x − v/n)^(n−v)`, each term a binomial
/// probability by Loader's saddle-point method (`stirlerr`, `bd0`; Loader 2000) instead of
/// scipy's double-double arithmetic (~1e-14 relative per term), with scipy's special cases.
/// Source: `scipy.special.smirnov(n, x)` (`xsf/cephes/kolmogorov.h`).
pub fn smirnov_sf(n: u64, x: f64) -> f64 {
    if n == 0 || !(0.0..=1.0).contains(&x) {
        return f64::NAN;
    }
    if n == 1 {
        return 1.0 - x;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x == 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    // n x exactly, as hi + lo.
    let hi = nf * x;
    let lo = nf.mul_add(x, -hi);
    let mut nxfl = hi.floor();
    if hi == nxfl && lo < 0.0 {
        nxfl -= 1.0;
    }
    let alpha = (hi - nxfl) + lo;
    let (nxfl, alpha) = if alpha >= 1.0 {
        (nxfl + 1.0, 0.0)
    } else {
        (nxfl, alpha)
    };
    if nxfl == 0.0 || (nxfl == 1.0 && alpha == 0.0) {
        let cdf = x * (1.0 + x).powf(nf - 1.0);
        return (1.0 - cdf).clamp(0.0, 1.0);
    }
    if -2.0 * nf * x * x < MINLOG {
        return 0.0;
    }
    if nxfl >= nf - 1.0 {
        return (1.0 - x).powf(nf).clamp(0.0, 1.0);
    }
    if n > 1_000_000 {
        let logp = -(6.0 * nf * x + 1.0).powi(2) / 18.0 / nf;
        return if logp < -std::f64::consts::LN_2 {
            logp.exp()
        } else {
            1.0 + logp.exp_m1()
        };
    }
    let vmax = n - nxfl as u64 - 1;
    let mut sum = 0.0f64;
    let mut prev = 0.0f64;
    for v in 0..=vmax {
        let vf = v as f64;
        let np = (vf + hi) + lo;
        let nq = ((nf - vf) - hi) - lo;
        let term = dbinom(v, n, np, nq) / (np / nf);
        sum += term;
        if v > 0 && term < prev && term < sum * 1e-18 {
            break;
        }
        prev = term;
    }
    (x * sum).clamp(0.0, 1.0)
}
