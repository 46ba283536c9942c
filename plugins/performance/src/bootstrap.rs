//! Paired bootstrap confidence bounds: `accuracy = { max_drop = 0.01, confidence = 0.95 }` gates
//! on the 95 % upper bound of the candidate's worsening vs the baseline rather than on the point
//! value. Rows are resampled with replacement (the same rows for both models: paired), the metric
//! is recomputed on each resample, and the bound is numpy's linear percentile of the resampled
//! statistics. Seeded (`bootstrap_seed`, default 0) and reproducible; `bootstrap_samples`
//! resamples (default 1000).
//!
//! Per bound, with confidence `c`:
//! - `min`: the lower bound (percentile 1 − c) of the candidate's metric must be ≥ min;
//! - `max`: the upper bound (percentile c) must be ≤ max;
//! - `max_drop`: the upper bound of the worsening (baseline − candidate for higher-is-better
//!   metrics, candidate − baseline for lower-is-better) must be ≤ max_drop;
//! - `max_rise`: the upper bound of candidate − baseline must be ≤ max_rise;
//! - `max_relative_drop`: the upper bound of worsening / |baseline| must be ≤ the limit.
//!
//! Resamples on which the metric is undefined (e.g. one class only, for roc_auc) are dropped; if
//! more than 1 % are, the check errors (the bound would be biased).

use std::collections::BTreeMap;

use modelgate_sdk::numeric::percentile;
use modelgate_sdk::{BoundKind, Direction, Metric};

use crate::evaluate::{MetricBounds, Outcome, Task};
use crate::slices::{metrics_on, Predictions, Truth};

/// Default number of resamples.
pub const DEFAULT_SAMPLES: u32 = 1000;

/// Observed bounds per metric: the value each bound kind is compared with.
pub type Ci = BTreeMap<String, Vec<(BoundKind, f64)>>;

