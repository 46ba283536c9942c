//! Third-party plugins, as a new author meets them: `plugin new`, build with the generated
//! project's own instructions, `plugin inspect`, `plugin test`, then a policy that pins the build.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::*;

/// Runs a build tool in `dir` with a clean cargo environment (the test runs inside cargo).
fn run_in(dir: &Path, program: &str, args: &[&str], env: &[(&str, &Path)]) {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir).args(args);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("CARGO_") || k == "RUSTFLAGS" {
            cmd.env_remove(&k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} in {} failed\n--- stdout\n{}\n--- stderr\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The share of empty fields per column of a small CSV without quoting, counted here.
fn missing_shares(csv: &Path) -> Vec<(String, f64)> {
    let text = std::fs::read_to_string(csv).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            (
                h.to_string(),
                rows.iter().filter(|r| r[i].is_empty()).count() as f64 / rows.len() as f64,
            )
        })
        .collect()
}

fn value_of(check: &Value, name: &str) -> f64 {
    check["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no {name}: {check}"))["value"]
        .as_f64()
        .unwrap()
}

fn metric_of<'a>(check: &'a Value, column: &str) -> &'a Value {
    check["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["column"] == column)
        .unwrap_or_else(|| panic!("no metric for `{column}`: {check}"))
}

