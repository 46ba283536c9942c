//! Parallelism: the same inputs give the same reports (JSON, HTML, Markdown, JUnit) whatever
//! `--jobs`, and many checks sharing data agree with a serial run.

use crate::support::*;

#[test]
fn identical_inputs_give_identical_reports_whatever_the_parallelism() {
    let gate = Gate::example(
        r#"
[[checks]]
id = "perf"
plugin = "performance"
[checks.config]
bootstrap_samples = 50
slices = ["mean_concave_points"]
[checks.config.metrics]
accuracy = { min = 0.9, confidence = 0.9 }
[[checks]]
id = "drift"
plugin = "drift"
[checks.config.prediction]
models = ["candidate"]
[[checks]]
id = "quality"
plugin = "data-quality"
"#,
    );
    let mut reports = Vec::new();
    // The rendered reports (HTML, Markdown, JUnit) of each run, with the snapshot filters applied.
    let mut rendered: Vec<Vec<String>> = Vec::new();
    let files = ["report.html", "report.md", "report.xml"];
    for jobs in ["1", "4", "4"] {
        let (html, md, xml) = (
            gate.path(files[0]),
            gate.path(files[1]),
            gate.path(files[2]),
        );
        let extra = [
            "--jobs",
            jobs,
            "--html",
            &html,
            "--markdown",
            &md,
            "--junit",
            &xml,
        ];
        let out = gate.check(&extra);
        assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
        let text = std::fs::read_to_string(gate.path("report.json")).unwrap();
        reports.push(without_timings(serde_json::from_str(&text).unwrap()));
        rendered.push(
            files
                .iter()
                .map(|f| filtered(&std::fs::read_to_string(gate.path(f)).unwrap()))
                .collect(),
        );
    }
    for (i, file) in files.iter().enumerate() {
        for r in &rendered[1..] {
            assert!(
                r[i] == rendered[0][i],
                "{file} differs beyond what the snapshot filters mask:\n{}",
                first_difference(&rendered[0][i], &r[i])
            );
        }
    }
    let first = serde_json::to_string_pretty(&reports[0]).unwrap();
    for r in &reports[1..] {
        assert_eq!(
            serde_json::to_string_pretty(r).unwrap(),
            first,
            "reports differ beyond timing fields"
        );
    }
    assert!(
        reports[0]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] != "error"),
        "{first}"
    );
}

#[test]
fn many_checks_in_parallel_on_shared_data_agree_with_a_serial_run() {
    // 12 checks over the same datasets, models and predictions: run 8 at a time and one at a time.
    let checks = r#"
[[checks]]
id = "perfN"
plugin = "performance"
[checks.config]
slices = ["label"]
min_slice_size = 10
[[checks]]
id = "driftN"
plugin = "drift"
severity = "advisory"
[checks.config.prediction]
models = ["candidate", "baseline"]
[[checks]]
id = "qualityN"
plugin = "data-quality"
"#;
    let copies: String = (0..4)
        .map(|i| checks.replace("N\"", &format!("{i}\"")))
        .collect();
    let gate = Gate::example(&copies);
    let mut reports = Vec::new();
    for jobs in ["8", "1"] {
        gate.check(&["--jobs", jobs]).expect_code(0);
        reports.push(without_timings(gate.report()));
    }
    assert_eq!(reports[0], reports[1], "parallel and serial runs differ");
    let checks = reports[0]["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 12);
    // The four copies of each check agree with each other too.
    for kind in ["perf", "drift", "quality"] {
        let first = &check(&reports[0], &format!("{kind}0"))["metrics"];
        for i in 1..4 {
            assert_eq!(
                &check(&reports[0], &format!("{kind}{i}"))["metrics"],
                first,
                "{kind}{i}"
            );
        }
    }
}
