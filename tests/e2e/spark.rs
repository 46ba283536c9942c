//! The Spark Connect engine (`[engine] spark`) against a real server: Spark 4.3.0 from the pinned
//! pyspark package (tests/spark/server.sh, its own venv, the machine's Java 17) on loopback,
//! started once for this test binary and stopped when it exits. Differential tests: the table
//! API and every example gate give the same answers on Spark as embedded.
//!
//! `MODELGATE_TEST_SPARK=sc://…` uses a server already running instead of starting one.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use modelgate::data::{Dataset, Runs};
use modelgate::policy::Policy;
use modelgate::spark::Engine;
use polars::prelude::*;
use serde_json::Value;

use crate::support::*;

/// The server's `sc://` URL; the server is started on first use.
fn spark() -> &'static str {
    static URI: OnceLock<String> = OnceLock::new();
    URI.get_or_init(|| {
        if let Ok(uri) = std::env::var("MODELGATE_TEST_SPARK") {
            return uri;
        }
        let work =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("spark-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&work);
        // The server stops itself when this process ends (SPARK_SERVER_WATCH_PID).
        let out = Command::new(root().join("tests/spark/server.sh"))
            .arg(&work)
            .env("SPARK_SERVER_WATCH_PID", std::process::id().to_string())
            .output()
            .expect("run tests/spark/server.sh");
        assert!(
            out.status.success(),
            "the Spark Connect server did not start:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let uri = String::from_utf8(out.stdout).unwrap().trim().to_string();
        assert!(uri.starts_with("sc://127.0.0.1:"), "{uri}");
        uri
    })
}

/// One connected session for the library-level tests.
fn engine() -> &'static Arc<Engine> {
    static ENGINE: OnceLock<Arc<Engine>> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let policy = policy_text(&format!("[engine]\nspark = \"{}\"\n", spark()));
        Engine::connect(policy.spec.engine.as_ref().unwrap()).expect("connect to Spark")
    })
}

/// A policy parsed from `extra` (TOML) after a minimal head, as if written in the temp dir.
fn policy_text(extra: &str) -> Policy {
    let text = format!("version = 1\nname = \"spark\"\n[datasets]\nd = \"d.parquet\"\n{extra}");
    Policy::parse(&std::env::temp_dir().join("gate.toml"), &text).expect("policy parses")
}

/// The same file loaded embedded and on Spark.
fn both(path: &Path) -> (Dataset, Dataset) {
    let policy = policy_text("");
    let spec = &policy.spec.datasets["d"];
    let mut spec = spec.clone();
    spec.path = path.to_path_buf();
    let embedded = Dataset::load("d", path, None, &spec.csv).expect("load embedded");
    let on_spark = engine()
        .dataset("d", &spec, &policy)
        .expect("define on Spark");
    assert!(on_spark.backend().is_some());
    (embedded, on_spark)
}

/// Mean, sample and population standard deviation of the finite values, in two passes with
/// compensated sums.
fn accurate(values: &[f64]) -> (f64, f64, f64) {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let sum = |it: &mut dyn Iterator<Item = f64>| {
        let (mut s, mut c) = (0.0f64, 0.0f64);
        for x in it {
            let t = s + x;
            c += if s.abs() >= x.abs() {
                (s - t) + x
            } else {
                (x - t) + s
            };
            s = t;
        }
        s + c
    };
    let n = finite.len() as f64;
    let mean = sum(&mut finite.iter().copied()) / n;
    let m2 = sum(&mut finite.iter().map(|x| (x - mean) * (x - mean)));
    (mean, (m2 / (n - 1.0)).sqrt(), (m2 / n).sqrt())
}

fn close(what: &str, a: Option<f64>, b: Option<f64>, rel: f64) {
    match (a, b) {
        (Some(x), Some(y)) => assert!(
            x == y || (x - y).abs() <= rel * x.abs().max(y.abs()),
            "{what}: embedded {x:e}, Spark {y:e}"
        ),
        _ => assert_eq!(a, b, "{what}"),
    }
}

