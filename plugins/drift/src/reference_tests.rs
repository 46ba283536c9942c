//! Compares the statistics with what scipy / numpy compute on the same data
//! (`testdata/scipy_reference.json`, written by `testdata/make_scipy_reference.py`).

use serde_json::Value;

use crate::methods::{self, Categories, NumSample};
use crate::stats;

const REFERENCE: &str = include_str!("../testdata/scipy_reference.json");

/// The relative tolerance the plugin promises against scipy.
const RTOL: f64 = 1e-9;

fn reference() -> Value {
    serde_json::from_str(REFERENCE).expect("valid JSON")
}

/// The LCG of the generator script.
struct Lcg(u64);

impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn sample(seed: u64, n: usize, shift: f64, scale: f64, decimals: Option<i32>) -> Vec<f64> {
    let mut rng = Lcg(seed);
    (0..n)
        .map(|_| {
            let x = rng.uniform() + rng.uniform() + rng.uniform() + rng.uniform();
            let x = (x - 2.0) * scale + shift;
            match decimals {
                Some(d) => {
                    let f = 10f64.powi(d);
                    (x * f).floor() / f
                }
                None => x,
            }
        })
        .collect()
}

fn ints(seed: u64, n: usize, k: u64) -> Vec<f64> {
    let mut rng = Lcg(seed);
    (0..n).map(|_| (rng.uniform() * k as f64).floor()).collect()
}

#[track_caller]
fn check(what: &str, got: f64, want: f64, rtol: f64) {
    let ok = got == want || (got - want).abs() <= rtol * want.abs();
    assert!(
        ok,
        "{what}: got {got:e}, scipy {want:e} (rel. error {:e})",
        ((got - want) / want).abs()
    );
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

fn u(v: &Value) -> u64 {
    v.as_u64().expect("integer")
}

fn decimals(v: &Value) -> Option<i32> {
    v.as_i64().map(|d| d as i32)
}

#[test]
fn ndtr_matches_scipy() {
    for row in reference()["ndtr"].as_array().unwrap() {
        let x = f(&row[0]);
        check(&format!("ndtr({x})"), stats::ndtr(x), f(&row[1]), 1e-13);
    }
}

#[test]
fn chi2_sf_matches_scipy() {
    for row in reference()["chi2_sf"].as_array().unwrap() {
        let (x, df, want) = (f(&row[0]), f(&row[1]), f(&row[2]));
        check(
            &format!("chi2.sf({x}, {df})"),
            stats::chi2_sf(x, df),
            want,
            RTOL,
        );
    }
}

#[test]
fn kstwo_sf_matches_scipy() {
    for row in reference()["kstwo_sf"].as_array().unwrap() {
        let (n, x, want) = (u(&row[0]), f(&row[1]), f(&row[2]));
        check(
            &format!("kstwo.sf({x}, {n})"),
            stats::kolmogn_sf(n, x),
            want,
            RTOL,
        );
    }
}

#[test]
fn smirnov_matches_scipy() {
    for row in reference()["smirnov"].as_array().unwrap() {
        let (n, x, want) = (u(&row[0]), f(&row[1]), f(&row[2]));
        check(
            &format!("smirnov({n}, {x})"),
            stats::smirnov_sf(n, x),
            want,
            RTOL,
        );
    }
}

#[test]
fn ks_and_wasserstein_match_scipy() {
    for c in reference()["ks"].as_array().unwrap() {
        let seed = u(&c["seed"]);
        let (n1, n2) = (u(&c["n1"]) as usize, u(&c["n2"]) as usize);
        let d = decimals(&c["decimals"]);
        let a = NumSample::new(sample(seed, n1, 0.0, 1.0, d));
        let b = NumSample::new(sample(seed + 1000, n2, f(&c["shift"]), f(&c["scale2"]), d));
        let r = methods::ks(&a, &b);
        let what = format!("ks seed {seed} ({n1} vs {n2})");
        check(
            &format!("{what} statistic"),
            r.statistic,
            f(&c["statistic"]),
            1e-15,
        );
        check(&format!("{what} p-value"), r.pvalue, f(&c["pvalue"]), RTOL);
        check(
            &format!("{what} wasserstein"),
            methods::wasserstein_normed(&a, &b),
            f(&c["wasserstein_normed"]),
            1e-12,
        );
    }
}

#[test]
fn categorical_methods_match_scipy() {
    for c in reference()["categorical"].as_array().unwrap() {
        let seed = u(&c["seed"]);
        let (n1, n2) = (u(&c["n1"]) as usize, u(&c["n2"]) as usize);
        let a = NumSample::new(ints(seed, n1, u(&c["k1"])));
        let b = NumSample::new(ints(seed + 1000, n2, u(&c["k2"])));
        let cats = Categories::from_sorted(&a.sorted, &b.sorted, |v| format!("{v}"));
        let what = format!("categorical seed {seed}");
        let (stat, p) = methods::chi2(&cats);
        match c["chi2_statistic"].as_f64() {
            Some(want) => check(&format!("{what} chi2"), stat, want, 1e-12),
            None => assert!(stat.is_infinite(), "{what}: chi2 {stat}"),
        }
        check(&format!("{what} chi2 p"), p, f(&c["chi2_pvalue"]), RTOL);
        let (z, zp) = methods::z_test(&cats);
        check(
            &format!("{what} z"),
            z.unwrap(),
            f(&c["z_statistic"]),
            1e-12,
        );
        check(&format!("{what} z p"), zp, f(&c["z_pvalue"]), RTOL);
        let bins = methods::binned_categories(&cats);
        check(
            &format!("{what} js"),
            methods::jensen_shannon(&bins.reference, &bins.current),
            f(&c["jensen_shannon"]),
            RTOL,
        );
        check(
            &format!("{what} psi"),
            methods::psi(&bins.reference, &bins.current),
            f(&c["psi"]),
            1e-12,
        );
    }
}

#[test]
fn binned_numeric_methods_match_numpy() {
    for c in reference()["binned_numeric"].as_array().unwrap() {
        let seed = u(&c["seed"]);
        let (n1, n2) = (u(&c["n1"]) as usize, u(&c["n2"]) as usize);
        let d = decimals(&c["decimals"]);
        let a = NumSample::new(sample(seed, n1, 0.0, 1.0, d));
        let b = NumSample::new(sample(seed + 1000, n2, f(&c["shift"]), 1.0, d));
        let what = format!("binned seed {seed}");
        assert_eq!(a.unique() as u64, u(&c["reference_unique"]), "{what}");
        let edges: Vec<f64> = c["edges"].as_array().unwrap().iter().map(f).collect();
        assert_eq!(
            methods::sturges_edges(&a.sorted, &b.sorted, false),
            edges,
            "{what}"
        );
        let bins = if a.unique() > 20 {
            methods::binned_numeric(&a.sorted, &b.sorted, false)
        } else {
            methods::binned_categories(&Categories::from_sorted(&a.sorted, &b.sorted, |v| {
                format!("{v}")
            }))
        };
        check(
            &format!("{what} js"),
            methods::jensen_shannon(&bins.reference, &bins.current),
            f(&c["jensen_shannon"]),
            RTOL,
        );
        check(
            &format!("{what} psi"),
            methods::psi(&bins.reference, &bins.current),
            f(&c["psi"]),
            1e-12,
        );
        check(
            &format!("{what} wasserstein"),
            methods::wasserstein_normed(&a, &b),
            f(&c["wasserstein_normed"]),
            1e-12,
        );
    }
}
