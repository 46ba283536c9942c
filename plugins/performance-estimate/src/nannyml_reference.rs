//! [`crate::cbpe`] against NannyML 0.13.1's CBPE on a generated 10-day log with daily chunks,
//! where NannyML decides to calibrate (testdata/make_nannyml_reference.py writes
//! testdata/nannyml_reference.json). Accuracy, precision, recall, f1 and every sampling error agree
//! to 1e-12 (largest difference 7e-16). roc_auc agrees to 1e-6 (largest 6.4e-8): NannyML rounds
//! the cumulative TP / FP weights of its ROC curve to 5 decimals; without that rounding its
//! formula equals scikit-learn's weighted AUC to 2e-16 on this data. (The scores have no ties:
//! NannyML walks tied scores row by row in argsort order instead of as one ROC point.)

use serde_json::Value;

use crate::cbpe::{self, Isotonic, METRICS};

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

#[test]
fn matches_nannyml_per_chunk() {
    let r: Value =
        serde_json::from_str(include_str!("../testdata/nannyml_reference.json")).unwrap();
    assert_eq!(r["needs_calibration"], true);
    let s_ref = floats(&r["reference"]["score"]);
    let y_ref = floats(&r["reference"]["label"]);
    let labels: Vec<bool> = y_ref.iter().map(|&y| y == 1.0).collect();
    let pred_ref: Vec<bool> = floats(&r["reference"]["predicted"])
        .iter()
        .map(|&p| p == 1.0)
        .collect();
    let iso = Isotonic::fit(&s_ref, &y_ref).unwrap();
    let components = cbpe::standard_errors(&labels, &pred_ref, &s_ref);
    let score = floats(&r["analysis"]["score"]);
    let pred: Vec<bool> = floats(&r["analysis"]["predicted"])
        .iter()
        .map(|&p| p == 1.0)
        .collect();
    let mut worst = [0.0f64; 5];
    let mut worst_se = 0.0f64;
    let chunks = r["chunks"].as_array().unwrap();
    assert_eq!(chunks.len(), 10);
    for chunk in chunks {
        let (a, b) = (
            chunk["start"].as_u64().unwrap() as usize,
            chunk["end"].as_u64().unwrap() as usize + 1,
        );
        let s = &score[a..b];
        let p: Vec<f64> = s.iter().map(|&x| iso.predict(x)).collect();
        let got = cbpe::metrics(s, &p, &pred[a..b]);
        for (k, m) in METRICS.iter().enumerate() {
            let want = chunk[m]["value"].as_f64().unwrap();
            let diff = (got[k].unwrap() - want).abs();
            worst[k] = worst[k].max(diff);
            let tolerance = if *m == "roc_auc" { 1e-6 } else { 1e-12 };
            assert!(
                diff <= tolerance,
                "chunk {a}..{b} {m}: {} vs NannyML {want}",
                got[k].unwrap()
            );
            let se = components[k].unwrap().standard_error(b - a);
            let want_se = chunk[m]["sampling_error"].as_f64().unwrap();
            worst_se = worst_se.max((se - want_se).abs());
            assert!(
                (se - want_se).abs() <= 1e-12,
                "chunk {a}..{b} {m} SE: {se} vs NannyML {want_se}"
            );
        }
    }
    let _ = std::io::Write::write_fmt(
        &mut std::io::stderr(),
        format_args!(
            "largest absolute differences from NannyML: {METRICS:?} {worst:?}, SE {worst_se:e}\n"
        ),
    );
}
