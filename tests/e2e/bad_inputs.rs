//! The bad-input corpus (`tests/bad-inputs/`, one directory per case, written by its
//! `generate.py`), each case run through the real binary. A bad input must end in exit 2 with a
//! message on stderr that names the file, column or key and says what to do; it must not panic and
//! must write no report. Missing values in features or labels end in exit 2 too, but with a report
//! whose model checks error (`task.missing_features`). One case (unicode and spaces in names) must
//! work. docs/security.md lists
//! the cases and what the gate does with each.

use std::path::PathBuf;

use crate::support::*;

/// One test per corpus case, each with its own snapshot (`snapshots/e2e__bad_inputs__CASE.snap`):
/// `$run(CASE)` returns the text snapshotted (the exit code and the whole stdout and stderr, and
/// for reported cases the checks' errors); `$list` names the cases.
macro_rules! corpus_cases {
    ($run:ident, $list:ident, { $($test:ident => $dir:literal,)* }) => {
        $(
            #[test]
            fn $test() {
                snapshot!($dir, $run($dir));
            }
        )*
        /// The corpus directories run by this group.
        const $list: &[&str] = &[$($dir),*];
    };
}

// Unreadable inputs: the message names what is wrong, where (file, column or key), and what to do.
corpus_cases! { refused, CASES, {
    // Files.
    missing_file => "missing-file",
    // Tests run as root, where chmod 000 does not deny reads: a directory where the file should
    // be is the unreadable file here.
    directory_not_file => "directory-not-file",
    empty_file => "empty-file",
    header_only_csv => "header-only-csv",
    ragged_csv => "ragged-csv",
    wrong_delimiter => "wrong-delimiter",
    unknown_extension => "unknown-extension",
    truncated_parquet => "truncated-parquet",
    corrupt_parquet => "corrupt-parquet",
    // Schemas.
    feature_missing_in_current => "feature-missing-in-current",
    feature_type_mismatch => "feature-type-mismatch",
    target_missing => "target-missing",
    duplicate_column_names => "duplicate-column-names",
    // Models.
    feature_count_mismatch => "feature-count-mismatch",
    not_onnx_model => "not-onnx-model",
    classifier_as_regression => "classifier-as-regression",
    regressor_as_classifier => "regressor-as-classifier",
    // Policies.
    policy_version_string => "policy-version-string",
    policy_severity_number => "policy-severity-number",
    policy_unknown_key => "policy-unknown-key",
    policy_duplicate_check_id => "policy-duplicate-check-id",
    policy_not_toml => "policy-not-toml",
}}

// Missing values in features or labels are not unreadable inputs: with the default
// `task.missing_features = "error"` the checks that need the model or the labels error, naming the
// column, the count and the first row, while the gate still writes its reports (exit 2: a blocking
// check errored).
corpus_cases! { reported, REPORTED, {
    all_null_feature => "all-null-feature",
    nan_in_feature => "nan-in-feature",
    inf_in_feature => "inf-in-feature",
    nan_in_label => "nan-in-label",
    null_in_label => "null-in-label",
}}

/// Cases that must work, tested on their own below.
const PASSING: &[&str] = &["unicode-column-names"];

fn corpus() -> PathBuf {
    root().join("tests/bad-inputs")
}

/// Runs `modelgate check` on a corpus case with `--json` into a fresh directory; the run must end
/// with `code`. Returns the run and the report, if one was written.
fn check_case(dir: &str, code: i32) -> (Run, Option<serde_json::Value>) {
    let out_dir = tempfile::tempdir().expect("tempdir");
    let policy = corpus().join(dir).join("gate.toml");
    let report = out_dir.path().join("report.json");
    let run = modelgate(&[
        "check",
        &policy.display().to_string(),
        "--json",
        &report.display().to_string(),
    ])
    .expect_code(code);
    let report = std::fs::read_to_string(&report)
        .ok()
        .map(|text| serde_json::from_str(&text).expect("the report is JSON"));
    (run, report)
}

/// Runs a corpus case, which must end in exit 2 with a message on stderr that starts with
/// `error: `, no panic and no report; returns the whole run for its snapshot.
fn refused(dir: &str) -> String {
    let (run, report) = check_case(dir, 2);
    assert!(
        run.stderr.starts_with("error: "),
        "stderr does not start with `error: `:\n{}",
        run.stderr
    );
    assert!(report.is_none(), "{dir}: a report was written");
    run.transcript()
}

/// Runs a corpus case whose model checks must error: exit 2, a report with every check of the
/// gate in it, the erroring checks carrying the reason; returns the run and the reasons.
fn reported(dir: &str) -> String {
    let (run, report) = check_case(dir, 2);
    let report = report.expect("a report was written");
    assert_eq!(report["verdict"], "error");
    let errors: Vec<String> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "error")
        .map(|c| format!("{}: {}", c["id"], c["error"].as_str().unwrap_or("")))
        .collect();
    assert!(!errors.is_empty(), "{dir}: no check errored");
    format!(
        "{}\n----- check errors -----\n{}\n",
        run.transcript(),
        errors.join("\n")
    )
}

#[test]
fn every_corpus_directory_is_a_tested_case() {
    let mut dirs: Vec<String> = std::fs::read_dir(corpus())
        .expect("tests/bad-inputs")
        .map(|e| e.expect("dir entry"))
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut tested: Vec<String> = CASES
        .iter()
        .chain(REPORTED.iter())
        .chain(PASSING.iter())
        .map(|d| d.to_string())
        .collect();
    tested.sort();
    assert_eq!(
        dirs, tested,
        "tests/bad-inputs and the cases in tests/e2e/bad_inputs.rs disagree"
    );
    assert!(CASES.len() >= 20);
}

#[test]
fn unicode_and_spaces_in_file_and_column_names_work_and_reach_the_report() {
    let (run, report) = check_case("unicode-column-names", 0);
    let report = report.expect("report written");
    assert_eq!(report["verdict"], "promote");
    let current = &report["inputs"]["datasets"]["current"];
    assert!(
        current["path"]
            .as_str()
            .unwrap()
            .ends_with("unicode-column-names/données actuelles.csv"),
        "{current}"
    );
    assert_eq!(current["columns"], 31);
    let columns: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["metrics"].as_array().unwrap())
        .filter_map(|m| m["column"].as_str())
        .collect();
    for name in [
        "mean radius (µm)",
        "Textur – Mittelwert",
        "面積 平均",
        "diagnóstico maligno",
    ] {
        assert!(
            columns.contains(&name),
            "column `{name}` is named in the report's metrics: {columns:?}"
        );
        assert!(
            run.stdout.contains(name),
            "column `{name}` is shown on the terminal:\n{}",
            run.stdout
        );
    }
    // The unicode target was used as the label: the candidate was evaluated on it.
    let perf = check(&report, "performance");
    assert_eq!(perf["status"], "pass");
    assert!(metric(perf, "accuracy", "candidate") > 0.9, "{perf}");
}
