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
//! A resample is not materialised: each row's multiplicity (how often it was drawn, the same
//! SplitMix64 draws) weighs it in linear passes over rows kept in order once (the target and the
//! predictions as codes, each binary model's rows sorted by score). Label metrics and the ROC and
//! precision-recall curves are those of the drawn rows exactly; log loss, Brier and the regression
//! sums are summed in row order with weights instead of in draw order (equal up to rounding, ~1e-16
//! relative). Only what the bounded metrics need is computed on each resample (the curve for
//! `roc_auc` and `pr_auc`, the probability sums for `log_loss` and `brier`).
//!
//! Resamples on which the metric is undefined (e.g. one class only, for roc_auc) are dropped; if
//! more than 1 % are, the check errors (the bound would be biased).

use std::collections::BTreeMap;

use modelgate_sdk::numeric::percentile;
use modelgate_sdk::{BoundKind, Direction, Metric};

use crate::evaluate::{
    classification_from, regression_from, LabelCounts, MetricBounds, ModelMetrics, Outcome,
    ScoreSums, Task,
};
use crate::metrics::{self, pairwise_sums};
use crate::slices::{Predictions, Truth};

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
        let x = self.next_u64();
        match u32::try_from(n) {
            // The high half of the 96-bit product x * n from two 64-bit products (WebAssembly
            // has no 64 x 64 -> 128 multiply): with x = a 2^32 + b, x n / 2^64 rounds down to
            // (a n + (b n >> 32)) >> 32, which cannot overflow for n < 2^32.
            Ok(n) => {
                let n = u64::from(n);
                (((x >> 32) * n + (((x & 0xFFFF_FFFF) * n) >> 32)) >> 32) as usize
            }
            Err(_) => ((u128::from(x) * n as u128) >> 64) as usize,
        }
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
    let names: Vec<&str> = wanted.iter().map(|(name, _, _)| *name).collect();
    let resampled = Resampled::new(task, truth, preds, Need::of(&names));
    let mut drawn = Multiplicities::new(n);
    let mut curve = metrics::ClfCurve::default();
    for _ in 0..samples {
        let weights = drawn.draw(&mut rng);
        let cand = resampled.values(0, weights, &names, &mut curve)?;
        let base = baseline
            .map(|_| resampled.values(1, weights, &names, &mut curve))
            .transpose()?;
        for (i, name) in names.iter().enumerate() {
            let c = cand[i];
            let b = base.as_ref().map(|m| m[i]);
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

/// How often each row was drawn in a resample, one byte a row: the passes in score order read
/// the weights at random, and a byte a row keeps them in cache (1 MB at 1M rows, against 4 MB
/// of `u32`). A row drawn 256 times or more is listed in `carries` once per 256 draws, and
/// that resample's weights are widened to `u32` (at n rows, each row's count is Binomial(n,
/// 1/n) ≈ Poisson(1): P(≥ 256) is below 10^-500, but a correct count must not depend on it).
struct Multiplicities {
    bytes: Vec<u8>,
    carries: Vec<u32>,
    words: Vec<u32>,
}

/// A resample's multiplicities, per row.
#[derive(Clone, Copy)]
enum Weights<'a> {
    Bytes(&'a [u8]),
    Words(&'a [u32]),
}

impl Weights<'_> {
    #[inline]
    fn get(self, row: usize) -> u32 {
        match self {
            Weights::Bytes(w) => u32::from(w[row]),
            Weights::Words(w) => w[row],
        }
    }

    fn len(self) -> usize {
        match self {
            Weights::Bytes(w) => w.len(),
            Weights::Words(w) => w.len(),
        }
    }
}

impl Multiplicities {
    fn new(n: usize) -> Self {
        Multiplicities {
            bytes: vec![0; n],
            carries: Vec::new(),
            words: Vec::new(),
        }
    }

    /// Draws the next resample: `n` uniform rows, as [`SplitMix64::below`] gives them.
    fn draw(&mut self, rng: &mut SplitMix64) -> Weights<'_> {
        let n = self.bytes.len();
        self.bytes.fill(0);
        self.carries.clear();
        for _ in 0..n {
            self.add(rng.below(n));
        }
        self.weights()
    }

    /// Counts one more draw of `row`.
    fn add(&mut self, row: usize) {
        let w = &mut self.bytes[row];
        *w = w.wrapping_add(1);
        if *w == 0 {
            self.carries.push(row as u32);
        }
    }

    fn weights(&mut self) -> Weights<'_> {
        if self.carries.is_empty() {
            return Weights::Bytes(&self.bytes);
        }
        self.words.clear();
        self.words.extend(self.bytes.iter().map(|&b| u32::from(b)));
        for &row in &self.carries {
            self.words[row as usize] += 256;
        }
        Weights::Words(&self.words)
    }
}

