//! The reports: the JSON report against its schema and the input digests; JUnit (against its
//! XSD), Markdown and GitHub annotations of a rejection; the HTML report in headless Chromium; and
//! the rendered Markdown, JUnit and HTML of fixed runs, snapshotted whole.

use std::path::Path;

use crate::support::*;

#[test]
fn report_records_input_digests_and_validates_against_its_schema() {
    let gate = Gate::example(PERF);
    gate.check(&["--quiet"]).expect_code(0);
    let report = gate.report();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "report does not match docs/report.schema.json:\n{}",
        errors.join("\n")
    );

    let sha = |p: std::path::PathBuf| modelgate::files::sha256_file(&p).unwrap();
    assert_eq!(
        report["policy"]["sha256"],
        sha(gate.dir.path().join("gate.toml"))
    );
    assert_eq!(
        report["inputs"]["datasets"]["current"]["sha256"],
        sha(example().join("data/current.csv"))
    );
    assert_eq!(
        report["inputs"]["datasets"]["reference"]["sha256"],
        sha(example().join("data/reference.parquet"))
    );
    assert_eq!(
        report["inputs"]["models"]["candidate"]["sha256"],
        sha(example().join("models/candidate.onnx"))
    );
    assert_eq!(
        report["inputs"]["models"]["baseline"]["sha256"],
        sha(example().join("models/baseline.onnx"))
    );
    let plugin = &report["inputs"]["plugins"]["perf"];
    assert_eq!(plugin["name"], "performance");
    assert_eq!(plugin["path"], "builtin:performance");
    assert_eq!(report["verdict"], "promote");

    // The same gate is invalid against the schema if the verdict were anything else.
    let mut bad = report.clone();
    bad["verdict"] = "maybe".into();
    assert!(
        !validator.is_valid(&bad),
        "the schema is strict about the verdict"
    );
}

#[test]
fn junit_markdown_and_github_annotations_describe_a_rejection() {
    let gate = Gate::example(
        r#"
[[checks]]
id = "perf"
plugin = "performance"
[checks.config.metrics]
accuracy = { min = 0.99 }
recall = { min = 0.99 }
[[checks]]
id = "ok"
plugin = "performance"
[[checks]]
id = "strict"
plugin = "performance"
severity = "advisory"
[checks.config.metrics]
f1 = { min = 0.999 }
"#,
    );
    let (junit, markdown, summary) = (
        gate.path("report.xml"),
        gate.path("summary.md"),
        gate.path("step-summary.md"),
    );
    let policy = gate.policy();
    let out = modelgate_env(
        &["check", &policy, "--junit", &junit, "--markdown", &markdown],
        &cache_dir(),
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", &summary),
        ],
    )
    .expect_code(1);

    let xml = std::fs::read_to_string(&junit).unwrap();
    snapshot!("rejection_junit", xml.clone());
    assert_valid_junit(Path::new(&junit));
    let broken = gate.path("broken.xml");
    std::fs::write(
        &broken,
        xml.replacen("<testcase classname=", "<testcase nom=\"x\" classname=", 1),
    )
    .unwrap();
    assert!(
        !xmllint_accepts(Path::new(&broken)),
        "the schema check can fail"
    );
    let doc = roxmltree::Document::parse(&xml).expect("the JUnit report is well-formed XML");
    let suites = doc.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    let suite = suites
        .children()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    // 3 checks + 2 failing metrics of `perf`.
    assert_eq!(cases.len(), 5);
    assert_eq!(suite.attribute("tests"), Some("5"));
    assert_eq!(suite.attribute("failures"), Some("3"));
    assert_eq!(suite.attribute("errors"), Some("0"));
    assert_eq!(suite.attribute("skipped"), Some("1"));
    let perf = cases
        .iter()
        .find(|c| c.attribute("name") == Some("perf"))
        .unwrap();
    let failure = perf
        .children()
        .find(|n| n.has_tag_name("failure"))
        .expect("perf has a <failure>");
    assert!(
        failure.attribute("message").unwrap().contains("accuracy"),
        "{xml}"
    );
    assert!(failure.text().unwrap().contains("FAIL accuracy"), "{xml}");
    assert!(
        cases
            .iter()
            .any(|c| c.attribute("name").unwrap().starts_with("recall = ")),
        "a case per failing metric"
    );
    let strict = cases
        .iter()
        .find(|c| c.attribute("name") == Some("strict"))
        .unwrap();
    assert!(
        strict.children().any(|n| n.has_tag_name("skipped")),
        "advisory failures are skipped, not failed"
    );
    let props: Vec<_> = suite
        .descendants()
        .filter(|n| n.has_tag_name("property"))
        .collect();
    assert!(props
        .iter()
        .any(|p| p.attribute("name") == Some("verdict") && p.attribute("value") == Some("reject")));

    let md = std::fs::read_to_string(&markdown).unwrap();
    // The verdict, a row per check, the failing metrics with their bounds.
    snapshot!("rejection_markdown", md.clone());
    assert_eq!(
        std::fs::read_to_string(&summary).unwrap().trim_end(),
        md.trim_end(),
        "appended to GITHUB_STEP_SUMMARY"
    );
    // The table, then a GitHub annotation per failing check: `::error` for the blocking `perf`,
    // `::warning` for the advisory `strict`.
    snapshot!("rejection_github_actions", out.transcript());
}