/// A frame with what makes aggregates hard: nulls, NaN, ±inf, -0.0, ties, repeated rows, large
/// offsets, text with ties at any limit, booleans and integers.
fn awkward_frame(rows: usize) -> DataFrame {
    let mut x = Vec::with_capacity(rows);
    let mut big = Vec::with_capacity(rows);
    let mut i = Vec::with_capacity(rows);
    let mut b = Vec::with_capacity(rows);
    let mut s = Vec::with_capacity(rows);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for r in 0..rows {
        let u = (next() >> 11) as f64 / (1u64 << 53) as f64;
        x.push(match r % 97 {
            0 => None,
            1 => Some(f64::NAN),
            2 => Some(f64::INFINITY),
            3 => Some(f64::NEG_INFINITY),
            4 => Some(-0.0),
            5 => Some(0.0),
            _ if r % 5 == 0 => Some((u * 8.0).floor() / 4.0), // ties on edges
            _ => Some(u * 10.0 - 3.0),
        });
        big.push(1e9 + u);
        i.push(if r % 31 == 0 {
            None
        } else {
            Some((next() % 7) as i64 - 2)
        });
        b.push(if r % 43 == 0 {
            None
        } else {
            Some(next() % 3 == 0)
        });
        s.push(if r % 17 == 0 {
            None
        } else {
            Some(["a", "b", "c", "d", "é", "B", "aa"][(next() % 7) as usize].to_string())
        });
    }
    let mut df = df!("x" => x, "big" => big, "i" => i, "b" => b, "s" => s).unwrap();
    // Repeated rows: the first tenth again.
    let head = df.head(Some(rows / 10));
    df.vstack_mut(&head).unwrap();
    df
}

#[test]
fn the_table_api_on_spark_answers_as_the_embedded_engine() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("awkward.parquet");
    write_parquet(&mut awkward_frame(20_000), &path);
    let (e, s) = both(&path);
    assert_eq!(e.rows(), s.rows());
    let names: Vec<String> = e.schema().into_iter().map(|c| c.name).collect();
    assert_eq!(names, s.column_names());
    for c in &names {
        let (a, b) = (e.stats(c).unwrap(), s.stats(c).unwrap());
        assert_eq!(
            (
                a.rows,
                a.null_count,
                a.nan_count,
                a.inf_count,
                a.unique_count
            ),
            (
                b.rows,
                b.null_count,
                b.nan_count,
                b.inf_count,
                b.unique_count
            ),
            "counts of `{c}`"
        );
        assert_eq!((a.min, a.max), (b.min, b.max), "min and max of `{c}`");
        if c == "s" {
            continue;
        }
        // Both engines round; each is checked against an accurate two-pass computation. Spark
        // (two passes) agrees to 1e-12; the embedded one-pass (Welford) statistics lose digits
        // when the values are far from zero relative to their spread (`big` = 1e9 + u).
        let r = accurate(&e.read_f64(c, 0, 1 << 20).unwrap().values);
        let embedded_rel = if c == "big" { 1e-7 } else { 1e-12 };
        for (what, x, y, want) in [
            ("mean", a.mean, b.mean, r.0),
            ("std", a.std, b.std, r.1),
            ("std_pop", a.std_pop, b.std_pop, r.2),
        ] {
            close(&format!("Spark's {what} of `{c}`"), y, Some(want), 1e-12);
            close(
                &format!("the embedded {what} of `{c}`"),
                x,
                Some(want),
                embedded_rel,
            );
        }
    }
    let probs = [0.0, 0.01, 0.25, 0.5, 0.9, 0.999, 1.0];
    for c in ["x", "big", "i", "b"] {
        let (a, b) = (
            e.quantiles(c, &probs).unwrap(),
            s.quantiles(c, &probs).unwrap(),
        );
        for (p, (x, y)) in probs.iter().zip(a.into_iter().zip(b)) {
            close(&format!("quantile {p} of `{c}`"), x, y, 1e-12);
        }
    }
    // Edges on data values (ties), a last edge equal to the maximum, edges outside the data.
    for (c, edges) in [
        ("x", vec![-3.0, -0.0, 0.25, 0.5, 1.0, 1.75, 7.0]),
        ("x", vec![-100.0, 100.0]),
        ("x", (0..=40).map(|k| -3.0 + 0.25 * k as f64).collect()),
        ("i", vec![-2.0, 0.0, 4.0]),
        ("b", vec![0.0, 0.5, 1.0]),
    ] {
        assert_eq!(
            e.histogram(c, &edges).unwrap(),
            s.histogram(c, &edges).unwrap(),
            "histogram of `{c}` on {edges:?}"
        );
    }
    for c in &names {
        for limit in [1, 2, 3, 5, 100] {
            assert_eq!(
                e.value_counts(c, limit).unwrap(),
                s.value_counts(c, limit).unwrap(),
                "value counts of `{c}`, limit {limit}"
            );
        }
    }
    for cols in [vec![], vec!["s".to_string()], vec!["i".into(), "b".into()]] {
        assert_eq!(
            e.duplicate_rows(&cols).unwrap(),
            s.duplicate_rows(&cols).unwrap(),
            "duplicate rows over {cols:?}"
        );
    }
    for (c, o) in [("x", "big"), ("x", "i"), ("i", "b")] {
        close(
            &format!("wasserstein `{c}` vs `{o}`"),
            Some(e.wasserstein(c, &e, o).unwrap()),
            Some(s.wasserstein(c, &s, o).unwrap()),
            1e-12,
        );
    }
    // Rows fetched whole (under engine.max_local_rows): reads see the same values.
    let (a, b) = (
        e.read_f64("big", 0, 1 << 20).unwrap(),
        s.read_f64("big", 0, 1 << 20).unwrap(),
    );
    let (mut a, mut b) = (a.values, b.values);
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    assert_eq!(a, b);
    // Errors are the embedded ones: a missing column is named, text is not numeric.
    let err = s.stats("nope").unwrap_err();
    assert!(
        err.message.contains("has no column `nope`"),
        "{}",
        err.message
    );
    let err = s.histogram("s", &[0.0, 1.0]).unwrap_err();
    assert!(err.message.contains("not numeric"), "{}", err.message);
}

