//! The other subcommands: `plugin inspect`, the compile cache behind every plugin, `verify`.

use crate::support::*;

#[test]
fn plugin_inspect_describes_a_builtin_and_refuses_non_components() {
    // Name, version, WIT version and the config schema.
    let out = modelgate(&["plugin", "inspect", "performance"]).expect_code(0);
    snapshot!("inspect_performance", out.transcript());

    let tmp = tempfile::tempdir().unwrap();
    let bogus = tmp.path().join("bogus.wasm");
    std::fs::write(&bogus, b"not wasm at all").unwrap();
    let out = modelgate(&["plugin", "inspect", bogus.to_str().unwrap()]).expect_code(2);
    snapshot!("inspect_not_wasm", out.transcript());
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
fn an_accepted_config_is_remembered_and_a_rejected_one_is_checked_every_time() {
    let cache = tempfile::tempdir().unwrap();
    let good = Gate::example(&format!(
        "{PERF}[checks.config.metrics]\naccuracy = {{ min = 0.9 }}\n"
    ));
    let bad = Gate::example(&format!(
        "{PERF}[checks.config.metrics]\naccuracy = {{ min = \"high\" }}\n"
    ));
    let markers = || -> usize {
        std::fs::read_dir(cache.path().join("configs"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let run = |gate: &Gate| {
        let report = gate.path("report.json");
        modelgate_with_cache(
            &["check", &gate.policy(), "-q", "--json", &report],
            cache.path(),
        )
    };
    run(&good).expect_code(0);
    assert_eq!(
        markers(),
        1,
        "the accepted (schema, config) pair is remembered"
    );
    run(&good).expect_code(0);
    assert_eq!(markers(), 1);
    for _ in 0..2 {
        run(&bad).expect_code(2);
        let report = bad.report();
        let summary = check(&report, "perf")["summary"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(summary.contains("config.metrics.accuracy.min"), "{summary}");
    }
    assert_eq!(markers(), 1, "a rejected config leaves no marker");
}

#[test]
fn verify_accepts_the_artifacts_of_a_report_and_refuses_changed_ones() {
    let policy = format!("{EXAMPLE_HEAD}{PERF}");
    let gate = Gate::new(&policy.replace("{example}/data/current.csv", "current.csv"));
    std::fs::copy(
        example().join("data/current.csv"),
        gate.dir.path().join("current.csv"),
    )
    .unwrap();
    gate.check(&[]).expect_code(0);
    let report = gate.path("report.json");
    let out = modelgate(&["verify", &report]).expect_code(0);
    snapshot!("verify_all_inputs", out.transcript());

    let mut data = std::fs::read(gate.dir.path().join("current.csv")).unwrap();
    data.extend_from_slice(b"\n");
    std::fs::write(gate.dir.path().join("current.csv"), &data).unwrap();
    let out = modelgate(&["verify", &report]).expect_code(1);
    snapshot!("verify_changed_dataset", out.transcript());

    std::fs::remove_file(gate.dir.path().join("current.csv")).unwrap();
    let out = modelgate(&["verify", &report]).expect_code(1);
    snapshot!("verify_missing_dataset", out.transcript());

    std::fs::write(gate.path("bogus.json"), "{}").unwrap();
    let out = modelgate(&["verify", &gate.path("bogus.json")]).expect_code(2);
    // Names the missing schema_version.
    snapshot!("verify_not_a_report", out.transcript());
}
