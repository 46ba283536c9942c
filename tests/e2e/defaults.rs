//! Defaults a person expects: CSV dialects, and a demo whose reports can be verified.

use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng as _};

use crate::support::*;

/// The example's current data rewritten in another dialect: `sep` between fields, `quote` around
/// every header name, `null` for the first value of `mean_radius` (left empty in the comma file).
fn rewrite(sep: &str, quote: &str, null: &str) -> String {
    let text = std::fs::read_to_string(example().join("data/current.csv")).expect("current.csv");
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<String> = line
            .split(',')
            .enumerate()
            .map(|(j, f)| match (i, j) {
                (0, _) => format!("{quote}{f}{quote}"),
                (1, 0) => null.to_string(),
                _ => f.to_string(),
            })
            .collect();
        out.push_str(&fields.join(sep));
        out.push('\n');
    }
    out
}

fn drift_gate(current: &str) -> String {
    format!(
        r#"
version = 1
name = "dialects"
[datasets]
reference = "{{example}}/data/reference.parquet"
current = {current}
[[checks]]
id = "drift"
plugin = "drift"
[checks.config]
dataset = "current"
"#
    )
}

#[test]
fn a_csv_in_another_dialect_reads_as_the_same_data() {
    let plain = Gate::new(&drift_gate(r#""current.csv""#));
    std::fs::write(plain.path("current.csv"), rewrite(",", "", "")).unwrap();
    let dialect = Gate::new(&drift_gate(
        r#"{ path = "current.txt", format = "csv", separator = ";", quote_char = "'", null_values = ["NA", "-"] }"#,
    ));
    std::fs::write(dialect.path("current.txt"), rewrite(";", "'", "NA")).unwrap();
    let a = plain.check(&[]);
    let b = dialect.check(&[]);
    assert_eq!(a.code, b.code, "{}\n{}", a.stderr, b.stderr);
    assert!(a.code == 0 || a.code == 1, "{}", a.stderr);
    let metrics = |g: &Gate| g.report()["checks"][0]["metrics"].clone();
    assert_eq!(
        metrics(&plain),
        metrics(&dialect),
        "the same data in two dialects"
    );
    assert_eq!(
        dialect.report()["inputs"]["datasets"]["current"]["rows"],
        228
    );
}

#[test]
fn a_semicolon_file_read_as_commas_says_how_to_read_it() {
    let gate = Gate::new(&drift_gate(r#""current.csv""#));
    std::fs::write(gate.path("current.csv"), rewrite(";", "", "")).unwrap();
    let out = gate.check(&[]).expect_code(2);
    assert!(
        out.stderr.contains("separated by `;`, not `,`")
            && out.stderr.contains(r#"separator = ";""#),
        "{}",
        out.stderr
    );
    assert!(!gate.has_report());
}

#[test]
fn csv_options_on_a_parquet_file_are_an_error_naming_them() {
    let gate = Gate::new(&drift_gate(
        r#"{ path = "{example}/data/reference.parquet", separator = ";" }"#,
    ));
    let out = gate.check(&[]).expect_code(2);
    assert!(
        out.stderr.contains("apply to CSV files only") && out.stderr.contains("datasets.current"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_demo_can_keep_its_example_so_its_report_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let example = dir.path().join("example");
    let report = dir.path().join("report.json");
    let out = modelgate(&[
        "demo",
        "--dir",
        example.to_str().unwrap(),
        "--json",
        report.to_str().unwrap(),
    ])
    .expect_code(0);
    assert!(
        out.stderr.contains("demo: the example is in"),
        "{}",
        out.stderr
    );
    assert!(example.join("gate.toml").is_file() && example.join("models/candidate.onnx").is_file());
    let verify = modelgate(&["verify", report.to_str().unwrap()]).expect_code(0);
    assert!(
        verify.stdout.contains("verified: all 7 inputs"),
        "{}",
        verify.stdout
    );
    // Without --dir the example lives in a temporary directory, and the output says so.
    let out = modelgate(&["demo"]).expect_code(0);
    assert!(out.stderr.contains("removed afterwards") && out.stderr.contains("--dir DIR"));
}

/// The example's current data with some values blanked: `(data row, column)` pairs (data rows
/// count from 1, after the header); `skip` leaves those data rows out instead.
fn current_with(blank: &[(usize, &str)], skip: &[usize]) -> String {
    let text = std::fs::read_to_string(example().join("data/current.csv")).expect("current.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut out = format!("{}\n", header.join(","));
    for (i, line) in lines.enumerate() {
        let row = i + 1;
        if skip.contains(&row) {
            continue;
        }
        let mut fields: Vec<&str> = line.split(',').collect();
        for (r, column) in blank {
            if *r == row {
                fields[header.iter().position(|h| h == column).expect("a column")] = "";
            }
        }
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// A gate over the example's models with `current` replaced by `csv` and
/// `task.missing_features = mode` (None: the default).
fn missing_gate(mode: Option<&str>, csv: &str, checks: &str) -> Gate {
    let mode = mode.map_or(String::new(), |m| format!("missing_features = \"{m}\"\n"));
    let gate = Gate::new(&format!(
        r#"
version = 1
name = "missing"
[task]
type = "binary"
target = "label"
positive_label = 1
{mode}
[datasets]
reference = "{{example}}/data/reference.parquet"
current = "current.csv"
[models.candidate]
onnx = "{{example}}/models/candidate.onnx"
[models.baseline]
onnx = "{{example}}/models/baseline.onnx"
{checks}"#
    ));
    std::fs::write(gate.path("current.csv"), csv).unwrap();
    gate
}

const DRIFT_AND_PERF: &str = r#"
[[checks]]
id = "drift"
plugin = "drift"
[[checks]]
id = "perf"
plugin = "performance"
[checks.config.metrics]
accuracy = { min = 0.5 }
roc_auc = { min = 0.5 }
"#;

#[test]
fn a_missing_feature_errors_the_model_checks_while_data_checks_still_report() {
    let gate = missing_gate(
        None,
        &current_with(&[(3, "mean_radius"), (9, "mean_radius")], &[]),
        DRIFT_AND_PERF,
    );
    let out = gate.check(&[]).expect_code(2);
    let report = gate.report();
    assert_eq!(report["verdict"], "error");
    let drift = check(&report, "drift");
    assert_ne!(drift["status"], "error", "{}", drift["summary"]);
    assert!(
        !drift["metrics"].as_array().unwrap().is_empty(),
        "drift reports its metrics"
    );
    let perf = check(&report, "perf");
    assert_eq!(perf["status"], "error");
    let e = perf["error"].as_str().unwrap();
    assert!(
        e.contains("feature `mean_radius` of dataset `current`")
            && e.contains("2 null values (the first in data row 3)")
            && e.contains("task.missing_features"),
        "{e}"
    );
    assert!(
        out.stdout.contains("perf") && out.stdout.contains("error"),
        "{}",
        out.stdout
    );
}

#[test]
fn drop_leaves_incomplete_rows_out_of_model_checks_and_says_how_many() {
    let blanks = [(3, "mean_radius"), (9, "worst_area"), (14, "label")];
    let dropped = missing_gate(Some("drop"), &current_with(&blanks, &[]), DRIFT_AND_PERF);
    let removed = missing_gate(None, &current_with(&[], &[3, 9, 14]), DRIFT_AND_PERF);
    let out = dropped.check(&[]);
    let want = removed.check(&[]);
    assert_eq!(out.code, want.code, "{}\n{}", out.stdout, want.stdout);
    let (a, b) = (dropped.report(), removed.report());
    assert_eq!(
        check(&a, "perf")["metrics"],
        check(&b, "perf")["metrics"],
        "the model's checks see exactly the complete rows"
    );
    let current = &a["inputs"]["datasets"]["current"];
    assert_eq!(
        (current["rows"].as_u64(), current["dropped_rows"].as_u64()),
        (Some(228), Some(3))
    );
    assert_eq!(
        a["inputs"]["datasets"]["reference"].get("dropped_rows"),
        None
    );
    assert!(b["inputs"]["datasets"]["current"]
        .get("dropped_rows")
        .is_none());
    // The data check still sees every row (with its nulls).
    assert_ne!(check(&a, "drift")["metrics"], check(&b, "drift")["metrics"]);
    assert!(
        out.stdout.contains(
            "note: 3 of 228 rows of dataset `current` left out of model and label checks"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn nan_feeds_nulls_to_the_model_and_refuses_outputs_it_could_not_impute() {
    // The example's logistic regression has no imputer: a NaN input gives a NaN output.
    let gate = missing_gate(
        Some("nan"),
        &current_with(&[(5, "mean_texture")], &[]),
        DRIFT_AND_PERF,
    );
    gate.check(&[]).expect_code(2);
    let report = gate.report();
    let e = check(&report, "perf")["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        e.contains("returned NaN or infinite outputs for 1 row of dataset `current` (data rows 5)"),
        "{e}"
    );
    // A missing label is not a feature: label checks still refuse it under `nan`.
    let gate = missing_gate(
        Some("nan"),
        &current_with(&[(7, "label")], &[]),
        DRIFT_AND_PERF,
    );
    gate.check(&[]).expect_code(2);
    let e = check(&gate.report(), "perf")["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        e.contains("target `label` of dataset `current`")
            && e.contains("1 null label (the first in data row 7)"),
        "{e}"
    );
    // And an unknown mode is named with the valid ones.
    let gate = missing_gate(Some("impute"), &current_with(&[], &[]), DRIFT_AND_PERF);
    let out = gate.check(&[]).expect_code(2);
    assert!(
        out.stderr.contains("task.missing_features") && out.stderr.contains("drop"),
        "{}",
        out.stderr
    );
}

#[test]
fn direction_neutral_bound_names_read_in_words_with_their_direction() {
    let bounds = |drop: &str, relative: &str| {
        Gate::example(&format!(
            r#"
[[checks]]
id = "perf"
plugin = "performance"
[checks.config.metrics]
roc_auc = {{ min = 0.5, {drop} = 0.0 }}
log_loss = {{ {relative} = 1.5 }}
"#
        ))
    };
    let neutral = bounds("max_worsening", "max_relative_worsening");
    let classic = bounds("max_drop", "max_relative_drop");
    let out = neutral.check(&[]).expect_code(0);
    classic.check(&[]).expect_code(0);
    assert_eq!(
        check(&neutral.report(), "perf")["metrics"],
        check(&classic.report(), "perf")["metrics"],
        "the neutral names are the same bounds"
    );
    assert!(
        out.stdout.contains("(not below baseline, min 0.5000)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("(at most 150% above baseline)"),
        "{}",
        out.stdout
    );
}

/// A seeded generator for the generated windows.
struct Rng(StdRng);
impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(StdRng::seed_from_u64(seed))
    }
    fn next(&mut self) -> f64 {
        self.0.random()
    }
}

/// What can go wrong in a generated window.
#[derive(Clone, Copy, PartialEq)]
enum Problem {
    None,
    Nulls,
    NewCategory,
    OutOfRange,
    Duplicates,
}

/// A CSV of `rows` rows: `amount` (log-normal-ish, 1 % null), `age` (integers 18–90), `plan`
/// (four plans) and `score` (uniform); with `problem` injected.
fn generated(rng: &mut Rng, rows: usize, problem: Problem) -> String {
    let mut out = String::from("amount,age,plan,score\n");
    let mut last = String::new();
    for i in 0..rows {
        let null_rate = if problem == Problem::Nulls {
            0.06
        } else {
            0.01
        };
        let amount = if rng.next() < null_rate {
            String::new()
        } else {
            format!("{:.4}", (rng.next() * 3.0).exp() * 10.0)
        };
        let age = 18 + (rng.next() * 73.0) as u32;
        let plans = ["basic", "plus", "pro", "team"];
        let plan = if problem == Problem::NewCategory && rng.next() < 0.02 {
            "enterprise"
        } else {
            plans[(rng.next() * 4.0) as usize]
        };
        let mut score = rng.next();
        if problem == Problem::OutOfRange && i % 100 == 0 {
            score += 5.0;
        }
        let row = format!("{amount},{age},{plan},{score:.6}\n");
        if problem == Problem::Duplicates && i % 100 == 1 {
            out.push_str(&last);
        } else {
            out.push_str(&row);
        }
        last = row;
    }
    out
}

fn zero_config_gate(reference: &str, current: &str) -> Gate {
    let gate = Gate::new(
        r#"
version = 1
name = "zero-config"
[datasets]
reference = "reference.csv"
current = "current.csv"
[[checks]]
id = "data-quality"
plugin = "data-quality"
"#,
    );
    std::fs::write(gate.path("reference.csv"), reference).unwrap();
    std::fs::write(gate.path("current.csv"), current).unwrap();
    gate
}

#[test]
fn zero_config_data_quality_passes_clean_windows_of_every_size() {
    let mut rng = Rng::new(42);
    let reference = generated(&mut rng, 3_000, Problem::None);
    for rows in [40, 1_000, 30_000] {
        for _ in 0..3 {
            let gate = zero_config_gate(&reference, &generated(&mut rng, rows, Problem::None));
            let out = gate.check(&[]);
            assert_eq!(
                out.code, 0,
                "a clean window of {rows} rows:\n{}",
                out.stdout
            );
            let dq = check(&gate.report(), "data-quality").clone();
            let derived = dq["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["threshold"]["max"].is_number() && m["name"] != "nan_count")
                .count();
            assert!(derived >= 4, "reference-derived limits apply: {dq}");
        }
    }
}

#[test]
fn zero_config_data_quality_fails_each_real_problem_naming_column_and_numbers() {
    let mut rng = Rng::new(43);
    let reference = generated(&mut rng, 3_000, Problem::None);
    for (problem, needle) in [
        (Problem::Nulls, "amount null_fraction 0.0"),
        (Problem::NewCategory, "plan unseen_share 0.0"),
        (Problem::OutOfRange, "score out_of_range_share 0.01"),
        (Problem::Duplicates, "duplicate_share 0.010 > max"),
    ] {
        let gate = zero_config_gate(&reference, &generated(&mut rng, 20_000, problem));
        let out = gate.check(&[]).expect_code(1);
        let summary = check(&gate.report(), "data-quality")["summary"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(summary.contains(needle), "{needle}: {summary}");
        assert!(out.stdout.contains("FAIL"), "{}", out.stdout);
    }
}

#[test]
fn zero_config_data_quality_on_the_examples() {
    // The breast-cancer holdout is a clean sample of the reference's distribution.
    for example in ["breast-cancer", "wine", "diabetes"] {
        let gate = Gate::new(
            &format!(
                r#"
version = 1
name = "zero-config"
[datasets]
reference = "{{root}}/examples/{example}/data/reference.parquet"
current = "{{root}}/examples/{example}/data/current.csv"
[[checks]]
id = "data-quality"
plugin = "data-quality"
"#
            )
            .replace("{root}", &root().display().to_string()),
        );
        let out = gate.check(&[]);
        assert_eq!(out.code, 0, "{example}:\n{}", out.stdout);
    }
    // The production window's problems (nulls, a new channel, duplicates) are found without a
    // word of config.
    let gate = Gate::new(&format!(
        r#"
version = 1
name = "zero-config"
[datasets]
reference = "{root}/examples/production-window/data/reference.parquet"
current = "{root}/examples/production-window/data/current.csv"
[[checks]]
id = "data-quality"
plugin = "data-quality"
"#,
        root = root().display()
    ));
    gate.check(&[]).expect_code(1);
    let summary = check(&gate.report(), "data-quality")["summary"]
        .as_str()
        .unwrap()
        .to_string();
    for needle in ["null_fraction", "unseen_share", "duplicate_share"] {
        assert!(
            summary.contains(needle) || summary.contains("more"),
            "{needle}: {summary}"
        );
    }
}