/// Copies an example's directory and appends `[engine]` to its policy (the cluster reads the
/// files at the copy's paths).
fn on_spark(example: &str, policy: &str, dir: &Path) -> PathBuf {
    let from = root().join("examples").join(example);
    std::fs::create_dir_all(dir).unwrap();
    let to = dir.join(example);
    let status = Command::new("cp")
        .arg("-r")
        .arg(&from)
        .arg(&to)
        .status()
        .unwrap();
    assert!(status.success());
    let path = to.join(policy);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!("\n[engine]\nspark = \"{}\"\n", spark()));
    std::fs::write(&path, text).unwrap();
    path
}

/// The metrics of a report by (check, name, column, model, slice).
fn metrics(report: &Value) -> Vec<(String, String, f64)> {
    let mut out = Vec::new();
    for c in report["checks"].as_array().unwrap() {
        for m in c["metrics"].as_array().into_iter().flatten() {
            let key = format!(
                "{} {} {} {} {}",
                c["id"], m["name"], m["column"], m["model"], m["slice"]
            );
            out.push((
                c["id"].as_str().unwrap().to_string(),
                key,
                m["value"].as_f64().unwrap_or(f64::NAN),
            ));
        }
    }
    out
}

#[test]
fn every_example_gate_decides_the_same_on_spark() {
    let dir = tempfile::tempdir().unwrap();
    let gates = [
        ("breast-cancer", "gate.toml"),
        ("churn-pipeline", "gate.toml"),
        ("diabetes", "gate.toml"),
        ("wine", "gate.toml"),
        ("production-window", "gate.toml"),
        ("production-monitor", "gate.toml"),
        ("staging-ab", "gate.toml"),
        ("staging-ab", "gate-guardrail.toml"),
    ];
    for (i, (example, policy)) in gates.iter().enumerate() {
        let embedded_json = dir.path().join(format!("{i}-embedded.json"));
        let spark_json = dir.path().join(format!("{i}-spark.json"));
        let original = root().join("examples").join(example).join(policy);
        let a = modelgate(&[
            "check",
            original.to_str().unwrap(),
            "--json",
            embedded_json.to_str().unwrap(),
            "-q",
        ]);
        let copy = on_spark(example, policy, &dir.path().join(i.to_string()));
        let b = modelgate(&[
            "check",
            copy.to_str().unwrap(),
            "--json",
            spark_json.to_str().unwrap(),
            "-q",
        ]);
        assert_eq!(
            a.code, b.code,
            "{example}/{policy}: exit codes\n{}",
            b.stderr
        );
        let read = |p: &Path| -> Value {
            serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
        };
        let (ra, rb) = (read(&embedded_json), read(&spark_json));
        assert_eq!(ra["verdict"], rb["verdict"], "{example}/{policy}");
        for (ca, cb) in ra["checks"]
            .as_array()
            .unwrap()
            .iter()
            .zip(rb["checks"].as_array().unwrap())
        {
            if ca["plugin"] == "latency" {
                // Timings of this machine (advisory in every example): a busy moment can flip
                // a bound in either run; its metrics are left out below for the same reason.
                assert_eq!(ca["severity"], "advisory", "{example}/{policy}");
                continue;
            }
            assert_eq!(
                ca["status"], cb["status"],
                "{example}/{policy}: check {}: {}",
                ca["id"], cb
            );
        }
        let (ma, mb) = (metrics(&ra), metrics(&rb));
        assert_eq!(
            ma.iter().map(|m| &m.1).collect::<Vec<_>>(),
            mb.iter().map(|m| &m.1).collect::<Vec<_>>(),
            "{example}/{policy}: the same metrics"
        );
        for ((check, key, x), (_, _, y)) in ma.iter().zip(&mb) {
            if check == "latency" || key.contains("latency") {
                continue; // timings, not statistics
            }
            close(
                &format!("{example}/{policy}: {key}"),
                Some(*x),
                Some(*y),
                1e-9,
            );
        }
        for (name, d) in rb["inputs"]["datasets"].as_object().unwrap() {
            assert!(
                d["engine"]
                    .as_str()
                    .unwrap()
                    .starts_with("spark sc://127.0.0.1:"),
                "{example}: dataset {name}: {d}"
            );
            assert_eq!(d["sha256"].as_str().unwrap().len(), 64, "{d}");
        }
    }
}

