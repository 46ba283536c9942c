//! The `ab-test` plugin through the real binary: the staging example (examples/staging-ab) against
//! scipy (its expected.json), the guardrail that rejects, sequential against fixed intervals, the
//! sample-ratio mismatch that errors, every bad input named, and the HTML forest plot.

use crate::support::*;

const METRICS: [&str; 11] = [
    "control_mean",
    "treatment_mean",
    "control_n",
    "treatment_n",
    "absolute_delta",
    "delta_ci_lower",
    "delta_ci_upper",
    "p_value",
    "relative_lift",
    "lift_ci_lower",
    "lift_ci_upper",
];

fn staging() -> std::path::PathBuf {
    root().join("examples/staging-ab")
}

fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string(staging().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("JSON")
}

/// The value of metric `name` about column `column`.
fn value<'a>(
    check: &'a serde_json::Value,
    name: &str,
    column: Option<&str>,
) -> &'a serde_json::Value {
    check["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name && m["column"].as_str() == column)
        .unwrap_or_else(|| panic!("no metric {name} for {column:?} in {check}"))
}

/// Every metric of the check equals scipy's (examples/staging-ab/expected.json) for `method`,
/// and the check reports exactly the contract's names.
fn assert_matches_scipy(check: &serde_json::Value, method: &str) {
    let exp = expected();
    let mut names: Vec<(String, Option<String>)> = check["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_string(),
                m["column"].as_str().map(str::to_string),
            )
        })
        .collect();
    names.sort();
    let mut want: Vec<(String, Option<String>)> = vec![("srm_p_value".into(), None)];
    for metric in exp[method].as_object().unwrap().keys() {
        for name in METRICS {
            want.push((name.into(), Some(metric.clone())));
        }
    }
    want.sort();
    assert_eq!(names, want, "metric names");
    for (metric, values) in exp[method].as_object().unwrap() {
        for name in METRICS {
            let got = value(check, name, Some(metric))["value"].as_f64().unwrap();
            assert_close(
                &format!("{method} {metric} {name}"),
                got,
                values[name].as_f64().unwrap(),
            );
        }
    }
    assert_close(
        "srm_p_value",
        value(check, "srm_p_value", None)["value"].as_f64().unwrap(),
        exp["srm_p_value"].as_f64().unwrap(),
    );
}

#[test]
fn staging_example_promotes_with_scipys_numbers_and_draws_the_forest_plot() {
    let dir = tempfile::tempdir().unwrap();
    let (json, html) = (dir.path().join("r.json"), dir.path().join("r.html"));
    let policy = staging().join("gate.toml");
    modelgate(&[
        "check",
        policy.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ])
    .expect_code(0);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["verdict"], expected()["verdicts"]["gate.toml"]);
    let c = check(&report, "staging-ab");
    assert_eq!(c["status"], "pass", "{c}");
    assert_matches_scipy(c, "fixed");
    // The decisive ends carry the bounds that decided.
    let lower = value(c, "lift_ci_lower", Some("conversion"));
    assert_eq!(lower["threshold"]["above"], 0.0, "{lower}");
    assert_eq!(lower["passed"], true);
    let latency = value(c, "lift_ci_upper", Some("latency_ms"));
    assert_eq!(latency["threshold"]["max"], 0.05, "{latency}");
    let revenue = value(c, "lift_ci_lower", Some("revenue_per_session"));
    assert_eq!(revenue["threshold"]["min"], -0.02, "{revenue}");
    assert!(value(c, "lift_ci_upper", Some("conversion"))
        .get("threshold")
        .is_none());

    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("A/B test: relative lift per metric"),
        "no forest plot"
    );
    let forest = &page[page
        .find("<figure class=\"wide forest\">")
        .expect("forest figure")..];
    let forest = &forest[..forest.find("</figure>").unwrap()];
    for metric in ["conversion", "revenue_per_session", "latency_ms"] {
        assert!(forest.contains(&format!(">{metric}</text>")), "{metric}");
    }
    assert_eq!(
        forest.matches("stroke-dasharray").count(),
        3,
        "a bound per metric"
    );
    assert!(page.contains("no sample ratio mismatch"));
}