/// What a resample must compute for the bounded metrics: the others are left out (the curve
/// and the probability sums cost a pass over the rows each).
#[derive(Debug, Clone, Copy)]
struct Need {
    /// `roc_auc` or `pr_auc`: the curve.
    curve: bool,
    /// `log_loss` or `brier`: the sums of the rows' probability terms.
    sums: bool,
    /// `r2`: the spread of the target.
    r2: bool,
}

impl Need {
    fn of(names: &[&str]) -> Self {
        let any = |of: &[&str]| names.iter().any(|n| of.contains(n));
        Need {
            curve: any(&["roc_auc", "pr_auc"]),
            sums: any(&["log_loss", "brier"]),
            r2: any(&["r2"]),
        }
    }
}

/// The rows once, arranged so that a resample's metrics are computed from how many times each
/// row was drawn (its weight) in linear passes: the metrics of the resampled rows themselves
/// (label metrics and the ROC and precision-recall curves exactly; sums up to rounding, since
/// they are summed in row order with weights rather than in draw order).
struct Resampled<'a> {
    task: &'a Task,
    need: Need,
    /// Classification: the labels of the target and of every model's predictions, and the
    /// target as codes into them.
    labels: Vec<String>,
    truth: Vec<u32>,
    /// Regression: the target.
    y: &'a [f64],
    models: Vec<ResampledModel<'a>>,
}

struct ResampledModel<'a> {
    name: &'a str,
    /// Classification: the predicted labels as codes.
    predicted: Vec<u32>,
    /// Whether the model gave probabilities.
    proba: bool,
    /// Per row, [`crate::evaluate::score_terms`] (when [`Need::sums`]).
    terms: Option<Vec<[f64; 2]>>,
    /// Rows by descending positive-class probability, with that probability and the row's class
    /// (binary with probabilities, when [`Need::curve`]).
    by_score: Option<Vec<(f64, bool, u32)>>,
    /// Regression: the predictions.
    values: &'a [f64],
}

impl<'a> Resampled<'a> {
    fn new(task: &'a Task, truth: &'a Truth, preds: &'a [Predictions], need: Need) -> Self {
        let mut counts = LabelCounts::default();
        let (truth_codes, y) = match truth {
            Truth::Labels(d) => (counts.codes_of(d), &[][..]),
            Truth::Values(v) => (Vec::new(), &v[..]),
        };
        let positive = match task {
            Task::Binary { positive } => Some(counts.code(positive)),
            _ => None,
        };
        let models = preds
            .iter()
            .map(|p| {
                let (predicted, values) = match &p.predicted {
                    Truth::Labels(d) => (counts.codes_of(d), &[][..]),
                    Truth::Values(v) => (Vec::new(), &v[..]),
                };
                let is_positive = |i: usize| positive == Some(truth_codes[i]);
                let terms = p.proba.as_ref().filter(|_| need.sums).map(|pr| {
                    (0..pr.p_true.len())
                        .map(|i| {
                            crate::evaluate::score_terms(
                                is_positive(i),
                                pr.p_true[i],
                                pr.p_positive.as_ref().map(|v| v[i]),
                            )
                        })
                        .collect()
                });
                let by_score = p
                    .proba
                    .as_ref()
                    .and_then(|pr| pr.p_positive.as_ref())
                    .filter(|_| need.curve)
                    .map(|v| {
                        let mut rows: Vec<(f64, bool, u32)> = (0..v.len())
                            .map(|i| (v[i], is_positive(i), i as u32))
                            .collect();
                        rows.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
                        rows
                    });
                ResampledModel {
                    name: &p.name,
                    predicted,
                    proba: p.proba.is_some(),
                    terms,
                    by_score,
                    values,
                }
            })
            .collect();
        Resampled {
            task,
            need,
            labels: counts.into_labels(),
            truth: truth_codes,
            y,
            models,
        }
    }