const DRIFT_AND_QUALITY: &str = r#"
[[checks]]
id = "drift"
plugin = "drift"
[checks.config]
exclude = ["label", "score"]
[[checks]]
id = "quality"
plugin = "data-quality"
"#;

fn gate_report(policy: &str, dir: &Path, name: &str, code: i32) -> Value {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, policy).unwrap();
    let report = dir.join(format!("{name}.json"));
    let run = modelgate(&[
        "check",
        path.to_str().unwrap(),
        "--json",
        report.to_str().unwrap(),
        "-q",
    ])
    .expect_code(code);
    let text = std::fs::read_to_string(&report)
        .unwrap_or_else(|e| panic!("{name}: no report ({e}):\n{}\n{}", run.stdout, run.stderr));
    serde_json::from_str(&text).unwrap()
}

fn same_decisions(what: &str, a: &Value, b: &Value) {
    assert_eq!(a["verdict"], b["verdict"], "{what}");
    let (ma, mb) = (metrics(a), metrics(b));
    assert!(!ma.is_empty(), "{what}: no metrics");
    assert_eq!(
        ma.iter().map(|m| &m.1).collect::<Vec<_>>(),
        mb.iter().map(|m| &m.1).collect::<Vec<_>>(),
        "{what}: the same metrics"
    );
    for ((_, key, x), (_, _, y)) in ma.iter().zip(&mb) {
        close(&format!("{what}: {key}"), Some(*x), Some(*y), 1e-9);
    }
    for (ca, cb) in a["checks"]
        .as_array()
        .unwrap()
        .iter()
        .zip(b["checks"].as_array().unwrap())
    {
        assert_eq!(ca["status"], cb["status"], "{what}: check {}", ca["id"]);
    }
}