/// `plugin test` on the generated sample, with its own config and with a stricter one, against
/// shares counted independently from the CSV.
fn plugin_test_on_the_sample(project: &Path, wasm: &Path) {
    let expected = missing_shares(&project.join("sample/data.csv"));
    assert!(
        expected.iter().any(|(_, s)| *s > 0.1),
        "the sample has missing values: {expected:?}"
    );
    let report = project.join("report.json");
    let policy = project.join("sample/gate.toml");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "plugin",
            "test",
            wasm.to_str().unwrap(),
            "--policy",
            policy.to_str().unwrap(),
            "--json",
            report.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |extra: &[&str], code: i32| -> Value {
        let a = args(extra);
        modelgate(&a.iter().map(String::as_str).collect::<Vec<_>>()).expect_code(code);
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap()
    };
    // The sample policy's own config: max_missing_share = 0.25.
    let r = run(&[], 0);
    let checks = r["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 1, "only the plugin under test runs: {r}");
    for (column, share) in &expected {
        let m = metric_of(&checks[0], column);
        assert_eq!(m["value"].as_f64().unwrap(), *share, "{column}");
        assert_eq!(m["threshold"], serde_json::json!({"max": 0.25}));
        assert_eq!(m["passed"], *share <= 0.25);
    }
    // A stricter config from the command line.
    let r = run(&["--config", r#"{"max_missing_share": 0.1}"#], 1);
    for (column, share) in &expected {
        assert_eq!(
            metric_of(&r["checks"][0], column)["passed"],
            *share <= 0.1,
            "{column}"
        );
    }
    // A misspelt key is refused by the plugin's schema, naming the key.
    let out = modelgate(
        &args(&["--config", r#"{"max_missing_shar": 0.1}"#])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )
    .expect_code(2);
    assert!(
        out.stdout.contains("'max_missing_shar' was unexpected"),
        "{}",
        out.stdout
    );
}

/// A policy in a fresh directory that uses `wasm` pinned by `sha256`.
fn pinned_gate(project: &Path, wasm: &Path, sha256: &str) -> Gate {
    Gate::new(&format!(
        "version = 1\nname = \"pinned\"\n[datasets]\ncurrent = \"{}\"\n[[checks]]\nid = \"missing\"\nplugin = \"{}\"\nsha256 = \"{sha256}\"\n\
         [checks.config]\nmax_missing_share = 0.5\n",
        project.join("sample/data.csv").display(),
        wasm.display()
    ))
}

/// componentize-py (pinned in examples/plugins/requirements.txt, installed into
/// .venv-componentize on first use) — the same release `plugin new --lang python` pins.
fn componentize_py() -> PathBuf {
    static EXE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    EXE.get_or_init(|| {
        let script = root().join("examples/plugins/componentize-py.sh");
        let pinned = std::fs::read_to_string(root().join("examples/plugins/requirements.txt")).unwrap();
        let want = format!("componentize-py=={}", modelgate::scaffold::COMPONENTIZE_PY_VERSION);
        assert!(pinned.lines().any(|l| l == want), "examples/plugins/requirements.txt and scaffold::COMPONENTIZE_PY_VERSION pin the same release ({want})");
        run_in(&root(), script.to_str().unwrap(), &["--version"], &[]);
        root().join(".venv-componentize/bin/componentize-py")
    })
    .clone()
}

/// The labels of the breast-cancer hold-out data, counted here from the CSV: (zeros, ones).
fn label_counts() -> (u64, u64) {
    let text = std::fs::read_to_string(example().join("data/current.csv")).unwrap();
    let mut lines = text.lines();
    let col = lines
        .next()
        .unwrap()
        .split(',')
        .position(|h| h == "label")
        .unwrap();
    let labels: Vec<String> = lines
        .map(|l| l.split(',').nth(col).unwrap().trim().to_string())
        .collect();
    let ones = labels.iter().filter(|v| v.as_str() == "1").count() as u64;
    let zeros = labels.iter().filter(|v| v.as_str() == "0").count() as u64;
    assert_eq!(ones + zeros, labels.len() as u64, "labels are 0 or 1");
    (zeros, ones)
}

#[cfg(unix)]
fn inode(p: &Path) -> u64 {
    std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).unwrap())
}

#[test]
fn a_python_plugin_runs_through_the_gate_and_its_compiled_component_is_cached() {
    let exe = componentize_py();
    let out = scratch("label-balance");
    std::fs::create_dir_all(&out).unwrap();
    let wasm = out.join("label_balance.wasm");
    let build = root().join("examples/plugins/python-label-balance/build.sh");
    run_in(
        &root(),
        build.to_str().unwrap(),
        &[wasm.to_str().unwrap()],
        &[],
    );
    assert!(exe.exists());
    let sha = modelgate::files::sha256_file(&wasm).unwrap();
    let (zeros, ones) = label_counts();
    let policy = |config: &str| {
        format!(
            "{EXAMPLE_HEAD}\n[[checks]]\nid = \"labels\"\nplugin = \"{}\"\nsha256 = \"{sha}\"\n[checks.config]\n{config}\n",
            wasm.display()
        )
    };
    // A cache of its own, empty: the first gate compiles the component and stores it.
    let cache = out.join("cache");
    let gate = Gate::new(&policy("min_share = 0.05\nmax_classes = 2"));
    let report = gate.path("report.json");
    let args = ["check", &gate.policy(), "--json", &report];
    modelgate_with_cache(&args, &cache).expect_code(0);
    let first = gate.report();
    let labels = check(&first, "labels");
    assert_eq!(labels["status"], "pass", "{labels}");
    let share = value_of(labels, "minority_share");
    assert_eq!(share, zeros.min(ones) as f64 / (zeros + ones) as f64);
    assert_eq!(value_of(labels, "classes"), 2.0);
    let entries: Vec<PathBuf> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    assert_eq!(entries.len(), 1, "one compiled component: {entries:?}");
    // Beside it, the marker of the config the plugin's schema accepted.
    assert_eq!(std::fs::read_dir(cache.join("configs")).unwrap().count(), 1);
    assert!(entries[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with(&sha));
    // The second gate loads the compiled component instead of compiling (and rewriting) it.
    #[cfg(unix)]
    let ino = inode(&entries[0]);
    modelgate_with_cache(&args, &cache).expect_code(0);
    #[cfg(unix)]
    assert_eq!(inode(&entries[0]), ino, "the cache entry was not rewritten");
    assert_eq!(
        check(&gate.report(), "labels")["metrics"],
        labels["metrics"]
    );

    // The rarest class (37 %) below a 45 % minimum rejects.
    let strict = Gate::new(&policy("min_share = 0.45"));
    strict.check(&[]).expect_code(1);
    let labels = check(&strict.report(), "labels").clone();
    assert_eq!(labels["status"], "fail");
    assert!(
        labels["summary"]
            .as_str()
            .unwrap()
            .contains("below min 45.0%"),
        "{labels}"
    );
    // The plugin's own error names the key and the column.
    let wrong = Gate::new(&policy("column = \"diagnosis\""));
    let out = wrong.check(&[]).expect_code(2);
    assert!(
        out.stdout
            .contains("config.column: dataset `current` has no column `diagnosis`"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_python_plugin_from_plugin_new_builds_tests_and_gates() {
    let exe = componentize_py();
    let project = scratch("missing-share-python");
    modelgate(&[
        "plugin",
        "new",
        "missing-share",
        "--lang",
        "python",
        "--dir",
        project.to_str().unwrap(),
    ])
    .expect_code(0);
    // The project's own build: its unit tests, then the component.
    run_in(&project, "./build.sh", &[], &[("COMPONENTIZE_PY", &exe)]);
    let wasm = project.join("missing_share.wasm");
    plugin_test_on_the_sample(&project, &wasm);
    pin_and_gate(&project, &wasm);
}

/// A gate that pins the build runs it; a wrong pin is refused before anything runs.
fn pin_and_gate(project: &Path, wasm: &Path) {
    let info = modelgate(&["plugin", "inspect", wasm.to_str().unwrap(), "--json"]).expect_code(0);
    let info: Value = serde_json::from_str(&info.stdout).unwrap();
    assert_eq!(info["name"], "missing-share");
    assert_eq!(info["wit_version"], modelgate::runtime::WIT_VERSION);
    let sha = info["sha256"].as_str().unwrap();
    assert_eq!(sha, modelgate::files::sha256_file(wasm).unwrap());
    let gate = pinned_gate(project, wasm, sha);
    gate.check(&[]).expect_code(0);
    assert_eq!(gate.report()["inputs"]["plugins"]["missing"]["sha256"], sha);
    let wrong = pinned_gate(project, wasm, &"0".repeat(64));
    let out = wrong.check(&[]).expect_code(2);
    assert!(out.stderr.contains("sha256"), "{}", out.stderr);
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("third-party")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    dir
}

#[test]
fn a_rust_plugin_from_plugin_new_builds_tests_and_gates() {
    let project = scratch("missing-share-rust");
    let out = modelgate(&[
        "plugin",
        "new",
        "missing-share",
        "--lang",
        "rust",
        "--dir",
        project.to_str().unwrap(),
    ])
    .expect_code(0);
    assert!(
        out.stdout
            .contains("cargo build --release --target wasm32-wasip2"),
        "{}",
        out.stdout
    );
    // The generated project's own commands (its README), with a build cache kept between runs.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("third-party-target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run_in(
        &project,
        &cargo,
        &["test", "-q"],
        &[("CARGO_TARGET_DIR", &target)],
    );
    run_in(
        &project,
        &cargo,
        &["build", "-q", "--release", "--target", "wasm32-wasip2"],
        &[("CARGO_TARGET_DIR", &target)],
    );
    let wasm = target.join("wasm32-wasip2/release/missing_share.wasm");
    // The sample policy points at the project's own target/.
    let built = project.join("target/wasm32-wasip2/release/missing_share.wasm");
    std::fs::create_dir_all(built.parent().unwrap()).unwrap();
    std::fs::copy(&wasm, &built).unwrap();
    plugin_test_on_the_sample(&project, &built);
    pin_and_gate(&project, &built);

    // Asked again, `plugin new` refuses to overwrite the project.
    let out = modelgate(&[
        "plugin",
        "new",
        "missing-share",
        "--dir",
        project.to_str().unwrap(),
    ])
    .expect_code(2);
    assert!(
        out.stderr.contains("already exists and is not empty"),
        "{}",
        out.stderr
    );
}

#[test]
fn plugin_test_takes_the_config_of_the_policys_check_or_of_the_one_named() {
    let policy = example().join("gate.toml");
    let policy = policy.to_str().unwrap();
    // The breast-cancer gate's `performance` check passes; its other checks do not run.
    let r = modelgate(&["plugin", "test", "performance", "--policy", policy]).expect_code(0);
    assert!(
        r.stdout.contains("performance") && !r.stdout.contains("drift"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("(min 0.9500)"),
        "the policy's accuracy bound applies: {}",
        r.stdout
    );
    // A stricter bound from the command line rejects.
    let r = modelgate(&[
        "plugin",
        "test",
        "performance",
        "--policy",
        policy,
        "--config",
        r#"{"metrics": {"accuracy": {"min": 0.999}}}"#,
    ])
    .expect_code(1);
    assert!(r.stdout.contains("FAIL accuracy"), "{}", r.stdout);
    let r = modelgate(&[
        "plugin",
        "test",
        "performance",
        "--policy",
        policy,
        "--check",
        "nope",
    ])
    .expect_code(2);
    assert!(
        r.stderr
            .contains("no check `nope` (--check); the policy's checks are `performance`"),
        "{}",
        r.stderr
    );
    let r = modelgate(&[
        "plugin",
        "test",
        "performance",
        "--policy",
        policy,
        "--config",
        "[1]",
    ])
    .expect_code(2);
    assert!(
        r.stderr.contains("--config must be a JSON object"),
        "{}",
        r.stderr
    );
    let r = modelgate(&["plugin", "test", "no-such.wasm", "--policy", policy]).expect_code(2);
    assert!(
        r.stderr.contains("no plugin file no-such.wasm"),
        "{}",
        r.stderr
    );
}

#[test]
fn plugin_new_refuses_bad_names() {
    for bad in ["Bad", "a--b", "1x", "a_b"] {
        let out = modelgate(&[
            "plugin",
            "new",
            bad,
            "--dir",
            scratch("bad-name").to_str().unwrap(),
        ])
        .expect_code(2);
        assert!(
            out.stderr.contains("is not a valid plugin name"),
            "{bad}: {}",
            out.stderr
        );
    }
}
