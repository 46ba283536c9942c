//! The bad-input corpus (`tests/bad-inputs/`, one directory per case, written by its
//! `generate.py`), each case run through the real binary. A bad input must end in exit 2 with a
//! message on stderr that names the file, column or key and says what to do; it must not panic and
//! must write no report. One case (unicode and spaces in names) must work. docs/security.md lists
//! the cases and what the gate does with each.

use std::path::PathBuf;

use crate::support::*;

/// A corpus directory and what its error message must contain: what is wrong, where (file,
/// column or key), and what to do.
struct Case {
    dir: &'static str,
    needles: &'static [&'static str],
}

const CASES: &[Case] = &[
    // Files.
    Case {
        dir: "missing-file",
        needles: &[
            "missing-file/current.csv",
            "datasets.current",
            "paths are relative to the policy file",
        ],
    },
    // Tests run as root, where chmod 000 does not deny reads: a directory where the file should
    // be is the unreadable file here.
    Case {
        dir: "directory-not-file",
        needles: &[
            "directory-not-file/current.csv",
            "is a directory",
            "point `datasets.current` at the data file",
        ],
    },
    Case {
        dir: "empty-file",
        needles: &[
            "empty-file/current.csv",
            "is an empty file",
            "write the data into it",
        ],
    },
    Case {
        dir: "header-only-csv",
        needles: &[
            "header-only-csv/current.csv",
            "a header but no rows",
            "check `datasets.current`",
        ],
    },
    Case {
        dir: "ragged-csv",
        needles: &[
            "ragged-csv/current.csv",
            "line 7 has 12 fields but the header has 31",
            "fix that row",
        ],
    },
    Case {
        dir: "wrong-delimiter",
        needles: &[
            "wrong-delimiter/current.csv",
            "separated by `;`",
            r#"say so on the dataset: `{ path = "…", separator = ";" }`"#,
        ],
    },
    Case {
        dir: "unknown-extension",
        needles: &[
            "unknown-extension/current.xlsx",
            "cannot tell the format",
            "format = \"csv\"",
        ],
    },
    Case {
        dir: "truncated-parquet",
        needles: &[
            "truncated-parquet/reference.parquet",
            "as Parquet",
            "damaged",
            "re-export it",
        ],
    },
    Case {
        dir: "corrupt-parquet",
        needles: &[
            "corrupt-parquet/reference.parquet",
            "as Parquet",
            "damaged",
            "re-export it",
        ],
    },
    // Schemas.
    Case {
        dir: "feature-missing-in-current",
        needles: &[
            "feature `mean_texture`",
            "feature-missing-in-current/reference.parquet",
            "feature-missing-in-current/current.csv",
            "add it there",
        ],
    },
    Case {
        dir: "feature-type-mismatch",
        needles: &[
            "feature `mean_area`",
            "feature-type-mismatch/current.csv",
            "is str (in dataset `reference` it is f64)",
            "encode it",
        ],
    },
    Case {
        dir: "target-missing",
        needles: &[
            "target column `label`",
            "task.target",
            "add the labels to the data",
        ],
    },
    Case {
        dir: "duplicate-column-names",
        needles: &[
            "duplicate-column-names/current.csv",
            "column `mean_radius` appears twice",
            "rename or drop one of them",
        ],
    },
    // Values.
    Case {
        dir: "all-null-feature",
        needles: &[
            "feature `mean_smoothness`",
            "all-null-feature/current.csv",
            "all 40 rows are null",
            "fill the column",
        ],
    },
    Case {
        dir: "nan-in-feature",
        needles: &[
            "feature `mean_concavity`",
            "nan-in-feature/current.csv",
            "1 NaN value (the first in data row 4)",
            "impute or drop",
        ],
    },
    Case {
        dir: "inf-in-feature",
        needles: &[
            "feature `worst_area`",
            "inf-in-feature/current.csv",
            "2 infinite values (the first in data row 5)",
            "impute or drop",
        ],
    },
    Case {
        dir: "nan-in-label",
        needles: &[
            "target `label`",
            "nan-in-label/current.csv",
            "1 NaN label (the first in data row 7)",
            "drop the unlabelled rows",
        ],
    },
    Case {
        dir: "null-in-label",
        needles: &[
            "target `label`",
            "null-in-label/current.csv",
            "1 null label (the first in data row 3)",
            "drop the unlabelled rows",
        ],
    },
    // Models.
    Case {
        dir: "feature-count-mismatch",
        needles: &[
            "model `candidate`",
            "candidate.onnx",
            "expects 30 features but the gate feeds 10",
            "`task.features`",
        ],
    },
    Case {
        dir: "not-onnx-model",
        needles: &[
            "not-onnx-model/./model.onnx",
            "as an ONNX model",
            "models.candidate.onnx",
            "export the model to ONNX",
        ],
    },
    Case {
        dir: "classifier-as-regression",
        needles: &[
            "breast-cancer/models/candidate.onnx",
            "regression task",
            "set `task.type = \"binary\"`",
        ],
    },
    Case {
        dir: "regressor-as-classifier",
        needles: &[
            "diabetes/models/candidate.onnx",
            "no label output",
            "check `task.type`",
        ],
    },
    // Policies.
    Case {
        dir: "policy-version-string",
        needles: &[
            "policy-version-string/gate.toml",
            "at key `version`",
            "set `version = 1`",
        ],
    },
    Case {
        dir: "policy-severity-number",
        needles: &[
            "policy-severity-number/gate.toml",
            "at key `checks[0].severity`",
            "line 18",
            "`severity = \"advisory\"`",
        ],
    },
    Case {
        dir: "policy-unknown-key",
        needles: &[
            "policy-unknown-key/gate.toml",
            "at key `task.features_list`",
            "remove it",
        ],
    },
    Case {
        dir: "policy-duplicate-check-id",
        needles: &[
            "policy-duplicate-check-id/gate.toml",
            "at key `checks[1].id`",
            "`performance`",
            "rename one of them",
        ],
    },
    Case {
        dir: "policy-not-toml",
        needles: &[
            "policy-not-toml/gate.toml",
            "line 2, column 12",
            "not valid TOML",
        ],
    },
];