#[test]
fn aggregates_run_on_the_cluster_in_every_dataset_form_and_rows_stay_there() {
    let dir = tempfile::tempdir().unwrap();
    let (r, c) = drifting_pair(dir.path());
    let (r, c) = (r.display().to_string(), c.display().to_string());
    let head = |datasets: &str, engine: &str| {
        format!(
            "version = 1\nname = \"pair\"\n[datasets]\n{datasets}\n{engine}\n{DRIFT_AND_QUALITY}"
        )
    };
    let files = format!("reference = \"{r}\"\ncurrent = \"{c}\"");
    // No row leaves the cluster: at most 1,000 may be fetched, the datasets have 60,000 and
    // 30,000.
    let engine_toml = format!("[engine]\nspark = \"{}\"\nmax_local_rows = 1000", spark());
    let embedded = gate_report(&head(&files, ""), dir.path(), "embedded", 1);
    let paths = gate_report(&head(&files, &engine_toml), dir.path(), "paths", 1);
    same_decisions("file paths read by Spark", &embedded, &paths);
    assert_eq!(check(&paths, "drift")["status"], "fail");

    // A catalog table and a SQL query over the same files.
    let table = format!("mg_reference_{}", std::process::id());
    engine()
        .query(&format!(
            "CREATE TABLE {table} USING parquet LOCATION '{r}'"
        ))
        .expect("create the catalog table");
    let forms = format!(
        "reference = {{ table = \"{table}\" }}\ncurrent = {{ sql = \"SELECT * FROM parquet.`{c}` WHERE b IS NOT NULL\" }}"
    );
    let queried = gate_report(&head(&forms, &engine_toml), dir.path(), "forms", 1);
    same_decisions("a table and a query", &embedded, &queried);
    let inputs = &queried["inputs"]["datasets"];
    assert_eq!(inputs["reference"]["path"], format!("table {table}"));
    assert!(inputs["current"]["path"]
        .as_str()
        .unwrap()
        .starts_with("sql SELECT * FROM parquet."));
    // The content fingerprint does not depend on how the rows were reached.
    assert_eq!(
        inputs["reference"]["sha256"],
        paths["inputs"]["datasets"]["reference"]["sha256"]
    );
    assert_ne!(inputs["reference"]["sha256"], inputs["current"]["sha256"]);

    // A check that needs the rows (a model's predictions and labels) says why it cannot have them.
    let performance = format!(
        "version = 1\nname = \"pair\"\n[task]\ntype = \"binary\"\ntarget = \"label\"\npositive_label = 1\n\
         [datasets]\n{files}\n{engine_toml}\n[models.m]\npredictions = \"score\"\n\
         [[checks]]\nid = \"performance\"\nplugin = \"performance\"\n[checks.config]\ndataset = \"current\"\n\
         [checks.config.metrics]\nroc_auc = {{ min = 0.5 }}\n"
    );
    let report = gate_report(&performance, dir.path(), "rows", 2);
    let text = report.to_string();
    assert!(text.contains("engine.max_local_rows"), "{text}");
    assert!(text.contains("30000 rows on the Spark engine"), "{text}");
}

#[test]
fn a_broken_engine_or_query_is_a_named_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = root().join("examples/breast-cancer/data");
    let write = |name: &str, body: &str| {
        let p = dir.path().join(format!("{name}.toml"));
        std::fs::write(
            &p,
            format!("version = 1\nname = \"bad\"\n{body}\n{DRIFT_AND_QUALITY}"),
        )
        .unwrap();
        p.display().to_string()
    };
    let reference = data.join("current.csv").display().to_string();
    let engine = format!("[engine]\nspark = \"{}\"", spark());
    let cases = [
        (
            "unreachable",
            format!("[datasets]\nreference = \"{reference}\"\ncurrent = \"{reference}\"\n[engine]\nspark = \"sc://127.0.0.1:9\"\nconnect_timeout_s = 20"),
            vec!["sc://127.0.0.1:9", "engine.spark"],
        ),
        (
            "syntax",
            format!("[datasets]\nreference = \"{reference}\"\ncurrent = {{ sql = \"SELEC * FROM x\" }}\n{engine}"),
            vec!["dataset `current` (sql SELEC * FROM x)", "Spark says", "PARSE_SYNTAX_ERROR"],
        ),
        (
            "no-table",
            format!("[datasets]\nreference = {{ table = \"lake.no_such_table\" }}\ncurrent = \"{reference}\"\n{engine}"),
            vec!["dataset `reference` (table lake.no_such_table)", "TABLE_OR_VIEW_NOT_FOUND"],
        ),
        (
            "no-file",
            format!("[datasets]\nreference = \"{reference}\"\ncurrent = \"missing.parquet\"\n{engine}"),
            vec!["dataset `current`", "missing.parquet", "PATH_NOT_FOUND"],
        ),
        (
            "no-engine",
            format!("[datasets]\nreference = {{ table = \"t\" }}\ncurrent = \"{reference}\""),
            vec!["datasets.reference.table", "[engine]"],
        ),
    ];
    for (name, body, needles) in cases {
        let started = std::time::Instant::now();
        let run = modelgate(&["check", &write(name, &body), "-q"]).expect_code(2);
        for n in needles {
            assert!(
                run.stderr.contains(n),
                "{name}: `{n}` not in:\n{}",
                run.stderr
            );
        }
        assert!(
            started.elapsed().as_secs() < 60,
            "{name} took {:?}",
            started.elapsed()
        );
    }
}