#[test]
fn the_latency_guardrail_rejects_a_slower_candidate() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let policy = staging().join("gate-guardrail.toml");
    let out = modelgate(&[
        "check",
        policy.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ])
    .expect_code(1);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        report["verdict"],
        expected()["verdicts"]["gate-guardrail.toml"]
    );
    let c = check(&report, "staging-ab");
    assert_eq!(c["status"], "fail");
    let latency = value(c, "lift_ci_upper", Some("latency_ms"));
    assert_eq!(latency["threshold"]["max"], 0.01);
    assert_eq!(latency["passed"], false);
    assert_eq!(
        value(c, "lift_ci_lower", Some("conversion"))["passed"],
        true
    );
    let summary = c["summary"].as_str().unwrap();
    assert!(
        summary.contains("guardrail latency_ms") && summary.contains("margin +1.00%"),
        "{summary}"
    );
    assert!(out.stdout.contains("FAIL lift_ci_upper"), "{}", out.stdout);
}

#[test]
fn sequential_confidence_sequences_match_the_reference_and_are_wider() {
    let policy = std::fs::read_to_string(staging().join("gate.toml"))
        .unwrap()
        .replace("method = \"fixed\"", "method = \"sequential\"")
        .replace("\"data/units.csv\"", "\"{data}\"");
    let data = staging().join("data/units.csv");
    let gate = Gate::new(&policy.replace("{data}", data.to_str().unwrap()));
    gate.check(&[]).expect_code(0);
    let report = gate.report();
    let c = check(&report, "staging-ab");
    assert_matches_scipy(c, "sequential");
    let exp = expected();
    for metric in ["conversion", "revenue_per_session", "latency_ms"] {
        let (f, s) = (&exp["fixed"][metric], &exp["sequential"][metric]);
        let width = |v: &serde_json::Value| {
            v["lift_ci_upper"].as_f64().unwrap() - v["lift_ci_lower"].as_f64().unwrap()
        };
        assert!(width(s) > width(f), "{metric}: the sequence is wider");
        assert!(s["p_value"].as_f64() > f["p_value"].as_f64(), "{metric}");
    }
    assert!(c["summary"].as_str().unwrap().contains("(sequential)"));
}

/// A gate over `csv` (written next to the policy as units.csv) with one ab-test check whose
/// config is `config` (TOML lines after `[checks.config]`).
fn ab_gate(csv: &str, config: &str) -> Gate {
    let gate = Gate::new(&format!(
        "version = 1\nname = \"ab\"\n[datasets]\nexperiment = \"units.csv\"\n\
         [[checks]]\nid = \"ab\"\nplugin = \"ab-test\"\n[checks.config]\n{config}\n"
    ));
    std::fs::write(gate.dir.path().join("units.csv"), csv).unwrap();
    gate
}

const ARMS: &str = "control = \"a\"\ntreatment = \"b\"\n";
const CONVERSION: &str =
    "[checks.config.metrics.conversion]\ncolumn = \"y\"\ngoal = \"increase\"\nrole = \"success\"\n";

/// `rows` units per arm label (in this order), y cycling through 0..5 and x = 2y + 1.
fn units(arms: &[(&str, usize)]) -> String {
    let mut s = String::from("arm,y,x,s\n");
    for (arm, rows) in arms {
        for i in 0..*rows {
            s.push_str(&format!("{arm},{},{},{}\n", i % 5, 2 * (i % 5) + 1, i % 3));
        }
    }
    s
}

/// Runs a gate that must error; returns the check's error message.
fn error_of(gate: &Gate) -> String {
    gate.check(&[]).expect_code(2);
    let report = gate.report();
    let c = check(&report, "ab");
    assert_eq!(c["status"], "error", "{c}");
    c["error"].as_str().unwrap().to_string()
}