/// Cases that must work, tested on their own below.
const PASSING: &[&str] = &["unicode-column-names"];

fn corpus() -> PathBuf {
    root().join("tests/bad-inputs")
}

#[test]
fn every_bad_input_is_an_error_that_names_it_and_says_what_to_do() {
    let out_dir = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    for case in CASES {
        let policy = corpus().join(case.dir).join("gate.toml");
        let report = out_dir.path().join(format!("{}.json", case.dir));
        let run = modelgate(&[
            "check",
            &policy.display().to_string(),
            "--json",
            &report.display().to_string(),
        ]);
        let mut wrong = Vec::new();
        if run.code != 2 {
            wrong.push(format!("exit {} instead of 2", run.code));
        }
        if run.stderr.contains("panicked") {
            wrong.push("it panicked".to_string());
        }
        if !run.stderr.starts_with("error: ") {
            wrong.push("stderr does not start with `error: `".to_string());
        }
        for n in case.needles {
            if !run.stderr.contains(n) {
                wrong.push(format!("stderr lacks {n:?}"));
            }
        }
        if report.exists() {
            wrong.push("a report was written".to_string());
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{}: {}\n--- stdout\n{}--- stderr\n{}",
                case.dir,
                wrong.join("; "),
                run.stdout,
                run.stderr
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
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
        .map(|c| c.dir)
        .chain(PASSING.iter().copied())
        .map(String::from)
        .collect();
    tested.sort();
    assert_eq!(
        dirs, tested,
        "tests/bad-inputs and the table in tests/e2e/bad_inputs.rs disagree"
    );
    assert!(CASES.len() >= 20);
}

#[test]
fn unicode_and_spaces_in_file_and_column_names_work_and_reach_the_report() {
    let out_dir = tempfile::tempdir().expect("tempdir");
    let policy = corpus().join("unicode-column-names/gate.toml");
    let report_path = out_dir.path().join("report.json");
    let run = modelgate(&[
        "check",
        &policy.display().to_string(),
        "--json",
        &report_path.display().to_string(),
    ])
    .expect_code(0);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).expect("report written"))
            .expect("JSON");
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