/// The header and value runs of a profile file.
fn read_profile(path: &Path) -> (modelgate::profile::format::Header, Vec<Option<Runs>>) {
    let parsed =
        modelgate::profile::format::Parsed::from_bytes(std::fs::read(path).unwrap()).unwrap();
    let runs = parsed
        .header
        .columns
        .iter()
        .map(|c| c.runs.map(|b| parsed.runs(&c.name, b).unwrap()))
        .collect();
    (parsed.header, runs)
}

#[test]
fn profiles_written_on_spark_and_embedded_are_interchangeable() {
    let dir = tempfile::tempdir().unwrap();
    let (r, c) = drifting_pair(dir.path());
    let (r, c) = (r.display().to_string(), c.display().to_string());
    let policy = |reference: &str, engine: &str| {
        format!(
            "version = 1\nname = \"pair\"\n[datasets]\nreference = {reference}\ncurrent = \"{c}\"\n{engine}\n{DRIFT_AND_QUALITY}"
        )
    };
    let engine_toml = format!("[engine]\nspark = \"{}\"\nmax_local_rows = 1000", spark());
    let plain = format!("\"{r}\"");
    let (pe, ps) = (
        dir.path().join("embedded.profile"),
        dir.path().join("spark.profile"),
    );
    for (engine, out, name) in [("", &pe, "pe"), (engine_toml.as_str(), &ps, "ps")] {
        let p = dir.path().join(format!("{name}.toml"));
        std::fs::write(&p, policy(&plain, engine)).unwrap();
        let run = modelgate(&[
            "profile",
            p.to_str().unwrap(),
            "--dataset",
            "reference",
            "-o",
            out.to_str().unwrap(),
            "--max-rows",
            "0",
        ])
        .expect_code(0);
        assert!(run.stdout.contains("aggregates only"), "{}", run.stdout);
    }
    // The same content: value runs and value counts exactly, statistics to rounding.
    let ((he, re), (hs, rs)) = (read_profile(&pe), read_profile(&ps));
    assert_eq!(re, rs, "value runs");
    assert_eq!(hs.source.digest_kind, "spark-fingerprint");
    assert!(hs
        .source
        .engine
        .as_deref()
        .unwrap()
        .starts_with("spark sc://"));
    assert_eq!((he.rows, he.duplicate_rows), (hs.rows, hs.duplicate_rows));
    for (a, b) in he.columns.iter().zip(&hs.columns) {
        assert_eq!(
            (
                &a.name,
                &a.column_type,
                &a.value_counts,
                a.value_counts_complete
            ),
            (
                &b.name,
                &b.column_type,
                &b.value_counts,
                b.value_counts_complete
            )
        );
        let (x, y) = (&a.stats, &b.stats);
        assert_eq!(
            (
                x.rows,
                x.null_count,
                x.nan_count,
                x.inf_count,
                x.unique_count
            ),
            (
                y.rows,
                y.null_count,
                y.nan_count,
                y.inf_count,
                y.unique_count
            ),
            "{}",
            a.name
        );
        let f = |v: Option<modelgate::profile::format::Float>| v.map(|v| v.0);
        for (what, u, v) in [
            ("min", x.min, y.min),
            ("max", x.max, y.max),
            ("mean", x.mean, y.mean),
            ("std", x.std, y.std),
        ] {
            close(&format!("{} {what}", a.name), f(u), f(v), 1e-12);
        }
    }
    // Either profile serves a gate on either engine with the decisions of the data itself.
    let embedded = gate_report(&policy(&plain, ""), dir.path(), "data", 1);
    for (profile, engine, name) in [
        (&pe, "", "pe-embedded"),
        (&ps, "", "ps-embedded"),
        (&pe, engine_toml.as_str(), "pe-spark"),
        (&ps, engine_toml.as_str(), "ps-spark"),
    ] {
        let reference = format!("{{ profile = \"{}\" }}", profile.display());
        let report = gate_report(&policy(&reference, engine), dir.path(), name, 1);
        same_decisions(name, &embedded, &report);
    }
    // With its source named, the profile must match it as the gate's engine digests it: the
    // Spark profile on Spark, and not the embedded one (another kind of digest).
    let checked = |p: &Path| format!("{{ profile = \"{}\", path = \"{r}\" }}", p.display());
    let report = gate_report(
        &policy(&checked(&ps), &engine_toml),
        dir.path(),
        "checked",
        1,
    );
    same_decisions("checked on Spark", &embedded, &report);
    let p = dir.path().join("mismatch.toml");
    std::fs::write(&p, policy(&checked(&pe), &engine_toml)).unwrap();
    let run = modelgate(&["check", p.to_str().unwrap(), "-q"]).expect_code(2);
    assert!(
        run.stderr.contains("sha256 of its source")
            && run.stderr.contains("spark-fingerprint")
            && run.stderr.contains("embedded"),
        "{}",
        run.stderr
    );
}

