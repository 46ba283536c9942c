//! The native floor of benches/run.py: the statistics of the benchmark gate (data quality, drift,
//! performance) computed directly in Rust on polars frames — no WebAssembly, no sandbox, no
//! policy engine — on both cores, as fast as this code gets without being clever.
//!
//!     cargo bench -q --bench floor -- DIR      # DIR: a benches/generate.py output directory,
//!                                              # absolute (cargo runs it from host/)
//!
//! Per dataset column it computes what the gate's checks ask the host or compute themselves:
//! null / NaN / inf counts, distinct count, min, max, mean, std (data quality, both datasets),
//! value counts of text columns, the share of current values outside the reference range,
//! duplicate rows of the current dataset; drift: normed Wasserstein distance (the host's
//! `Dataset::wasserstein`, scipy's CDF distance / std of the reference) for numeric columns and
//! Jensen–Shannon distance of category frequencies for text columns; performance: both models'
//! predictions through ONNX Runtime, accuracy and ROC AUC. Prints one JSON line of wall times
//! (seconds) and the frames' in-memory size.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use modelgate::data::Dataset;
use modelgate::model::{Model, ModelFiles, ModelTask};
use modelgate::policy::{Policy, TaskType};
use polars::prelude::*;

fn numeric(d: &Dataset, c: &str) -> Vec<f64> {
    let s = d.series(c).unwrap().cast(&DataType::Float64).unwrap();
    s.f64()
        .unwrap()
        .iter()
        .flatten()
        .filter(|x| x.is_finite())
        .collect()
}

fn is_text(d: &Dataset, c: &str) -> bool {
    matches!(d.series(c).unwrap().dtype(), DataType::String)
}

fn quality(current: &Dataset, reference: &Dataset) -> f64 {
    let mut sink = 0.0;
    for d in [current, reference] {
        for c in d.column_names() {
            let st = d.stats(&c).unwrap();
            sink += st.null_count as f64 + st.unique_count as f64 + st.mean.unwrap_or(0.0);
            if is_text(d, &c) {
                sink += d.value_counts(&c, 1000).unwrap().len() as f64;
            }
        }
    }
    for c in current.column_names() {
        if is_text(current, &c) {
            continue;
        }
        let r = reference.stats(&c).unwrap();
        let (lo, hi) = (
            r.min.unwrap_or(f64::NEG_INFINITY),
            r.max.unwrap_or(f64::INFINITY),
        );
        sink += numeric(current, &c)
            .iter()
            .filter(|x| **x < lo || **x > hi)
            .count() as f64;
    }
    sink + current.duplicate_rows(&[]).unwrap() as f64
}

fn drift(current: &Dataset, reference: &Dataset, columns: &[String]) -> f64 {
    let mut sink = 0.0;
    for c in columns {
        if is_text(reference, c) {
            let freq = |d: &Dataset| -> HashMap<String, f64> {
                let vc = d.value_counts(c, 100_000).unwrap();
                let n: u64 = vc.iter().map(|(_, k)| k).sum();
                vc.into_iter()
                    .map(|(v, k)| (v, k as f64 / n as f64))
                    .collect()
            };
            let (p, q) = (freq(reference), freq(current));
            let mut js = 0.0;
            for key in p.keys().chain(q.keys().filter(|k| !p.contains_key(*k))) {
                let (a, b) = (
                    p.get(key).copied().unwrap_or(0.0),
                    q.get(key).copied().unwrap_or(0.0),
                );
                let m = (a + b) / 2.0;
                js += if a > 0.0 { a * (a / m).ln() } else { 0.0 }
                    + if b > 0.0 { b * (b / m).ln() } else { 0.0 };
            }
            sink += (js / 2.0).sqrt();
        } else {
            // The host's kernels, as the drift check calls them: one sort per column, kept
            // for what asks next.
            let std = reference.stats(c).unwrap().std_pop.unwrap_or(0.0);
            sink += reference.wasserstein(c, current, c).unwrap() / std.max(0.001);
        }
    }
    sink
}

fn roc_auc(labels: &[i64], scores: &[f64]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_unstable_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut rank_sum, mut pos) = (0.0, 0.0);
    let mut k = 0;
    while k < idx.len() {
        let mut e = k;
        while e + 1 < idx.len() && scores[idx[e + 1]] == scores[idx[k]] {
            e += 1;
        }
        let rank = (k + e) as f64 / 2.0 + 1.0;
        for &i in &idx[k..=e] {
            if labels[i] == 1 {
                rank_sum += rank;
                pos += 1.0;
            }
        }
        k = e + 1;
    }
    let neg = labels.len() as f64 - pos;
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

