//! Models from a real MLflow tracking server (tests/mlflow: pinned MLflow in .venv-mlflow, a
//! server on loopback with a sqlite store): resolve, download, gate, verify, promote, log — and
//! every failure mode an error that names what is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::*;

/// A running server, stopped on drop (also when a test panics).
struct Server {
    work: PathBuf,
    uri: String,
}

impl Server {
    fn start(name: &str) -> Server {
        let work = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("mlflow-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&work);
        let out = Command::new(root().join("tests/mlflow/server.sh"))
            .arg(&work)
            .output()
            .expect("run tests/mlflow/server.sh");
        assert!(
            out.status.success(),
            "the MLflow server did not start:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let uri = String::from_utf8(out.stdout).unwrap().trim().to_string();
        assert!(uri.starts_with("http://127.0.0.1:"), "{uri}");
        Server { work, uri }
    }

    fn python(&self, script: &str, args: &[&str]) -> Value {
        let out = Command::new(root().join(".venv-mlflow/bin/python"))
            .arg(root().join("tests/mlflow").join(script))
            .arg("--tracking-uri")
            .arg(&self.uri)
            .args(args)
            .output()
            .expect("run the MLflow venv's python");
        assert!(
            out.status.success(),
            "{script} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{script} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    fn stop(&self) {
        let _ = Command::new(root().join("tests/mlflow/server.sh"))
            .arg("--stop")
            .arg(&self.work)
            .status();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn gate_with(server: &Server, candidate: &str, baseline: &str, accuracy_min: f64) -> Gate {
    Gate::new(&format!(
        r#"
version = 1
name = "registry-gate"
[task]
type = "binary"
target = "label"
positive_label = 1
[datasets]
current = "{{example}}/data/current.csv"
[models.candidate]
onnx = "{candidate}"
[models.baseline]
onnx = "{baseline}"
[registry]
tracking_uri = "{}"
[[checks]]
id = "performance"
plugin = "performance"
[checks.config.metrics]
accuracy = {{ min = {accuracy_min} }}
roc_auc = {{ min = 0.9, max_drop = 0.0 }}
"#,
        server.uri
    ))
}

fn run_gate(gate: &Gate, extra: &[&str], code: i32) -> Run {
    let policy = gate.policy();
    let report = gate.path("report.json");
    let mut args = vec!["check", policy.as_str(), "--json", report.as_str()];
    args.extend_from_slice(extra);
    modelgate(&args).expect_code(code)
}

#[test]
fn models_from_an_mlflow_registry_are_gated_verified_promoted_and_logged() {
    let server = Server::start("flow");
    let fixture = server.python(
        "register.py",
        &[
            "--candidate",
            example().join("models/candidate.onnx").to_str().unwrap(),
            "--baseline",
            example().join("models/baseline.onnx").to_str().unwrap(),
        ],
    );
    let candidate = &fixture["models"]["candidate"];
    let (cand_version, cand_run) = (
        candidate["version"].as_str().unwrap(),
        candidate["run_id"].as_str().unwrap(),
    );
    assert_eq!(fixture["models"]["baseline"]["alias"], "champion");

    // Gate the challenger against the champion, both resolved by alias.
    let gate = gate_with(
        &server,
        "models:/breast-cancer@challenger",
        "models:/breast-cancer@champion",
        0.95,
    );
    run_gate(&gate, &[], 0);
    let report = gate.report();
    let m = &report["inputs"]["models"]["candidate"];
    assert_eq!(m["path"], format!("models:/breast-cancer/{cand_version}"));
    assert_eq!(
        m["sha256"],
        modelgate::files::sha256_file(&example().join("models/candidate.onnx")).unwrap(),
        "the bytes MLflow stored"
    );
    assert_eq!(m["registry"]["name"], "breast-cancer");
    assert_eq!(m["registry"]["version"], cand_version);
    assert_eq!(m["registry"]["alias"], "challenger");
    assert_eq!(m["registry"]["run_id"], cand_run);
    assert_eq!(m["registry"]["tracking_uri"], server.uri.as_str());
    assert!(
        m["registry"]["artifact"]
            .as_str()
            .unwrap()
            .ends_with("/model/model.onnx"),
        "{m}"
    );
    assert_eq!(
        report["inputs"]["models"]["baseline"]["registry"]["version"],
        fixture["models"]["baseline"]["version"]
    );
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "the report follows docs/report.schema.json: {errors:?}"
    );
    // verify downloads the version again and compares.
    let v = modelgate(&["verify", &gate.path("report.json")]).expect_code(0);
    let line = v
        .stdout
        .lines()
        .find(|l| l.contains("model candidate"))
        .unwrap_or_default();
    assert!(
        line.starts_with("ok") && line.ends_with(&format!("models:/breast-cancer/{cand_version}")),
        "{}",
        v.stdout
    );

    // Promote: the verdict, metrics and reports go to the candidate's run; `champion` moves.
    let html = gate.path("report.html");
    let out = run_gate(&gate, &["--promote", "champion", "--html", &html], 0);
    assert!(
        out.stdout.contains(&format!(
            "promoted: models:/breast-cancer/{cand_version} is now `champion` (was version 1)"
        )),
        "{}",
        out.stdout
    );
    let seen = server.python(
        "inspect_run.py",
        &["--name", "breast-cancer", "--run", cand_run],
    );
    assert_eq!(
        seen["aliases"]["champion"], cand_version,
        "read back with MLflow's client: {seen}"
    );
    assert_eq!(seen["aliases"]["challenger"], cand_version);
    assert_eq!(seen["tags"]["modelgate.verdict"], "promote");
    assert_eq!(seen["tags"]["modelgate.promoted_alias"], "champion");
    assert_eq!(seen["tags"]["modelgate.gate"], "registry-gate");
    let report = gate.report();
    let accuracy = metric(check(&report, "performance"), "accuracy", "candidate");
    assert_eq!(
        seen["metrics"]["modelgate.performance.accuracy"]
            .as_f64()
            .unwrap(),
        accuracy,
        "{seen}"
    );
    assert!(
        seen["metrics"]
            .get("modelgate.performance.accuracy.baseline")
            .is_none(),
        "only the candidate's metrics"
    );
    let artifacts: Vec<&str> = seen["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        artifacts.contains(&"modelgate/report.json")
            && artifacts.contains(&"modelgate/report.html"),
        "{artifacts:?}"
    );

    // A rejected candidate is logged but not promoted.
    let strict = gate_with(
        &server,
        "models:/breast-cancer@challenger",
        "models:/breast-cancer/1",
        0.999,
    );
    let out = run_gate(&strict, &["--promote", "gold"], 1);
    assert!(
        out.stdout.contains(
            "not promoted: the verdict is `reject`; alias `gold` of `breast-cancer` is unchanged"
        ),
        "{}",
        out.stdout
    );
    let seen = server.python(
        "inspect_run.py",
        &["--name", "breast-cancer", "--run", cand_run],
    );
    assert!(seen["aliases"].get("gold").is_none(), "{seen}");
    assert_eq!(seen["tags"]["modelgate.verdict"], "reject");

    // Failure modes: exit 2, no report, a message naming what is missing.
    let expect_error = |candidate: &str, needle: &str| {
        let g = gate_with(&server, candidate, "models:/breast-cancer@champion", 0.9);
        let out = run_gate(&g, &[], 2);
        assert!(out.stderr.contains(needle), "{candidate}: {}", out.stderr);
        assert!(
            out.stderr.contains("models.candidate.onnx"),
            "names the key: {}",
            out.stderr
        );
        assert!(!g.has_report());
    };
    expect_error(
        "models:/no-such-model@champion",
        "registered model `no-such-model` does not exist in the MLflow registry",
    );
    expect_error(
        "models:/breast-cancer@missing",
        "registered model `breast-cancer` has no alias `missing`",
    );
    expect_error("models:/breast-cancer@missing", "champion→v2");
    expect_error("models:/breast-cancer/99", "has no version 99");
    expect_error(
        "models:/breast-cancer@no-onnx",
        "has no ONNX file among its artifacts",
    );
    expect_error("models:/breast-cancer@no-onnx", "README.txt");

    // --promote needs a registry candidate, and says so before running anything.
    let files = Gate::new(&format!(
        "{EXAMPLE_HEAD}\n[[checks]]\nid = \"p\"\nplugin = \"performance\"\n"
    ));
    let out = run_gate(&files, &["--promote", "champion"], 2);
    assert!(
        out.stderr
            .contains("the candidate (the first model, `candidate`) is not from the registry"),
        "{}",
        out.stderr
    );
    assert!(!files.has_report());
    let out = run_gate(&gate, &["--promote", "latest"], 2);
    assert!(
        out.stderr.contains("`latest` and `v<number>` are reserved"),
        "{}",
        out.stderr
    );

    // A server that is down.
    server.stop();
    let out = run_gate(&gate, &[], 2);
    assert!(
        out.stderr.contains(&format!(
            "cannot reach the MLflow tracking server at {}",
            server.uri
        )),
        "{}",
        out.stderr
    );
    let out = modelgate(&["verify", &gate.path("report.json")]).expect_code(1);
    assert!(
        out.stdout.contains("MISSING") && out.stdout.contains("cannot reach"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_registry_reference_needs_a_tracking_server_and_a_valid_form() {
    let gate = Gate::new(&format!(
        "{}\n[[checks]]\nid = \"p\"\nplugin = \"performance\"\n",
        EXAMPLE_HEAD.replace(
            "{example}/models/candidate.onnx",
            "models:/breast-cancer@champion"
        )
    ));
    let out = modelgate_env(
        &["check", &gate.policy()],
        &cache_dir(),
        &[("MLFLOW_TRACKING_URI", "")],
    )
    .expect_code(2);
    assert!(
        out.stderr
            .contains("no tracking server is set: set MLFLOW_TRACKING_URI"),
        "{}",
        out.stderr
    );
    let bad = Gate::new(&EXAMPLE_HEAD.replace(
        "{example}/models/candidate.onnx",
        "models:/breast-cancer/latest",
    ));
    let out = modelgate(&["check", &bad.policy()]).expect_code(2);
    assert!(
        out.stderr
            .contains("at key `models.candidate.onnx`: `models:/breast-cancer/latest`"),
        "{}",
        out.stderr
    );
}
