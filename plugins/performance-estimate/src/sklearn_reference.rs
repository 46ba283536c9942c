//! The math of [`crate::cbpe`] against scikit-learn 1.7.2 on generated data with ties
//! (testdata/make_sklearn_reference.py writes testdata/sklearn_reference.json), to 1e-9 relative.

use serde_json::Value;

use crate::cbpe::{self, Isotonic, METRICS};

fn reference() -> Value {
    let text = include_str!("../testdata/sklearn_reference.json");
    serde_json::from_str(text).expect("sklearn_reference.json is JSON")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn flags(v: &Value) -> Vec<bool> {
    floats(v).into_iter().map(|x| x == 1.0).collect()
}

/// Largest relative difference seen, asserted ≤ 1e-9 (absolute 1e-15 near zero).
fn close(what: &str, got: f64, want: f64, worst: &mut f64) {
    let diff = (got - want).abs();
    let rel = diff / want.abs().max(1e-300);
    if diff > 1e-15 {
        *worst = worst.max(rel);
    }
    assert!(
        rel <= 1e-9 || diff <= 1e-15,
        "{what}: got {got}, scikit-learn {want} (rel {rel:e})"
    );
}

#[test]
fn matches_scikit_learn() {
    let r = reference();
    let mut worst = 0.0f64;
    let cases = r["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let s_ref = floats(&c["reference"]["score"]);
        let y_ref = floats(&c["reference"]["label"]);
        let iso = Isotonic::fit(&s_ref, &y_ref).unwrap();
        for (t, want) in floats(&c["probes"])
            .iter()
            .zip(floats(&c["isotonic_at_probes"]))
        {
            close(
                &format!("{name}: isotonic({t})"),
                iso.predict(*t),
                want,
                &mut worst,
            );
        }
        let s_cur = floats(&c["current"]["score"]);
        let pred_cur = flags(&c["current"]["predicted"]);
        let p: Vec<f64> = s_cur.iter().map(|&s| iso.predict(s)).collect();
        for (i, (got, want)) in p.iter().zip(floats(&c["calibrated"])).enumerate() {
            close(&format!("{name}: p[{i}]"), *got, want, &mut worst);
        }
        let y_cur = floats(&c["current"]["label"]);
        for (key, probs) in [
            ("estimated", &p),
            ("uncalibrated", &s_cur),
            ("realized", &y_cur),
        ] {
            let got = cbpe::metrics(&s_cur, probs, &pred_cur);
            for (k, m) in METRICS.iter().enumerate() {
                let want = c[key][m].as_f64().unwrap();
                close(
                    &format!("{name}: {key} {m}"),
                    got[k].unwrap(),
                    want,
                    &mut worst,
                );
                if key == "realized" {
                    let plain = c["realized_sklearn"][m].as_f64().unwrap();
                    close(
                        &format!("{name}: realized {m} (unweighted)"),
                        got[k].unwrap(),
                        plain,
                        &mut worst,
                    );
                }
            }
        }
        let comps = cbpe::standard_errors(
            &flags(&c["reference"]["label"]),
            &flags(&c["reference"]["predicted"]),
            &s_ref,
        );
        for (k, m) in METRICS.iter().enumerate() {
            let want = floats(&c["components"][m]);
            let got = comps[k].unwrap();
            close(&format!("{name}: {m} std"), got.std, want[0], &mut worst);
            close(
                &format!("{name}: {m} fraction"),
                got.fraction,
                want[1],
                &mut worst,
            );
        }
    }
    // For the record (cargo test -- --nocapture).
    let _ = std::io::Write::write_fmt(
        &mut std::io::stderr(),
        format_args!("largest relative difference from scikit-learn: {worst:e}\n"),
    );
}

fn classes(v: &Value) -> Vec<usize> {
    floats(v).into_iter().map(|x| x as usize).collect()
}

#[test]
fn multiclass_matches_scikit_learn() {
    let r = reference();
    let mut worst = 0.0f64;
    let cases = r["multiclass"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let s_ref: Vec<Vec<f64>> = c["reference"]["score"]
            .as_array()
            .unwrap()
            .iter()
            .map(floats)
            .collect();
        let s_cur: Vec<Vec<f64>> = c["current"]["score"]
            .as_array()
            .unwrap()
            .iter()
            .map(floats)
            .collect();
        let y_ref = classes(&c["reference"]["label"]);
        let y_cur = classes(&c["current"]["label"]);
        let pred_ref = classes(&c["reference"]["predicted"]);
        let pred_cur = classes(&c["current"]["predicted"]);
        let k = s_ref.len();
        let mut p: Vec<Vec<f64>> = (0..k)
            .map(|cls| {
                let y: Vec<f64> = y_ref
                    .iter()
                    .map(|&v| f64::from(u8::from(v == cls)))
                    .collect();
                let iso = Isotonic::fit(&s_ref[cls], &y).unwrap();
                s_cur[cls].iter().map(|&s| iso.predict(s)).collect()
            })
            .collect();
        cbpe::renormalise(&mut p);
        let want_p: Vec<Vec<f64>> = c["calibrated"]
            .as_array()
            .unwrap()
            .iter()
            .map(floats)
            .collect();
        for cls in 0..k {
            for (i, (got, want)) in p[cls].iter().zip(&want_p[cls]).enumerate() {
                close(&format!("{name}: p[{cls}][{i}]"), *got, *want, &mut worst);
            }
        }
        let estimated = cbpe::multiclass_metrics(&s_cur, &p, &pred_cur);
        let one_hot: Vec<Vec<f64>> = (0..k)
            .map(|cls| {
                y_cur
                    .iter()
                    .map(|&v| f64::from(u8::from(v == cls)))
                    .collect()
            })
            .collect();
        let realized = cbpe::multiclass_metrics(&s_cur, &one_hot, &pred_cur);
        let se =
            cbpe::MulticlassErrors::new(&y_ref, &pred_ref, &s_ref).standard_errors(y_cur.len());
        for (m, metric) in METRICS.iter().enumerate() {
            let want = |key: &str| c[key][metric].as_f64().unwrap();
            close(
                &format!("{name}: estimated {metric}"),
                estimated[m].unwrap(),
                want("estimated"),
                &mut worst,
            );
            close(
                &format!("{name}: realized {metric}"),
                realized[m].unwrap(),
                want("realized"),
                &mut worst,
            );
            close(
                &format!("{name}: SE {metric}"),
                se[m].unwrap(),
                want("standard_errors"),
                &mut worst,
            );
        }
    }
    let _ = std::io::Write::write_fmt(
        &mut std::io::stderr(),
        format_args!("multiclass: largest relative difference from scikit-learn: {worst:e}\n"),
    );
}