    /// The value of each metric of `names` for model `m` on the resample whose rows are drawn
    /// `weights[row]` times; `None` where it is undefined. `curve` is memory reused between
    /// calls.
    fn values(
        &self,
        m: usize,
        weights: Weights,
        names: &[&str],
        curve: &mut metrics::ClfCurve,
    ) -> Result<Vec<Option<f64>>, String> {
        let rest = self.metrics(m, weights)?;
        let has_curve = self.models[m].by_score.as_ref().is_some_and(|rows| {
            metrics::clf_curve_weighted_into(
                rows.iter().map(|&(score, positive, row)| {
                    (score, positive, u64::from(weights.get(row as usize)))
                }),
                curve,
            )
        });
        Ok(names
            .iter()
            .map(|name| match *name {
                "roc_auc" if has_curve => curve.roc_auc(),
                "pr_auc" if has_curve => curve.average_precision(),
                "roc_auc" | "pr_auc" => None,
                name => value(rest.get(name)),
            })
            .collect())
    }

    /// The metrics of model `m` on the resample whose rows are drawn `weights[row]` times, but
    /// for the curve's (`roc_auc` and `pr_auc`, see [`Resampled::values`]) and those that
    /// [`Need`] leaves out (NaN).
    fn metrics(&self, m: usize, weights: Weights) -> Result<ModelMetrics, String> {
        let model = &self.models[m];
        let n = weights.len();
        let w = |i: usize| f64::from(weights.get(i));
        if let Task::Regression = self.task {
            let (y, p) = (self.y, model.values);
            let [sums @ .., mean] = pairwise_sums(n, |i| {
                let [a, b, c] = metrics::regression_terms(y[i], p[i]);
                [w(i) * a, w(i) * b, w(i) * c, w(i) * y[i]]
            });
            let mean = mean / n as f64;
            let denominator = match self.need.r2 {
                true => pairwise_sums(n, |i| [w(i) * ((y[i] - mean) * (y[i] - mean))])[0],
                false => f64::NAN,
            };
            return Ok(regression_from(n, sums, denominator));
        }
        let k = self.labels.len();
        let mut matrix = vec![vec![0u64; k]; k];
        for (i, (&t, &p)) in self.truth.iter().zip(&model.predicted).enumerate() {
            matrix[t as usize][p as usize] += u64::from(weights.get(i));
        }
        let counts = LabelCounts::from_matrix(&self.labels, &matrix);
        let scores = model.proba.then(|| ScoreSums {
            curve: None,
            sums: match &model.terms {
                Some(terms) => pairwise_sums(n, |i| [w(i) * terms[i][0], w(i) * terms[i][1]]),
                None => [f64::NAN; 2],
            },
        });
        classification_from(self.task, &counts, model.name, scores)
    }
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

    use crate::evaluate::Probabilities;
    use crate::slices::metrics_on;

    fn dictionary(labels: &[&str]) -> modelgate_sdk::Dictionary {
        let mut values: Vec<String> = Vec::new();
        let codes = labels
            .iter()
            .map(|l| {
                let c = values.iter().position(|v| v == l).unwrap_or_else(|| {
                    values.push(l.to_string());
                    values.len() - 1
                });
                Some(c as u32)
            })
            .collect();
        modelgate_sdk::Dictionary { values, codes }
    }

