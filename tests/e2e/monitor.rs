//! `modelgate monitor`: the windows of examples/production-monitor against what its generator
//! knows (drift onset, late labels, realized ROC AUC per day from scikit-learn on onnxruntime's
//! probabilities), the decision, the Prometheus textfile read by `prometheus_client`'s parser,
//! webhooks to a real HTTP server on loopback, GitHub outputs, reference thresholds, and the
//! inputs it refuses.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::support::*;

fn monitor_example() -> PathBuf {
    root().join("examples/production-monitor")
}

fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string(monitor_example().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Reads a decision file and validates it against docs/monitor.schema.json (whose checks,
/// inputs and files refer to docs/report.schema.json).
fn read_json(path: &Path) -> serde_json::Value {
    let d: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("decision written")).unwrap();
    let schema = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(root().join("docs").join(name)).unwrap())
            .unwrap()
    };
    let report = jsonschema::Resource::from_contents(schema("report.schema.json"))
        .expect("the report schema is a resource");
    let validator = jsonschema::options()
        .with_resource("https://modelgate.dev/schemas/report-1.json", report)
        .build(&schema("monitor.schema.json"))
        .expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&d)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "the decision does not match docs/monitor.schema.json:\n{}",
        errors.join("\n")
    );
    d
}

fn chunk_check<'a>(chunk: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    chunk["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {chunk}"))
}

/// A copy of the example's policy in a temporary directory (its paths made absolute), with
/// `edit` applied to its text.
fn example_policy(edit: impl Fn(String) -> String) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let base = monitor_example().display().to_string();
    let text = std::fs::read_to_string(monitor_example().join("gate.toml"))
        .unwrap()
        .replace("\"data/", &format!("\"{base}/data/"))
        .replace("\"models/", &format!("\"{base}/models/"));
    let path = dir.path().join("gate.toml");
    std::fs::write(&path, edit(text)).unwrap();
    (dir, path.display().to_string())
}