#[test]
fn a_sample_ratio_mismatch_is_an_error() {
    let gate = ab_gate(
        &units(&[("a", 600), ("b", 400)]),
        &format!("{ARMS}{CONVERSION}"),
    );
    let e = error_of(&gate);
    for part in [
        "sample ratio mismatch",
        "600 units in control `a`",
        "400 in treatment `b`",
        "0.5000 / 0.5000",
    ] {
        assert!(e.contains(part), "{part}: {e}");
    }
    // The same counts are what a 60/40 split plans for.
    let gate = ab_gate(
        &units(&[("a", 600), ("b", 400)]),
        &format!("{ARMS}expected_split = {{ a = 0.6, b = 0.4 }}\n{CONVERSION}"),
    );
    gate.check(&[]).expect_code(1);
}

#[test]
fn bad_inputs_are_errors_that_name_the_key_column_and_numbers() {
    let ok = units(&[("a", 50), ("b", 50)]);
    let cases: Vec<(String, String, Vec<&str>)> = vec![
        (
            ok.clone(),
            format!("arm = \"group\"\n{ARMS}{CONVERSION}"),
            vec!["config.arm", "no column `group`"],
        ),
        (
            units(&[("a", 50), ("b", 50), ("c", 7)]),
            format!("{ARMS}{CONVERSION}"),
            vec!["config.arm", "third arm `c`", "7 row(s)"],
        ),
        (
            units(&[("a", 200), ("b", 1)]),
            format!("{ARMS}expected_split = {{ a = 0.99, b = 0.01 }}\n{CONVERSION}"),
            vec!["config.metrics.conversion", "arm `b` has 1 unit(s)", "`y`"],
        ),
        (
            ok.replace(",0,1,", ",zero,1,"),
            format!("{ARMS}{CONVERSION}"),
            vec![
                "config.metrics.conversion.column",
                "column `y`",
                "not numeric",
            ],
        ),
        (
            ok.replace("b,3,7,", "b,,7,"),
            format!("{ARMS}{CONVERSION}"),
            vec![
                "config.metrics.conversion.column",
                "column `y` has 10 null value(s)",
                "0 in `a`, 10 in `b`",
            ],
        ),
        (
            ok.replace("a,1,", "a,0,")
                .replace("a,2,", "a,0,")
                .replace("a,3,", "a,0,")
                .replace("a,4,", "a,0,"),
            format!("{ARMS}{CONVERSION}"),
            vec![
                "config.metrics.conversion",
                "control value is 0",
                "relative lift is undefined",
            ],
        ),
        (
            ok.clone(),
            format!(
                "{ARMS}[checks.config.metrics.per_s]\nnumerator = \"y\"\ndenominator = \"zero\"\n\
                 goal = \"increase\"\nrole = \"guardrail\"\nmargin = 0.1\n"
            ),
            vec!["config.metrics.per_s.denominator", "no column `zero`"],
        ),
    ];
    for (csv, config, parts) in cases {
        let e = error_of(&ab_gate(&csv, &config));
        for part in parts {
            assert!(e.contains(part), "{part}: {e}");
        }
    }
    // A denominator that sums to zero in an arm.
    let mut csv = String::from("arm,y,s\n");
    for i in 0..40 {
        csv.push_str(&format!("a,{},{}\nb,{},0\n", i % 4, 1 + i % 2, i % 3));
    }
    let e = error_of(&ab_gate(
        &csv,
        &format!(
            "{ARMS}[checks.config.metrics.per_s]\nnumerator = \"y\"\ndenominator = \"s\"\n\
             goal = \"increase\"\nrole = \"guardrail\"\nmargin = 0.1\n"
        ),
    ));
    assert!(
        e.contains("config.metrics.per_s.denominator")
            && e.contains("column `s` sums to 0 in arm `b`"),
        "{e}"
    );
}

#[test]
fn nulls_can_be_dropped() {
    let csv = units(&[("a", 50), ("b", 50)]).replace("b,3,7,", "b,,7,");
    let gate = ab_gate(&csv, &format!("{ARMS}nulls = \"drop\"\n{CONVERSION}"));
    gate.check(&[]).expect_code(1);
    let report = gate.report();
    let c = check(&report, "ab");
    assert_eq!(value(c, "treatment_n", Some("conversion"))["value"], 40.0);
    assert_eq!(value(c, "control_n", Some("conversion"))["value"], 50.0);
}
