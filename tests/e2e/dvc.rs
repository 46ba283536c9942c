//! DVC-tracked datasets, with files written by real DVC (pinned in tests/dvc/requirements.txt,
//! .venv-dvc): the report records the tracked hash, and a file that is not the tracked version
//! is refused.

use std::path::Path;
use std::process::Command;

use crate::support::*;

fn dvc(dir: &Path, args: &[&str]) {
    let out = Command::new(root().join(".venv-dvc/bin/dvc"))
        .current_dir(dir)
        .args(args)
        .env("DVC_NO_ANALYTICS", "1")
        .env("DVC_NO_UPDATER_CHECK", "1")
        .output()
        .expect("run dvc (tests/run.sh test installs it into .venv-dvc)");
    assert!(
        out.status.success(),
        "dvc {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn yaml(path: &Path) -> serde_yaml_ng::Value {
    serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn dvc_tracked_datasets_are_recorded_and_a_changed_file_is_refused() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    dvc(dir, &["init", "--no-scm", "-q"]);
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::copy(
        example().join("data/current.csv"),
        dir.join("data/current.csv"),
    )
    .unwrap();
    std::fs::copy(
        example().join("data/reference.parquet"),
        dir.join("source.parquet"),
    )
    .unwrap();
    // `current` by `dvc add` (data/current.csv.dvc); `reference` as the output of a stage (dvc.lock).
    dvc(dir, &["add", "-q", "data/current.csv"]);
    dvc(
        dir,
        &[
            "stage",
            "add",
            "-q",
            "-n",
            "prepare",
            "-d",
            "source.parquet",
            "-o",
            "data/reference.parquet",
            "cp source.parquet data/reference.parquet",
        ],
    );
    dvc(dir, &["repro", "-q"]);
    let added = yaml(&dir.join("data/current.csv.dvc"));
    let current_md5 = added["outs"][0]["md5"].as_str().unwrap().to_string();
    let lock = yaml(&dir.join("dvc.lock"));
    let reference_md5 = lock["stages"]["prepare"]["outs"][0]["md5"]
        .as_str()
        .unwrap()
        .to_string();

    let policy = dir.join("gate.toml");
    std::fs::write(
        &policy,
        format!(
            "{}\n[[checks]]\nid = \"perf\"\nplugin = \"performance\"\n",
            EXAMPLE_HEAD
                .replace("{example}/data/current.csv", "data/current.csv")
                .replace("{example}/data/reference.parquet", "data/reference.parquet")
                .replace("{example}", &example().display().to_string())
        ),
    )
    .unwrap();
    let report = dir.join("report.json");
    let args = [
        "check",
        policy.to_str().unwrap(),
        "--json",
        report.to_str().unwrap(),
    ];
    modelgate(&args).expect_code(0);
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let current = &r["inputs"]["datasets"]["current"]["dvc"];
    assert_eq!(current["md5"], current_md5.as_str(), "{current}");
    assert!(
        current["file"]
            .as_str()
            .unwrap()
            .ends_with("data/current.csv.dvc"),
        "{current}"
    );
    assert!(
        current.get("stage").is_none() && current.get("legacy").is_none(),
        "{current}"
    );
    let reference = &r["inputs"]["datasets"]["reference"]["dvc"];
    assert_eq!(reference["md5"], reference_md5.as_str());
    assert_eq!(reference["stage"], "prepare");
    assert!(
        reference["file"].as_str().unwrap().ends_with("dvc.lock"),
        "{reference}"
    );

    // One value changed without `dvc add`: refused, naming the file, both hashes and the fix.
    let text = std::fs::read_to_string(dir.join("data/current.csv")).unwrap();
    let (head, rest) = text.split_once('\n').unwrap();
    std::fs::write(
        dir.join("data/current.csv"),
        format!("{head}\n{}", rest.replacen("27.22", "27.23", 1)),
    )
    .unwrap();
    std::fs::remove_file(&report).unwrap();
    let out = modelgate(&args).expect_code(2);
    assert!(
        out.stderr.contains("dataset `current`")
            && out.stderr.contains("is not the version DVC tracks"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("records md5 {current_md5}"))
            && out.stderr.contains("dvc checkout"),
        "{}",
        out.stderr
    );
    assert!(!report.exists(), "no report for a refused gate");
    // `dvc add` records the change: the gate runs again.
    dvc(dir, &["add", "-q", "data/current.csv"]);
    modelgate(&args).expect_code(0);
}
