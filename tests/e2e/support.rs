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

/// The debug binary the tests run is relinked in place while `tests/e2e/packaging.rs` packs the
/// test wheel (maturin's cargo run): that takes this lock for writing; every run of the binary
/// holds it for reading, so none starts while the file is being replaced.
static BINARY: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Held while running the binary.
pub fn binary_in_use() -> std::sync::RwLockReadGuard<'static, ()> {
    BINARY.read().unwrap_or_else(|p| p.into_inner())
}

/// Held while the binary is being rebuilt.
pub fn binary_rebuilt() -> std::sync::RwLockWriteGuard<'static, ()> {
    BINARY.write().unwrap_or_else(|p| p.into_inner())
}

/// Runs `modelgate ARGS` with the given compile-cache directory and extra environment.
pub fn modelgate_env(args: &[&str], cache: &Path, env: &[(&str, &str)]) -> Run {
    let _binary = binary_in_use();
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
                // The contract as 0.1.0 was: without what later releases added (0.1.1:
                // `table.wasserstein`; 0.1.2: `table.grouped-moments` and its record; 0.1.3:
                // `table.identity` and the memo; 0.1.4: `table.value-runs` and its record).
                for (start, last) in [
                    (
                        "        /// An identifier of this table's rows",
                        "identity: func",
                    ),
                    ("\n    /// The plugin's memo", "memo-put: func"),
                    (
                        "        /// The first Wasserstein distance",
                        "wasserstein: func",
                    ),
                    (
                        "        /// Per distinct value of `group-column`",
                        "grouped-moments: func",
                    ),
                    (
                        "    /// Moments of numeric columns over the rows",
                        "\n    }\n",
                    ),
                    (
                        "        /// The finite values of a numeric or boolean column as a multiset",
                        "value-runs: func",
                    ),
                    (
                        "    /// A numeric column's distinct finite values and how often",
                        "\n    }\n",
                    ),
                ] {
                    let added = text.find(start).expect("an addition in wit/plugin.wit");
                    let end = added + text[added..].find(last).unwrap() + last.len();
                    let end = end + text[end..].find('\n').unwrap() + 1;
                    text.replace_range(added..end, "");
                }
                text = text.replace(", log-level, group-moments, value-runs}", ", log-level}");
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
    /// Writes `gate.toml` with the placeholders replaced by absolute paths: `{example}` (the
    /// bundled example), `{reference}` (tests/reference, the statistics reference cases) and
    /// `{plugins}` (the built fixture plugins of tests/plugins, built only when named).
    pub fn new(policy: &str) -> Gate {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut text = policy
            .replace("{example}", &example().display().to_string())
            .replace(
                "{reference}",
                &root().join("tests/reference").display().to_string(),
            );
        if text.contains("{plugins}") {
            text = text.replace("{plugins}", &fixture_plugins().display().to_string());
        }
        std::fs::write(dir.path().join("gate.toml"), text).expect("write policy");
        Gate { dir }
    }

    /// A gate over the example: [`EXAMPLE_HEAD`] followed by `checks` (TOML, same placeholders).
    pub fn example(checks: &str) -> Gate {
        Gate::new(&format!("{EXAMPLE_HEAD}{checks}"))
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

/// The reference numbers computed by examples/breast-cancer/generate.py (scikit-learn on
/// onnxruntime's outputs).
pub fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string(example().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

/// Asserts agreement with a reference value to a relative 1e-9. With `MODELGATE_PRINT_DIFFS=1`
/// every comparison is printed (`cargo test --test e2e -- --nocapture`), for the record.
pub fn assert_close(name: &str, got: f64, want: f64) {
    let rel = (got - want).abs() / want.abs().max(1e-300);
    if std::env::var_os("MODELGATE_PRINT_DIFFS").is_some() {
        eprintln!("reldiff {rel:e} {name}");
    }
    assert!(
        rel <= 1e-9 || (got - want).abs() <= 1e-15,
        "{name}: got {got}, scikit-learn says {want} (rel {rel:e})"
    );
}

/// A report with its timing fields (started_at, duration_ms) removed.
pub fn without_timings(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("started_at");
        o.remove("duration_ms");
    }
    for c in v["checks"].as_array_mut().into_iter().flatten() {
        c.as_object_mut().unwrap().remove("duration_ms");
    }
    v
}

/// The simplest check over the example: the built-in `performance` plugin, id `perf`, no
/// thresholds.
pub const PERF: &str = r#"
[[checks]]
id = "perf"
plugin = "performance"
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

// Snapshots. The binary's human output, its error messages and its rendered reports are compared
// whole with committed snapshots (tests/e2e/snapshots, one `.snap` file each) by insta. What
// varies between runs and machines (absolute paths, temporary directories, durations,
// timestamps, digests, the version) is masked by `filters()` before the comparison, so a snapshot
// states everything else exactly. A new or changed snapshot fails the test; `cargo insta review`
// (or `INSTA_UPDATE=always` locally) accepts it. In CI (`CI=true`) insta writes nothing and fails.

impl Run {
    /// The whole run as one text, the form every snapshot of a run has.
    pub fn transcript(&self) -> String {
        format!(
            "exit code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// What varies between runs and machines, as (regex, replacement) pairs applied in order: the
/// most specific first (the target's temporary directory lies inside the repository).
pub fn filters() -> Vec<(String, String)> {
    let path = |p: &Path| regex::escape(&p.display().to_string());
    let mut f: Vec<(String, String)> = vec![
        (
            path(Path::new(env!("CARGO_TARGET_TMPDIR"))),
            "[TARGET_TMP]".into(),
        ),
        (path(&root()), "[ROOT]".into()),
        // tempfile's directories (/tmp/.tmpXXXXXX) and the one `demo` makes.
        (
            format!(r"{}/\.tmp[A-Za-z0-9]+", path(&std::env::temp_dir())),
            "[TEMP]".into(),
        ),
        (
            format!(r"{}/modelgate-demo-[0-9-]+", path(&std::env::temp_dir())),
            "[DEMO]".into(),
        ),
        (r"\b[0-9a-f]{64}\b".into(), "[SHA256]".into()),
        // The 12-digit abbreviations the reports show: a built plugin's digest changes with every
        // build of it, and a test policy's with the checkout's path.
        (r"\b[0-9a-f]{12}\b".into(), "[SHA256_12]".into()),
        (
            r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?".into(),
            "[TIMESTAMP]".into(),
        ),
        // Durations as the terminal and the reports write them: `12 ms`, `0.41 s`, `3.2s`.
        (
            r"\b\d+(\.\d+)?(e-?\d+)? ?(ns|µs|us|ms|s)\b".into(),
            "[TIME]".into(),
        ),
        // The terminal table pads its TIME column to the longest duration.
        (r"\[TIME\] +".into(), "[TIME] ".into()),
        (r"\bTIME +SUMMARY\b".into(), "TIME SUMMARY".into()),
        // Measured latencies and throughputs (the `latency` check), and a plugin's size in bytes.
        (
            r"\b((?:latency_\w+_ms|throughput_rows_per_s) = )-?\d[\d.e+-]*".into(),
            "${1}[MEASURED]".into(),
        ),
        (r"\b(size: +)\d+ bytes".into(), "${1}[SIZE] bytes".into()),
        // JSON and JUnit durations: `"duration_ms": 12`, `time="0.012"`.
        (
            r#""duration_ms": ?\d+(\.\d+)?"#.into(),
            r#""duration_ms": [MS]"#.into(),
        ),
        (r#"\btime="[\d.]+""#.into(), r#"time="[SECONDS]""#.into()),
    ];
    let version = regex::escape(env!("CARGO_PKG_VERSION"));
    f.push((
        format!(r"\bmodelgate( v| )?{version}\b"),
        "modelgate [VERSION]".into(),
    ));
    f
}

/// The insta settings of every snapshot: the filters, no expression in the header, and a guard
/// that a CI run cannot accept snapshots on its own.
pub fn snapshot_settings() -> insta::Settings {
    assert_ci_cannot_accept_snapshots();
    let mut s = insta::Settings::clone_current();
    for (regex, replacement) in filters() {
        s.add_filter(&regex, replacement);
    }
    s.set_omit_expression(true);
    s
}

/// Under `CI` a snapshot that is new or changed must fail the run: refuse the settings that would
/// accept it instead (`INSTA_UPDATE=always|force|new|unseen|1`, `INSTA_FORCE_PASS=1`).
fn assert_ci_cannot_accept_snapshots() {
    let ci = std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"));
    if !ci {
        return;
    }
    let update = std::env::var("INSTA_UPDATE").unwrap_or_default();
    assert!(
        matches!(update.as_str(), "" | "auto" | "no"),
        "CI is set but INSTA_UPDATE={update}: snapshots would be accepted without review"
    );
    assert!(
        !matches!(std::env::var("INSTA_FORCE_PASS").as_deref(), Ok("1")),
        "CI is set but INSTA_FORCE_PASS=1: snapshot mismatches would pass"
    );
}

/// `snapshot!(NAME, TEXT)`: asserts TEXT, filtered, against tests/e2e/snapshots/e2e__MODULE__NAME.snap.
macro_rules! snapshot {
    ($name:expr, $text:expr) => {
        $crate::support::snapshot_settings().bind(|| insta::assert_snapshot!($name, $text))
    };
}
pub(crate) use snapshot;

/// `text` with `filters()` applied, as a snapshot would see it.
pub fn filtered(text: &str) -> String {
    filters()
        .iter()
        .fold(text.to_string(), |t, (regex, replacement)| {
            let re = regex::Regex::new(regex).expect("a filter is a valid regex");
            re.replace_all(&t, replacement.as_str()).into_owned()
        })
}

/// Where two texts first differ (line number and both lines), for a failure message.
pub fn first_difference(a: &str, b: &str) -> String {
    let (mut la, mut lb) = (a.lines(), b.lines());
    for n in 1.. {
        match (la.next(), lb.next()) {
            (None, None) => break,
            (x, y) if x == y => continue,
            (x, y) => return format!("line {n}:\n- {x:?}\n+ {y:?}"),
        }
    }
    "no difference".into()
}

/// Runs headless Chromium (installed by tests/run.sh from Debian's package) on a local file.
pub fn chromium(args: &[&str], page: &Path) -> Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new("chromium")
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

/// Writes a frame as a Parquet file.
pub fn write_parquet(df: &mut polars::prelude::DataFrame, path: &Path) {
    let f = std::fs::File::create(path).unwrap();
    polars::prelude::ParquetWriter::new(f).finish(df).unwrap();
}

/// A reference and a current window (`current` drifts in `b` and `segment`), with a score column
/// for a prediction-column model.
pub fn drifting_pair(dir: &Path) -> (PathBuf, PathBuf) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let mut frame = |rows: usize, shift: f64| {
        let mut normal = || {
            let (u, v) = (uniform(), uniform());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        };
        let a: Vec<f64> = (0..rows).map(|_| normal()).collect();
        let b: Vec<f64> = (0..rows).map(|_| 10.0 + 2.0 * normal() + shift).collect();
        let c: Vec<Option<f64>> = (0..rows)
            .map(|r| (r % 50 != 0).then(|| (0.5 * normal()).exp()))
            .collect();
        let segments = ["north", "south", "east", "west", "online"];
        let segment: Vec<&str> = (0..rows)
            .map(|_| {
                let u = uniform() + shift / 10.0;
                segments[((u * 5.0) as usize).min(4)]
            })
            .collect();
        let label: Vec<i64> = a.iter().map(|x| i64::from(*x > 0.3)).collect();
        let score: Vec<f64> = a.iter().map(|x| 1.0 / (1.0 + (-3.0 * x).exp())).collect();
        polars::df!("a" => a, "b" => b, "c" => c, "segment" => segment, "label" => label, "score" => score)
            .unwrap()
    };
    let (r, c) = (dir.join("reference.parquet"), dir.join("current.parquet"));
    write_parquet(&mut frame(60_000, 0.0), &r);
    write_parquet(&mut frame(30_000, 1.5), &c);
    (r, c)
}
