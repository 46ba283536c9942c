//! The policy and the verdict: thresholds that reject, advisory checks that do not, and policies
//! that cannot run (a missing file, an unknown key or plugin, a wrong pin, a config the plugin's
//! schema refuses, a positive label the data never holds). A policy that cannot run is exit 2 with
//! one message on stderr that names what is wrong and where, and no report.

use crate::support::*;

#[test]
fn a_threshold_the_candidate_misses_rejects_and_names_the_metric() {
    let gate = Gate::example(
        r#"
[[checks]]
id = "perf"
plugin = "performance"
[checks.config.metrics]
accuracy = { min = 0.99 }
roc_auc = { min = 0.9 }
"#,
    );
    let out = gate.check(&[]).expect_code(1);
    // The whole terminal output: the verdict line and the failing metric named.
    snapshot!("threshold_rejects", out.transcript());
    assert!(out.stdout.contains("verdict: REJECT (exit 1)"));
    assert!(out.stdout.contains("FAIL accuracy"));
    let report = gate.report();
    assert_eq!(report["verdict"], "reject");
    let perf = check(&report, "perf");
    assert_eq!(perf["status"], "fail");
    let acc = perf["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "accuracy" && m["model"] == "candidate")
        .unwrap();
    assert_eq!(acc["passed"], false);
    assert_eq!(acc["threshold"]["min"], 0.99);
}

#[test]
fn an_advisory_failure_does_not_block_promotion() {
    let gate = Gate::example(
        r#"
[[checks]]
id = "strict"
plugin = "performance"
severity = "advisory"
[checks.config.metrics]
accuracy = { min = 0.999 }
[[checks]]
id = "ok"
plugin = "performance"
[checks.config.metrics]
accuracy = { min = 0.9 }
"#,
    );
    let out = gate.check(&[]).expect_code(0);
    snapshot!("advisory_failure_promotes", out.transcript());
    assert_eq!(check(&gate.report(), "strict")["status"], "fail");
}

/// Runs a gate that must not run: exit 2, no report; returns the whole output for a snapshot.
fn refused(gate: &Gate) -> String {
    let out = gate.check(&[]).expect_code(2);
    assert!(
        !gate.has_report(),
        "no report is written when the gate cannot run"
    );
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    out.transcript()
}

#[test]
fn missing_dataset_file_is_an_error_naming_the_file() {
    let gate = Gate::new(&format!(
        "{}{PERF}",
        EXAMPLE_HEAD.replace("data/current.csv", "data/nope.csv")
    ));
    // Names nope.csv and datasets.current.
    snapshot!("missing_dataset_file", refused(&gate));
}

#[test]
fn unknown_policy_key_is_an_error_naming_the_key() {
    let gate = Gate::example(
        r#"
[[checks]]
id = "perf"
plugin = "performance"
threshold = 3
"#,
    );
    // Names checks[0] and the unknown field `threshold`.
    snapshot!("unknown_policy_key", refused(&gate));
}

#[test]
fn unknown_plugin_is_an_error_listing_the_builtins() {
    let gate = Gate::example(
        r#"
[[checks]]
id = "perf"
plugin = "perfomance"
"#,
    );
    // Names the unknown plugin `perfomance` and lists the built-ins (performance among them).
    snapshot!("unknown_plugin", refused(&gate));
}

#[test]
fn plugin_digest_mismatch_is_refused_before_anything_runs() {
    let gate = Gate::example(
        r#"
[[checks]]
id = "perf"
plugin = "performance"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
"#,
    );
    // Says which digest the policy pins and which the plugin has.
    let text = refused(&gate);
    assert!(text.contains("pins"), "{text}");
    snapshot!("plugin_digest_mismatch", text);
}

#[test]
fn configs_are_validated_against_the_plugin_schema_before_running() {
    let gate = Gate::example(
        r#"
[[checks]]
id = "perf"
plugin = "performance"
[checks.config]
bootstrap_samples = 5
[checks.config.metrics]
accuracy = { min = "high" }
"#,
    );
    gate.check(&[]).expect_code(2);
    let perf = check(&gate.report(), "perf").clone();
    assert_eq!(perf["status"], "error");
    // Every schema violation, with its path, in one error.
    snapshot!(
        "config_schema_error",
        perf["error"].as_str().unwrap().to_string()
    );
}

#[test]
fn a_positive_label_the_target_never_holds_is_an_error() {
    let gate = Gate::new(&format!(
        "{}{PERF}",
        EXAMPLE_HEAD.replace("positive_label = 1", "positive_label = 7")
    ));
    // task.positive_label `7` does not occur in column `label` (values: 0, 1).
    snapshot!("positive_label_never_held", refused(&gate));
}
