//! Defaults a person expects: CSV dialects, and a demo whose reports can be verified.

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
