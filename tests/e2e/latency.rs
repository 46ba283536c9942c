//! The `latency` plugin: latencies measured natively by the host per model and batch size.

use crate::support::*;

#[test]
fn latency_is_measured_per_model_and_batch_size_and_gated() {
    let gate = Gate::example(
        r#"
[[checks]]
id = "lat"
plugin = "latency"
[checks.config]
batch_sizes = [1, 16]
iterations = 30
warmup = 3
[checks.config.metrics]
throughput_rows_per_s = { min = 1 }
latency_p50_ms = { max = 1e-9 }
"#,
    );
    let out = gate.check(&[]).expect_code(1);
    assert!(out.stdout.contains("FAIL latency_p50_ms"), "{}", out.stdout);
    let report = gate.report();
    let lat = check(&report, "lat");
    assert_eq!(lat["status"], "fail");
    let metrics = lat["metrics"].as_array().unwrap();
    for model in ["candidate", "baseline"] {
        for slice in ["batch_size=1", "batch_size=16"] {
            let get = |name: &str| {
                metrics
                    .iter()
                    .find(|m| m["name"] == name && m["model"] == model && m["slice"] == slice)
                    .unwrap_or_else(|| panic!("{name} {model} {slice}"))["value"]
                    .as_f64()
                    .unwrap()
            };
            let (p50, p95, p99) = (
                get("latency_p50_ms"),
                get("latency_p95_ms"),
                get("latency_p99_ms"),
            );
            assert!(
                0.0 < p50 && p50 <= p95 && p95 <= p99,
                "{model} {slice}: {p50} {p95} {p99}"
            );
            let rows = if slice == "batch_size=1" { 1.0 } else { 16.0 };
            let throughput = get("throughput_rows_per_s");
            let mean = get("latency_mean_ms");
            assert!(
                (throughput - rows / (mean / 1e3)).abs() <= 1e-9 * throughput,
                "throughput = rows / mean"
            );
        }
    }
    let tp = metrics
        .iter()
        .find(|m| m["name"] == "throughput_rows_per_s" && m["model"] == "candidate")
        .unwrap();
    assert_eq!(tp["passed"], true);
}

#[test]
fn latency_of_a_prediction_column_model_is_an_error() {
    let gate = Gate::new(
        r#"
version = 1
name = "columns"
[task]
type = "binary"
target = "label"
[datasets]
current = "{example}/data/current.csv"
[models.candidate]
predictions = "label"
[[checks]]
id = "lat"
plugin = "latency"
"#,
    );
    gate.check(&[]).expect_code(2);
    let lat = check(&gate.report(), "lat").clone();
    assert_eq!(lat["status"], "error");
    assert!(
        lat["error"]
            .as_str()
            .unwrap()
            .contains("only models the host runs"),
        "{lat}"
    );
}