/// SplitMix64: a small, well-mixed, seeded generator (Steele, Lea & Flood 2014).
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform index in [0, n) (Lemire's multiply-shift; the bias is below 2^-32 for n < 2^32).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// Resampled statistics of one metric: candidate values and, when there is a baseline, the
/// baseline's on the same resamples.
#[derive(Debug, Default)]
struct Draws {
    candidate: Vec<f64>,
    baseline: Vec<f64>,
}

/// Runs the bootstrap for every metric whose bounds ask for a confidence. Returns the observed
/// bounds for [`crate::evaluate::assemble`] and informational metrics
/// (`<metric>_ci_lower` / `_ci_upper` of the candidate, `<metric>_delta_ci_lower` / `_upper` of
/// candidate − baseline).
pub fn intervals(
    metrics: &BTreeMap<String, MetricBounds>,
    task: &Task,
    truth: &Truth,
    preds: &[Predictions],
    samples: u32,
    seed: u64,
) -> Result<(Ci, Vec<Metric>), String> {
    let wanted: Vec<(&str, f64, &MetricBounds)> = metrics
        .iter()
        .filter_map(|(name, b)| b.confidence.map(|c| (name.as_str(), c, b)))
        .collect();
    if wanted.is_empty() {
        return Ok((Ci::new(), Vec::new()));
    }
    if samples < 10 {
        return Err("config.bootstrap_samples: at least 10 resamples".into());
    }
    let n = match truth {
        Truth::Labels(d) => d.len(),
        Truth::Values(v) => v.len(),
    };
    let candidate = &preds[0];
    let baseline = preds.get(1);
    let mut draws: BTreeMap<&str, Draws> = wanted
        .iter()
        .map(|(n, _, _)| (*n, Draws::default()))
        .collect();
    let mut dropped: BTreeMap<&str, u32> = BTreeMap::new();
    let mut rng = SplitMix64::new(seed);
    let mut rows = vec![0usize; n];
    for _ in 0..samples {
        for r in rows.iter_mut() {
            *r = rng.below(n);
        }
        let cand = metrics_on(task, truth, candidate, Some(&rows))?;
        let base = baseline
            .map(|b| metrics_on(task, truth, b, Some(&rows)))
            .transpose()?;
        for (name, _, _) in &wanted {
            let c = value(cand.get(name));
            let b = base.as_ref().map(|m| value(m.get(name)));
            match (c, b) {
                (Some(c), None) if baseline.is_none() => {
                    draws.get_mut(name).expect("wanted").candidate.push(c)
                }
                (Some(c), Some(Some(b))) => {
                    let d = draws.get_mut(name).expect("wanted");
                    d.candidate.push(c);
                    d.baseline.push(b);
                }
                _ => *dropped.entry(name).or_default() += 1,
            }
        }
    }
    let mut ci = Ci::new();
    let mut extra = Vec::new();
    for (name, confidence, bounds) in &wanted {
        let lost = dropped.get(name).copied().unwrap_or(0);
        if f64::from(lost) > 0.01 * f64::from(samples) {
            return Err(format!(
                "config.metrics.{name}.confidence: {name} is undefined on {lost} of {samples} bootstrap resamples \
                 (too few rows of a class?); the bound would be biased — remove `confidence` or evaluate on more data"
            ));
        }
        let d = &draws[name];
        let direction = task
            .metrics()
            .iter()
            .find(|m| m.name == *name)
            .map(|m| m.direction)
            .expect("checked name");
        let (lo_q, hi_q) = ((1.0 - confidence) * 100.0, confidence * 100.0);
        let candidate_name = &candidate.name;
        extra.push(
            Metric::new(format!("{name}_ci_lower"), percentile(&d.candidate, lo_q))
                .model(candidate_name),
        );
        extra.push(
            Metric::new(format!("{name}_ci_upper"), percentile(&d.candidate, hi_q))
                .model(candidate_name),
        );
        let deltas: Vec<f64> = d
            .candidate
            .iter()
            .zip(&d.baseline)
            .map(|(c, b)| c - b)
            .collect();
        if !deltas.is_empty() {
            extra.push(
                Metric::new(format!("{name}_delta_ci_lower"), percentile(&deltas, lo_q))
                    .model(candidate_name),
            );
            extra.push(
                Metric::new(format!("{name}_delta_ci_upper"), percentile(&deltas, hi_q))
                    .model(candidate_name),
            );
        }
        let worsening = |c: f64, b: f64| match direction {
            Direction::HigherIsBetter => b - c,
            Direction::LowerIsBetter => c - b,
        };
        let mut observed = Vec::new();
        for (kind, _) in bounds.bounds.iter() {
            let pairs = || d.candidate.iter().zip(&d.baseline);
            let v = match kind {
                BoundKind::Min => percentile(&d.candidate, lo_q),
                BoundKind::Max => percentile(&d.candidate, hi_q),
                _ if deltas.is_empty() => continue, // assemble reports the missing baseline
                BoundKind::MaxDrop => percentile(
                    &pairs().map(|(c, b)| worsening(*c, *b)).collect::<Vec<_>>(),
                    hi_q,
                ),
                BoundKind::MaxRise => percentile(&deltas, hi_q),
                BoundKind::MaxRelativeDrop => percentile(
                    &pairs()
                        .map(|(c, b)| worsening(*c, *b) / b.abs())
                        .collect::<Vec<_>>(),
                    hi_q,
                ),
            };
            observed.push((kind, v));
        }
        ci.insert(name.to_string(), observed);
    }
    Ok((ci, extra))
}

fn value(o: Option<&Outcome>) -> Option<f64> {
    match o {
        Some(Outcome::Value(v)) if v.is_finite() => Some(*v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // First outputs of SplitMix64 seeded with 1234567 (from the reference C implementation).
        let mut r = SplitMix64::new(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
        assert_eq!(r.next_u64(), 9817491932198370423);
    }

    #[test]
    fn indices_are_in_range_and_roughly_uniform() {
        let mut r = SplitMix64::new(0);
        let mut counts = [0u32; 10];
        for _ in 0..100_000 {
            counts[r.below(10)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_000..11_000).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn percentile_is_numpy_linear() {
        // numpy.percentile([3, 1, 2, 4], [0, 5, 50, 95, 100]) == [1, 1.15, 2.5, 3.85, 4]
        let v = [3.0, 1.0, 2.0, 4.0];
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert!((percentile(&v, 5.0) - 1.15).abs() < 1e-12);
        assert_eq!(percentile(&v, 50.0), 2.5);
        assert!((percentile(&v, 95.0) - 3.85).abs() < 1e-12);
        assert_eq!(percentile(&v, 100.0), 4.0);
    }
}
