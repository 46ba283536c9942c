//! The `performance-estimate` plugin (CBPE): its estimates on the breast-cancer (binary) and wine
//! (multiclass) examples against
//! scikit-learn on onnxruntime's outputs
//! (plugins/performance-estimate/testdata/make_example_reference.py), bounds, and the inputs it
//! refuses.

use crate::support::*;

const METRICS: [&str; 5] = ["accuracy", "precision", "recall", "f1", "roc_auc"];

fn reference() -> serde_json::Value {
    let path = root().join("plugins/performance-estimate/testdata/breast_cancer_reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("reference JSON")).expect("JSON")
}

#[test]
fn example_estimates_match_scikit_learn() {
    let mut checks = String::new();
    for model in ["candidate", "baseline"] {
        for calibration in ["isotonic", "none"] {
            checks.push_str(&format!(
                "[[checks]]\nid = \"{model}-{calibration}\"\nplugin = \"performance-estimate\"\n\
                 [checks.config]\nmodel = \"{model}\"\ncalibration = \"{calibration}\"\n"
            ));
        }
    }
    let gate = Gate::example(&checks);
    gate.check(&[]).expect_code(0);
    let report = gate.report();
    let want = reference();
    let mut compared = 0;
    for model in ["candidate", "baseline"] {
        let w = &want["models"][model];
        for calibration in ["isotonic", "none"] {
            let c = check(&report, &format!("{model}-{calibration}"));
            assert_eq!(c["status"], "pass", "{c}");
            for m in METRICS {
                let name = format!("estimated_{m}");
                let ctx = format!("{model} {calibration} {name}");
                let est = &w[calibration]["estimated"][m];
                assert_close(&ctx, metric(c, &name, model), est.as_f64().unwrap());
                let ci = &w[calibration]["ci"][m];
                assert_close(
                    &format!("{ctx}_ci_lower"),
                    metric(c, &format!("{name}_ci_lower"), model),
                    ci[0].as_f64().unwrap(),
                );
                assert_close(
                    &format!("{ctx}_ci_upper"),
                    metric(c, &format!("{name}_ci_upper"), model),
                    ci[1].as_f64().unwrap(),
                );
                assert_close(
                    &format!("{model} realized_{m}"),
                    metric(c, &format!("realized_{m}"), model),
                    w["realized"][m].as_f64().unwrap(),
                );
                compared += 4;
                let estimate = c["metrics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["name"] == name.as_str())
                    .unwrap();
                assert!(
                    estimate.get("column").is_none_or(|v| v.is_null()),
                    "{estimate}"
                );
            }
        }
    }
    assert_eq!(compared, 80, "every reference number was compared");
}

#[test]
fn bounds_gate_the_estimate_and_max_drop_compares_with_the_reference() {
    let want = reference();
    let gate = Gate::example(
        r#"
[[checks]]
id = "est"
plugin = "performance-estimate"
[checks.config.metrics]
estimated_roc_auc = { min = 0.95, max_drop = 0.01 }
estimated_f1 = { min = 0.99 }
"#,
    );
    gate.check(&[]).expect_code(1);
    let report = gate.report();
    let c = check(&report, "est");
    assert_eq!(c["status"], "fail");
    let summary = c["summary"].as_str().unwrap();
    assert!(
        summary.contains("estimated_f1") && summary.contains("min 0.990"),
        "{summary}"
    );
    assert!(!summary.contains("estimated_roc_auc"), "{summary}");
    let auc = c["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "estimated_roc_auc")
        .unwrap();
    assert_eq!(auc["passed"], true);
    assert_eq!(auc["model"], "candidate");
    // max_drop's baseline: the realized roc_auc on the reference.
    let d = &c["details"];
    assert_close(
        "reference roc_auc",
        d["reference_realized"]["roc_auc"].as_f64().unwrap(),
        want["models"]["candidate"]["reference_realized"]["roc_auc"]
            .as_f64()
            .unwrap(),
    );
    assert_eq!(d["rows"], want["rows"]["current"]);
    assert_eq!(d["reference_rows"], want["rows"]["reference"]);
}

/// A gate over prediction columns in `data.csv` (written into the gate's directory).
fn column_gate(task: &str, reference_csv: &str, current_csv: &str) -> Gate {
    let gate = Gate::new(&format!(
        r#"
version = 1
name = "estimate"
[task]
{task}
[datasets]
reference = "reference.csv"
current = "current.csv"
[models.m]
predictions = "pred"
probabilities = ["p0", "p1"]
classes = [0, 1]
[[checks]]
id = "est"
plugin = "performance-estimate"
"#
    ));
    std::fs::write(gate.dir.path().join("reference.csv"), reference_csv).unwrap();
    std::fs::write(gate.dir.path().join("current.csv"), current_csv).unwrap();
    gate
}

const BINARY: &str = "type = \"binary\"\ntarget = \"label\"\npositive_label = 1";
const GOOD: &str =
    "x,label,pred,p0,p1\n1,0,0,0.9,0.1\n2,1,1,0.2,0.8\n3,0,1,0.4,0.6\n4,1,0,0.7,0.3\n";

fn error_of(gate: &Gate) -> String {
    gate.check(&[]).expect_code(2);
    let report = gate.report();
    let c = check(&report, "est");
    assert_eq!(c["status"], "error", "{c}");
    c["error"].as_str().unwrap().to_string()
}

#[test]
fn prediction_columns_are_estimated() {
    let gate = column_gate(BINARY, GOOD, GOOD);
    gate.check(&[]).expect_code(0);
    let report = gate.report();
    let c = check(&report, "est");
    // Calibrated on itself: p = isotonic fit of the labels [0, 1, 1, 0] on the scores
    // [0.1, 0.3, 0.6, 0.8] = [0, 0.5, 0.5, 1]; TP = 0.5 + 1 = 1.5, FP = 0.5 + 0, FN = 0.5, TN = 1.5.
    assert_close("accuracy", metric(c, "estimated_accuracy", "m"), 0.75);
    assert_close("f1", metric(c, "estimated_f1", "m"), 3.0 / 4.0);
    assert_close("realized", metric(c, "realized_accuracy", "m"), 0.5);
}

#[test]
fn bad_inputs_are_errors_that_name_the_problem() {
    let unlabelled = "x,pred,p0,p1\n1,0,0.9,0.1\n2,1,0.2,0.8\n";
    let e = error_of(&column_gate(BINARY, unlabelled, GOOD));
    assert!(e.contains("has no labels") && e.contains("`label`"), "{e}");

    // (A reference without the positive label is refused by the host before any check runs.)
    let one_class = "x,label,pred,p0,p1\n1,1,0,0.9,0.1\n2,1,1,0.2,0.8\n";
    let e = error_of(&column_gate(BINARY, one_class, GOOD));
    assert!(e.contains("one class"), "{e}");

    let out_of_range = "x,label,pred,p0,p1\n1,0,0,0.9,0.1\n2,1,1,-0.5,1.5\n";
    let e = error_of(&column_gate(BINARY, GOOD, out_of_range));
    assert!(e.contains("-0.5") && e.contains("[0, 1]"), "{e}");

    let nan = "x,label,pred,p0,p1\n1,0,0,0.9,0.1\n2,1,1,0.2,NaN\n";
    let e = error_of(&column_gate(BINARY, GOOD, nan));
    assert!(e.contains("NaN") && e.contains("[0, 1]"), "{e}");
}

/// The head of an example's gate.toml (everything before its checks), with absolute paths.
fn example_head(example: &str) -> String {
    let dir = root().join("examples").join(example);
    std::fs::read_to_string(dir.join("gate.toml"))
        .unwrap()
        .split("[[checks]]")
        .next()
        .unwrap()
        .replace("\"data/", &format!("\"{}/data/", dir.display()))
        .replace("\"models/", &format!("\"{}/models/", dir.display()))
}

#[test]
fn multiclass_estimates_on_the_wine_example_match_scikit_learn() {
    let mut policy = example_head("wine");
    for model in ["candidate", "baseline"] {
        policy.push_str(&format!(
            "[[checks]]\nid = \"{model}\"\nplugin = \"performance-estimate\"\n\
             [checks.config]\nmodel = \"{model}\"\n"
        ));
    }
    let gate = Gate::new(&policy);
    gate.check(&[]).expect_code(0);
    let report = gate.report();
    let path = root().join("plugins/performance-estimate/testdata/wine_reference.json");
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut compared = 0;
    for model in ["candidate", "baseline"] {
        let c = check(&report, model);
        let w = &want["models"][model];
        for m in METRICS {
            let name = format!("estimated_{m}");
            let est = &w["isotonic"];
            assert_close(
                &format!("wine {model} {name}"),
                metric(c, &name, model),
                est["estimated"][m].as_f64().unwrap(),
            );
            for (i, side) in ["ci_lower", "ci_upper"].iter().enumerate() {
                assert_close(
                    &format!("wine {model} {name}_{side}"),
                    metric(c, &format!("{name}_{side}"), model),
                    est["ci"][m][i].as_f64().unwrap(),
                );
            }
            assert_close(
                &format!("wine {model} realized_{m}"),
                metric(c, &format!("realized_{m}"), model),
                w["realized"][m].as_f64().unwrap(),
            );
            compared += 4;
        }
    }
    assert_eq!(compared, 40);
}

#[test]
fn a_regression_task_is_an_error_saying_cbpe_is_for_classification() {
    let gate = Gate::new(&format!(
        "{}\n[[checks]]\nid = \"est\"\nplugin = \"performance-estimate\"\n",
        example_head("diabetes")
    ));
    let e = error_of(&gate);
    assert!(
        e.contains("regression") && e.contains("classification"),
        "{e}"
    );
}
