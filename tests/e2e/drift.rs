//! The `drift` plugin: every statistic compared with scipy and every decision with Evidently on
//! the reference cases (tests/reference), multiple-testing corrections, prediction drift.

use crate::support::*;

/// Runs the drift plugin on a reference case (auto, then each method forced on the columns it
/// applies to) and compares every statistic with scipy and every decision with Evidently.
fn assert_drift_case(case: &str) -> usize {
    let refdir = root().join("tests/reference");
    let exp: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(refdir.join(format!("expected/{case}.json"))).unwrap(),
    )
    .unwrap();
    let columns = exp["columns"].as_object().unwrap();
    let methods = ["ks", "chi2", "z", "wasserstein", "jensen_shannon", "psi"];
    // The datasets are named by the case's expected JSON; one check per method follows.
    let mut policy = r#"
version = 1
name = "CASE"
[datasets]
reference = "{reference}/REFERENCE"
current = "{reference}/CURRENT"
[[checks]]
id = "auto"
plugin = "drift"
severity = "advisory"
[checks.config]
method = "auto"
"#
    .replace("CASE", case)
    .replace("REFERENCE", exp["reference"].as_str().unwrap())
    .replace("CURRENT", exp["current"].as_str().unwrap());
    for m in methods {
        let cols: Vec<String> = columns
            .iter()
            .filter(|(_, c)| c["methods"].get(m).is_some())
            .map(|(n, _)| format!("\"{n}\""))
            .collect();
        if !cols.is_empty() {
            let check = r#"
[[checks]]
id = "METHOD"
plugin = "drift"
severity = "advisory"
[checks.config]
method = "METHOD"
include = [COLUMNS]
"#;
            policy += &check
                .replace("METHOD", m)
                .replace("COLUMNS", &cols.join(", "));
        }
    }
    let gate = Gate::new(&policy);
    gate.check(&[]).expect_code(0);
    let report = gate.report();
    let value = |check_id: &str, name: &str, column: Option<&str>| -> f64 {
        let c = check(&report, check_id);
        c["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name && m["column"].as_str() == column && m["model"].is_null())
            .unwrap_or_else(|| {
                panic!(
                    "{case}/{check_id}: no {name} for {column:?}: {}",
                    c["summary"]
                )
            })["value"]
            .as_f64()
            .unwrap()
    };
    let mut compared = 0;
    for (col, c) in columns {
        let auto = &c["auto"];
        assert_close(
            &format!("{case} {col} auto {}", auto["metric"]),
            value("auto", auto["metric"].as_str().unwrap(), Some(col)),
            auto["value"].as_f64().unwrap(),
        );
        let detected = value("auto", "drift_detected", Some(col)) == 1.0;
        assert_eq!(
            detected,
            auto["drift_detected"].as_bool().unwrap(),
            "{case} {col}: drift decision (auto)"
        );
        assert_eq!(
            detected,
            auto["evidently"]["drift_detected"].as_bool().unwrap(),
            "{case} {col}: Evidently's decision"
        );
        compared += 2;
        for (m, stats) in c["methods"].as_object().unwrap() {
            for (name, want) in stats.as_object().unwrap() {
                if matches!(name.as_str(), "threshold" | "drift_detected" | "evidently") {
                    continue;
                }
                let Some(want) = want.as_f64() else { continue };
                assert_close(
                    &format!("{case} {col} {m} {name}"),
                    value(m, name, Some(col)),
                    want,
                );
                compared += 1;
            }
            let detected = value(m, "drift_detected", Some(col)) == 1.0;
            assert_eq!(
                detected,
                stats["drift_detected"].as_bool().unwrap(),
                "{case} {col}: drift decision ({m})"
            );
            compared += 1;
        }
    }
    let ds = &exp["dataset"];
    assert_close(
        &format!("{case} drift_share"),
        value("auto", "drift_share", None),
        ds["drift_share"].as_f64().unwrap(),
    );
    assert_eq!(
        value("auto", "drifted_columns", None),
        ds["drifted_columns"].as_f64().unwrap()
    );
    assert_eq!(
        value("auto", "columns_tested", None),
        ds["columns_tested"].as_f64().unwrap()
    );
    assert_eq!(
        check(&report, "auto")["status"] == "fail",
        ds["dataset_drift"].as_bool().unwrap(),
        "{case}: dataset drift"
    );
    assert_eq!(ds["dataset_drift"], ds["evidently"]["dataset_drift"]);
    compared + 3
}

