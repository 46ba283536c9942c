//! The check's statistics against scipy: `testdata/reference.json`, written by
//! `testdata/make_reference.py` (numpy and scipy on the raw per-unit values; the confidence
//! sequence re-implemented there in Howard et al.'s form). Every value must agree to 1e-9
//! relative; the largest difference is printed (`cargo test -- --nocapture`).

#![allow(clippy::print_stderr)] // the tests print the largest difference from scipy

use serde_json::Value;

use crate::stats::{self, ArmEstimate, Method, Moments};
use modelgate_sdk::stats::{t_isf, t_sf};

const RTOL: f64 = 1e-9;

fn reference() -> Value {
    serde_json::from_str(include_str!("../testdata/reference.json")).expect("reference.json")
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("a number")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("an array").iter().map(f).collect()
}

/// Tracks the largest relative difference seen.
struct Worst(f64, String);

impl Worst {
    fn check(&mut self, what: &str, got: f64, want: f64, rtol: f64) {
        let diff = (got - want).abs();
        let rel = if want == 0.0 { diff } else { diff / want.abs() };
        assert!(
            rel <= rtol || diff <= 1e-300,
            "{what}: got {got:e}, scipy {want:e} (relative difference {rel:e})"
        );
        if rel > self.0 {
            *self = Worst(rel, what.to_string());
        }
    }
}

/// The moments the host computes (two passes: means, then centered co-moments), here with
/// plain sums (the host compensates them; both are far within 1e-9 on these sizes).
fn moments(columns: &[Vec<f64>]) -> Moments {
    let n = columns[0].len();
    let means: Vec<f64> = columns
        .iter()
        .map(|c| c.iter().sum::<f64>() / n as f64)
        .collect();
    let mut comoments = Vec::new();
    for a in 0..columns.len() {
        for b in a..columns.len() {
            comoments.push(
                (0..n)
                    .map(|i| (columns[a][i] - means[a]) * (columns[b][i] - means[b]))
                    .sum(),
            );
        }
    }
    Moments {
        n: n as u64,
        means,
        comoments,
    }
}

#[test]
fn comparisons_match_scipy() {
    let doc = reference();
    let mut worst = Worst(0.0, String::new());
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let arm = |a: &str| {
            let cols: Vec<Vec<f64>> = case["arms"][a]
                .as_array()
                .unwrap()
                .iter()
                .map(floats)
                .collect();
            moments(&cols)
        };
        let (c, t) = (arm("control"), arm("treatment"));
        let (ce, te): (ArmEstimate, ArmEstimate) = match case["kind"].as_str().unwrap() {
            "mean" => (stats::mean_metric(&c), stats::mean_metric(&t)),
            "ratio" => (stats::ratio_metric(&c), stats::ratio_metric(&t)),
            "cuped" => {
                let (ce, te, theta) = stats::cuped(&c, &t).unwrap();
                worst.check(
                    &format!("{name} theta"),
                    theta,
                    f(&case["expected"]["theta"]),
                    RTOL,
                );
                (ce, te)
            }
            other => panic!("unknown kind {other}"),
        };
        let alpha = f(&case["alpha"]);
        let method = if case["sequential"].as_bool().unwrap() {
            Method::Sequential {
                tuning: f(&case["n_star"]),
            }
        } else {
            Method::Fixed
        };
        let r = stats::compare(ce, te, alpha, method).unwrap();
        let e = &case["expected"];
        for (key, got) in [
            ("control_mean", r.control.mean),
            ("treatment_mean", r.treatment.mean),
            ("absolute_delta", r.delta),
            ("delta_ci_lower", r.delta_ci.0),
            ("delta_ci_upper", r.delta_ci.1),
            ("p_value", r.p_value),
            ("relative_lift", r.lift),
            ("lift_ci_lower", r.lift_ci.0),
            ("lift_ci_upper", r.lift_ci.1),
            ("df", r.df),
        ] {
            worst.check(&format!("{name} {key}"), got, f(&e[key]), RTOL);
        }
    }
    eprintln!(
        "ab-test vs scipy: largest relative difference {:e} ({})",
        worst.0, worst.1
    );
}

#[test]
fn sample_ratio_tests_match_scipy_chisquare() {
    let mut worst = Worst(0.0, String::new());
    for row in reference()["srm"].as_array().unwrap() {
        let counts: Vec<u64> = row["counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        let (stat, p) = stats::srm(&counts, &floats(&row["shares"]));
        worst.check(
            &format!("srm {counts:?} statistic"),
            stat,
            f(&row["statistic"]),
            RTOL,
        );
        worst.check(&format!("srm {counts:?} p"), p, f(&row["p_value"]), RTOL);
    }
    eprintln!(
        "srm vs scipy: largest relative difference {:e} ({})",
        worst.0, worst.1
    );
}

#[test]
fn student_t_matches_scipy() {
    let mut worst = Worst(0.0, String::new());
    for row in reference()["student_t"].as_array().unwrap() {
        let df = f(&row["df"]);
        if let Some(want) = row.get("sf") {
            let t = f(&row["t"]);
            worst.check(&format!("t.sf({t}, {df})"), t_sf(t, df), f(want), 1e-12);
        } else {
            let p = f(&row["upper"]);
            worst.check(
                &format!("t.isf({p}, {df})"),
                t_isf(p, df),
                f(&row["isf"]),
                1e-12,
            );
        }
    }
    eprintln!(
        "student t vs scipy: largest relative difference {:e} ({})",
        worst.0, worst.1
    );
}