fn performance(policy: &Policy, current: &Dataset) -> f64 {
    let task = policy
        .spec
        .task
        .as_ref()
        .expect("the benchmark gate has a task");
    let features = task
        .features
        .clone()
        .expect("the benchmark gate lists its features");
    let labels: Vec<i64> = current
        .series(&task.target)
        .unwrap()
        .cast(&DataType::Int64)
        .unwrap()
        .i64()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    let mut sink = 0.0;
    for (name, spec) in &policy.spec.models {
        let path = policy.resolve(spec.onnx.as_ref().unwrap());
        let classes = ["0".to_string(), "1".to_string()];
        let model = Model::load(
            name,
            spec,
            Some(path),
            &ModelTask {
                kind: TaskType::Binary,
                features: features.clone(),
                target_values: Some(classes.to_vec()),
                missing: Default::default(),
            },
            None,
            // No cache: the floor runs every model.
            &ModelFiles::default(),
        )
        .unwrap();
        let p = model.predict(current).unwrap();
        let pred: Vec<i64> = p
            .series("prediction")
            .unwrap()
            .cast(&DataType::Int64)
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        let proba: Vec<f64> = p
            .series("proba_1")
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        let accuracy =
            pred.iter().zip(&labels).filter(|(a, b)| a == b).count() as f64 / labels.len() as f64;
        sink += accuracy + roc_auc(&labels, &proba);
    }
    sink
}

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .filter(|a| a != "--bench")
            .expect("usage: floor DIR"),
    );
    let policy = Policy::load(&dir.join("gate.toml")).expect("DIR/gate.toml");
    let started = Instant::now();
    let load = |name: &str| {
        Dataset::load(
            name,
            &dir.join(format!("{name}.parquet")),
            None,
            &Default::default(),
        )
        .unwrap()
    };
    let (reference, current) = std::thread::scope(|s| {
        let r = s.spawn(|| load("reference"));
        let c = s.spawn(|| load("current"));
        (r.join().unwrap(), c.join().unwrap())
    });
    let load_s = started.elapsed().as_secs_f64();
    let columns: Vec<String> = reference
        .column_names()
        .into_iter()
        .filter(|c| c != "label")
        .collect();
    // The gate runs its checks two at a time on two cores; so does the floor.
    let t = Instant::now();
    let (mut times, mut sink) = (HashMap::new(), 0.0);
    std::thread::scope(|s| {
        let q = s.spawn(|| {
            let t = Instant::now();
            (quality(&current, &reference), t.elapsed().as_secs_f64())
        });
        let d = s.spawn(|| {
            let t = Instant::now();
            let v = drift(&current, &reference, &columns);
            let t2 = Instant::now();
            let p = performance(&policy, &current);
            (
                v + p,
                t2.duration_since(t).as_secs_f64(),
                t2.elapsed().as_secs_f64(),
            )
        });
        let (qv, qs) = q.join().unwrap();
        let (dv, ds, ps) = d.join().unwrap();
        sink += qv + dv;
        times.insert("quality_s", qs);
        times.insert("drift_s", ds);
        times.insert("performance_s", ps);
    });
    let stats_s = t.elapsed().as_secs_f64();
    let frames = [&reference, &current].map(|d| d.frame().expect("loaded"));
    let bytes: usize = frames.iter().map(|f| f.estimated_size()).sum();
    // polars' estimate counts a text column's string bytes only, not its 16-byte view per row
    // (Arrow's binary views, where strings up to 12 bytes live inline): add them.
    let views: usize = frames
        .iter()
        .flat_map(|f| f.columns())
        .filter(|c| matches!(c.dtype(), DataType::String))
        .map(|c| 16 * c.len())
        .sum();
    println!(
        "{{\"rows\": {}, \"load_s\": {load_s:.4}, \"quality_s\": {:.4}, \"drift_s\": {:.4}, \"performance_s\": {:.4}, \
         \"stats_s\": {stats_s:.4}, \"total_s\": {:.4}, \"frame_bytes\": {bytes}, \"frame_bytes_with_views\": {}, \
         \"checksum\": {sink}}}",
        current.rows(),
        times["quality_s"],
        times["drift_s"],
        times["performance_s"],
        started.elapsed().as_secs_f64(),
        bytes + views,
    );
}