#[test]
fn latency_runs_on_a_seeded_sample_of_a_dataset_too_large_to_fetch() {
    // The sample: real rows, the same ones on every call and on another view of the same
    // content, and bounded by what was asked.
    let data = root().join("examples/breast-cancer/data/current.csv");
    let (embedded, on_spark) = both(&data);
    let sample = on_spark.sample(64).unwrap();
    assert_eq!(sample.height(), 64);
    assert!(sample.equals_missing(&on_spark.sample(64).unwrap()));
    let (_, again) = both(&data);
    assert!(sample.equals_missing(&again.sample(64).unwrap()));
    let all = embedded.frame().unwrap();
    let first = all.column("mean_radius").unwrap().f64().unwrap();
    for x in sample.column("mean_radius").unwrap().f64().unwrap().iter() {
        assert!(
            first.iter().any(|y| y == x),
            "{x:?} is not a row of the file"
        );
    }
    // Not the first rows in file order.
    assert!(!sample.equals_missing(&all.head(Some(64))));

    // The gate: models are timed on the sample, where the rows (228) exceed max_local_rows.
    let dir = tempfile::tempdir().unwrap();
    let example = root().join("examples/breast-cancer");
    let policy = format!(
        "version = 1\nname = \"latency\"\n[task]\ntype = \"binary\"\ntarget = \"label\"\npositive_label = 1\n\
         [datasets]\ncurrent = \"{}\"\n[models.candidate]\nonnx = \"{}\"\n[models.baseline]\nonnx = \"{}\"\n\
         [engine]\nspark = \"{}\"\nmax_local_rows = 100\n\
         [[checks]]\nid = \"latency\"\nplugin = \"latency\"\n[checks.config]\nbatch_sizes = [1, 64]\niterations = 20\n",
        data.display(),
        example.join("models/candidate.onnx").display(),
        example.join("models/baseline.onnx").display(),
        spark()
    );
    let report = gate_report(&policy, dir.path(), "latency", 0);
    let latency = check(&report, "latency");
    assert_eq!(latency["status"], "pass", "{latency}");
    let slices: Vec<&str> = latency["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["slice"].as_str())
        .collect();
    assert!(slices.contains(&"batch_size=64"), "{slices:?}");
}

#[test]
fn tests_of_the_values_alone_need_no_rows_on_the_cluster() {
    // KS and chi-square on datasets larger than max_local_rows: the values come from value runs
    // (one GROUP BY job per column), with the decisions of the embedded engine.
    let dir = tempfile::tempdir().unwrap();
    let (r, c) = drifting_pair(dir.path());
    let policy = |engine: &str| {
        format!(
            "version = 1\nname = \"values\"\n[datasets]\nreference = \"{}\"\ncurrent = \"{}\"\n{engine}\n\
             [[checks]]\nid = \"drift\"\nplugin = \"drift\"\n[checks.config]\nexclude = [\"score\"]\n\
             [checks.config.columns]\na = {{ method = \"ks\" }}\nb = {{ method = \"ks\" }}\n\
             label = {{ method = \"chisquare\" }}\nsegment = {{ method = \"chisquare\" }}\n",
            r.display(),
            c.display()
        )
    };
    let engine_toml = format!("[engine]\nspark = \"{}\"\nmax_local_rows = 1000", spark());
    let embedded = gate_report(&policy(""), dir.path(), "values-embedded", 0);
    let on_spark = gate_report(&policy(&engine_toml), dir.path(), "values-spark", 0);
    same_decisions("tests of the values on Spark", &embedded, &on_spark);
    let names: Vec<String> = metrics(&on_spark).into_iter().map(|m| m.1).collect();
    assert!(
        names.iter().any(|n| n.contains("ks_pvalue"))
            && names.iter().any(|n| n.contains("chi2_pvalue")),
        "{names:?}"
    );
}