/// Whether xmllint validates a JUnit file against tests/schemas/junit.xsd (set-up installs xmllint).
fn xmllint_accepts(file: &Path) -> bool {
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(root().join("tests/schemas/junit.xsd"))
        .arg(file)
        .output()
        .expect("xmllint is installed by tests/run.sh (Debian package libxml2-utils)");
    out.status.success()
}

fn assert_valid_junit(file: &Path) {
    assert!(
        xmllint_accepts(file),
        "{} does not validate against tests/schemas/junit.xsd",
        file.display()
    );
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    for (example, code, ids) in [
        ("production-window", 1, vec!["drift", "data-quality"]),
        ("breast-cancer", 0, vec!["performance", "latency"]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("report.html");
        let policy = root().join("examples").join(example).join("gate.toml");
        modelgate(&[
            "check",
            policy.to_str().unwrap(),
            "--html",
            page.to_str().unwrap(),
            "--quiet",
        ])
        .expect_code(code);
        let html = std::fs::read_to_string(&page).unwrap();
        for attr in [
            "src=\"http",
            "href=\"http",
            "src='http",
            "href='http",
            "url(http",
            "@import",
        ] {
            assert!(
                !html.contains(attr),
                "{example}: the page loads something from the network ({attr})"
            );
        }
        let out = chromium(&["--dump-dom"], &page);
        assert!(
            out.status.success(),
            "chromium failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let dom = String::from_utf8_lossy(&out.stdout);
        let verdict = if code == 0 { "PROMOTE" } else { "REJECT" };
        assert!(
            dom.to_uppercase().contains(verdict),
            "{example}: no verdict banner in the rendered page"
        );
        for id in ids {
            assert!(
                dom.contains(id),
                "{example}: check {id} missing from the rendered page"
            );
        }
        assert!(
            dom.matches("<svg").count() >= 2,
            "{example}: plots are inline SVG"
        );
        let shot = shots.join(format!("{example}.png"));
        let _ = std::fs::remove_file(&shot);
        let out = chromium(
            &[
                &format!("--screenshot={}", shot.display()),
                "--window-size=1280,2400",
                "--hide-scrollbars",
            ],
            &page,
        );
        assert!(
            out.status.success(),
            "chromium failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let png = std::fs::read(&shot).expect("the screenshot was written");
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 20_000,
            "{example}: a real screenshot ({} bytes)",
            png.len()
        );
    }
}

/// Runs an example's gate with every report format and snapshots the rendered reports.
fn snapshot_reports(example: &str, code: i32) {
    let dir = tempfile::tempdir().unwrap();
    let policy = root().join("examples").join(example).join("gate.toml");
    let file = |name: &str| dir.path().join(name).display().to_string();
    let (md, xml, html) = (file("report.md"), file("report.xml"), file("report.html"));
    let args = [
        "check",
        policy.to_str().unwrap(),
        "--markdown",
        &md,
        "--junit",
        &xml,
        "--html",
        &html,
        "--quiet",
    ];
    modelgate(&args).expect_code(code);
    for (path, format) in [(&md, "markdown"), (&xml, "junit"), (&html, "html")] {
        let text = std::fs::read_to_string(path).unwrap();
        snapshot!(format!("{example}_{format}"), text);
    }
}

#[test]
fn reports_of_a_rejected_production_window_match_their_snapshots() {
    snapshot_reports("production-window", 1);
}

#[test]
fn reports_of_a_promoted_multiclass_gate_match_their_snapshots() {
    snapshot_reports("wine", 0);
}
