//! Reference profiles (`modelgate profile`, `reference = { profile = "…" }`): a gate with the
//! profile of its reference decides exactly as the gate with the reference itself; a stale,
//! damaged or insufficient profile is a named error.

use std::path::{Path, PathBuf};

use polars::prelude::SerReader as _;
use serde_json::Value;

use crate::support::*;

/// Copies an example's directory into `dir`.
fn copy_example(example: &str, dir: &Path) -> PathBuf {
    let to = dir.join(example);
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(root().join("examples").join(example))
        .arg(&to)
        .status()
        .unwrap();
    assert!(status.success());
    to
}

/// The policy at `from` with `datasets.NAME` replaced by `{ profile = PROFILE }` (and the
/// dataset's path beside it when `keep_source`), written to `to`.
fn with_profile(from: &Path, to: &Path, name: &str, profile: &str, keep_source: bool) {
    let mut policy: toml::Table = std::fs::read_to_string(from).unwrap().parse().unwrap();
    let datasets = policy["datasets"].as_table_mut().unwrap();
    let mut entry = toml::Table::new();
    entry.insert("profile".into(), profile.into());
    if keep_source {
        let path = match &datasets[name] {
            toml::Value::String(p) => p.clone(),
            v => v["path"].as_str().unwrap().to_string(),
        };
        entry.insert("path".into(), path.into());
    }
    datasets.insert(name.into(), entry.into());
    std::fs::write(to, toml::to_string(&policy).unwrap()).unwrap();
}

/// `modelgate COMMAND POLICY --json JSON -q`.
fn with_json(command: &str, policy: &Path, json: &Path) -> Run {
    modelgate(&[
        command,
        policy.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "-q",
    ])
}

fn report(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every check's status, metrics and details, with the run's timings and paths left out: what
/// must not change when the reference is a profile.
fn decisions(r: &Value) -> Vec<Value> {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] != "latency")
        .map(|c| {
            serde_json::json!({
                "id": c["id"], "status": c["status"], "summary": c["summary"],
                "metrics": c["metrics"], "details": c["details"],
            })
        })
        .collect()
}

/// `modelgate profile` of `name` in `policy`, checked to succeed.
fn profile(policy: &Path, name: &str, out: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "profile",
        policy.to_str().unwrap(),
        "--dataset",
        name,
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    modelgate(&args).expect_code(0)
}

