//! What a run keeps for the next: each ONNX model's signature and its predictions on a small
//! dataset, so a gate run again on the same files neither loads ONNX Runtime nor runs the model.

use std::path::{Path, PathBuf};

use crate::support::*;

/// The repo's ONNX Runtime library (tests/venv.sh installs it).
fn onnxruntime() -> PathBuf {
    let lib = root().join(".venv/lib");
    for python in std::fs::read_dir(&lib).expect(".venv/lib (tests/venv.sh)") {
        let capi = python
            .unwrap()
            .path()
            .join("site-packages/onnxruntime/capi");
        for f in std::fs::read_dir(&capi).into_iter().flatten() {
            let p = f.unwrap().path();
            if p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("libonnxruntime.so."))
            {
                return p;
            }
        }
    }
    panic!("no libonnxruntime.so in {}", lib.display());
}

fn entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

/// `check --timings` with this cache and library; the report without its times.
fn run(gate: &Gate, cache: &Path, lib: &Path, code: i32) -> (Run, serde_json::Value) {
    let (policy, report) = (gate.policy(), gate.path("report.json"));
    let args = ["check", &policy, "--json", &report, "--timings"];
    let out =
        modelgate_env(&args, cache, &[("ORT_DYLIB_PATH", lib.to_str().unwrap())]).expect_code(code);
    let report = if code == 2 {
        serde_json::Value::Null
    } else {
        without_timings(gate.report())
    };
    (out, report)
}

#[test]
fn predictions_are_kept_and_a_second_run_needs_no_onnxruntime() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    // A copy of the library: later made unloadable without the cache noticing.
    let lib = tmp.path().join("libonnxruntime.so");
    std::fs::copy(onnxruntime(), &lib).unwrap();
    let gate = Gate::example(PERF);

    let (out, first) = run(&gate, &cache, &lib, 0);
    for model in ["candidate", "baseline"] {
        let line = format!("predictions of `{model}` on `current` (inside the checks)");
        assert!(out.stderr.contains(&line), "{line} in:\n{}", out.stderr);
    }
    assert_eq!(entries(&cache.join("models")), 2, "a signature a model");
    assert_eq!(
        entries(&cache.join("predictions")),
        2,
        "one dataset, two models"
    );

    // The library is now garbage of the same size and time: only a run that never loads it
    // can pass, and this one reads both models' predictions from the cache.
    let (len, modified) = {
        let m = std::fs::metadata(&lib).unwrap();
        (m.len(), m.modified().unwrap())
    };
    std::fs::write(&lib, vec![0u8; len as usize]).unwrap();
    std::fs::File::options()
        .append(true)
        .open(&lib)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let (out, second) = run(&gate, &cache, &lib, 0);
    for model in ["candidate", "baseline"] {
        let line = format!("predictions of `{model}` on `current` (from the cache)");
        assert!(out.stderr.contains(&line), "{line} in:\n{}", out.stderr);
    }
    assert_eq!(second, first, "the same report, from the cache");

    // Other data is another key: the models must run, and the broken library is named.
    let data = tmp.path().join("current.csv");
    let csv = std::fs::read_to_string(example().join("data/current.csv")).unwrap();
    let mut lines: Vec<&str> = csv.lines().collect();
    lines.pop();
    std::fs::write(&data, lines.join("\n") + "\n").unwrap();
    let policy = std::fs::read_to_string(gate.policy()).unwrap().replace(
        &example().join("data/current.csv").display().to_string(),
        &data.display().to_string(),
    );
    std::fs::write(gate.policy(), policy).unwrap();
    let (out, _) = run(&gate, &cache, &lib, 2);
    assert!(
        out.stdout.contains("cannot load ONNX Runtime from")
            && out.stdout.contains("libonnxruntime.so"),
        "the library that cannot load is named:\n{}",
        out.stdout
    );

    // With a sound library that is a new key again: the models run on the new data, and the
    // damaged predictions of the first data are computed again, the same.
    std::fs::copy(onnxruntime(), &lib).unwrap();
    let (out, _) = run(&gate, &cache, &lib, 0);
    assert!(out.stderr.contains("(inside the checks)"), "{}", out.stderr);
    let policy = std::fs::read_to_string(gate.policy()).unwrap().replace(
        &data.display().to_string(),
        &example().join("data/current.csv").display().to_string(),
    );
    std::fs::write(gate.policy(), policy).unwrap();
    let (_, again) = run(&gate, &cache, &lib, 0);
    for f in std::fs::read_dir(cache.join("predictions")).unwrap() {
        std::fs::write(f.unwrap().path(), b"PAR1 damaged").unwrap();
    }
    let (out, damaged) = run(&gate, &cache, &lib, 0);
    assert!(out.stderr.contains("(inside the checks)"), "{}", out.stderr);
    assert_eq!(damaged, again);
    assert_eq!(damaged["checks"], first["checks"]);

    // `--no-cache` neither reads nor writes it.
    let before = entries(&cache.join("predictions"));
    let other = tmp.path().join("other-cache");
    let (policy, report) = (gate.policy(), gate.path("report.json"));
    let out = modelgate_env(
        &[
            "check",
            &policy,
            "--json",
            &report,
            "--timings",
            "--no-cache",
        ],
        &other,
        &[("ORT_DYLIB_PATH", lib.to_str().unwrap())],
    )
    .expect_code(0);
    assert!(out.stderr.contains("(inside the checks)"), "{}", out.stderr);
    assert!(!other.exists());
    assert_eq!(entries(&cache.join("predictions")), before);
}
