//! Real exports (examples/churn-pipeline, made by its generate.py): graphs with one input per
//! column of mixed types, imputers inside, ZipMap, onnxmltools' LightGBM and XGBoost, logits and
//! scores. Their metrics must equal those of ONNX Runtime in Python fed the same way
//! (expected.json) to 1e-9, and every check must run with them.

use crate::support::*;

fn churn() -> std::path::PathBuf {
    root().join("examples/churn-pipeline")
}

fn expected_churn() -> serde_json::Value {
    let text = std::fs::read_to_string(churn().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

const NUMERIC: &str = r#""tenure_months", "monthly_charges", "support_calls""#;
const TEXT: &str = r#""contract", "payment_method""#;
const LINEAR: &str = r#""tenure_months", "monthly_charges", "support_calls", "has_partner""#;

/// A gate over the churn data with the given `[task]` extras and `[models.*]` tables, and a
/// performance check on `current`.
fn churn_gate(task: &str, models: &str) -> Gate {
    Gate::new(
        &format!(
            r#"
version = 1
name = "churn-test"
[task]
type = "binary"
target = "churned"
positive_label = 1
{task}
[datasets]
reference = "{{churn}}/data/reference.csv"
current = "{{churn}}/data/current.csv"
{models}
[[checks]]
id = "performance"
plugin = "performance"
[checks.config]
dataset = "current"
"#
        )
        .replace("{churn}", &churn().display().to_string()),
    )
}

/// Compares the performance check's metrics of `model` with expected.json's `key`.
fn assert_matches(report: &serde_json::Value, model: &str, key: &str) -> usize {
    let exp = expected_churn();
    let want = exp["models"][key]
        .as_object()
        .unwrap_or_else(|| panic!("expected.json has no model {key}"));
    let perf = check(report, "performance");
    for (name, value) in want {
        assert_close(
            &format!("{key} ({model}) {name}"),
            metric(perf, name, model),
            value.as_f64().unwrap(),
        );
    }
    want.len()
}

#[test]
fn churn_pipeline_example_matches_onnxruntime_in_python_and_runs_every_check() {
    let dir = tempfile::tempdir().unwrap();
    let report_path = dir.path().join("r.json");
    let policy = churn().join("gate.toml");
    let out = modelgate(&[
        "check",
        policy.to_str().unwrap(),
        "--json",
        report_path.to_str().unwrap(),
    ]);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    assert_eq!(report["verdict"], "promote", "{}", out.stdout);
    assert_eq!(assert_matches(&report, "candidate", "pipeline"), 7);
    assert_eq!(assert_matches(&report, "baseline", "baseline"), 7);
    // Latency: batches of the multi-input feed.
    let latency = check(&report, "latency");
    assert_eq!(latency["status"], "pass", "{latency}");
    for model in ["candidate", "baseline"] {
        assert!(metric(latency, "latency_p95_ms", model) > 0.0);
    }
    // Drift of the candidate's predictions runs on the same predictions.
    let drift = check(&report, "drift");
    assert_ne!(drift["status"], "error", "{drift}");
    assert!(
        drift["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["column"] == "prediction" && m["model"] == "candidate"),
        "{drift}"
    );
}

#[test]
fn plugin_test_runs_on_the_churn_pipeline() {
    let policy = churn().join("gate.toml");
    let r = modelgate(&[
        "plugin",
        "test",
        "performance",
        "--policy",
        policy.to_str().unwrap(),
    ])
    .expect_code(0);
    assert!(r.stdout.contains("roc_auc"), "{}", r.stdout);
}

#[test]
fn lightgbm_and_xgboost_from_onnxmltools_with_nan_match() {
    let gate = churn_gate(
        &format!("features = [{NUMERIC}]\nmissing_features = \"nan\""),
        "[models.candidate]\nonnx = \"{churn}/models/lightgbm.onnx\"\n\
         [models.baseline]\nonnx = \"{churn}/models/xgboost.onnx\"\n",
    );
    let out = gate.check(&[]);
    assert!(out.code < 2, "{}\n{}", out.stdout, out.stderr);
    let report = gate.report();
    assert_matches(&report, "candidate", "lightgbm");
    assert_matches(&report, "baseline", "xgboost");
}

#[test]
fn logits_and_scores_with_int_bool_and_double_inputs_match() {
    let gate = churn_gate(
        &format!("features = [{LINEAR}]\nmissing_features = \"nan\""),
        "[models.candidate]\nonnx = \"{churn}/models/logits.onnx\"\nscores = \"softmax\"\n\
         [models.baseline]\nonnx = \"{churn}/models/score.onnx\"\nscores = \"sigmoid\"\n\
         outputs = { scores = \"score\" }\n",
    );
    let out = gate.check(&[]);
    assert!(out.code < 2, "{}\n{}", out.stdout, out.stderr);
    let report = gate.report();
    assert_matches(&report, "candidate", "logits");
    assert_matches(&report, "baseline", "score");
}

#[test]
fn zipmap_outputs_and_renamed_columns_match() {
    // The data with `contract` renamed `plan`: mapped back with models.NAME.inputs.
    let dir = tempfile::tempdir().unwrap();
    for name in ["reference", "current"] {
        let text = std::fs::read_to_string(churn().join(format!("data/{name}.csv"))).unwrap();
        let (head, rest) = text.split_once('\n').unwrap();
        let head = head.replace("contract", "plan");
        std::fs::write(
            dir.path().join(format!("{name}.csv")),
            format!("{head}\n{rest}"),
        )
        .unwrap();
    }
    let gate = Gate::new(&format!(
        r#"
version = 1
name = "churn-renamed"
[task]
type = "binary"
target = "churned"
features = [{NUMERIC}, "plan", "payment_method"]
missing_features = "nan"
[datasets]
reference = "{dir}/reference.csv"
current = "{dir}/current.csv"
[models.candidate]
onnx = "{churn}/models/pipeline_zipmap.onnx"
inputs = {{ contract = "plan" }}
[models.baseline]
onnx = "{churn}/models/pipeline.onnx"
inputs = {{ contract = "plan" }}
outputs = {{ label = "label", probabilities = "probabilities" }}
[[checks]]
id = "performance"
plugin = "performance"
"#,
        dir = dir.path().display(),
        churn = churn().display()
    ));
    let out = gate.check(&[]);
    assert!(out.code < 2, "{}\n{}", out.stdout, out.stderr);
    let report = gate.report();
    assert_matches(&report, "candidate", "pipeline_zipmap");
    assert_matches(&report, "baseline", "pipeline");
}

#[test]
fn drop_leaves_out_rows_missing_an_input_of_the_model() {
    let gate = churn_gate(
        &format!("features = [{NUMERIC}, {TEXT}]\nmissing_features = \"drop\""),
        "[models.candidate]\nonnx = \"{churn}/models/pipeline.onnx\"\n",
    );
    let out = gate.check(&[]);
    assert!(out.code < 2, "{}\n{}", out.stdout, out.stderr);
    let report = gate.report();
    assert_matches(&report, "candidate", "pipeline_drop");
    assert_eq!(
        report["inputs"]["datasets"]["current"]["dropped_rows"],
        expected_churn()["dropped_rows"]["pipeline_drop"]
    );
}

#[test]
fn text_nulls_under_error_name_the_column() {
    let gate = churn_gate(
        &format!("features = [{NUMERIC}, {TEXT}]"),
        "[models.candidate]\nonnx = \"{churn}/models/pipeline.onnx\"\n",
    );
    gate.check(&[]).expect_code(2);
    let report = gate.report();
    let perf = check(&report, "performance");
    assert_eq!(perf["status"], "error");
    let e = perf["error"].as_str().unwrap();
    assert!(
        e.contains("feature `tenure_months` of dataset `current`") && e.contains("null"),
        "{e}"
    );
}

#[test]
fn inputs_that_do_not_fit_are_named() {
    let cases = [
        // Every column but the target is a feature by default; no graph takes has_partner.
        (
            String::new(),
            "",
            "feature `has_partner` is not an input of any model's graph",
        ),
        // A graph input with no feature column.
        (
            format!("features = [{NUMERIC}, \"contract\"]"),
            "",
            "graph input `payment_method` (string [N, 1]) is fed from the feature column `payment_method`, which is not a feature",
        ),
        // A column of the wrong type.
        (
            format!("features = [{NUMERIC}, {TEXT}]"),
            "inputs = { contract = \"support_calls\", support_calls = \"contract\" }\n",
            "graph input `support_calls` of model `candidate` is int64 [N, 1], but column `contract` of dataset `reference`",
        ),
        // An input the graph does not have.
        (
            format!("features = [{NUMERIC}, {TEXT}]"),
            "inputs = { plan = \"contract\" }\n",
            "`models.candidate.inputs` maps `plan`, which is not an input of the graph",
        ),
        // An output the graph does not have.
        (
            format!("features = [{NUMERIC}, {TEXT}]"),
            "outputs = { probabilities = \"proba\" }\n",
            "`models.candidate.outputs.probabilities` names `proba`, which is not an output of the graph",
        ),
    ];
    for (task, extra, needle) in cases {
        let gate = churn_gate(
            &format!("{task}\nmissing_features = \"nan\""),
            &format!("[models.candidate]\nonnx = \"{{churn}}/models/pipeline.onnx\"\n{extra}"),
        );
        let out = gate.check(&[]).expect_code(2);
        assert!(out.stderr.contains(needle), "{needle}\n{}", out.stderr);
    }
}

#[test]
fn a_logits_model_without_scores_says_what_to_set() {
    let gate = churn_gate(
        &format!("features = [{LINEAR}]\nmissing_features = \"nan\""),
        "[models.candidate]\nonnx = \"{churn}/models/logits.onnx\"\n",
    );
    let out = gate.check(&[]).expect_code(2);
    assert!(
        out.stderr.contains("has no label output") && out.stderr.contains("scores = \"sigmoid\""),
        "{}",
        out.stderr
    );
}