    /// A resample's metrics from its weights are those of its drawn rows: label metrics and the
    /// curves' areas to the bit, sums to rounding.
    #[test]
    fn weighted_resamples_equal_the_drawn_rows() {
        let n = 300;
        let labels = ["a", "b", "c"];
        let classes: Vec<&str> = (0..n).map(|i| labels[(i * 7 + i / 5) % 3]).collect();
        let truth_binary: Vec<&str> = (0..n)
            .map(|i| ["0", "1"][(i * 13 % 7 < 3) as usize])
            .collect();
        let score = |i: usize| ((i * 37 % 101) as f64 / 100.0 * 8.0).round() / 8.0;
        let cases = [
            (
                Task::Binary {
                    positive: "1".into(),
                },
                Truth::Labels(dictionary(&truth_binary)),
                Truth::Labels(dictionary(
                    &(0..n)
                        .map(|i| ["0", "1"][(score(i) >= 0.5) as usize])
                        .collect::<Vec<_>>(),
                )),
                Some(Probabilities {
                    p_true: (0..n)
                        .map(|i| {
                            if truth_binary[i] == "1" {
                                score(i)
                            } else {
                                1.0 - score(i)
                            }
                        })
                        .collect(),
                    p_positive: Some((0..n).map(score).collect()),
                }),
            ),
            (
                Task::Multiclass,
                Truth::Labels(dictionary(&classes)),
                Truth::Labels(dictionary(
                    &(0..n).map(|i| labels[(i * 5 % 11) % 3]).collect::<Vec<_>>(),
                )),
                Some(Probabilities {
                    p_true: (0..n).map(|i| 0.2 + score(i) * 0.5).collect(),
                    p_positive: None,
                }),
            ),
            (
                Task::Regression,
                Truth::Values((0..n).map(|i| (i as f64).sqrt() * 3.0 - 7.0).collect()),
                Truth::Values(
                    (0..n)
                        .map(|i| (i as f64).sqrt() * 2.9 - 6.0 + score(i))
                        .collect(),
                ),
                None,
            ),
        ];
        for (task, truth, predicted, proba) in cases {
            let preds = vec![Predictions {
                name: "m".into(),
                predicted,
                proba,
            }];
            let names: Vec<&str> = task.metrics().iter().map(|d| d.name).collect();
            let resampled = Resampled::new(&task, &truth, &preds, Need::of(&names));
            let mut curve = metrics::ClfCurve::default();
            let mut rng = SplitMix64::new(3);
            for _ in 0..20 {
                let rows: Vec<usize> = (0..n).map(|_| rng.below(n)).collect();
                let mut weights = vec![0u32; n];
                rows.iter().for_each(|&r| weights[r] += 1);
                let drawn = metrics_on(&task, &truth, &preds[0], Some(&rows)).unwrap();
                let weighted = resampled
                    .values(0, Weights::Words(&weights), &names, &mut curve)
                    .unwrap();
                let confusion = resampled
                    .metrics(0, Weights::Words(&weights))
                    .unwrap()
                    .confusion;
                assert_eq!(drawn.confusion, confusion, "{task:?}");
                for (name, b) in names.iter().zip(&weighted) {
                    let a = value(drawn.get(name));
                    match (a, b) {
                        (Some(a), Some(b))
                            if ["log_loss", "brier", "rmse", "mae", "mape", "r2"]
                                .contains(name) =>
                        {
                            assert!(
                                (a - b).abs() <= 1e-12 * a.abs().max(1.0),
                                "{name}: {a} vs {b}"
                            )
                        }
                        _ => assert_eq!(a, *b, "{name}"),
                    }
                }
                // A metric asked alone is the same as among all of them.
                for (i, name) in names.iter().enumerate() {
                    let alone = Resampled::new(&task, &truth, &preds, Need::of(&[name]));
                    let v = alone
                        .values(0, Weights::Words(&weights), &[name], &mut curve)
                        .unwrap();
                    assert_eq!(
                        v[0].map(f64::to_bits),
                        weighted[i].map(f64::to_bits),
                        "{name}"
                    );
                }
            }
        }
    }

    #[test]
    fn rows_drawn_256_times_or_more_keep_their_count() {
        let mut m = Multiplicities::new(5);
        for (row, times) in [(3, 600), (1, 1), (4, 256), (0, 255)] {
            (0..times).for_each(|_| m.add(row));
        }
        match m.weights() {
            Weights::Words(w) => assert_eq!(w, [255, 1, 0, 600, 256]),
            Weights::Bytes(_) => panic!("counts of 256 and more need words"),
        }
        let mut m = Multiplicities::new(2);
        (0..255).for_each(|_| m.add(1));
        assert!(matches!(m.weights(), Weights::Bytes([0, 255])));
    }

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // First outputs of SplitMix64 seeded with 1234567 (from the reference C implementation).
        let mut r = SplitMix64::new(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
        assert_eq!(r.next_u64(), 9817491932198370423);
    }

    #[test]
    fn indices_below_2_pow_32_are_the_128_bit_products() {
        let mut r = SplitMix64::new(99);
        for n in [1usize, 2, 3, 228, 1_000_000, 10_000_000, u32::MAX as usize] {
            for _ in 0..10_000 {
                let mut copy = SplitMix64(r.0);
                let x = copy.next_u64();
                assert_eq!(
                    r.below(n),
                    ((u128::from(x) * n as u128) >> 64) as usize,
                    "n = {n}"
                );
            }
        }
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
