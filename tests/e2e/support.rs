//! Helpers for end-to-end tests: run the real `modelgate` binary, build the fixture plugins, write
//! policies into temporary directories.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_path_buf()
}

/// The bundled example's directory.
pub fn example() -> PathBuf {
    root().join("examples/breast-cancer")
}

/// What a run of the binary produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().expect("modelgate was killed by a signal"),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Panics with the full output unless the exit code is `code`.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "modelgate panicked:\n{}",
            self.stderr
        );
        self
    }
}

/// Runs `modelgate ARGS` with a test-private compile cache and no colour.
pub fn modelgate(args: &[&str]) -> Run {
    modelgate_with_cache(args, &cache_dir())
}

/// Runs `modelgate ARGS` with the given compile-cache directory.
pub fn modelgate_with_cache(args: &[&str], cache: &Path) -> Run {
    modelgate_env(args, cache, &[])
}

/// Runs `modelgate ARGS` with the given compile-cache directory and extra environment.
pub fn modelgate_env(args: &[&str], cache: &Path, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_modelgate"));
    cmd.args(args)
        .current_dir(root())
        .env("MODELGATE_CACHE_DIR", cache)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY");
    for k in [
        "MLFLOW_TRACKING_URI",
        "MLFLOW_TRACKING_TOKEN",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    Run::from(cmd.output().expect("run modelgate"))
}

/// The test-private compile cache.
pub fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("modelgate-cache")
}

/// Builds the adversarial fixture plugins (tests/plugins) once and returns their directory.
pub fn fixture_plugins() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // The WIT-version fixtures bind to this release's contract with only the version changed.
        let wit =
            std::fs::read_to_string(root().join("wit/plugin.wit")).expect("read wit/plugin.wit");
        let package = format!(
            "package modelgate:plugin@{};",
            modelgate::runtime::WIT_VERSION
        );
        let package = package.as_str();
        assert!(wit.contains(package), "wit/plugin.wit declares {package}");
        for (dir, version) in [
            ("wit-v2", "2.0.0"),
            ("wit-v0.1.9", "0.1.9"),
            ("wit-v0.1.0", "0.1.0"),
        ] {
            let dir = root().join("tests/plugins").join(dir);
            std::fs::create_dir_all(&dir).expect("create a WIT fixture directory");
            let mut text = wit.replace(package, &format!("package modelgate:plugin@{version};"));
            if version == "0.1.0" {
                // The contract as 0.1.0 was: without what later releases added.
                let added = text
                    .find("        /// The first Wasserstein distance")
                    .expect("wasserstein in wit/plugin.wit");
                let end = added + text[added..].find("wasserstein: func").unwrap();
                let end = end + text[end..].find('\n').unwrap() + 1;
                text.replace_range(added..end, "");
            }
            // Rewritten only when it changes, so cargo does not rebuild the fixtures every run.
            if std::fs::read_to_string(dir.join("plugin.wit"))
                .ok()
                .as_deref()
                != Some(text.as_str())
            {
                std::fs::write(dir.join("plugin.wit"), text).expect("write a WIT fixture");
            }
        }
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-plugins");
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root().join("tests/plugins"))
            .args([
                "build",
                "--release",
                "--locked",
                "--target",
                "wasm32-wasip2",
                "--target-dir",
            ])
            .arg(&target)
            .env_remove("CARGO_TARGET_DIR")
            .status()
            .expect("run cargo to build tests/plugins");
        assert!(status.success(), "building tests/plugins failed");
        target.join("wasm32-wasip2/release")
    })
}

/// A temporary directory holding a policy whose relative paths point into the example.
pub struct Gate {
    pub dir: tempfile::TempDir,
}

impl Gate {
    /// Writes `gate.toml` with `{example}` replaced by the example's absolute path.
    pub fn new(policy: &str) -> Gate {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = policy.replace("{example}", &example().display().to_string());
        std::fs::write(dir.path().join("gate.toml"), text).expect("write policy");
        Gate { dir }
    }

    pub fn policy(&self) -> String {
        self.dir.path().join("gate.toml").display().to_string()
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// `modelgate check gate.toml --json report.json EXTRA...`
    pub fn check(&self, extra: &[&str]) -> Run {
        let policy = self.policy();
        let report = self.path("report.json");
        let mut args = vec!["check", policy.as_str(), "--json", report.as_str()];
        args.extend_from_slice(extra);
        modelgate(&args)
    }

    /// The JSON report the last `check` wrote.
    pub fn report(&self) -> serde_json::Value {
        let text =
            std::fs::read_to_string(self.path("report.json")).expect("report.json was written");
        serde_json::from_str(&text).expect("report.json is JSON")
    }

    pub fn has_report(&self) -> bool {
        self.dir.path().join("report.json").exists()
    }
}

/// The head of a policy over the example's data and models.
pub const EXAMPLE_HEAD: &str = r#"
version = 1
name = "test-gate"
[task]
type = "binary"
target = "label"
positive_label = 1
[datasets]
reference = "{example}/data/reference.parquet"
current = "{example}/data/current.csv"
[models.candidate]
onnx = "{example}/models/candidate.onnx"
[models.baseline]
onnx = "{example}/models/baseline.onnx"
"#;

/// The check of a report with the given id.
pub fn check<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .expect("checks is an array")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check `{id}` in the report"))
}

/// The value of a metric of a check for a model.
pub fn metric(check: &serde_json::Value, name: &str, model: &str) -> f64 {
    check["metrics"]
        .as_array()
        .expect("metrics is an array")
        .iter()
        .find(|m| m["name"] == name && m["model"] == model)
        .unwrap_or_else(|| panic!("no metric {name} for {model} in {check}"))["value"]
        .as_f64()
        .expect("metric value is a number")
}