#[test]
fn drift_on_small_references_matches_scipy_and_evidently() {
    let n = assert_drift_case("drift_small");
    assert!(n >= 60, "compared {n}");
}

#[test]
fn drift_on_large_references_matches_scipy_and_evidently() {
    let n = assert_drift_case("drift_large");
    assert!(n >= 30, "compared {n}");
}

#[test]
fn multiple_testing_corrections_follow_bonferroni_and_benjamini_hochberg() {
    let refdir = root().join("tests/reference");
    let exp: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(refdir.join("expected/drift_small.json")).unwrap(),
    )
    .unwrap();
    // The p-value columns of the auto selection, from scipy.
    let pvalues: Vec<(String, f64)> = exp["columns"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, c)| c["auto"]["metric"].as_str().unwrap().ends_with("_pvalue"))
        .map(|(n, c)| (n.clone(), c["auto"]["value"].as_f64().unwrap()))
        .collect();
    let m = pvalues.len() as f64;
    assert!(m >= 5.0);
    let alpha = 0.05;
    // Bonferroni: p * m <= alpha. Benjamini-Hochberg (step-up): the k smallest, k the largest rank
    // with p_(k) <= k * alpha / m.
    let mut sorted: Vec<f64> = pvalues.iter().map(|(_, p)| *p).collect();
    sorted.sort_by(f64::total_cmp);
    let k = (1..=sorted.len())
        .rev()
        .find(|&k| sorted[k - 1] <= k as f64 * alpha / m)
        .unwrap_or(0);
    let bh_cut = if k == 0 { -1.0 } else { sorted[k - 1] };
    let gate = Gate::new(
        r#"
version = 1
name = "corrections"
[datasets]
reference = "{reference}/data/drift_small_reference.csv"
current = "{reference}/data/drift_small_current.csv"
[[checks]]
id = "bonferroni"
plugin = "drift"
severity = "advisory"
[checks.config]
correction = "bonferroni"
[[checks]]
id = "bh"
plugin = "drift"
severity = "advisory"
[checks.config]
correction = "benjamini_hochberg"
"#,
    );
    gate.check(&[]).expect_code(0);
    let report = gate.report();
    let detected = |id: &str, column: &str| {
        check(&report, id)["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == "drift_detected" && x["column"] == column)
            .unwrap()["value"]
            == 1.0
    };
    let mut differs = 0;
    for (column, p) in &pvalues {
        let raw = exp["columns"][column]["auto"]["drift_detected"]
            .as_bool()
            .unwrap();
        assert_eq!(
            detected("bonferroni", column),
            p * m <= alpha,
            "bonferroni {column} p={p}"
        );
        assert_eq!(
            detected("bh", column),
            *p <= bh_cut,
            "benjamini-hochberg {column} p={p}"
        );
        differs += usize::from(raw != detected("bonferroni", column));
    }
    assert!(
        differs > 0,
        "the correction changes at least one decision on this data"
    );
}

#[test]
fn prediction_drift_and_confidence_match_scipy() {
    let exp = expected();
    let gate = Gate::example(
        &r#"
[[checks]]
id = "drift"
plugin = "drift"
severity = "advisory"
[checks.config.prediction]
models = ["candidate", "baseline"]
low_confidence = LOW_CONFIDENCE
"#
        .replace(
            "LOW_CONFIDENCE",
            &exp["prediction"]["low_confidence"].to_string(),
        ),
    );
    gate.check(&[]).expect_code(0);
    let report = gate.report();
    let drift = check(&report, "drift");
    let metrics = drift["metrics"].as_array().unwrap();
    let mut compared = 0;
    for (model, want) in exp["prediction"]["models"].as_object().unwrap() {
        for (name, value) in want.as_object().unwrap() {
            let found = metrics
                .iter()
                .find(|m| {
                    m["name"] == name.as_str()
                        && m["model"] == model.as_str()
                        && (m["column"] == "prediction"
                            || name.ends_with("confidence")
                            || name.ends_with("confidence_share"))
                })
                .unwrap_or_else(|| panic!("no {name} for {model}: {}", drift["summary"]));
            let got = found["value"].as_f64().unwrap();
            match value.as_bool() {
                Some(b) => assert_eq!(got == 1.0, b, "{model} {name}"),
                None => assert_close(
                    &format!("prediction {model} {name}"),
                    got,
                    value.as_f64().unwrap(),
                ),
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 10);
}