#[test]
fn every_example_decides_the_same_with_a_profile_of_its_reference() {
    let dir = tempfile::tempdir().unwrap();
    for example in [
        "breast-cancer",
        "churn-pipeline",
        "wine",
        "production-window",
        "production-monitor",
    ] {
        let copy = copy_example(example, dir.path());
        let gate = copy.join("gate.toml");
        let run = profile(&gate, "reference", &copy.join("reference.profile"), &[]);
        assert!(run.stdout.contains("with its rows"), "{}", run.stdout);
        let profiled = copy.join("gate-profile.toml");
        with_profile(&gate, &profiled, "reference", "reference.profile", true);
        let (a, b) = (copy.join("a.json"), copy.join("b.json"));
        let ra = with_json("check", &gate, &a);
        let rb = with_json("check", &profiled, &b);
        assert_eq!(ra.code, rb.code, "{example}: exit codes\n{}", rb.stderr);
        let (ra, rb) = (report(&a), report(&b));
        assert_eq!(ra["verdict"], rb["verdict"], "{example}");
        // Bit for bit: the profile answers with the values the data gave.
        assert_eq!(decisions(&ra), decisions(&rb), "{example}");
        let input = &rb["inputs"]["datasets"]["reference"];
        assert!(
            input["path"]
                .as_str()
                .unwrap()
                .ends_with("reference.profile"),
            "{input}"
        );
        assert_eq!(
            input["profile_of"]["digest"], ra["inputs"]["datasets"]["reference"]["sha256"],
            "{example}: the profile records its source's digest"
        );
        assert_eq!(input["profile_of"]["digest_kind"], "sha256");
        // The report's inputs verify: the profile file is what the verdict was given for.
        modelgate(&["verify", b.to_str().unwrap()]).expect_code(0);
    }
    // `monitor` keeps the profile of its reference for every window.
    let copy = dir.path().join("production-monitor");
    let (a, b) = (copy.join("ma.json"), copy.join("mb.json"));
    let gate = copy.join("gate.toml");
    let profiled = copy.join("gate-profile.toml");
    let ra = with_json("monitor", &gate, &a);
    let rb = with_json("monitor", &profiled, &b);
    assert_eq!((ra.code, rb.code), (1, 1), "{}", rb.stderr);
    let (ra, rb) = (report(&a), report(&b));
    assert_eq!(ra["action"], rb["action"]);
    let windows = |r: &Value| -> Vec<Value> {
        r["chunks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| serde_json::json!({"status": w["status"], "checks": decisions(w)}))
            .collect()
    };
    assert_eq!(windows(&ra), windows(&rb));
}

/// The drift config of [`drift_policy`] by default.
const DEFAULT: &str = "exclude = [\"label\", \"score\"]\n";

/// A drift and data-quality gate of `current` against `reference` (60,000 and 30,000 rows);
/// `drift` is the drift check's config.
fn drift_policy(reference: &str, current: &Path, drift: &str) -> String {
    format!(
        "version = 1\nname = \"profiled\"\n[datasets]\nreference = {reference}\ncurrent = \"{}\"\n\
         [[checks]]\nid = \"drift\"\nplugin = \"drift\"\n[checks.config]\n{drift}\
         [[checks]]\nid = \"quality\"\nplugin = \"data-quality\"\n[checks.config]\nreference = \"reference\"\n",
        current.display()
    )
}

#[test]
fn a_profile_without_rows_answers_drift_and_quality_exactly_and_names_what_needs_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (r, c) = drifting_pair(dir.path());
    let plain = dir.path().join("plain.toml");
    std::fs::write(
        &plain,
        drift_policy(&format!("\"{}\"", r.display()), &c, DEFAULT),
    )
    .unwrap();
    let file = dir.path().join("ref.profile");
    let run = profile(&plain, "reference", &file, &["--max-rows", "0"]);
    assert!(run.stdout.contains("aggregates only"), "{}", run.stdout);
    // Aggregates only: the file is smaller than the rows (value runs of the numeric columns).
    let size = std::fs::metadata(&file).unwrap().len();
    assert!(size < 60_000 * 6 * 8, "{size} bytes");

    let profiled = dir.path().join("profiled.toml");
    std::fs::write(
        &profiled,
        drift_policy("{ profile = \"ref.profile\" }", &c, DEFAULT),
    )
    .unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    let ra = with_json("check", &plain, &a);
    let rb = with_json("check", &profiled, &b);
    assert_eq!(ra.code, 1, "the pair drifts: {}", ra.stdout);
    assert_eq!(ra.code, rb.code, "{}", rb.stderr);
    let (ra, rb) = (report(&a), report(&b));
    assert_eq!(decisions(&ra), decisions(&rb));
    let drift = check(&rb, "drift");
    assert!(
        drift["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "wasserstein_normed"),
        "{drift}"
    );

    // Tests of the values alone (KS; chi-square on a column of few values) take them from the
    // profile's value runs: the same decisions, bit for bit.
    let method = "exclude = [\"score\"]\n[checks.config.columns]\n\
                  a = { method = \"ks\" }\nb = { method = \"ks\" }\nc = { method = \"ks\" }\n\
                  label = { method = \"chisquare\" }\n";
    let (ks_plain, ks_profiled) = (dir.path().join("ks-plain.toml"), dir.path().join("ks.toml"));
    std::fs::write(
        &ks_plain,
        drift_policy(&format!("\"{}\"", r.display()), &c, method),
    )
    .unwrap();
    std::fs::write(
        &ks_profiled,
        drift_policy("{ profile = \"ref.profile\" }", &c, method),
    )
    .unwrap();
    let (a, b) = (dir.path().join("ks-a.json"), dir.path().join("ks-b.json"));
    let codes: Vec<i32> = [(&ks_plain, &a), (&ks_profiled, &b)]
        .into_iter()
        .map(|(policy, json)| with_json("check", policy, json).code)
        .collect();
    assert_eq!(codes, [0, 0], "b drifts, but not a majority of the columns");
    let (ra, rb) = (report(&a), report(&b));
    assert_eq!(decisions(&ra), decisions(&rb));
    let names: Vec<&str> = check(&rb, "drift")["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert!(
        names.contains(&"ks_pvalue") && names.contains(&"chi2_pvalue"),
        "{names:?}"
    );

    // A check that needs the rows themselves (grouped moments of an A/B test) errors, naming
    // the profile and the fix.
    let ab = copy_example("staging-ab", dir.path());
    let gate = ab.join("gate.toml");
    let run = profile(
        &gate,
        "experiment",
        &ab.join("units.profile"),
        &["--max-rows", "0"],
    );
    assert!(run.stdout.contains("aggregates only"), "{}", run.stdout);
    let profiled = ab.join("gate-profile.toml");
    with_profile(&gate, &profiled, "experiment", "units.profile", true);
    let json = ab.join("ab.json");
    with_json("check", &profiled, &json).expect_code(2);
    let summary = check(&report(&json), "staging-ab")["summary"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        summary.contains("units.profile") && summary.contains("--max-rows 8000"),
        "{summary}"
    );
}

#[test]
fn a_stale_damaged_or_missing_profile_is_a_named_error() {
    let dir = tempfile::tempdir().unwrap();
    let copy = copy_example("wine", dir.path());
    let gate = copy.join("gate.toml");
    let file = copy.join("reference.profile");
    profile(&gate, "reference", &file, &[]);
    let checked = copy.join("checked.toml");
    with_profile(&gate, &checked, "reference", "reference.profile", true);
    let unchecked = copy.join("unchecked.toml");
    with_profile(&gate, &unchecked, "reference", "reference.profile", false);
    modelgate(&["check", checked.to_str().unwrap(), "-q"]).expect_code(0);

    // The source changes: with the source named, and without (the recorded file is still
    // there), the gate refuses the profile and names both digests.
    let data = copy.join("data/reference.parquet");
    let before = sha256_hex(&std::fs::read(&data).unwrap());
    let df = polars::prelude::ParquetReader::new(std::fs::File::open(&data).unwrap())
        .finish()
        .unwrap();
    let half = df.height() / 2;
    let mut df = df.head(Some(half));
    write_parquet(&mut df, &data);
    let after = sha256_hex(&std::fs::read(&data).unwrap());
    for policy in [&checked, &unchecked] {
        let run = modelgate(&["check", policy.to_str().unwrap(), "-q"]).expect_code(2);
        assert!(
            run.stderr.contains("is stale")
                && run.stderr.contains(&before)
                && run.stderr.contains(&after)
                && run.stderr.contains("modelgate profile"),
            "{}",
            run.stderr
        );
    }
    // Written again, it is current: the gate decides as with the changed data.
    profile(&checked, "reference", &file, &[]);
    let plain = modelgate(&["check", gate.to_str().unwrap(), "-q"]);
    modelgate(&["check", checked.to_str().unwrap(), "-q"]).expect_code(plain.code);

    // Damaged: one byte changed, or cut short.
    let bytes = std::fs::read(&file).unwrap();
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x40;
    std::fs::write(&file, &flipped).unwrap();
    let run = modelgate(&["check", checked.to_str().unwrap(), "-q"]).expect_code(2);
    assert!(
        run.stderr.contains("reference.profile") && run.stderr.contains("damaged"),
        "{}",
        run.stderr
    );
    std::fs::write(&file, &bytes[..bytes.len() - 100]).unwrap();
    let run = modelgate(&["check", checked.to_str().unwrap(), "-q"]).expect_code(2);
    assert!(run.stderr.contains("damaged"), "{}", run.stderr);
    // Not a profile at all.
    std::fs::copy(copy.join("data/current.csv"), &file).unwrap();
    let run = modelgate(&["check", checked.to_str().unwrap(), "-q"]).expect_code(2);
    assert!(
        run.stderr.contains("not a modelgate profile"),
        "{}",
        run.stderr
    );
    // Missing.
    std::fs::remove_file(&file).unwrap();
    let run = modelgate(&["check", checked.to_str().unwrap(), "-q"]).expect_code(2);
    assert!(
        run.stderr.contains("reference.profile") && run.stderr.contains("modelgate profile"),
        "{}",
        run.stderr
    );

    // The command's own bad input: an unknown dataset, a profile without a source, no output.
    let run = modelgate(&[
        "profile",
        gate.to_str().unwrap(),
        "--dataset",
        "refrence",
        "-o",
        "x",
    ])
    .expect_code(2);
    assert!(
        run.stderr.contains("`reference`, `current`"),
        "{}",
        run.stderr
    );
    let run = modelgate(&[
        "profile",
        unchecked.to_str().unwrap(),
        "--dataset",
        "reference",
    ])
    .expect_code(2);
    assert!(run.stderr.contains("without a source"), "{}", run.stderr);
    let run =
        modelgate(&["profile", gate.to_str().unwrap(), "--dataset", "reference"]).expect_code(2);
    assert!(
        run.stderr.contains("-o reference.profile"),
        "{}",
        run.stderr
    );
    // A policy's profile that is empty, and a monitored log given as a profile.
    let empty = copy.join("empty.toml");
    with_profile(&gate, &empty, "reference", "", false);
    let run = modelgate(&["check", empty.to_str().unwrap(), "-q"]).expect_code(2);
    assert!(run.stderr.contains("`profile` is empty"), "{}", run.stderr);
    let monitor = root().join("examples/production-monitor/gate.toml");
    let log = copy.join("monitor.toml");
    with_profile(&monitor, &log, "current", "log.profile", false);
    let run = modelgate(&["monitor", log.to_str().unwrap(), "-q"]).expect_code(2);
    assert!(
        run.stderr.contains("datasets.current.profile"),
        "{}",
        run.stderr
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}
