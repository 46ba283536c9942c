//! End-to-end tests: the real `modelgate` binary on the bundled example, on policies that must
//! reject, on broken inputs that must error, and on misbehaving plugins that must be contained.

mod adversarial;
mod bad_inputs;
mod ci_examples;
mod defaults;
mod dvc;
mod registry;
mod support;
mod third_party;

use std::path::Path;

use support::*;

/// The reference numbers computed by examples/breast-cancer/generate.py (scikit-learn on
/// onnxruntime's outputs).
fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string(example().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

/// Asserts agreement with a reference value to a relative 1e-9. With `MODELGATE_PRINT_DIFFS=1`
/// every comparison is printed (`cargo test --test e2e -- --nocapture`), for the record.
fn assert_close(name: &str, got: f64, want: f64) {
    let rel = (got - want).abs() / want.abs().max(1e-300);
    if std::env::var_os("MODELGATE_PRINT_DIFFS").is_some() {
        eprintln!("reldiff {rel:e} {name}");
    }
    assert!(
        rel <= 1e-9 || (got - want).abs() <= 1e-15,
        "{name}: got {got}, scikit-learn says {want} (rel {rel:e})"
    );
}

#[test]
fn demo_promotes_and_prints_the_verdict_table() {
    let out = modelgate(&["demo"]).expect_code(0);
    assert!(
        out.stdout.contains("verdict: PROMOTE (exit 0)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("CHECK"),
        "table header missing:\n{}",
        out.stdout
    );
    assert!(out.stdout.contains("performance"), "{}", out.stdout);
    assert!(
        out.stdout.contains("accuracy"),
        "thresholded metrics are listed:\n{}",
        out.stdout
    );
}

#[test]
fn example_gate_metrics_match_scikit_learn() {
    let gate = Gate::new(&format!(
        "{EXAMPLE_HEAD}\n[[checks]]\nid = \"perf\"\nplugin = \"performance\"\n[checks.config.metrics]\naccuracy = {{ min = 0.5 }}\n"
    ));
    gate.check(&[]).expect_code(0);
    let report = gate.report();
    let perf = check(&report, "perf");
    assert_eq!(perf["status"], "pass");
    let exp = expected();
    let mut compared = 0;
    for model in ["candidate", "baseline"] {
        for (name, want) in exp["models"][model].as_object().expect("models") {
            assert_close(
                &format!("{model}.{name}"),
                metric(perf, name, model),
                want.as_f64().expect("number"),
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 14, "every reference metric was compared");
    for (name, d) in exp["datasets"].as_object().expect("datasets") {
        assert_eq!(report["inputs"]["datasets"][name]["rows"], d["rows"]);
        assert_eq!(report["inputs"]["datasets"][name]["columns"], d["columns"]);
    }
}

#[test]
fn report_records_input_digests_and_validates_against_its_schema() {
    let gate = Gate::new(&format!(
        "{EXAMPLE_HEAD}\n[[checks]]\nid = \"perf\"\nplugin = \"performance\"\n"
    ));
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
fn a_threshold_the_candidate_misses_rejects_and_names_the_metric() {
    let gate = Gate::new(&format!(
        "{EXAMPLE_HEAD}\n[[checks]]\nid = \"perf\"\nplugin = \"performance\"\n[checks.config.metrics]\naccuracy = {{ min = 0.99 }}\nroc_auc = {{ min = 0.9 }}\n"
    ));
    let out = gate.check(&[]).expect_code(1);
    assert!(
        out.stdout.contains("verdict: REJECT (exit 1)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("FAIL accuracy"),
        "the failing metric is named:\n{}",
        out.stdout
    );
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
    let gate = Gate::new(&format!(
        "{EXAMPLE_HEAD}\n[[checks]]\nid = \"strict\"\nplugin = \"performance\"\nseverity = \"advisory\"\n[checks.config.metrics]\naccuracy = {{ min = 0.999 }}\n\
         [[checks]]\nid = \"ok\"\nplugin = \"performance\"\n[checks.config.metrics]\naccuracy = {{ min = 0.9 }}\n"
    ));
    gate.check(&[]).expect_code(0);
    assert_eq!(check(&gate.report(), "strict")["status"], "fail");
}

#[test]
fn missing_dataset_file_is_an_error_naming_the_file() {
    let gate = Gate::new(&format!(
        "{}\n[[checks]]\nid = \"perf\"\nplugin = \"performance\"\n",
        EXAMPLE_HEAD.replace("data/current.csv", "data/nope.csv")
    ));
    let out = gate.check(&[]).expect_code(2);
    assert!(out.stderr.contains("nope.csv"), "{}", out.stderr);
    assert!(out.stderr.contains("datasets.current"), "{}", out.stderr);
    assert!(
        !gate.has_report(),
        "no report is written when the gate cannot run"
    );
}

#[test]
fn unknown_policy_key_is_an_error_naming_the_key() {
    let gate = Gate::new(&format!(
        "{EXAMPLE_HEAD}\n[[checks]]\nid = \"perf\"\nplugin = \"performance\"\nthreshold = 3\n"
    ));
    let out = gate.check(&[]).expect_code(2);
    assert!(out.stderr.contains("checks[0]"), "{}", out.stderr);
    assert!(
        out.stderr.contains("unknown field `threshold`"),
        "{}",
        out.stderr
    );
    assert!(!gate.has_report());
}

#[test]
fn unknown_plugin_is_an_error_listing_the_builtins() {
    let gate = Gate::new(&format!(
        "{EXAMPLE_HEAD}\n[[checks]]\nid = \"perf\"\nplugin = \"perfomance\"\n"
    ));
    let out = gate.check(&[]).expect_code(2);
    assert!(
        out.stderr.contains("unknown plugin `perfomance`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("performance"), "{}", out.stderr);
    assert!(!gate.has_report());
}

#[test]
fn plugin_digest_mismatch_is_refused_before_anything_runs() {
    let gate = Gate::new(&format!(
        "{EXAMPLE_HEAD}\n[[checks]]\nid = \"perf\"\nplugin = \"performance\"\nsha256 = \"{}\"\n",
        "0".repeat(64)
    ));
    let out = gate.check(&[]).expect_code(2);
    assert!(out.stderr.contains("pins"), "{}", out.stderr);
    assert!(!gate.has_report());
}

#[test]
fn misbehaving_plugins_are_contained_and_the_gate_fails_closed() {
    let dir = fixture_plugins();
    let policy = format!(
        "{EXAMPLE_HEAD}
[[checks]]
id = \"perf\"
plugin = \"performance\"
[[checks]]
id = \"panics\"
plugin = \"{trap}\"
[[checks]]
id = \"loops\"
plugin = \"{spin}\"
timeout_s = 1.0
[[checks]]
id = \"hoards\"
plugin = \"{hog}\"
memory_mb = 64
",
        trap = dir.join("trap.wasm").display(),
        spin = dir.join("spin.wasm").display(),
        hog = dir.join("memory_hog.wasm").display(),
    );
    let gate = Gate::new(&policy);
    let started = std::time::Instant::now();
    let out = gate.check(&[]).expect_code(2);
    assert!(
        started.elapsed().as_secs() < 60,
        "the epoch deadline stopped the loop"
    );
    assert!(
        out.stdout.contains("verdict: ERROR (exit 2)"),
        "{}",
        out.stdout
    );
    let report = gate.report();
    assert_eq!(report["verdict"], "error");
    assert_eq!(
        check(&report, "perf")["status"],
        "pass",
        "the well-behaved check still ran"
    );
    let panics = check(&report, "panics");
    assert_eq!(panics["status"], "error");
    assert!(
        panics["error"]
            .as_str()
            .unwrap()
            .contains("fixture panic: the validator blew up on purpose"),
        "{panics}"
    );
    let loops = check(&report, "loops");
    assert_eq!(loops["status"], "error");
    assert!(
        loops["error"]
            .as_str()
            .unwrap()
            .contains("time limit exceeded"),
        "{loops}"
    );
    let hoards = check(&report, "hoards");
    assert_eq!(hoards["status"], "error");
    assert!(
        hoards["error"]
            .as_str()
            .unwrap()
            .contains("memory limit exceeded"),
        "{hoards}"
    );
    assert!(
        hoards["error"].as_str().unwrap().contains("64 MiB"),
        "{hoards}"
    );

    // The same misbehaving checks, advisory: contained, reported, and the candidate is promoted.
    let advisory = policy.replace("\nplugin = \"/", "\nseverity = \"advisory\"\nplugin = \"/");
    let gate = Gate::new(&advisory);
    gate.check(&[]).expect_code(0);
    assert_eq!(check(&gate.report(), "loops")["status"], "error");
}

#[test]
fn plugin_inspect_describes_a_builtin_and_refuses_non_components() {
    let out = modelgate(&["plugin", "inspect", "performance"]).expect_code(0);
    assert!(
        out.stdout.contains("name:         performance"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("wit:          modelgate:plugin@0.1."),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\"metrics\""),
        "the config schema is printed:\n{}",
        out.stdout
    );

    let tmp = tempfile::tempdir().unwrap();
    let bogus = tmp.path().join("bogus.wasm");
    std::fs::write(&bogus, b"not wasm at all").unwrap();
    let out = modelgate(&["plugin", "inspect", bogus.to_str().unwrap()]).expect_code(2);
    assert!(
        out.stderr.contains("not a WebAssembly file"),
        "{}",
        out.stderr
    );
}

#[test]
fn compiled_plugins_are_cached_by_digest_and_a_corrupt_cache_entry_is_recompiled() {
    let cache = tempfile::tempdir().unwrap();
    let out = modelgate_with_cache(
        &["plugin", "inspect", "performance", "--json"],
        cache.path(),
    )
    .expect_code(0);
    let info: serde_json::Value =
        serde_json::from_str(&out.stdout).expect("inspect --json prints JSON");
    let sha = info["sha256"].as_str().unwrap().to_string();
    let entries = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(cache.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    };
    let files = entries();
    assert_eq!(files.len(), 1, "one compiled component: {files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&sha) && name.ends_with(".cwasm"),
        "keyed by the component's sha256: {name}"
    );
    let compiled = std::fs::read(&files[0]).unwrap();

    // A second run reuses the entry as it is.
    modelgate_with_cache(&["plugin", "inspect", "performance"], cache.path()).expect_code(0);
    assert_eq!(entries(), files);
    assert_eq!(std::fs::read(&files[0]).unwrap(), compiled);

    // A corrupt entry is not trusted: the component is compiled again and the entry rewritten.
    std::fs::write(&files[0], b"garbage").unwrap();
    modelgate_with_cache(&["plugin", "inspect", "performance"], cache.path()).expect_code(0);
    assert_eq!(std::fs::read(&files[0]).unwrap(), compiled);
}

#[test]
fn latency_is_measured_per_model_and_batch_size_and_gated() {
    let gate = Gate::new(&format!(
        "{EXAMPLE_HEAD}\n[[checks]]\nid = \"lat\"\nplugin = \"latency\"\n[checks.config]\nbatch_sizes = [1, 16]\niterations = 30\nwarmup = 3\n\
         [checks.config.metrics]\nthroughput_rows_per_s = {{ min = 1 }}\nlatency_p50_ms = {{ max = 1e-9 }}\n"
    ));
    let out = gate.check(&[]).expect_code(1);
    assert!(out.stdout.contains("FAIL latency_p50_ms"), "{}", out.stdout);
    let report = gate.report();
    let lat = check(&report, "lat");
    assert_eq!(lat["status"], "fail");
    let metrics = lat["metrics"].as_array().unwrap();
    for model in ["candidate", "baseline"] {
        for slice in ["batch_size=1", "batch_size=16"] {
            let get = |name: &str| {
                metrics
                    .iter()
                    .find(|m| m["name"] == name && m["model"] == model && m["slice"] == slice)
                    .unwrap_or_else(|| panic!("{name} {model} {slice}"))["value"]
                    .as_f64()
                    .unwrap()
            };
            let (p50, p95, p99) = (
                get("latency_p50_ms"),
                get("latency_p95_ms"),
                get("latency_p99_ms"),
            );
            assert!(
                0.0 < p50 && p50 <= p95 && p95 <= p99,
                "{model} {slice}: {p50} {p95} {p99}"
            );
            let rows = if slice == "batch_size=1" { 1.0 } else { 16.0 };
            let throughput = get("throughput_rows_per_s");
            let mean = get("latency_mean_ms");
            assert!(
                (throughput - rows / (mean / 1e3)).abs() <= 1e-9 * throughput,
                "throughput = rows / mean"
            );
        }
    }
    let tp = metrics
        .iter()
        .find(|m| m["name"] == "throughput_rows_per_s" && m["model"] == "candidate")
        .unwrap();
    assert_eq!(tp["passed"], true);
}

#[test]
fn latency_of_a_prediction_column_model_is_an_error() {
    let gate = Gate::new(
        r#"
version = 1
name = "columns"
[task]
type = "binary"
target = "label"
[datasets]
current = "{example}/data/current.csv"
[models.candidate]
predictions = "label"
[[checks]]
id = "lat"
plugin = "latency"
"#,
    );
    gate.check(&[]).expect_code(2);
    let lat = check(&gate.report(), "lat").clone();
    assert_eq!(lat["status"], "error");
    assert!(
        lat["error"]
            .as_str()
            .unwrap()
            .contains("only models the host runs"),
        "{lat}"
    );
}

#[test]
fn slice_metrics_match_scikit_learn_and_a_weak_slice_rejects() {
    let gate = Gate::new(&format!(
        "{EXAMPLE_HEAD}\n[[checks]]\nid = \"perf\"\nplugin = \"performance\"\n[checks.config]\n\
         slices = [{{ column = \"mean_radius\", edges = [0, 14, 30] }}]\nmin_slice_size = 50\n\
         [checks.config.metrics]\naccuracy = {{ min = 0.9 }}\n[checks.config.slice_metrics]\nrecall = {{ min = 0.8 }}\n"
    ));
    gate.check(&[]).expect_code(1);
    let report = gate.report();
    let perf = check(&report, "perf");
    let exp = expected();
    let slices = exp["slices"].as_object().expect("slices in expected.json");
    let mut compared = 0;
    for (name, want) in slices {
        let metrics = perf["metrics"].as_array().unwrap();
        let rows = metrics
            .iter()
            .find(|m| m["name"] == "slice_rows" && m["slice"] == name.as_str())
            .expect("slice_rows");
        assert_eq!(rows["value"], want["rows"].as_f64().unwrap());
        for model in ["candidate", "baseline"] {
            for (metric, value) in want[model].as_object().unwrap() {
                let got = metrics
                    .iter()
                    .find(|m| {
                        m["name"] == metric.as_str()
                            && m["model"] == model
                            && m["slice"] == name.as_str()
                    })
                    .unwrap_or_else(|| panic!("{metric} of {model} on {name}"));
                assert_close(
                    &format!("{name} {model} {metric}"),
                    got["value"].as_f64().unwrap(),
                    value.as_f64().unwrap(),
                );
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 28);
    // recall 0.769 on mean_radius=[0, 14) misses the slice bound: the check fails and says where.
    assert_eq!(perf["status"], "fail");
    assert!(
        perf["summary"]
            .as_str()
            .unwrap()
            .contains("mean_radius=[0, 14)"),
        "{}",
        perf["summary"]
    );
    let weak = perf["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| {
            m["name"] == "recall"
                && m["model"] == "candidate"
                && m["slice"] == "mean_radius=[0, 14)"
        })
        .unwrap();
    assert_eq!(weak["passed"], false);
}

#[test]
fn a_slice_bound_on_an_empty_group_fails_closed() {
    let gate = Gate::new(&format!(
        "{EXAMPLE_HEAD}\n[[checks]]\nid = \"perf\"\nplugin = \"performance\"\n[checks.config]\n\
         slices = [{{ column = \"label\", groups = {{ unknown = [\"7\"] }} }}]\n[checks.config.metrics]\naccuracy = {{ min = 0.9 }}\n"
    ));
    gate.check(&[]).expect_code(2);
    let perf = check(&gate.report(), "perf").clone();
    assert_eq!(perf["status"], "error");
    assert!(
        perf["error"]
            .as_str()
            .unwrap()
            .contains("label=unknown has no rows"),
        "{perf}"
    );
}

#[test]
fn bootstrap_confidence_bounds_match_an_independent_reimplementation() {
    let exp = expected();
    let b = &exp["bootstrap"];
    let gate = Gate::new(&format!(
        "{EXAMPLE_HEAD}\n[[checks]]\nid = \"perf\"\nplugin = \"performance\"\n[checks.config]\nbootstrap_samples = {}\nbootstrap_seed = {}\n\
         [checks.config.metrics]\naccuracy = {{ min = 0.96, confidence = {c} }}\nroc_auc = {{ max_drop = 0.0, confidence = {c} }}\n\
         log_loss = {{ max_relative_drop = 0.0, confidence = {c} }}\n",
        b["samples"],
        b["seed"],
        c = b["confidence"],
    ));
    gate.check(&[]).expect_code(1);
    let report = gate.report();
    let perf = check(&report, "perf");
    for (base_name, bounds) in b["bounds"].as_object().unwrap() {
        for (kind, want) in bounds.as_object().unwrap() {
            let name = format!("{base_name}_{kind}");
            assert_close(
                &name,
                metric(perf, &name, "candidate"),
                want.as_f64().unwrap(),
            );
        }
    }
    // accuracy 0.969 passes min 0.96 as a point value, but its 90 % lower bound 0.956 does not.
    let acc = perf["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "accuracy" && m["model"] == "candidate")
        .unwrap();
    assert_eq!(acc["passed"], false, "{acc}");
    assert!(
        perf["summary"].as_str().unwrap().contains("lower bound"),
        "{}",
        perf["summary"]
    );
    // The candidate is better than the baseline on roc_auc and log_loss with 90 % confidence.
    for m in ["roc_auc", "log_loss"] {
        let v = perf["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == m && x["model"] == "candidate")
            .unwrap();
        assert_eq!(v["passed"], true, "{v}");
    }

    // Same seed, same bounds; the verdict does not depend on luck between runs.
    let again = Gate::new(&std::fs::read_to_string(gate.dir.path().join("gate.toml")).unwrap());
    again.check(&[]).expect_code(1);
    assert_eq!(check(&again.report(), "perf")["metrics"], perf["metrics"]);
}

#[test]
fn junit_markdown_and_github_annotations_describe_a_rejection() {
    let gate = Gate::new(&format!(
        "{EXAMPLE_HEAD}
[[checks]]
id = \"perf\"
plugin = \"performance\"
[checks.config.metrics]
accuracy = {{ min = 0.99 }}
recall = {{ min = 0.99 }}
[[checks]]
id = \"ok\"
plugin = \"performance\"
[[checks]]
id = \"strict\"
plugin = \"performance\"
severity = \"advisory\"
[checks.config.metrics]
f1 = {{ min = 0.999 }}
"
    ));
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
    assert!(md.contains("**REJECT**"), "{md}");
    assert!(
        md.contains("| `perf` | performance | blocking | ❌ fail |"),
        "{md}"
    );
    assert!(
        md.contains("❌ accuracy = 0.9693 (min 0.9900) [model candidate]"),
        "{md}"
    );
    assert_eq!(
        std::fs::read_to_string(&summary).unwrap().trim_end(),
        md.trim_end(),
        "appended to GITHUB_STEP_SUMMARY"
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("::error title=modelgate perf fail::")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("::warning title=modelgate strict fail::")),
        "{}",
        out.stdout
    );
}

#[test]
fn verify_accepts_the_artifacts_of_a_report_and_refuses_changed_ones() {
    let policy = format!("{EXAMPLE_HEAD}\n[[checks]]\nid = \"perf\"\nplugin = \"performance\"\n");
    let gate = Gate::new(&policy.replace("{example}/data/current.csv", "current.csv"));
    std::fs::copy(
        example().join("data/current.csv"),
        gate.dir.path().join("current.csv"),
    )
    .unwrap();
    gate.check(&[]).expect_code(0);
    let report = gate.path("report.json");
    let out = modelgate(&["verify", &report]).expect_code(0);
    assert!(
        out.stdout.contains("verified: all 6 inputs"),
        "{}",
        out.stdout
    );

    let mut data = std::fs::read(gate.dir.path().join("current.csv")).unwrap();
    data.extend_from_slice(b"\n");
    std::fs::write(gate.dir.path().join("current.csv"), &data).unwrap();
    let out = modelgate(&["verify", &report]).expect_code(1);
    assert!(
        out.stdout.contains("CHANGED  dataset current"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("NOT VERIFIED: 1 of 6"),
        "{}",
        out.stdout
    );

    std::fs::remove_file(gate.dir.path().join("current.csv")).unwrap();
    let out = modelgate(&["verify", &report]).expect_code(1);
    assert!(
        out.stdout.contains("MISSING  dataset current"),
        "{}",
        out.stdout
    );

    std::fs::write(gate.path("bogus.json"), "{}").unwrap();
    let out = modelgate(&["verify", &gate.path("bogus.json")]).expect_code(2);
    assert!(out.stderr.contains("schema_version"), "{}", out.stderr);
}

/// Runs an example's own gate.toml and returns its report.
fn run_example(name: &str, code: i32) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let policy = root().join("examples").join(name).join("gate.toml");
    modelgate(&[
        "check",
        policy.to_str().unwrap(),
        "--json",
        report.to_str().unwrap(),
    ])
    .expect_code(code);
    serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap()
}

/// Compares every model metric of an example's expected.json with the report's performance check.
fn assert_models_match(example_name: &str, report: &serde_json::Value) -> usize {
    let exp: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            root()
                .join("examples")
                .join(example_name)
                .join("expected.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let perf = check(report, "performance");
    let mut compared = 0;
    for (model, metrics) in exp["models"].as_object().unwrap() {
        for (name, want) in metrics.as_object().unwrap() {
            if let Some(want) = want.as_f64() {
                assert_close(
                    &format!("{example_name} {model} {name}"),
                    metric(perf, name, model),
                    want,
                );
                compared += 1;
            }
        }
    }
    compared
}

#[test]
fn diabetes_regression_example_matches_scikit_learn_and_promotes() {
    let report = run_example("diabetes", 0);
    assert_eq!(report["verdict"], "promote");
    assert_eq!(
        assert_models_match("diabetes", &report),
        8,
        "rmse, mae, r2, mape for both models"
    );
}

#[test]
fn data_quality_metrics_match_pandas() {
    let refdir = root().join("tests/reference");
    let gate = Gate::new(&format!(
        r#"
version = 1
name = "quality"
[datasets]
reference = "{}/data/quality_reference.csv"
current = "{}/data/quality_current.parquet"
[[checks]]
id = "dq"
plugin = "data-quality"
[checks.config]
unexpected_columns = "warn"
[checks.config.columns.plan]
allowed_values = ["basic", "plus", "pro", "enterprise"]
"#,
        refdir.display(),
        refdir.display()
    ));
    gate.check(&[]).expect_code(1);
    let report = gate.report();
    let dq = check(&report, "dq");
    let exp: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(refdir.join("expected/quality.json")).unwrap(),
    )
    .unwrap();
    let got = |name: &str, column: Option<&str>| -> Option<f64> {
        dq["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| {
                m["name"] == name
                    && m["model"].is_null()
                    && m["slice"].is_null()
                    && m["column"].as_str() == column
            })
            .map(|m| m["value"].as_f64().unwrap())
    };
    let mut compared = 0;
    let ds = &exp["dataset"];
    for k in [
        "row_count",
        "column_count",
        "duplicate_rows",
        "duplicate_share",
    ] {
        assert_close(
            k,
            got(k, None).unwrap_or_else(|| panic!("{k}")),
            ds[k].as_f64().unwrap(),
        );
        compared += 1;
    }
    for k in ["missing_columns", "unexpected_columns"] {
        assert_eq!(
            got(k, None),
            Some(ds[k].as_array().unwrap().len() as f64),
            "{k}"
        );
        compared += 1;
    }
    for (column, col) in exp["columns"].as_object().unwrap() {
        let numeric = matches!(col["dtype"].as_str(), Some("int64" | "float64"));
        for k in [
            "null_fraction",
            "nan_count",
            "inf_count",
            "min",
            "max",
            "constant_column",
            "out_of_range_share",
            "unseen_categories",
            "unseen_share",
            "not_allowed_values",
            "dtype_mismatch",
        ] {
            let Some(want) = col.get(k).and_then(|v| v.as_f64()) else {
                continue;
            };
            match got(k, Some(column)) {
                Some(v) => {
                    assert_close(&format!("{column} {k}"), v, want);
                    compared += 1;
                }
                // Counts of NaN/inf exist only for numeric columns; a schema match is not a finding.
                None if (!numeric && matches!(k, "nan_count" | "inf_count"))
                    || (k == "dtype_mismatch" && want == 0.0) => {}
                None => {
                    panic!("the plugin did not report {k} for column {column} (pandas: {want})")
                }
            }
        }
    }
    assert!(compared >= 60, "compared {compared} metrics");
    assert_eq!(
        dq["status"], "fail",
        "missing and retyped columns fail by default: {}",
        dq["summary"]
    );
}

/// Runs the drift plugin on a reference case (auto, then each method forced on the columns it
/// applies to) and compares every statistic with scipy and every decision with Evidently.
fn assert_drift_case(case: &str) -> usize {
    let refdir = root().join("tests/reference");
    let exp: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(refdir.join(format!("expected/{case}.json"))).unwrap(),
    )
    .unwrap();
    let columns = exp["columns"].as_object().unwrap();
    let methods = ["ks", "chi2", "z", "wasserstein", "jensen_shannon", "psi"];
    let mut policy = format!(
        "version = 1\nname = \"{case}\"\n[datasets]\nreference = \"{}\"\ncurrent = \"{}\"\n\
         [[checks]]\nid = \"auto\"\nplugin = \"drift\"\nseverity = \"advisory\"\n[checks.config]\nmethod = \"auto\"\n",
        refdir.join(exp["reference"].as_str().unwrap()).display(),
        refdir.join(exp["current"].as_str().unwrap()).display(),
    );
    for m in methods {
        let cols: Vec<String> = columns
            .iter()
            .filter(|(_, c)| c["methods"].get(m).is_some())
            .map(|(n, _)| format!("\"{n}\""))
            .collect();
        if !cols.is_empty() {
            policy += &format!(
                "[[checks]]\nid = \"{m}\"\nplugin = \"drift\"\nseverity = \"advisory\"\n[checks.config]\nmethod = \"{m}\"\ninclude = [{}]\n",
                cols.join(", ")
            );
        }
    }
    let gate = Gate::new(&policy);
    gate.check(&[]).expect_code(0);
    let report = gate.report();
    let value = |check_id: &str, name: &str, column: Option<&str>| -> f64 {
        let c = check(&report, check_id);
        c["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name && m["column"].as_str() == column && m["model"].is_null())
            .unwrap_or_else(|| {
                panic!(
                    "{case}/{check_id}: no {name} for {column:?}: {}",
                    c["summary"]
                )
            })["value"]
            .as_f64()
            .unwrap()
    };
    let mut compared = 0;
    for (col, c) in columns {
        let auto = &c["auto"];
        assert_close(
            &format!("{case} {col} auto {}", auto["metric"]),
            value("auto", auto["metric"].as_str().unwrap(), Some(col)),
            auto["value"].as_f64().unwrap(),
        );
        let detected = value("auto", "drift_detected", Some(col)) == 1.0;
        assert_eq!(
            detected,
            auto["drift_detected"].as_bool().unwrap(),
            "{case} {col}: drift decision (auto)"
        );
        assert_eq!(
            detected,
            auto["evidently"]["drift_detected"].as_bool().unwrap(),
            "{case} {col}: Evidently's decision"
        );
        compared += 2;
        for (m, stats) in c["methods"].as_object().unwrap() {
            for (name, want) in stats.as_object().unwrap() {
                if matches!(name.as_str(), "threshold" | "drift_detected" | "evidently") {
                    continue;
                }
                let Some(want) = want.as_f64() else { continue };
                assert_close(
                    &format!("{case} {col} {m} {name}"),
                    value(m, name, Some(col)),
                    want,
                );
                compared += 1;
            }
            let detected = value(m, "drift_detected", Some(col)) == 1.0;
            assert_eq!(
                detected,
                stats["drift_detected"].as_bool().unwrap(),
                "{case} {col}: drift decision ({m})"
            );
            compared += 1;
        }
    }
    let ds = &exp["dataset"];
    assert_close(
        &format!("{case} drift_share"),
        value("auto", "drift_share", None),
        ds["drift_share"].as_f64().unwrap(),
    );
    assert_eq!(
        value("auto", "drifted_columns", None),
        ds["drifted_columns"].as_f64().unwrap()
    );
    assert_eq!(
        value("auto", "columns_tested", None),
        ds["columns_tested"].as_f64().unwrap()
    );
    assert_eq!(
        check(&report, "auto")["status"] == "fail",
        ds["dataset_drift"].as_bool().unwrap(),
        "{case}: dataset drift"
    );
    assert_eq!(ds["dataset_drift"], ds["evidently"]["dataset_drift"]);
    compared + 3
}

#[test]
fn drift_on_small_references_matches_scipy_and_evidently() {
    let n = assert_drift_case("drift_small");
    assert!(n >= 60, "compared {n}");
}

#[test]
fn drift_on_large_references_matches_scipy_and_evidently() {
    let n = assert_drift_case("drift_large");
    assert!(n >= 30, "compared {n}");
}

/// Compares an example's expected drift section with its report's `drift` check.
fn assert_example_drift(example_name: &str, report: &serde_json::Value) -> usize {
    let exp: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            root()
                .join("examples")
                .join(example_name)
                .join("expected.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let drift = check(report, "drift");
    let find = |name: &str, column: &str| -> f64 {
        drift["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name && m["column"] == column)
            .unwrap_or_else(|| panic!("{example_name}: no {name} for {column}"))["value"]
            .as_f64()
            .unwrap()
    };
    let mut compared = 0;
    for (column, c) in exp["drift"]["columns"].as_object().unwrap() {
        for (name, want) in c.as_object().unwrap() {
            let stat = matches!(
                name.as_str(),
                "ks_statistic"
                    | "ks_pvalue"
                    | "chi2_pvalue"
                    | "z_pvalue"
                    | "wasserstein_normed"
                    | "jensen_shannon"
                    | "psi"
            );
            if stat {
                assert_close(
                    &format!("{example_name} {column} {name}"),
                    find(name, column),
                    want.as_f64().unwrap(),
                );
                compared += 1;
            }
        }
        assert_eq!(
            find("drift_detected", column) == 1.0,
            c["drift_detected"].as_bool().unwrap(),
            "{example_name} {column}"
        );
        compared += 1;
    }
    compared
}

#[test]
fn wine_multiclass_example_matches_scikit_learn_and_scipy_and_promotes() {
    let report = run_example("wine", 0);
    assert_eq!(report["verdict"], "promote");
    assert!(assert_models_match("wine", &report) >= 14);
    assert!(assert_example_drift("wine", &report) >= 39);
    assert_eq!(check(&report, "data-quality")["status"], "pass");
}

#[test]
fn production_window_drift_and_data_problems_are_flagged() {
    let report = run_example("production-window", 1);
    assert_eq!(report["verdict"], "reject");
    assert!(assert_example_drift("production-window", &report) >= 14);
    let exp: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/production-window/expected.json")).unwrap(),
    )
    .unwrap();
    for id in exp["failing_checks"].as_object().unwrap().keys() {
        assert_eq!(check(&report, id)["status"], "fail", "{id}");
    }
    let dq = check(&report, "data-quality");
    let dup = dq["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "duplicate_rows")
        .unwrap();
    assert_eq!(
        dup["value"],
        exp["data_quality"]["duplicate_rows"].as_f64().unwrap()
    );
    assert_eq!(dup["passed"], false);
}

#[test]
fn multiple_testing_corrections_follow_bonferroni_and_benjamini_hochberg() {
    let refdir = root().join("tests/reference");
    let exp: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(refdir.join("expected/drift_small.json")).unwrap(),
    )
    .unwrap();
    // The p-value columns of the auto selection, from scipy.
    let pvalues: Vec<(String, f64)> = exp["columns"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, c)| c["auto"]["metric"].as_str().unwrap().ends_with("_pvalue"))
        .map(|(n, c)| (n.clone(), c["auto"]["value"].as_f64().unwrap()))
        .collect();
    let m = pvalues.len() as f64;
    assert!(m >= 5.0);
    let alpha = 0.05;
    // Bonferroni: p * m <= alpha. Benjamini-Hochberg (step-up): the k smallest, k the largest rank
    // with p_(k) <= k * alpha / m.
    let mut sorted: Vec<f64> = pvalues.iter().map(|(_, p)| *p).collect();
    sorted.sort_by(f64::total_cmp);
    let k = (1..=sorted.len())
        .rev()
        .find(|&k| sorted[k - 1] <= k as f64 * alpha / m)
        .unwrap_or(0);
    let bh_cut = if k == 0 { -1.0 } else { sorted[k - 1] };
    let policy = format!(
        "version = 1\nname = \"corrections\"\n[datasets]\nreference = \"{}\"\ncurrent = \"{}\"\n\
         [[checks]]\nid = \"bonferroni\"\nplugin = \"drift\"\nseverity = \"advisory\"\n[checks.config]\ncorrection = \"bonferroni\"\n\
         [[checks]]\nid = \"bh\"\nplugin = \"drift\"\nseverity = \"advisory\"\n[checks.config]\ncorrection = \"benjamini_hochberg\"\n",
        refdir.join("data/drift_small_reference.csv").display(),
        refdir.join("data/drift_small_current.csv").display(),
    );
    let gate = Gate::new(&policy);
    gate.check(&[]).expect_code(0);
    let report = gate.report();
    let detected = |id: &str, column: &str| {
        check(&report, id)["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == "drift_detected" && x["column"] == column)
            .unwrap()["value"]
            == 1.0
    };
    let mut differs = 0;
    for (column, p) in &pvalues {
        let raw = exp["columns"][column]["auto"]["drift_detected"]
            .as_bool()
            .unwrap();
        assert_eq!(
            detected("bonferroni", column),
            p * m <= alpha,
            "bonferroni {column} p={p}"
        );
        assert_eq!(
            detected("bh", column),
            *p <= bh_cut,
            "benjamini-hochberg {column} p={p}"
        );
        differs += usize::from(raw != detected("bonferroni", column));
    }
    assert!(
        differs > 0,
        "the correction changes at least one decision on this data"
    );
}

#[test]
fn prediction_drift_and_confidence_match_scipy() {
    let exp = expected();
    let gate = Gate::new(&format!(
        "{EXAMPLE_HEAD}\n[[checks]]\nid = \"drift\"\nplugin = \"drift\"\nseverity = \"advisory\"\n\
         [checks.config.prediction]\nmodels = [\"candidate\", \"baseline\"]\nlow_confidence = {}\n",
        exp["prediction"]["low_confidence"]
    ));
    gate.check(&[]).expect_code(0);
    let report = gate.report();
    let drift = check(&report, "drift");
    let metrics = drift["metrics"].as_array().unwrap();
    let mut compared = 0;
    for (model, want) in exp["prediction"]["models"].as_object().unwrap() {
        for (name, value) in want.as_object().unwrap() {
            let found = metrics
                .iter()
                .find(|m| {
                    m["name"] == name.as_str()
                        && m["model"] == model.as_str()
                        && (m["column"] == "prediction"
                            || name.ends_with("confidence")
                            || name.ends_with("confidence_share"))
                })
                .unwrap_or_else(|| panic!("no {name} for {model}: {}", drift["summary"]));
            let got = found["value"].as_f64().unwrap();
            match value.as_bool() {
                Some(b) => assert_eq!(got == 1.0, b, "{model} {name}"),
                None => assert_close(
                    &format!("prediction {model} {name}"),
                    got,
                    value.as_f64().unwrap(),
                ),
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 10);
}

/// A report with its timing fields (started_at, duration_ms) removed.
fn without_timings(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("started_at");
        o.remove("duration_ms");
    }
    for c in v["checks"].as_array_mut().into_iter().flatten() {
        c.as_object_mut().unwrap().remove("duration_ms");
    }
    v
}

#[test]
fn identical_inputs_give_identical_reports_whatever_the_parallelism() {
    let gate = Gate::new(&format!(
        "{EXAMPLE_HEAD}
[[checks]]
id = \"perf\"
plugin = \"performance\"
[checks.config]
bootstrap_samples = 50
slices = [\"mean_concave_points\"]
[checks.config.metrics]
accuracy = {{ min = 0.9, confidence = 0.9 }}
[[checks]]
id = \"drift\"
plugin = \"drift\"
[checks.config.prediction]
models = [\"candidate\"]
[[checks]]
id = \"quality\"
plugin = \"data-quality\"
"
    ));
    let mut reports = Vec::new();
    for jobs in ["1", "4", "4"] {
        let out = gate.check(&["--jobs", jobs]);
        assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
        let text = std::fs::read_to_string(gate.path("report.json")).unwrap();
        reports.push(without_timings(serde_json::from_str(&text).unwrap()));
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
fn progress_lines_name_each_step_and_quiet_hides_them() {
    let gate = Gate::new(&format!(
        "{EXAMPLE_HEAD}\n[[checks]]\nid = \"perf\"\nplugin = \"performance\"\n"
    ));
    let out = gate.check(&["--progress", "always"]).expect_code(0);
    for step in [
        "loading 2 datasets … done in",
        "loading 2 models … done in",
        "preparing 1 plugin … done in",
        "running 1 check … done in",
    ] {
        assert!(
            out.stderr.contains(step),
            "missing `{step}` in:\n{}",
            out.stderr
        );
    }
    let out = gate
        .check(&["--progress", "always", "--quiet"])
        .expect_code(0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert_eq!(
        out.stdout.lines().count(),
        1,
        "--quiet prints only the verdict: {}",
        out.stdout
    );
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

/// Runs headless Chromium (installed by tests/run.sh from Debian's package) on a local file.
fn chromium(args: &[&str], page: &Path) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
        ])
        .args([
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium is installed by tests/run.sh (Debian package chromium)")
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

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let policy = example().join("gate.toml");
    let cmd = format!(
        "{} check {} --quiet",
        env!("CARGO_BIN_EXE_modelgate"),
        policy.display()
    );
    // `script` (util-linux) runs the command on a pseudo-terminal.
    let on_tty = |no_color: bool| {
        let mut c = std::process::Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"])
            .env("MODELGATE_CACHE_DIR", cache_dir());
        if no_color {
            c.env("NO_COLOR", "1");
        } else {
            c.env_remove("NO_COLOR");
        }
        String::from_utf8_lossy(&c.output().expect("script is in util-linux").stdout).into_owned()
    };
    let coloured = on_tty(false);
    assert!(
        coloured.contains("\x1b[32;1mPROMOTE\x1b[0m"),
        "{coloured:?}"
    );
    let plain = on_tty(true);
    assert!(
        plain.contains("verdict: PROMOTE (exit 0)") && !plain.contains('\x1b'),
        "{plain:?}"
    );
    let piped = std::process::Command::new(env!("CARGO_BIN_EXE_modelgate"))
        .args(["check", policy.to_str().unwrap(), "--quiet"])
        .env("MODELGATE_CACHE_DIR", cache_dir())
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let piped = String::from_utf8_lossy(&piped.stdout);
    assert!(
        piped.contains("PROMOTE") && !piped.contains('\x1b'),
        "no colour when stdout is not a terminal: {piped:?}"
    );
}

#[test]
fn many_checks_in_parallel_on_shared_data_agree_with_a_serial_run() {
    // 12 checks over the same datasets, models and predictions: run 8 at a time and one at a time.
    let mut policy = EXAMPLE_HEAD.to_string();
    for i in 0..4 {
        policy += &format!(
            "[[checks]]\nid = \"perf{i}\"\nplugin = \"performance\"\n[checks.config]\nslices = [\"label\"]\nmin_slice_size = 10\n\
             [[checks]]\nid = \"drift{i}\"\nplugin = \"drift\"\nseverity = \"advisory\"\n[checks.config.prediction]\nmodels = [\"candidate\", \"baseline\"]\n\
             [[checks]]\nid = \"quality{i}\"\nplugin = \"data-quality\"\n"
        );
    }
    let gate = Gate::new(&policy);
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

#[test]
fn configs_are_validated_against_the_plugin_schema_before_running() {
    let gate = Gate::new(&format!(
        "{EXAMPLE_HEAD}\n[[checks]]\nid = \"perf\"\nplugin = \"performance\"\n[checks.config]\nbootstrap_samples = 5\n\
         [checks.config.metrics]\naccuracy = {{ min = \"high\" }}\n"
    ));
    gate.check(&[]).expect_code(2);
    let perf = check(&gate.report(), "perf").clone();
    assert_eq!(perf["status"], "error");
    let e = perf["error"].as_str().unwrap();
    assert!(
        e.contains("does not match the schema of plugin `performance`"),
        "{e}"
    );
    assert!(
        e.contains("config.bootstrap_samples: 5 is less than the minimum of 10"),
        "{e}"
    );
    assert!(
        e.contains("config.metrics.accuracy.min: \"high\" is not of type \"number\""),
        "{e}"
    );
}

#[test]
fn a_positive_label_the_target_never_holds_is_an_error() {
    let gate = Gate::new(&format!(
        "{}\n[[checks]]\nid = \"perf\"\nplugin = \"performance\"\n",
        EXAMPLE_HEAD.replace("positive_label = 1", "positive_label = 7")
    ));
    let out = gate.check(&[]).expect_code(2);
    assert!(
        out.stderr
            .contains("task.positive_label `7` does not occur in column `label`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("values: 0, 1"), "{}", out.stderr);
    assert!(!gate.has_report());
}

#[test]
fn timings_say_where_the_time_went() {
    let gate = Gate::new(&format!(
        "{EXAMPLE_HEAD}\n[[checks]]\nid = \"perf\"\nplugin = \"performance\"\n"
    ));
    let out = gate.check(&["--timings"]).expect_code(0);
    for needle in [
        "timings:",
        "load datasets (in parallel)",
        "dataset `current` (228 rows × 31 columns)",
        "load models",
        "model `baseline`",
        "prepare plugins",
        "plugin builtin:performance (",
        "check `perf`",
        "predictions of `candidate` on `current` (inside the checks)",
        "total (wall, with reports)",
    ] {
        assert!(
            out.stderr.contains(needle),
            "`{needle}` in:\n{}",
            out.stderr
        );
    }
    // Every line ends with seconds.
    for line in out.stderr.lines().skip_while(|l| *l != "timings:").skip(1) {
        let secs = line
            .trim_end()
            .strip_suffix(" s")
            .and_then(|l| l.split_whitespace().last())
            .and_then(|n| n.parse::<f64>().ok());
        assert!(secs.is_some_and(|s| s >= 0.0), "{line}");
    }
    // Without the flag: nothing.
    assert!(!gate.check(&[]).expect_code(0).stderr.contains("timings:"));
}
