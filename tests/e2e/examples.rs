//! The bundled examples' own gates (examples/*/gate.toml) run as a user runs them: their terminal
//! output is snapshotted, and their numbers are compared with each example's expected.json
//! (scikit-learn, scipy, pandas).

use crate::support::*;

/// Runs an example's own gate.toml, snapshots what it prints (not a terminal, NO_COLOR) and
/// returns its report.
fn run_example(name: &str, code: i32) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let policy = root().join("examples").join(name).join("gate.toml");
    let out = modelgate(&[
        "check",
        policy.to_str().unwrap(),
        "--json",
        report.to_str().unwrap(),
    ])
    .expect_code(code);
    snapshot!(format!("check_{name}"), out.transcript());
    serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap()
}

/// An example's expected.json (written by its generate.py from scikit-learn, scipy and pandas).
fn expected_of(example_name: &str) -> serde_json::Value {
    let path = root()
        .join("examples")
        .join(example_name)
        .join("expected.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Compares every model metric of an example's expected.json with the report's performance check.
fn assert_models_match(example_name: &str, report: &serde_json::Value) -> usize {
    let exp = expected_of(example_name);
    let perf = check(report, "performance");
    let mut compared = 0;
    for (model, metrics) in exp["models"].as_object().unwrap() {
        for (name, want) in metrics.as_object().unwrap() {
            if let Some(want) = want.as_f64() {
                assert_close(
                    &format!("{example_name} {model} {name}"),
                    metric(perf, name, model),
                    want,
                );
                compared += 1;
            }
        }
    }
    compared
}

#[test]
fn diabetes_regression_example_matches_scikit_learn_and_promotes() {
    let report = run_example("diabetes", 0);
    assert_eq!(report["verdict"], "promote");
    assert_eq!(
        assert_models_match("diabetes", &report),
        8,
        "rmse, mae, r2, mape for both models"
    );
}

/// Compares an example's expected drift section with its report's `drift` check.
fn assert_example_drift(example_name: &str, report: &serde_json::Value) -> usize {
    let exp = expected_of(example_name);
    let drift = check(report, "drift");
    let find = |name: &str, column: &str| -> f64 {
        drift["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name && m["column"] == column)
            .unwrap_or_else(|| panic!("{example_name}: no {name} for {column}"))["value"]
            .as_f64()
            .unwrap()
    };
    let mut compared = 0;
    for (column, c) in exp["drift"]["columns"].as_object().unwrap() {
        for (name, want) in c.as_object().unwrap() {
            let stat = matches!(
                name.as_str(),
                "ks_statistic"
                    | "ks_pvalue"
                    | "chi2_pvalue"
                    | "z_pvalue"
                    | "wasserstein_normed"
                    | "jensen_shannon"
                    | "psi"
            );
            if stat {
                assert_close(
                    &format!("{example_name} {column} {name}"),
                    find(name, column),
                    want.as_f64().unwrap(),
                );
                compared += 1;
            }
        }
        assert_eq!(
            find("drift_detected", column) == 1.0,
            c["drift_detected"].as_bool().unwrap(),
            "{example_name} {column}"
        );
        compared += 1;
    }
    compared
}

#[test]
fn wine_multiclass_example_matches_scikit_learn_and_scipy_and_promotes() {
    let report = run_example("wine", 0);
    assert_eq!(report["verdict"], "promote");
    assert!(assert_models_match("wine", &report) >= 14);
    assert!(assert_example_drift("wine", &report) >= 39);
    assert_eq!(check(&report, "data-quality")["status"], "pass");
}

#[test]
fn production_window_drift_and_data_problems_are_flagged() {
    let report = run_example("production-window", 1);
    assert_eq!(report["verdict"], "reject");
    assert!(assert_example_drift("production-window", &report) >= 14);
    let exp = expected_of("production-window");
    for id in exp["failing_checks"].as_object().unwrap().keys() {
        assert_eq!(check(&report, id)["status"], "fail", "{id}");
    }
    let dq = check(&report, "data-quality");
    let dup = dq["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "duplicate_rows")
        .unwrap();
    assert_eq!(
        dup["value"],
        exp["data_quality"]["duplicate_rows"].as_f64().unwrap()
    );
    assert_eq!(dup["passed"], false);
}

#[test]
fn staging_ab_examples_promote_and_reject() {
    // The numbers are compared with scipy in ab_test.rs; here the runs a user sees.
    let report = run_example("staging-ab", 0);
    assert_eq!(report["verdict"], "promote");
    let exp = expected_of("staging-ab");
    assert_eq!(exp["verdicts"]["gate.toml"], "promote");
    let policy = root().join("examples/staging-ab/gate-guardrail.toml");
    let out = modelgate(&["check", policy.to_str().unwrap()]).expect_code(1);
    snapshot!("check_staging-ab_guardrail", out.transcript());
    assert_eq!(exp["verdicts"]["gate-guardrail.toml"], "reject");
}