#[test]
fn example_windows_match_the_generator_and_the_decision_is_retrain() {
    let dir = tempfile::tempdir().unwrap();
    let (json, html, md) = (
        dir.path().join("decision.json"),
        dir.path().join("monitor.html"),
        dir.path().join("monitor.md"),
    );
    let policy = monitor_example().join("gate.toml");
    let run = modelgate(&[
        "monitor",
        policy.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
        "--markdown",
        md.to_str().unwrap(),
    ])
    .expect_code(1);
    assert!(
        run.stdout.contains("action: RETRAIN (exit 1)"),
        "{}",
        run.stdout
    );
    let d = read_json(&json);
    assert_eq!(d["schema_version"], 1);
    assert_eq!(d["action"], "retrain");
    assert_eq!(d["retrain_after"], 3);
    assert_eq!(d["windowing"]["period"], "1d");
    let want = expected();
    let days = want["days"].as_array().unwrap();
    let chunks = d["chunks"].as_array().unwrap();
    assert_eq!(chunks.len(), days.len());
    let onset = want["drift_onset"].as_str().unwrap();
    let mut first_failing = None;
    for (i, (c, day)) in chunks.iter().zip(days).enumerate() {
        assert_eq!(c["index"], i);
        assert_eq!(c["start"], day["day"], "window {i}");
        assert_eq!(c["rows"], day["rows"], "window {i}");
        assert_eq!(c["labelled_rows"], day["labelled_rows"], "window {i}");
        let perf = chunk_check(c, "performance");
        match day.get("roc_auc") {
            Some(auc) => {
                let got = perf["metrics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|m| m["name"] == "roc_auc")
                    .unwrap()["value"]
                    .as_f64()
                    .unwrap();
                assert_close(
                    &format!("roc_auc of {}", day["day"]),
                    got,
                    auc.as_f64().unwrap(),
                );
            }
            None => {
                assert_eq!(perf["status"], "skipped", "window {i}: {perf}");
                assert!(perf["summary"].as_str().unwrap().contains("no labels yet"));
            }
        }
        // Label-free checks run on every window, labelled or not.
        for id in ["drift", "estimated-performance"] {
            assert_ne!(chunk_check(c, id)["status"], "skipped", "window {i} {id}");
        }
        if c["status"] == "fail" && first_failing.is_none() {
            first_failing = Some(c["start"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(first_failing.as_deref(), Some(onset));
    // Every window from the onset fails on drift; the reasons say so, window by window.
    let reasons = d["reasons"].as_array().unwrap();
    let drift_windows: Vec<&str> = reasons
        .iter()
        .filter(|r| r["check"] == "drift")
        .map(|r| r["start"].as_str().unwrap())
        .collect();
    let after_onset: Vec<&str> = days
        .iter()
        .map(|d| d["day"].as_str().unwrap())
        .filter(|d| *d >= onset)
        .collect();
    assert_eq!(drift_windows, after_onset);
    // Inputs and digests as in the gate report.
    let sha = d["inputs"]["datasets"]["current"]["sha256"]
        .as_str()
        .unwrap();
    assert_eq!(sha.len(), 64);
    assert!(d["inputs"]["models"]["production"]["sha256"].is_string());
    // Details only for the latest window.
    assert!(chunks[0]["checks"][0].get("details").is_none());
    assert!(chunks.last().unwrap()["checks"][0].get("details").is_some());

    let md = std::fs::read_to_string(&md).unwrap();
    assert!(
        md.contains("modelgate monitor `churn-monitor`: **RETRAIN**"),
        "{md}"
    );
    assert!(
        md.contains(&format!("| {onset} | 250 | 250 | ❌ fail | drift (fail)")),
        "{md}"
    );

    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("<div class=\"verdict\"><span class=\"label\">action</span> RETRAIN</div>")
    );
    assert_eq!(page.matches("<tr class=\"").count(), days.len());
    assert!(page.contains("drift · drift_share"));
    // The failing windows of drift_share are marked: 9 of them.
    let share = &page[page.find("drift · drift_share").unwrap()..];
    let share = &share[..share.find("</figure>").unwrap()];
    assert_eq!(
        share.matches("class=\"point fail\"").count(),
        after_onset.len()
    );
    // The estimate is drawn with its ±3 SE band and the realized metric where labels came in.
    let est = &page[page
        .find("estimated-performance · estimated_roc_auc")
        .unwrap()..];
    let est = &est[..est.find("</figure>").unwrap()];
    assert!(
        est.contains("class=\"realized\"") && est.contains("±3 SE: "),
        "{est}"
    );
    let out = chromium(&["--dump-dom"], &html);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("Metrics over time") && dom.contains("<svg"));
}

/// CBPE learns from the reference once per run (its calibrator is kept in the plugin's memo) and
/// reuses it on every later window: each window's estimates are those of a `check` of that
/// window alone, in a process of its own.
#[test]
fn estimates_reusing_the_calibrator_equal_a_check_of_the_window_alone() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("decision.json");
    let policy = monitor_example().join("gate.toml");
    modelgate(&[
        "monitor",
        policy.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ])
    .expect_code(1);
    let d = read_json(&json);
    let chunks = d["chunks"].as_array().unwrap();
    let log = std::fs::read_to_string(monitor_example().join("data/current.csv")).unwrap();
    let header = log.lines().next().unwrap();
    let estimates = |check: &serde_json::Value| -> Vec<(String, f64)> {
        check["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["name"].as_str().unwrap().to_string(),
                    m["value"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    // The first window (learns), the drift onset and the last (no labels): reused.
    for i in [0, 19, chunks.len() - 1] {
        let chunk = &chunks[i];
        let day = &chunk["start"].as_str().unwrap()[..10];
        let rows: Vec<&str> = log.lines().skip(1).filter(|l| l.starts_with(day)).collect();
        assert_eq!(chunk["rows"], rows.len(), "window {i}");
        let window = dir.path().join(format!("{day}.csv"));
        std::fs::write(&window, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
        let log_path = monitor_example().join("data/current.csv");
        let (_keep, alone) = example_policy(|p| {
            let quoted = |path: &Path| format!("{:?}", path.display().to_string());
            assert!(p.contains(&quoted(&log_path)), "{p}");
            p.replace(&quoted(&log_path), &quoted(&window))
        });
        let report = dir.path().join(format!("{day}.json"));
        modelgate(&["check", &alone, "--json", report.to_str().unwrap(), "-q"]);
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        let check = check(&report, "estimated-performance");
        let monitored = chunk_check(chunk, "estimated-performance");
        assert_eq!(estimates(monitored), estimates(check), "window {i} ({day})");
        let reused = monitored["logs"].as_array().is_some_and(|logs| {
            logs.iter().any(|l| {
                l["message"]
                    .as_str()
                    .unwrap()
                    .contains("earlier in this run is reused")
            })
        });
        assert_eq!(reused, i > 0, "window {i}: {monitored}");
    }
}

#[test]
fn prometheus_textfile_parses_and_holds_the_latest_window() {
    let dir = tempfile::tempdir().unwrap();
    let (prom, json) = (dir.path().join("m.prom"), dir.path().join("d.json"));
    let policy = monitor_example().join("gate.toml");
    modelgate(&[
        "monitor",
        policy.to_str().unwrap(),
        "--prometheus",
        prom.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--quiet",
    ])
    .expect_code(1);
    let python = root().join(".venv/bin/python");
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    assert family.type == "gauge", family
    for s in family.samples:
        out.append({"name": s.name, "labels": s.labels, "value": s.value})
print(json.dumps(out))
"#;
    let out = std::process::Command::new(python)
        .args(["-c", script, prom.to_str().unwrap()])
        .output()
        .expect("the test venv's python (tests/venv.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let samples: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let find = |name: &str, labels: &[(&str, &str)]| -> f64 {
        samples
            .iter()
            .find(|s| s["name"] == name && labels.iter().all(|(k, v)| s["labels"][*k] == *v))
            .unwrap_or_else(|| panic!("no sample {name} {labels:?}"))["value"]
            .as_f64()
            .unwrap()
    };
    let gate = ("gate", "churn-monitor");
    assert_eq!(
        find("modelgate_monitor_action", &[gate, ("action", "retrain")]),
        1.0
    );
    assert_eq!(
        find("modelgate_monitor_action", &[gate, ("action", "none")]),
        0.0
    );
    assert_eq!(find("modelgate_window_labelled_rows", &[gate]), 0.0);
    assert_eq!(
        find(
            "modelgate_check_status",
            &[gate, ("check", "performance"), ("status", "skipped")]
        ),
        1.0
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - find("modelgate_monitor_last_run_timestamp_seconds", &[gate])).abs() < 600.0);
    // Every metric of the latest window, equal to the decision JSON's.
    let d = read_json(&json);
    let latest = d["chunks"].as_array().unwrap().last().unwrap();
    let mut n = 0;
    for c in latest["checks"].as_array().unwrap() {
        for m in c["metrics"].as_array().unwrap() {
            let column = m["column"].as_str().unwrap_or("");
            let got = find(
                "modelgate_metric_value",
                &[
                    gate,
                    ("check", c["id"].as_str().unwrap()),
                    ("metric", m["name"].as_str().unwrap()),
                    ("column", column),
                ],
            );
            assert_eq!(got, m["value"].as_f64().unwrap(), "{m}");
            n += 1;
        }
    }
    assert!(n > 10, "{n} metrics");
}

/// A real HTTP/1.1 server on loopback that answers each request with the next status of
/// `statuses` (the last one repeats) and keeps each request body.
struct Hook {
    url: String,
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
}

fn hook(statuses: &[u16]) -> Hook {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let (statuses, kept) = (statuses.to_vec(), bodies.clone());
    std::thread::spawn(move || {
        for (i, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            kept.lock()
                .unwrap()
                .push(serde_json::from_slice(&body).unwrap());
            let status = statuses[i.min(statuses.len() - 1)];
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
            );
        }
    });
    Hook { url, bodies }
}

#[test]
fn notifications_are_retried_and_an_undelivered_alert_is_an_error() {
    let ok = hook(&[200]);
    let flaky = hook(&[500, 200]);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("d.json");
    let policy = monitor_example().join("gate.toml");
    let args = |urls: &[&str]| {
        let mut a = vec![
            "monitor".to_string(),
            policy.display().to_string(),
            "--json".into(),
            json.display().to_string(),
            "--quiet".into(),
        ];
        for u in urls {
            a.extend(["--notify".to_string(), u.to_string()]);
        }
        a
    };
    let a = args(&[&ok.url, &flaky.url]);
    modelgate(&a.iter().map(String::as_str).collect::<Vec<_>>()).expect_code(1);
    let d = read_json(&json);
    let n = d["notifications"].as_array().unwrap();
    assert_eq!(
        (n[0]["delivered"].clone(), n[0]["attempts"].clone()),
        (true.into(), 1.into())
    );
    assert_eq!(
        (n[1]["delivered"].clone(), n[1]["attempts"].clone()),
        (true.into(), 2.into())
    );
    let bodies = ok.bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    let body = &bodies[0];
    assert_eq!(body["action"], "retrain");
    assert_eq!(body["gate"], "churn-monitor");
    assert_eq!(body["window"]["start"], "2026-11-29T00:00:00Z");
    assert_eq!(
        body["reasons"], d["reasons"],
        "the decision's reasons, with their windows"
    );
    let text = body["text"].as_str().unwrap();
    assert!(
        text.contains("churn-monitor") && text.contains("retrain") && text.contains("drift"),
        "{text}"
    );
    assert_eq!(flaky.bodies.lock().unwrap().len(), 2);

    // Nobody listens on a port just released: the alert cannot go out.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gone = format!("http://127.0.0.1:{port}/hook");
    let a = args(&[&gone]);
    let run = modelgate(&a.iter().map(String::as_str).collect::<Vec<_>>()).expect_code(2);
    assert!(
        run.stderr.contains(&gone) && run.stderr.contains("not delivered after 3 attempt(s)"),
        "{}",
        run.stderr
    );
    let d = read_json(&json);
    assert_eq!(d["action"], "retrain", "the decision is kept");
    assert_eq!(d["notifications"][0]["delivered"], false);
    assert_eq!(d["notifications"][0]["attempts"], 3);
    assert!(run.stdout.contains("(exit 2)"), "{}", run.stdout);
}

#[test]
fn timings_sum_each_check_over_the_windows() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("decision.json");
    let policy = monitor_example().join("gate.toml");
    let args = [
        "monitor",
        policy.to_str().unwrap(),
        "-q",
        "--json",
        json.to_str().unwrap(),
    ];
    let out = modelgate(&[&args[..], &["--timings"]].concat()).expect_code(1);
    let d = read_json(&json);
    let chunks = d["chunks"].as_array().unwrap();
    let seconds = |what: &str| -> f64 {
        let line = out
            .stderr
            .lines()
            .find(|l| l.trim_start().starts_with(what))
            .unwrap_or_else(|| panic!("no `{what}` in:\n{}", out.stderr));
        line.trim_end()
            .strip_suffix(" s")
            .unwrap()
            .split_whitespace()
            .last()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(seconds("split the log into 28 windows") >= 0.0);
    let run = seconds("run the checks on 28 windows (");
    for id in [
        "drift",
        "data-quality",
        "estimated-performance",
        "performance",
    ] {
        let summed = seconds(&format!("check `{id}` (summed over the windows)"));
        let ms: f64 = chunks
            .iter()
            .map(|c| chunk_check(c, id)["duration_ms"].as_f64().unwrap())
            .sum();
        // The decision keeps each window's whole milliseconds; timings print 3 decimals.
        let gap = summed - ms / 1000.0;
        assert!(
            (-0.0005..=0.001 * 28.0 + 0.0005).contains(&gap),
            "{id}: {summed} vs {ms} ms"
        );
        assert!(
            summed <= run + 0.001,
            "{id}: {summed} s, within the windows' {run} s"
        );
    }
    assert!(seconds("total (wall, with reports)") >= run);
    // Without the flag: nothing.
    assert!(!modelgate(&args).expect_code(1).stderr.contains("timings:"));
}

#[test]
fn github_actions_get_the_action_as_a_step_output() {
    let dir = tempfile::tempdir().unwrap();
    let (output, summary) = (dir.path().join("out"), dir.path().join("summary.md"));
    std::fs::write(&output, "earlier=1\n").unwrap();
    let policy = monitor_example().join("gate.toml");
    modelgate_env(
        &["monitor", policy.to_str().unwrap(), "--quiet"],
        &cache_dir(),
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_OUTPUT", output.to_str().unwrap()),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ],
    )
    .expect_code(1);
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "earlier=1\naction=retrain\n"
    );
    assert!(std::fs::read_to_string(&summary)
        .unwrap()
        .contains("**RETRAIN**"));
}

/// A small log: `days` gives each row's day in November 2026 (unsorted is fine), `x` a value.
fn log_gate(dir: &Path, days: &[u32], monitor: &str) -> String {
    let mut reference = String::from("x,g\n");
    for i in 0..400 {
        reference.push_str(&format!(
            "{},{}\n",
            (i * 37 % 100) as f64 / 10.0,
            ["a", "b"][i % 2]
        ));
    }
    std::fs::write(dir.join("reference.csv"), reference).unwrap();
    let mut log = String::from("ts,x,g\n");
    for (i, d) in days.iter().enumerate() {
        log.push_str(&format!(
            "2026-11-{d:02}T{:02}:00:00Z,{},{}\n",
            i % 24,
            (i * 37 % 100) as f64 / 10.0,
            ["a", "b"][i % 2]
        ));
    }
    std::fs::write(dir.join("current.csv"), log).unwrap();
    let policy = format!(
        "version = 1\nname = \"log\"\n[datasets]\nreference = \"reference.csv\"\ncurrent = \"current.csv\"\n\
         [monitor]\n{monitor}\n\
         [[checks]]\nid = \"drift\"\nplugin = \"drift\"\n"
    );
    std::fs::write(dir.join("gate.toml"), policy).unwrap();
    dir.join("gate.toml").display().to_string()
}

#[test]
fn empty_windows_are_skipped_and_chunks_are_consecutive_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut days: Vec<u32> = [3, 1]
        .iter()
        .flat_map(|d| std::iter::repeat_n(*d, 60))
        .collect();
    days.rotate_left(7);
    let policy = log_gate(dir.path(), &days, "timestamp = \"ts\"\nperiod = \"1d\"");
    let json = dir.path().join("d.json");
    modelgate(&[
        "monitor",
        &policy,
        "--json",
        json.to_str().unwrap(),
        "--quiet",
    ])
    .expect_code(0);
    let d = read_json(&json);
    let chunks = d["chunks"].as_array().unwrap();
    let summary: Vec<(String, u64, String)> = chunks
        .iter()
        .map(|c| {
            (
                c["start"].as_str().unwrap().to_string(),
                c["rows"].as_u64().unwrap(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("2026-11-01T00:00:00Z".to_string(), 60, "pass".to_string()),
            ("2026-11-02T00:00:00Z".to_string(), 0, "skipped".to_string()),
            ("2026-11-03T00:00:00Z".to_string(), 60, "pass".to_string()),
        ]
    );
    assert_eq!(chunks[1]["end"], "2026-11-03T00:00:00Z");
    assert!(chunks[1]["checks"].as_array().unwrap().is_empty());
    assert_eq!(d["action"], "none");

    let policy = log_gate(dir.path(), &days, "chunk_size = 50");
    modelgate(&[
        "monitor",
        &policy,
        "--json",
        json.to_str().unwrap(),
        "--quiet",
    ])
    .expect_code(0);
    let d = read_json(&json);
    let rows: Vec<u64> = d["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rows"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [50, 50, 20]);
    assert!(d["chunks"][0]["start"].is_null());
}

#[test]
fn bad_monitor_inputs_name_the_key_and_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let days = [1u32; 30];
    let cases: &[(&str, &str)] = &[
        ("timestamp = \"time\"\nperiod = \"1d\"", "dataset `current`"),
        (
            "timestamp = \"x\"\nperiod = \"1d\"",
            "timestamp column `x` of dataset `current` (monitor.timestamp) is f64, not a datetime",
        ),
        (
            "timestamp = \"ts\"\nperiod = \"fortnight\"",
            "at key `monitor.period`",
        ),
        (
            "timestamp = \"ts\"\nperiod = \"1d\"\nchunk_size = 10",
            "either `period`",
        ),
        ("timestamp = \"ts\"", "say how to split the log"),
        ("period = \"1d\"", "at key `monitor.timestamp`"),
        ("chunk_size = 0", "at key `monitor.chunk_size`"),
        (
            "chunk_size = 10\nretrain_after = 0",
            "at key `monitor.retrain_after`",
        ),
        (
            "chunk_size = 300\nthresholds = \"reference\"",
            "the reference has 400 rows, which is 1 window of 300 rows",
        ),
    ];
    for (monitor, want) in cases {
        let policy = log_gate(dir.path(), &days, monitor);
        let run = modelgate(&["monitor", &policy, "--quiet"]).expect_code(2);
        assert!(run.stderr.contains(want), "{monitor}: {}", run.stderr);
    }
    // Nulls and text that is no time, with the row.
    let policy = log_gate(dir.path(), &days, "timestamp = \"ts\"\nperiod = \"1d\"");
    let log = std::fs::read_to_string(dir.path().join("current.csv")).unwrap();
    let mut lines: Vec<String> = log.lines().map(str::to_string).collect();
    lines[3] = lines[3].replacen("2026-11-01T02:00:00Z", "", 1);
    lines[5] = lines[5].replacen("2026-11-01T04:00:00Z", "", 1);
    std::fs::write(dir.path().join("current.csv"), lines.join("\n") + "\n").unwrap();
    let run = modelgate(&["monitor", &policy, "--quiet"]).expect_code(2);
    assert!(run.stderr.contains("`ts` of dataset `current` (monitor.timestamp) has 2 null values (the first in data row 3)"), "{}", run.stderr);
    lines[3] = lines[3].replacen(",", "yesterday,", 1);
    lines[5] = lines[5].replacen(",", "2026-11-01,", 1);
    std::fs::write(dir.path().join("current.csv"), lines.join("\n") + "\n").unwrap();
    let run = modelgate(&["monitor", &policy, "--quiet"]).expect_code(2);
    assert!(
        run.stderr
            .contains("`yesterday` in data row 3 is not an ISO-8601 time"),
        "{}",
        run.stderr
    );
    // A policy without [monitor].
    let gate = Gate::example("");
    let run = modelgate(&["monitor", &gate.policy()]).expect_code(2);
    assert!(
        run.stderr.contains("has no [monitor] table"),
        "{}",
        run.stderr
    );
}

#[test]
fn reference_thresholds_are_the_mean_plus_minus_three_population_sigmas() {
    let (_dir, policy) = example_policy(|t| {
        t.replace(
            "period = \"1d\"",
            "period = \"1d\"\nthresholds = \"reference\"",
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("d.json");
    modelgate(&[
        "monitor",
        &policy,
        "--json",
        json.to_str().unwrap(),
        "--quiet",
    ]);
    let d = read_json(&json);
    assert_eq!(d["thresholds"], "reference");
    let bounds = d["reference_bounds"].as_array().unwrap();
    // 4,000 reference rows in windows of the log's 250: 16 whole windows.
    assert!(!bounds.is_empty());
    for b in bounds {
        assert_eq!(b["windows"], 16, "{b}");
        let values: Vec<f64> = b["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / values.len() as f64;
        assert_close("mean", b["mean"].as_f64().unwrap(), mean);
        assert_close("std", b["std"].as_f64().unwrap(), var.sqrt());
        assert_eq!(
            b["lower"].as_f64().unwrap(),
            b["mean"].as_f64().unwrap() - 3.0 * b["std"].as_f64().unwrap()
        );
    }
    // Each window's bounded metric passes exactly when it lies within them.
    let mut checked = 0;
    for c in d["chunks"].as_array().unwrap() {
        for check in c["checks"].as_array().unwrap() {
            for m in check["metrics"].as_array().unwrap() {
                let Some(b) = bounds.iter().find(|b| {
                    b["check"] == check["id"]
                        && b["name"] == m["name"]
                        && b.get("column") == m.get("column")
                }) else {
                    continue;
                };
                let v = m["value"].as_f64().unwrap();
                let inside = b["lower"].as_f64().unwrap() <= v && v <= b["upper"].as_f64().unwrap();
                assert_eq!(m["passed"], inside, "{m} {b}");
                assert_eq!(m["threshold"]["min"], b["lower"]);
                checked += 1;
            }
        }
    }
    assert!(checked > 28, "{checked}");
}
