//! The built-in `latency` check of modelgate.
//!
//! The host runs each model natively (ONNX Runtime, in-process) on the first `batch_size` rows of
//! a dataset: `warmup` untimed runs, then `iterations` timed runs. This plugin turns the samples
//! into percentiles and throughput and gates the candidate on bounds, absolute or relative to the
//! baseline model:
//!
//! ```toml
//! [[checks]]
//! id = "latency"
//! plugin = "latency"
//! [checks.config]
//! dataset = "current"        # rows fed to the model (default "current")
//! batch_sizes = [1, 64]      # default [1]
//! warmup = 10                # default 10
//! iterations = 100           # default 100 (at most 10,000)
//! candidate = "candidate"    # default: "candidate" if present, else the first model
//! baseline = "baseline"      # default: "baseline" if present and not the candidate, else none
//! [checks.config.metrics]
//! latency_p95_ms = { max = 5.0, max_relative_drop = 0.25 }   # at most 25 % slower than the baseline
//! throughput_rows_per_s = { min = 10000 }
//! ```
//!
//! Metrics, per model and batch size (`slice = "batch_size=N"`): `latency_p50_ms`,
//! `latency_p95_ms`, `latency_p99_ms`, `latency_mean_ms` (numpy's linear percentiles of the
//! timed runs, in milliseconds) and `throughput_rows_per_s` (rows per second over the mean run).
//! Latencies are lower-is-better, throughput higher-is-better, so `max_drop` and
//! `max_relative_drop` mean "no more than this much worse than the baseline" for both. Bounds
//! apply to every measured batch size. Timings depend on the machine: gate on ratios to the
//! baseline (`max_relative_drop`) when the gate runs on shared CI machines.

pub mod stats;

use modelgate_sdk::schema::only_keys;
use modelgate_sdk::{
    export_validator, About, Bounds, Check, CheckResult, Context, Direction, JsonSchema, Metric,
    ModelRef, Needs, Status, Table,
};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The check.
pub struct Latency;

/// Metrics this plugin computes, with the direction in which each gets better.
pub const METRICS: &[(&str, Direction)] = &[
    ("latency_p50_ms", Direction::LowerIsBetter),
    ("latency_p95_ms", Direction::LowerIsBetter),
    ("latency_p99_ms", Direction::LowerIsBetter),
    ("latency_mean_ms", Direction::LowerIsBetter),
    ("throughput_rows_per_s", Direction::HigherIsBetter),
];

/// Most timed iterations the host accepts per call.
pub const MAX_ITERATIONS: u32 = 10_000;

/// The check's `config` table.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "latency check config")]
pub struct Config {
    /// Dataset whose first rows are fed to the models.
    #[serde(default = "default_dataset")]
    pub dataset: String,
    /// Batch sizes to measure.
    #[serde(default = "default_batch_sizes")]
    #[schemars(length(min = 1), inner(range(min = 1)))]
    pub batch_sizes: Vec<u32>,
    /// Untimed runs before measuring.
    #[serde(default = "default_warmup")]
    #[schemars(range(max = MAX_ITERATIONS))]
    pub warmup: u32,
    /// Timed runs per batch size.
    #[serde(default = "default_iterations")]
    #[schemars(range(min = 1, max = MAX_ITERATIONS))]
    pub iterations: u32,
    /// Model gated (default: candidate, else the first model).
    #[serde(default)]
    pub candidate: Option<String>,
    /// Model compared with (default: baseline, if present and not the candidate).
    #[serde(default)]
    pub baseline: Option<String>,
    /// Bounds per metric.
    #[serde(default)]
    #[schemars(transform = metric_names)]
    pub metrics: BTreeMap<String, Bounds>,
}

/// Only the metrics of [`METRICS`] take bounds.
fn metric_names(schema: &mut modelgate_sdk::schema::Schema) {
    only_keys(schema, METRICS.iter().map(|(name, _)| name));
}

fn default_dataset() -> String {
    "current".into()
}
fn default_batch_sizes() -> Vec<u32> {
    vec![1]
}
fn default_warmup() -> u32 {
    10
}
fn default_iterations() -> u32 {
    100
}

impl Check for Latency {
    type Config = Config;

    fn about() -> About {
        About {
            name: "latency".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Measures inference latency (p50/p95/p99/mean, ms) and throughput (rows/s) of the \
                          candidate and baseline models natively in the host, per batch size, and gates the \
                          candidate on absolute bounds or on its slowdown vs the baseline."
                .into(),
            needs: Needs { datasets: vec!["current".into()], models: true, labels: false },
        }
    }

    fn check(ctx: &Context, cfg: Config) -> Result<CheckResult, String> {
        validate_config(&cfg)?;
        let data = ctx
            .dataset(&cfg.dataset)
            .map_err(|e| format!("config.dataset: {e}"))?;
        let candidate = ctx.candidate_model(cfg.candidate.as_deref())?;
        let baseline = ctx.baseline_model(cfg.baseline.as_deref(), candidate.name)?;
        let candidate_name = candidate.name;
        let rows = data.num_rows();

        let mut metrics = Vec::new();
        let mut failures = Vec::new();
        let mut bounded = 0usize;
        let mut headline = Vec::new();
        for &batch in &cfg.batch_sizes {
            let slice = format!("batch_size={batch}");
            let cand = measure(candidate, data, batch, &cfg)?;
            let base = baseline
                .map(|b| measure(b, data, batch, &cfg))
                .transpose()?;
            if u64::from(batch) > rows {
                modelgate_sdk::warn(format!(
                    "batch size {batch} exceeds the {rows} rows of `{}`: measured on {rows} rows",
                    cfg.dataset
                ));
            }
            for (name, direction) in METRICS {
                let value = cand.get(name);
                let mut metric = Metric::new(*name, value)
                    .model(candidate_name)
                    .slice(&slice);
                if let Some(bounds) = cfg.metrics.get(*name) {
                    let eval = bounds
                        .evaluate(name, value, base.as_ref().map(|b| b.get(name)), *direction)
                        .map_err(|e| format!("config.metrics.{name}: {e}"))?;
                    bounded += eval.outcomes.len();
                    if !eval.passed() {
                        failures.push(format!("{} ({slice})", eval.summary()));
                    }
                    metric = metric.evaluated(&eval);
                }
                metrics.push(metric);
                if let (Some(b), Some(bm)) = (&base, &baseline) {
                    metrics.push(Metric::new(*name, b.get(name)).model(bm.name).slice(&slice));
                }
            }
            headline.push(format!("p95 {:.3} ms @ batch {batch}", cand.p95_ms));
        }
        let summary = if failures.is_empty() {
            let held = if bounded == 0 {
                "no bounds set".to_string()
            } else {
                format!("all {bounded} bounds hold")
            };
            format!("{held} on {candidate_name} ({})", headline.join(", "))
        } else {
            format!(
                "{} of {bounded} bounds failed on {candidate_name}: {}",
                failures.len(),
                failures.join("; ")
            )
        };
        let status = if failures.is_empty() {
            Status::Pass
        } else {
            Status::Fail
        };
        Ok(CheckResult::new(status, summary).metrics(metrics))
    }
}

export_validator!(Latency);

fn validate_config(cfg: &Config) -> Result<(), String> {
    if cfg.batch_sizes.is_empty() || cfg.batch_sizes.contains(&0) {
        return Err("config.batch_sizes: give at least one batch size, each at least 1".into());
    }
    if cfg.iterations == 0 || cfg.iterations > MAX_ITERATIONS || cfg.warmup > MAX_ITERATIONS {
        return Err(format!("config.iterations / config.warmup: between 1 and {MAX_ITERATIONS} timed runs, at most {MAX_ITERATIONS} warm-up runs"));
    }
    for name in cfg.metrics.keys() {
        if !METRICS.iter().any(|(n, _)| n == name) {
            let valid: Vec<&str> = METRICS.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "config.metrics.{name}: unknown metric; the latency metrics are {}",
                valid.join(", ")
            ));
        }
    }
    Ok(())
}

fn measure(
    model: ModelRef<'_>,
    data: &Table,
    batch: u32,
    cfg: &Config,
) -> Result<stats::Summary, String> {
    let ModelRef { name, model } = model;
    if !model.runnable() {
        return Err(format!(
            "model `{name}` is read from prediction columns; only models the host runs (ONNX) can be timed"
        ));
    }
    let samples = model
        .benchmark(data, batch, cfg.warmup, cfg.iterations)
        .map_err(|e| {
            format!(
                "benchmarking model `{name}` at batch size {batch}: {}",
                e.message
            )
        })?;
    let rows = (u64::from(batch)).min(data.num_rows());
    stats::Summary::of(&samples, rows)
        .ok_or_else(|| format!("model `{name}`: the host returned no timings"))
}

#[cfg(test)]
mod tests {
    use modelgate_sdk::Validator;

    use super::*;

    #[test]
    fn schema_is_derived_from_the_config() {
        let s: serde_json::Value = serde_json::from_str(&Latency::info().config_schema).unwrap();
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["title"], "latency check config");
        let p = &s["properties"];
        assert_eq!(p["batch_sizes"]["minItems"], 1);
        assert_eq!(p["batch_sizes"]["items"]["minimum"], 1);
        assert_eq!(p["iterations"]["maximum"], MAX_ITERATIONS);
        assert_eq!(p["warmup"]["default"], 10);
        assert_eq!(
            p["metrics"]["propertyNames"]["enum"]
                .as_array()
                .unwrap()
                .len(),
            METRICS.len()
        );
        assert_eq!(
            p["metrics"]["additionalProperties"]["$ref"],
            "#/$defs/Bounds"
        );
    }
}
