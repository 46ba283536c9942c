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
//! SplitMix64 draws) weighs it in linear passes over rows kept in order once: the target and the
//! predictions as codes, laid out in the first binary model's score order when a curve is
//! bounded. One pass a resample adds the weights up by cell (rows alike in the target, every
//! model's prediction and score group: `Cells`), from which every confusion matrix and
//! every curve of few distinct scores is read; the first model's curve reads the weights in
//! score order, and another model's curve of many scores reads its rows sorted by score. Label
//! metrics and the ROC and precision-recall curves are those of the drawn rows exactly; log
//! loss, Brier and the regression sums are summed in row order with weights instead of in draw
//! order (equal up to rounding, ~1e-16 relative). Only what the bounded metrics need is computed
//! on each resample (the curve for `roc_auc` and `pr_auc`, the probability sums for `log_loss`
//! and `brier`).
//!
//! With `bootstrap_method = "poisson"` a resample weighs every row by its own Poisson(1) count
//! instead (see [`Method`]): the counts are drawn in the order the rows are laid out, with no
//! pass at random over n draws, and the first model's curve areas are summed in the same pass
//! as the cells, in integers (`AreaSums`), without building the curve: equal to scikit-learn's
//! on the weighted rows up to rounding (~1e-16).
//!
//! Resamples on which the metric is undefined (e.g. one class only, for roc_auc) are dropped; if
//! more than 1 % are, the check errors (the bound would be biased).

use std::collections::BTreeMap;

use modelgate_sdk::numeric::percentile;
use modelgate_sdk::{BoundKind, Direction, Metric};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::evaluate::{
    classification_from, regression_from, Config, LabelCounts, MetricBounds, ModelMetrics, Outcome,
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

/// How a resample is drawn (`bootstrap_method`).
//
// `rows`: `SplitMix64::below(n)` a draw, n draws a resample; each row's count is
// Binomial(n, 1/n). `poisson`: ceil(n / 2) outputs a resample, two counts an output (the low
// half first; see [`POISSON_CDF`]), for the rows in the order the check lays them out: by
// descending score of the first model whose curve is bounded (IEEE total order, ties in row
// order), else by row. Drawing them by position spares a pass at random over n counts (~2 ms
// a resample at 1M rows in WebAssembly).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// n rows drawn uniformly with replacement: the classic bootstrap (the default).
    #[default]
    Rows,
    /// every row weighted by its own Poisson(1) count: the Poisson bootstrap. A resample has
    /// about n rows rather than exactly n; on large data its bounds agree with `rows` up to
    /// the resampling's own randomness, and it is faster.
    Poisson,
}

/// `P(X <= k) * 2^32` for X ~ Poisson(1), k = 0..=11, rounded to the nearest integer
/// (`P(X <= 12)` rounds to 2^32). A uniform 32-bit `u` counts `#{k : u >= POISSON_CDF[k]}`:
/// each count's probability is within 2^-33 of Poisson(1)'s.
pub const POISSON_CDF: [u32; 12] = [
    1_580_030_169,
    3_160_060_337,
    3_950_075_422,
    4_213_413_783,
    4_279_248_374,
    4_292_415_292,
    4_294_609_778,
    4_294_923_276,
    4_294_962_463,
    4_294_966_817,
    4_294_967_253,
    4_294_967_292,
];

/// Poisson(1) counts of 32-bit uniforms by their top 12 bits: the count of each of the 4,096
/// buckets (4 KB, in the L1 cache), or [`PoissonCounts::SPLIT`] for the 12 buckets that a
/// threshold splits, where the thresholds are counted one by one (1 draw in ~340).
struct PoissonCounts {
    buckets: [u8; 1 << 12],
}

impl PoissonCounts {
    const SPLIT: u8 = u8::MAX;

    const fn new() -> Self {
        let mut buckets = [0u8; 1 << 12];
        let mut b = 0;
        while b < buckets.len() {
            let start = (b as u64) << 20;
            let (mut count, mut k) = (0u8, 0);
            while k < POISSON_CDF.len() {
                let t = POISSON_CDF[k] as u64;
                if t <= start {
                    count += 1;
                } else if t < start + (1 << 20) {
                    count = Self::SPLIT;
                    break;
                }
                k += 1;
            }
            buckets[b] = count;
            b += 1;
        }
        PoissonCounts { buckets }
    }

    /// The count of `u`: `#{k : u >= POISSON_CDF[k]}`.
    #[inline]
    fn count(&self, u: u32) -> u8 {
        match self.buckets[(u >> 20) as usize] {
            Self::SPLIT => Self::split(u),
            count => count,
        }
    }

    /// The count of `u` in a bucket that a threshold splits.
    #[cold]
    #[inline(never)]
    fn split(u: u32) -> u8 {
        POISSON_CDF.iter().filter(|&&t| u >= t).count() as u8
    }
}

const POISSON: PoissonCounts = PoissonCounts::new();

/// Fills `counts` with Poisson(1) draws, two from each SplitMix64 output (low half first).
#[inline(never)]
fn fill_poisson(rng: &mut SplitMix64, counts: &mut [u8]) {
    let mut pairs = counts.chunks_exact_mut(2);
    for pair in &mut pairs {
        let x = rng.next_u64();
        pair[0] = POISSON.count(x as u32);
        pair[1] = POISSON.count((x >> 32) as u32);
    }
    if let [last] = pairs.into_remainder() {
        *last = POISSON.count(rng.next_u64() as u32);
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
    config: &Config,
    task: &Task,
    truth: &Truth,
    preds: &[Predictions],
) -> Result<(Ci, Vec<Metric>), String> {
    let metrics = &config.metrics;
    let samples = config.bootstrap_samples.unwrap_or(DEFAULT_SAMPLES);
    let method = config.bootstrap_method.unwrap_or_default();
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
    let mut rng = SplitMix64::new(config.bootstrap_seed.unwrap_or(0));
    let names: Vec<&str> = wanted.iter().map(|(name, _, _)| *name).collect();
    let resampled = Resampled::new(task, truth, preds, Need::of(&names), method);
    let mut drawn = Multiplicities::new(n);
    let mut curve = metrics::ClfCurve::default();
    let mut tally = Tally::default();
    let with_ap = names.contains(&"pr_auc");
    for _ in 0..samples {
        let weights = drawn.draw(&mut rng, resampled.order.as_deref(), method);
        resampled.tally(weights.placed, with_ap, &mut tally);
        let cand = resampled.values(0, weights, &tally, &names, &mut curve)?;
        let base = baseline
            .map(|_| resampled.values(1, weights, &tally, &names, &mut curve))
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
    /// The weights again by position (see [`Resampled::order`]), bytes or words alike.
    placed_bytes: Vec<u8>,
    placed_words: Vec<u32>,
}

/// A resample's weights by row and by position (the same when rows keep their order).
#[derive(Clone, Copy)]
struct Drawn<'a> {
    rows: Weights<'a>,
    placed: Weights<'a>,
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

    /// Whether any of these rows (or positions) is drawn.
    fn any_drawn(self, rows: &[u32]) -> bool {
        rows.iter().any(|&row| self.get(row as usize) > 0)
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
            placed_bytes: Vec::new(),
            placed_words: Vec::new(),
        }
    }

    /// Draws the next resample: `n` uniform rows, as [`SplitMix64::below`] gives them, or a
    /// Poisson(1) count a row (see [`Method`]); with an `order`, the weights are also laid out
    /// by position (`order[position]` is a row): one pass in order, where looking up each
    /// draw's position would be a miss a draw.
    fn draw(&mut self, rng: &mut SplitMix64, order: Option<&[u32]>, method: Method) -> Drawn<'_> {
        let n = self.bytes.len();
        self.carries.clear();
        match method {
            Method::Rows => {
                self.bytes.fill(0);
                for _ in 0..n {
                    self.add(rng.below(n));
                }
            }
            // Drawn by position: `rows` are then the weights in that order too, as the sums'
            // terms are laid out (see `ResampledModel::terms`).
            Method::Poisson => {
                let counts = match order {
                    Some(_) => &mut self.placed_bytes,
                    None => &mut self.bytes,
                };
                counts.resize(n, 0);
                fill_poisson(rng, counts);
                let counts = Weights::Bytes(counts);
                return Drawn {
                    rows: counts,
                    placed: counts,
                };
            }
        }
        if self.carries.is_empty() {
            if let Some(order) = order {
                self.placed_bytes.clear();
                let bytes = &self.bytes;
                self.placed_bytes
                    .extend(order.iter().map(|&row| bytes[row as usize]));
            }
        } else {
            self.widen();
            if let Some(order) = order {
                self.placed_words.clear();
                let words = &self.words;
                self.placed_words
                    .extend(order.iter().map(|&row| words[row as usize]));
            }
        }
        let rows = self.weights();
        let placed = match (order, rows) {
            (None, _) => rows,
            (Some(_), Weights::Bytes(_)) => Weights::Bytes(&self.placed_bytes),
            (Some(_), Weights::Words(_)) => Weights::Words(&self.placed_words),
        };
        Drawn { rows, placed }
    }

    /// Counts one more draw of `row`.
    fn add(&mut self, row: usize) {
        let w = &mut self.bytes[row];
        *w = w.wrapping_add(1);
        if *w == 0 {
            self.carries.push(row as u32);
        }
    }

    /// The counts as `u32` words, the carries added.
    fn widen(&mut self) {
        self.words.clear();
        self.words.extend(self.bytes.iter().map(|&b| u32::from(b)));
        for &row in &self.carries {
            self.words[row as usize] += 256;
        }
    }

    /// The weights by row: bytes, or words (see [`Multiplicities::widen`]) with carries.
    fn weights(&self) -> Weights<'_> {
        match self.carries.is_empty() {
            true => Weights::Bytes(&self.bytes),
            false => Weights::Words(&self.words),
        }
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
///
/// With a curve to build, the weights are kept by position in the first such model's score
/// order, and labels and predictions are laid out in that order: its curve and every confusion
/// matrix are then passes in memory order, not gathers at random (1M rows: ~3x faster).
struct Resampled<'a> {
    task: &'a Task,
    need: Need,
    method: Method,
    /// Rows by position: by descending score of the first model with a curve; `None`: rows
    /// keep their order.
    order: Option<Vec<u32>>,
    /// Classification: the labels of the target and of every model's predictions, and the
    /// target as codes into them (by position).
    labels: Vec<String>,
    truth: Vec<u32>,
    /// Binary: whether the target is the positive class (by position).
    positive: Vec<bool>,
    /// Regression: the target.
    y: &'a [f64],
    models: Vec<ResampledModel<'a>>,
    /// Classification with few enough kinds of rows: the rows by position as [`Cells`].
    cells: Option<Cells>,
}

/// Classification rows by position as cells: rows alike in all that a resample counts (the
/// target, each model's prediction and, for a curve added up by score, its score group) share
/// a cell, so that one pass adds a resample's weights up by cell for every model at once, and
/// the confusion matrices and grouped curves are read from the few cells.
struct Cells {
    /// Per position: its cell (the low 14 bits), whether it starts a score group of the model
    /// in order ([`CurveRows::InOrder`], bit 14) and whether the target is positive (bit 15).
    code: Vec<u16>,
    /// Per cell: the target's code, then per model its prediction's code and its score group
    /// (0 unless its curve is [`CurveRows::Grouped`]).
    keys: Vec<Vec<u32>>,
    /// Per cell: whether the target is the positive class.
    positive: Vec<bool>,
    /// The score groups of two or more positions of the model in order, as (first position,
    /// positions): [`roc_pass`] adds every row up as if its score were its own, then corrects
    /// these groups.
    ties: Vec<(u32, u32)>,
}

/// At most this many cells (see [`Cells`]); beyond, every model adds its weights up itself.
const MAX_CELLS: usize = 1 << 14;
const CELL: u16 = (MAX_CELLS - 1) as u16;
const STARTS: u16 = 1 << 14;
const POSITIVE: u16 = 1 << 15;
/// Partial sums a cell in [`cell_pass`].
const LANES: usize = 4;

impl Cells {
    /// The cells of `truth` (codes by position) and `models`; `None` beyond [`MAX_CELLS`].
    fn new(
        truth: &[u32],
        positive: impl Fn(u32) -> bool,
        models: &[ResampledModel],
    ) -> Option<Cells> {
        let starts = models.iter().find_map(|m| match &m.curve {
            Some(CurveRows::InOrder { starts, .. }) => Some(starts),
            _ => None,
        });
        let mut index: std::collections::HashMap<Box<[u32]>, u16> = Default::default();
        let (mut keys, mut code) = (Vec::new(), Vec::with_capacity(truth.len()));
        let mut key = Vec::with_capacity(1 + 2 * models.len());
        for (p, &t) in truth.iter().enumerate() {
            key.clear();
            key.push(t);
            for m in models {
                key.push(m.predicted[p]);
                key.push(match &m.curve {
                    Some(CurveRows::Grouped { group, .. }) => group[p],
                    _ => 0,
                });
            }
            let cell = match index.get(&key[..]) {
                Some(&cell) => cell,
                None if keys.len() == MAX_CELLS => return None,
                None => {
                    let cell = keys.len() as u16;
                    index.insert(key.clone().into_boxed_slice(), cell);
                    keys.push(key.clone());
                    cell
                }
            };
            let starts = starts.is_some_and(|s| s[p]);
            code.push(cell | (u16::from(starts) * STARTS) | (u16::from(positive(t)) * POSITIVE));
        }
        let positive = keys.iter().map(|k| positive(k[0])).collect();
        let ties = starts.map_or_else(Vec::new, |s| ties(s));
        Some(Cells {
            code,
            keys,
            positive,
            ties,
        })
    }

    /// [`cell_pass`] with the areas summed when `stream`, average precision `with_ap`.
    fn pass<W: Copy + Into<u64>>(
        &self,
        weights: &[W],
        stream: bool,
        with_ap: bool,
        tally: &mut Tally,
    ) -> AreaSums {
        match (stream, with_ap) {
            (false, _) => {
                cell_pass(self, weights, tally, ());
                AreaSums::default()
            }
            (true, false) => roc_pass(self, weights, tally),
            (true, true) => cell_pass(self, weights, tally, AreaSums::default()),
        }
    }
}

/// The score groups of two or more positions, from whether each position starts a group (the
/// first position starts one whatever it says): (first position, positions).
fn ties(starts: &[bool]) -> Vec<(u32, u32)> {
    let mut ties = Vec::new();
    let mut first = 0;
    for p in 1..=starts.len() {
        if p == starts.len() || starts[p] {
            if p - first > 1 {
                ties.push((first as u32, (p - first) as u32));
            }
            first = p;
        }
    }
    ties
}

/// A resample's weights added up once for every model: by cell (see [`Cells`]) and, with
/// Poisson weights, the areas of the curve of the model in order (see [`AreaSums`]).
#[derive(Default)]
struct Tally {
    cells: Vec<u64>,
    areas: Option<Areas>,
    /// [`LANES`] partial sums a cell, interleaved, so that rows in a row in one cell do not
    /// wait on each other.
    lanes: Vec<u64>,
}

struct ResampledModel<'a> {
    name: &'a str,
    /// Classification: the predicted labels as codes (by position).
    predicted: Vec<u32>,
    /// Whether the model gave probabilities.
    proba: bool,
    /// Per row, [`crate::evaluate::score_terms`] (when [`Need::sums`]): in row order, or by
    /// position with Poisson counts (drawn by position).
    terms: Option<Vec<[f64; 2]>>,
    /// Binary with probabilities, when [`Need::curve`]: how its curve is built.
    curve: Option<CurveRows>,
    /// Regression: the predictions.
    values: &'a [f64],
}

/// How a model's curve is built from a resample's weights (kept by position).
enum CurveRows {
    /// The model whose score order sets the positions: per position, whether its score differs
    /// from the one before (starts a group); the weights are read in order.
    InOrder {
        starts: Vec<bool>,
        not_finite: Vec<u32>,
    },
    /// Few distinct scores: per position, the index of its score among them (descending). The
    /// weights of each score's positive and negative rows are added up in one pass in order.
    Grouped {
        group: Vec<u32>,
        groups: usize,
        not_finite: Vec<u32>,
    },
    /// Many distinct scores in another order: positions by descending score (ties in any
    /// order) with the score and the class; the weights are gathered.
    Gathered { by_score: Vec<(f64, bool, u32)> },
}

/// At most this many distinct scores (and a quarter of the rows) are added up by score
/// ([`CurveRows::Grouped`]).
const MAX_GROUPS: usize = 1 << 14;

/// Rows by descending score (IEEE total order: +0.0 before -0.0), ties in row order: the order
/// of the positions, in which Poisson counts are drawn ([`Method::Poisson`]).
fn by_descending_score(scores: &[f64]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..scores.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        (scores[b as usize].total_cmp(&scores[a as usize])).then(a.cmp(&b))
    });
    order
}

/// Positions (in `order`) of the scores that are not finite.
fn not_finite(scores: &[f64], order: &[u32]) -> Vec<u32> {
    (0..order.len() as u32)
        .filter(|&p| !scores[order[p as usize] as usize].is_finite())
        .collect()
}

impl<'a> Resampled<'a> {
    fn new(
        task: &'a Task,
        truth: &'a Truth,
        preds: &'a [Predictions],
        need: Need,
        method: Method,
    ) -> Self {
        let mut counts = LabelCounts::default();
        let (truth_codes, y) = match truth {
            Truth::Labels(d) => (counts.codes_of(d), &[][..]),
            Truth::Values(v) => (Vec::new(), &v[..]),
        };
        let positive_code = match task {
            Task::Binary { positive } => Some(counts.code(positive)),
            _ => None,
        };
        let scores_of = |p: &'a Predictions| {
            p.proba
                .as_ref()
                .and_then(|pr| pr.p_positive.as_deref())
                .filter(|_| need.curve)
        };
        // Positions: the score order of the first model with a curve.
        let first_curve = preds.iter().position(|p| scores_of(p).is_some());
        let order = first_curve.and_then(|m| scores_of(&preds[m]).map(by_descending_score));
        let position = order.as_ref().map(|order| {
            let mut position = vec![0u32; order.len()];
            for (p, &row) in order.iter().enumerate() {
                position[row as usize] = p as u32;
            }
            position
        });
        let in_order = |codes: Vec<u32>| match &order {
            Some(order) => order.iter().map(|&row| codes[row as usize]).collect(),
            None => codes,
        };
        let is_positive = |code: u32| positive_code == Some(code);
        let positive: Vec<bool> = match &order {
            Some(order) => order
                .iter()
                .map(|&row| is_positive(truth_codes[row as usize]))
                .collect(),
            None => Vec::new(),
        };
        let models: Vec<ResampledModel> = preds
            .iter()
            .enumerate()
            .map(|(m, p)| {
                let (predicted, values) = match &p.predicted {
                    Truth::Labels(d) => (in_order(counts.codes_of(d)), &[][..]),
                    Truth::Values(v) => (Vec::new(), &v[..]),
                };
                // By row; with Poisson counts, which are drawn by position, by position.
                let term_row = |at: usize| match (&order, method) {
                    (Some(order), Method::Poisson) => order[at] as usize,
                    _ => at,
                };
                let terms = p.proba.as_ref().filter(|_| need.sums).map(|pr| {
                    (0..pr.p_true.len())
                        .map(term_row)
                        .map(|i| {
                            crate::evaluate::score_terms(
                                is_positive(truth_codes[i]),
                                pr.p_true[i],
                                pr.p_positive.as_ref().map(|v| v[i]),
                            )
                        })
                        .collect()
                });
                let curve = scores_of(p).map(|scores| {
                    let order = order.as_deref().expect("positions with a curve");
                    let position = position.as_deref().expect("positions with a curve");
                    let of_position = |p: usize| scores[order[p] as usize];
                    if Some(m) == first_curve {
                        return CurveRows::InOrder {
                            starts: (0..order.len())
                                .map(|p| p > 0 && of_position(p) != of_position(p - 1))
                                .collect(),
                            not_finite: not_finite(scores, order),
                        };
                    }
                    let own = by_descending_score(scores);
                    let mut group_of_row = vec![0u32; scores.len()];
                    let mut groups = 0usize;
                    for (k, &row) in own.iter().enumerate() {
                        if k > 0 && scores[row as usize] != scores[own[k - 1] as usize] {
                            groups += 1;
                        }
                        group_of_row[row as usize] = groups as u32;
                    }
                    groups += usize::from(!own.is_empty());
                    if groups <= MAX_GROUPS && groups <= scores.len() / 4 {
                        CurveRows::Grouped {
                            group: order.iter().map(|&r| group_of_row[r as usize]).collect(),
                            groups,
                            not_finite: not_finite(scores, order),
                        }
                    } else {
                        CurveRows::Gathered {
                            by_score: own
                                .iter()
                                .map(|&row| {
                                    let r = row as usize;
                                    (scores[r], is_positive(truth_codes[r]), position[r])
                                })
                                .collect(),
                        }
                    }
                });
                ResampledModel {
                    name: &p.name,
                    predicted,
                    proba: p.proba.is_some(),
                    terms,
                    curve,
                    values,
                }
            })
            .collect();
        let truth = in_order(truth_codes);
        let cells = match task {
            Task::Regression => None,
            _ => Cells::new(&truth, is_positive, &models),
        };
        Resampled {
            task,
            need,
            method,
            labels: counts.into_labels(),
            truth,
            positive,
            y,
            order,
            models,
            cells,
        }
    }

    /// Adds up a resample's weights once for every model into `tally` (see [`Tally`]); the
    /// areas only with Poisson weights and a model in order, `pr_auc`'s `with_ap`.
    fn tally(&self, weights: Weights, with_ap: bool, tally: &mut Tally) {
        let in_order = self.models.iter().find_map(|m| match &m.curve {
            Some(CurveRows::InOrder { starts, not_finite }) => Some((starts, not_finite)),
            _ => None,
        });
        let streamed = in_order.filter(|_| self.method == Method::Poisson);
        let weighted_not_finite =
            streamed.is_some_and(|(_, not_finite)| weights.any_drawn(not_finite));
        let stream = streamed.is_some() && !weighted_not_finite;
        let sums = match (&self.cells, weights) {
            (Some(cells), Weights::Bytes(w)) => cells.pass(w, stream, with_ap, tally),
            (Some(cells), Weights::Words(w)) => cells.pass(w, stream, with_ap, tally),
            (None, _) => match streamed.filter(|_| stream) {
                Some((starts, _)) if with_ap => row_sums::<true>(starts, &self.positive, weights),
                Some((starts, _)) => row_sums::<false>(starts, &self.positive, weights),
                None => AreaSums::default(),
            },
        };
        tally.areas = match streamed {
            None => None,
            Some(_) if weighted_not_finite => Some(Areas::default()),
            Some(_) => sums.areas(with_ap),
        };
    }

    /// The value of each metric of `names` for model `m` on the resample whose rows are drawn
    /// `weights` times; `None` where it is undefined. `curve` is memory reused between calls.
    fn values(
        &self,
        m: usize,
        weights: Drawn,
        tally: &Tally,
        names: &[&str],
        curve: &mut metrics::ClfCurve,
    ) -> Result<Vec<Option<f64>>, String> {
        let rest = self.metrics(m, weights, tally)?;
        let rows = self.models[m].curve.as_ref();
        let streamed = match rows {
            Some(CurveRows::InOrder { .. }) => tally.areas.as_ref(),
            _ => None,
        };
        let has_curve = streamed.is_none()
            && rows.is_some_and(|rows| self.curve(m, rows, weights.placed, tally, curve));
        Ok(names
            .iter()
            .map(|name| match (*name, &streamed) {
                ("roc_auc", Some(areas)) => areas.roc,
                ("pr_auc", Some(areas)) => areas.ap,
                ("roc_auc", None) if has_curve => curve.roc_auc(),
                ("pr_auc", None) if has_curve => curve.average_precision(),
                ("roc_auc" | "pr_auc", None) => None,
                (name, _) => value(rest.get(name)),
            })
            .collect())
    }

    /// Builds a model's curve on a resample into `curve`: `false` where it is undefined (no
    /// weighted row, or a weighted score not finite). Groups of equal scores stand in for the
    /// scores themselves: the curve depends only on where the scores change.
    fn curve(
        &self,
        m: usize,
        rows: &CurveRows,
        weights: Weights,
        tally: &Tally,
        curve: &mut metrics::ClfCurve,
    ) -> bool {
        let weighted = |not_finite: &[u32]| weights.any_drawn(not_finite);
        let w = |p: usize| u64::from(weights.get(p));
        match rows {
            CurveRows::InOrder { starts, not_finite } => {
                if weighted(not_finite) {
                    return false;
                }
                let mut group = 0u32;
                metrics::clf_curve_weighted_into(
                    starts
                        .iter()
                        .zip(&self.positive)
                        .enumerate()
                        .map(|(p, (&start, &pos))| {
                            group += u32::from(start);
                            (f64::from(group), pos, w(p))
                        }),
                    curve,
                )
            }
            CurveRows::Grouped {
                group,
                groups,
                not_finite,
            } => {
                if weighted(not_finite) {
                    return false;
                }
                let mut sums = vec![[0u64; 2]; *groups];
                match &self.cells {
                    Some(cells) => {
                        for ((key, &pos), &w) in
                            cells.keys.iter().zip(&cells.positive).zip(&tally.cells)
                        {
                            sums[key[2 + 2 * m] as usize][usize::from(pos)] += w;
                        }
                    }
                    None => {
                        for (p, (&g, &pos)) in group.iter().zip(&self.positive).enumerate() {
                            sums[g as usize][usize::from(pos)] += w(p);
                        }
                    }
                }
                metrics::clf_curve_weighted_into(
                    sums.iter()
                        .enumerate()
                        .flat_map(|(g, &[negative, positive])| {
                            [(g as f64, true, positive), (g as f64, false, negative)]
                        }),
                    curve,
                )
            }
            CurveRows::Gathered { by_score } => metrics::clf_curve_weighted_into(
                by_score
                    .iter()
                    .map(|&(score, positive, at)| (score, positive, w(at as usize))),
                curve,
            ),
        }
    }

    /// The metrics of model `m` on the resample whose rows are drawn `weights` times, but
    /// for the curve's (`roc_auc` and `pr_auc`, see [`Resampled::values`]) and those that
    /// [`Need`] leaves out (NaN).
    fn metrics(&self, m: usize, weights: Drawn, tally: &Tally) -> Result<ModelMetrics, String> {
        let model = &self.models[m];
        let n = weights.rows.len();
        // Sums run in row order; counts by position.
        let w = |i: usize| f64::from(weights.rows.get(i));
        if let Task::Regression = self.task {
            // The resample's size: n, or about n with Poisson counts.
            let drawn = (0..n).map(|i| weights.rows.get(i) as usize).sum::<usize>();
            let (y, p) = (self.y, model.values);
            let [sums @ .., mean] = pairwise_sums(n, |i| {
                let [a, b, c] = metrics::regression_terms(y[i], p[i]);
                [w(i) * a, w(i) * b, w(i) * c, w(i) * y[i]]
            });
            let mean = mean / drawn as f64;
            let denominator = match self.need.r2 {
                true => pairwise_sums(n, |i| [w(i) * ((y[i] - mean) * (y[i] - mean))])[0],
                false => f64::NAN,
            };
            return Ok(regression_from(drawn, sums, denominator));
        }
        let k = self.labels.len();
        let mut matrix = vec![vec![0u64; k]; k];
        match &self.cells {
            Some(cells) => {
                for (key, &w) in cells.keys.iter().zip(&tally.cells) {
                    matrix[key[0] as usize][key[1 + 2 * m] as usize] += w;
                }
            }
            None => {
                for (p, (&t, &pr)) in self.truth.iter().zip(&model.predicted).enumerate() {
                    matrix[t as usize][pr as usize] += u64::from(weights.placed.get(p));
                }
            }
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

/// The areas under a resample's curves: `roc_auc` and `pr_auc` (`None` where undefined).
#[derive(Debug, Default)]
struct Areas {
    roc: Option<f64>,
    ap: Option<f64>,
}

/// The sums behind a resample's curve areas, added row by row in descending score order:
/// with `tp_g`, `fp_g` a score group's weights and `TP_g` the positive weight above it, the ROC
/// curve's trapezoids add up to `sum_g fp_g (2 TP_g + tp_g) / (2 P N)`, an integer sum: the area
/// is exact but for the last division's rounding (scikit-learn's trapezoids round each term, so
/// the two differ in the last bits). Average precision is `sum_g tp_g * precision below g / P`,
/// in order.
#[derive(Debug, Default)]
struct AreaSums {
    tp: u64,
    fp: u64,
    /// `sum_g fp_g (2 TP_g + tp_g)`, wrapping when the weights reach 2^32.
    twice_area: u64,
    /// `sum_g tp_g * precision` (with `AP`).
    ap: f64,
    /// The positive weight above this row's group, and the group's weights so far.
    above: u64,
    tp_in: u64,
    fp_in: u64,
}

impl AreaSums {
    /// Adds a row: whether it starts a score group, its class and its weight.
    #[inline]
    fn add<const AP: bool>(&mut self, start: bool, positive: bool, w: u64) {
        if start {
            self.close::<AP>();
            (self.above, self.tp_in, self.fp_in) = (self.tp, 0, 0);
        }
        let p = if positive { w } else { 0 };
        let n = w - p;
        // A negative row pairs with the positive weight above its group and, at half weight,
        // with the positives of its own group: each pair counted once, in twice the area.
        self.twice_area = self.twice_area.wrapping_add(
            n.wrapping_mul(self.above.wrapping_mul(2).wrapping_add(self.tp_in))
                .wrapping_add(p.wrapping_mul(self.fp_in)),
        );
        self.tp += p;
        self.fp += n;
        self.tp_in += p;
        self.fp_in += n;
    }

    /// Ends a score group: its `tp_g * precision` (nothing for a group without positive weight,
    /// or before the first).
    #[inline]
    fn close<const AP: bool>(&mut self) {
        if AP {
            let (tp, fp) = (self.tp, self.fp);
            self.ap += self.tp_in as f64 * (tp as f64 / (tp + fp).max(1) as f64);
        }
    }

    /// The areas (`pr_auc` only `with_ap`); `None` when the weights add up to 2^32 or more
    /// (the integers could have wrapped; the caller builds the curve instead).
    fn areas(mut self, with_ap: bool) -> Option<Areas> {
        if with_ap {
            self.close::<true>();
        }
        let (tp, fp) = (self.tp, self.fp);
        if tp + fp >= 1 << 32 {
            return None;
        }
        Some(Areas {
            roc: (tp > 0 && fp > 0)
                .then(|| self.twice_area as f64 / (2.0 * (tp as f64 * fp as f64))),
            ap: (with_ap && tp > 0).then(|| self.ap / tp as f64),
        })
    }
}

/// The areas' sums of the positions in order, row by row (without cells), average precision
/// with `AP`.
fn row_sums<const AP: bool>(starts: &[bool], positive: &[bool], weights: Weights) -> AreaSums {
    let mut sums = AreaSums::default();
    for (p, (&start, &pos)) in starts.iter().zip(positive).enumerate() {
        sums.add::<AP>(start, pos, u64::from(weights.get(p)));
    }
    sums
}

/// What [`cell_pass`] adds each position to, in order, besides its cell.
trait Rows {
    fn add(&mut self, code: u16, w: u64);
}

/// Cells only.
impl Rows for () {
    #[inline]
    fn add(&mut self, _: u16, _: u64) {}
}

/// The areas with average precision, group by group.
impl Rows for AreaSums {
    #[inline]
    fn add(&mut self, code: u16, w: u64) {
        AreaSums::add::<true>(self, code & STARTS != 0, code & POSITIVE != 0, w);
    }
}

/// One pass over the positions: a resample's weights by cell into `tally.cells`, and each
/// position's code and weight to `rows` (owned for the pass, so that its sums stay in
/// registers), in order.
#[inline(never)]
fn cell_pass<W: Copy + Into<u64>, R: Rows>(
    cells: &Cells,
    weights: &[W],
    tally: &mut Tally,
    mut rows: R,
) -> R {
    let k = cells.keys.len();
    let lanes = &mut tally.lanes;
    lanes.resize(LANES * MAX_CELLS, 0);
    lanes[..LANES * k].fill(0);
    // Of a fixed size, so that no cell's index needs a bounds check.
    let lanes: &mut [u64; LANES * MAX_CELLS] = (&mut lanes[..]).try_into().expect("sized above");
    let mut add = |lane: usize, code: u16, w: W| {
        let w: u64 = w.into();
        lanes[usize::from(code & CELL) * LANES + lane] += w;
        rows.add(code, w);
    };
    let mut codes = cells.code.chunks_exact(LANES);
    let mut ws = weights.chunks_exact(LANES);
    for (c, w) in (&mut codes).zip(&mut ws) {
        add(0, c[0], w[0]);
        add(1, c[1], w[1]);
        add(2, c[2], w[2]);
        add(3, c[3], w[3]);
    }
    for (&c, &w) in codes.remainder().iter().zip(ws.remainder()) {
        add(0, c, w);
    }
    tally.cells.clear();
    tally.cells.extend(
        lanes[..LANES * k]
            .chunks_exact(LANES)
            .map(|l| l.iter().sum::<u64>()),
    );
    rows
}

/// The sums of [`roc_pass`]'s pass: positive and negative weight, `sum_i n_i TP_i`.
#[derive(Default)]
struct RocSums {
    tp: u64,
    fp: u64,
    below: u64,
}

impl Rows for RocSums {
    #[inline]
    fn add(&mut self, code: u16, w: u64) {
        let (p, n) = by_class(code, w);
        self.below = self.below.wrapping_add(n.wrapping_mul(self.tp));
        self.tp += p;
        self.fp += n;
    }
}

/// A row's weight `w` as (positive, negative) weight, by the class its `code` says.
#[inline]
fn by_class(code: u16, w: u64) -> (u64, u64) {
    let p = if code & POSITIVE != 0 { w } else { 0 };
    (p, w - p)
}

/// [`cell_pass`] with the ROC area's sums, in fewer operations a row than [`AreaSums::add`]:
/// every row is added up as if its score were its own, `sum_i 2 n_i TP_i` over the rows in
/// order (`n_i` a row's negative weight, `TP_i` the positive weight before it), then each tied
/// group (see [`Cells::ties`]) is corrected: its rows added that way give
/// `2 fp_g TP_g + 2 sum_i n_i tp_i` (`tp_i` the group's positive weight before row i), where
/// the group counts `fp_g (2 TP_g + tp_g)`. The sums wrap as [`AreaSums::add`]'s do, so they
/// are the same integers.
fn roc_pass<W: Copy + Into<u64>>(cells: &Cells, weights: &[W], tally: &mut Tally) -> AreaSums {
    let RocSums { tp, fp, below } = cell_pass(cells, weights, tally, RocSums::default());
    let mut twice_area = below.wrapping_mul(2);
    for &(first, len) in &cells.ties {
        // The group's own sums, as the pass adds rows: `below` is its `sum_i n_i tp_i`.
        let group = first as usize..(first + len) as usize;
        let mut g = RocSums::default();
        for (&code, &w) in cells.code[group.clone()].iter().zip(&weights[group]) {
            g.add(code, w.into());
        }
        twice_area = twice_area
            .wrapping_add(g.fp.wrapping_mul(g.tp))
            .wrapping_sub(g.below.wrapping_mul(2));
    }
    AreaSums {
        tp,
        fp,
        twice_area,
        ..AreaSums::default()
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

    /// A resample's weights by row and by position, from its drawn rows; with Poisson counts
    /// (drawn by position, the sums' terms laid out by position) by position twice.
    fn weights_of(r: &Resampled, rows: &[usize]) -> (Vec<u32>, Vec<u32>) {
        let mut by_row = vec![0u32; r.truth.len().max(r.y.len())];
        rows.iter().for_each(|&row| by_row[row] += 1);
        let placed: Vec<u32> = match &r.order {
            Some(order) => order.iter().map(|&row| by_row[row as usize]).collect(),
            None => by_row.clone(),
        };
        match (r.method, &r.order) {
            (Method::Poisson, Some(_)) => (placed.clone(), placed),
            _ => (by_row, placed),
        }
    }

    fn as_drawn<'a>((rows, placed): &'a (Vec<u32>, Vec<u32>)) -> Drawn<'a> {
        Drawn {
            rows: Weights::Words(rows),
            placed: Weights::Words(placed),
        }
    }

    /// [`Resampled::values`] of model `m` on a resample, tallied first.
    fn values_of(r: &Resampled, m: usize, weights: Drawn, names: &[&str]) -> Vec<Option<f64>> {
        let mut tally = Tally::default();
        r.tally(weights.placed, names.contains(&"pr_auc"), &mut tally);
        let mut curve = metrics::ClfCurve::default();
        r.values(m, weights, &tally, names, &mut curve).unwrap()
    }

    /// The rows of a resample drawn by `method` (a row drawn k times listed k times).
    fn draw_rows(rng: &mut SplitMix64, n: usize, method: Method) -> Vec<usize> {
        match method {
            Method::Rows => (0..n).map(|_| rng.below(n)).collect(),
            Method::Poisson => {
                let mut counts = vec![0u8; n];
                fill_poisson(rng, &mut counts);
                (0..n)
                    .flat_map(|row| std::iter::repeat_n(row, usize::from(counts[row])))
                    .collect()
            }
        }
    }

    /// A resample's metrics from its weights are those of its drawn rows: label metrics and the
    /// curves' areas to the bit, sums to rounding; with Poisson weights, the areas that the
    /// first model's pass in score order sums in integers, to rounding too.
    #[test]
    fn weighted_resamples_equal_the_drawn_rows() {
        let n = 300;
        let labels = ["a", "b", "c"];
        let classes: Vec<&str> = (0..n).map(|i| labels[(i * 7 + i / 5) % 3]).collect();
        let truth_binary: Vec<&str> = (0..n)
            .map(|i| ["0", "1"][(i * 13 % 7 < 3) as usize])
            .collect();
        let score = |i: usize| ((i * 37 % 101) as f64 / 100.0 * 8.0).round() / 8.0;
        let model = |name: &str, predicted: Truth, proba: Option<Probabilities>| Predictions {
            name: name.into(),
            predicted,
            proba,
        };
        // A binary model of a score: its labels at 0.5 and its probabilities.
        let binary = |name: &str, score: &dyn Fn(usize) -> f64| {
            model(
                name,
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
            )
        };
        let cases = [
            (
                Task::Binary {
                    positive: "1".into(),
                },
                Truth::Labels(dictionary(&truth_binary)),
                // The curves of each kind: the model that sets the positions (9 scores), one of
                // few scores (added up by score, with -0.0 and 0.0 one score) and one of many
                // (gathered).
                vec![
                    binary("m", &score),
                    binary("few", &|i| [0.0, -0.0, 0.25, 0.9][i % 4]),
                    binary("many", &|i| ((i * 7919) % 1009) as f64 / 1009.0),
                ],
            ),
            (
                Task::Multiclass,
                Truth::Labels(dictionary(&classes)),
                vec![model(
                    "m",
                    Truth::Labels(dictionary(
                        &(0..n).map(|i| labels[(i * 5 % 11) % 3]).collect::<Vec<_>>(),
                    )),
                    Some(Probabilities {
                        p_true: (0..n).map(|i| 0.2 + score(i) * 0.5).collect(),
                        p_positive: None,
                    }),
                )],
            ),
            (
                Task::Regression,
                Truth::Values((0..n).map(|i| (i as f64).sqrt() * 3.0 - 7.0).collect()),
                vec![model(
                    "m",
                    Truth::Values(
                        (0..n)
                            .map(|i| (i as f64).sqrt() * 2.9 - 6.0 + score(i))
                            .collect(),
                    ),
                    None,
                )],
            ),
        ];
        // Both methods, with and without cells (every model adding up its own weights).
        let variants = [Method::Rows, Method::Poisson].map(|m| [(m, true), (m, false)]);
        for ((task, truth, preds), (method, with_cells)) in cases
            .iter()
            .flat_map(|case| variants.as_flattened().iter().map(move |&v| (case, v)))
        {
            let names: Vec<&str> = task.metrics().iter().map(|d| d.name).collect();
            let resample = |need| {
                let mut r = Resampled::new(task, truth, preds, need, method);
                assert_eq!(r.cells.is_some(), !matches!(task, Task::Regression));
                if !with_cells {
                    r.cells = None;
                }
                r
            };
            let resampled = resample(Need::of(&names));
            let streamed = |m: usize, name: &str| {
                method == Method::Poisson && m == 0 && ["roc_auc", "pr_auc"].contains(&name)
            };
            if preds.len() == 3 {
                let kinds: Vec<&str> = resampled
                    .models
                    .iter()
                    .map(|m| match m.curve {
                        Some(CurveRows::InOrder { .. }) => "in order",
                        Some(CurveRows::Grouped { groups: 3, .. }) => "grouped",
                        Some(CurveRows::Gathered { .. }) => "gathered",
                        _ => "other",
                    })
                    .collect();
                assert_eq!(kinds, ["in order", "grouped", "gathered"]);
            }
            let mut rng = SplitMix64::new(3);
            for _ in 0..20 {
                let rows = draw_rows(&mut rng, n, method);
                let weights = weights_of(&resampled, &rows);
                let mut tally = Tally::default();
                resampled.tally(as_drawn(&weights).placed, true, &mut tally);
                for (m, pred) in preds.iter().enumerate() {
                    let drawn = metrics_on(task, truth, pred, Some(&rows)).unwrap();
                    let weighted = values_of(&resampled, m, as_drawn(&weights), &names);
                    let confusion = resampled
                        .metrics(m, as_drawn(&weights), &tally)
                        .unwrap()
                        .confusion;
                    assert_eq!(drawn.confusion, confusion, "{task:?}");
                    for (name, b) in names.iter().zip(&weighted) {
                        let a = value(drawn.get(name));
                        match (a, b) {
                            (Some(a), Some(b))
                                if ["log_loss", "brier", "rmse", "mae", "mape", "r2"]
                                    .contains(name)
                                    || streamed(m, name) =>
                            {
                                assert!(
                                    (a - b).abs() <= 1e-12 * a.abs().max(1.0),
                                    "{name}: {a} vs {b}"
                                )
                            }
                            _ => assert_eq!(a, *b, "{} {name}", pred.name),
                        }
                    }
                    // A metric asked alone is the same as among all of them on the same rows
                    // (with Poisson counts, the probability sums alone run in row order, not
                    // by position: equal to rounding).
                    for (i, name) in names.iter().enumerate() {
                        let alone = resample(Need::of(&[name]));
                        let v = values_of(&alone, m, as_drawn(&weights_of(&alone, &rows)), &[name]);
                        match (v[0], weighted[i]) {
                            (Some(a), Some(b))
                                if method == Method::Poisson
                                    && ["log_loss", "brier"].contains(name) =>
                            {
                                assert!((a - b).abs() <= 1e-12 * a.abs(), "{name}: {a} vs {b}")
                            }
                            (a, b) => assert_eq!(
                                a.map(f64::to_bits),
                                b.map(f64::to_bits),
                                "{} {name}",
                                pred.name
                            ),
                        }
                    }
                }
            }
        }
    }

    /// A score that is not finite leaves the curve undefined on the resamples that draw its
    /// row, and only there, for the model that sets the positions and for one added up by score.
    #[test]
    fn scores_not_finite_undefine_the_resamples_that_draw_them() {
        let n = 40;
        let truth: Vec<&str> = (0..n).map(|i| ["0", "1"][i % 3 % 2]).collect();
        let model = |name: &str, score: &dyn Fn(usize) -> f64| Predictions {
            name: name.into(),
            predicted: Truth::Labels(dictionary(
                &(0..n)
                    .map(|i| ["0", "1"][(score(i) >= 0.5) as usize])
                    .collect::<Vec<_>>(),
            )),
            proba: Some(Probabilities {
                p_true: (0..n).map(|_| 0.5).collect(),
                p_positive: Some((0..n).map(score).collect()),
            }),
        };
        let preds = vec![
            model("m", &|i| if i == 7 { f64::NAN } else { i as f64 / 40.0 }),
            model("few", &|i| {
                if i == 9 {
                    f64::INFINITY
                } else {
                    (i % 3) as f64 / 3.0
                }
            }),
        ];
        let task = Task::Binary {
            positive: "1".into(),
        };
        let truth = Truth::Labels(dictionary(&truth));
        for method in [Method::Rows, Method::Poisson] {
            let resampled = Resampled::new(&task, &truth, &preds, Need::of(&["roc_auc"]), method);
            assert!(matches!(
                resampled.models[1].curve,
                Some(CurveRows::Grouped { .. })
            ));
            let mut rng = SplitMix64::new(11);
            let mut seen = [[false; 2]; 2];
            for _ in 0..200 {
                let rows = draw_rows(&mut rng, n, method);
                let weights = weights_of(&resampled, &rows);
                for (m, bad) in [(0, 7), (1, 9)] {
                    let v = values_of(&resampled, m, as_drawn(&weights), &["roc_auc"])[0];
                    let drawn = metrics_on(&task, &truth, &preds[m], Some(&rows)).unwrap();
                    match (v, value(drawn.get("roc_auc"))) {
                        (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-12, "{a} vs {b}"),
                        (a, b) => assert_eq!(a, b, "{method:?}"),
                    }
                    assert_eq!(v.is_none(), rows.contains(&bad));
                    seen[m][usize::from(v.is_none())] = true;
                }
            }
            assert_eq!(
                seen, [[true; 2]; 2],
                "both outcomes for both models, {method:?}"
            );
        }
    }

    /// The table that turns 32 bits into a Poisson(1) count: its thresholds are Poisson(1)'s
    /// distribution function (computed here from the series), and the count by bucket is the
    /// count of thresholds below, at every threshold, next to it and at random.
    #[test]
    fn poisson_counts_follow_the_distribution_function() {
        let mut term = (-1.0f64).exp();
        let mut cdf = 0.0;
        for (k, &t) in POISSON_CDF.iter().enumerate() {
            cdf += term;
            term /= (k + 1) as f64;
            assert_eq!(f64::from(t), (cdf * 2f64.powi(32)).round(), "k = {k}");
        }
        assert_eq!(((cdf + term) * 2f64.powi(32)).round(), 2f64.powi(32));
        let slow = |u: u32| POISSON_CDF.iter().filter(|&&t| u >= t).count() as u8;
        let mut rng = SplitMix64::new(5);
        let near = POISSON_CDF
            .iter()
            .flat_map(|&t| [t - 1, t, t.saturating_add(1)])
            .chain((0..1u32 << 12).flat_map(|b| [b << 20, (b << 20) | 0xF_FFFF]))
            .chain((0..100_000).map(|_| rng.next_u64() as u32))
            .chain([0, u32::MAX]);
        for u in near {
            assert_eq!(POISSON.count(u), slow(u), "u = {u}");
        }
        let split = POISSON
            .buckets
            .iter()
            .filter(|&&c| c == PoissonCounts::SPLIT);
        let mut holding: Vec<u32> = POISSON_CDF.iter().map(|&t| t >> 20).collect();
        holding.dedup();
        assert_eq!(
            split.count(),
            holding.len(),
            "only the buckets that hold a threshold"
        );
        // Draws: frequencies of each count within 5 standard errors of Poisson(1)'s.
        let mut counts = vec![0u8; 1_000_001];
        fill_poisson(&mut rng, &mut counts);
        let mut seen = [0usize; 13];
        counts.iter().for_each(|&c| seen[usize::from(c)] += 1);
        let (n, mut p) = (counts.len() as f64, (-1.0f64).exp());
        for (k, &s) in seen.iter().enumerate().take(6) {
            let sd = (n * p * (1.0 - p)).sqrt();
            assert!(
                (s as f64 - n * p).abs() < 5.0 * sd,
                "count {k}: {s} vs {}",
                n * p
            );
            p /= (k + 1) as f64;
        }
    }

    #[test]
    fn rows_drawn_256_times_or_more_keep_their_count() {
        let mut m = Multiplicities::new(5);
        for (row, times) in [(3, 600), (1, 1), (4, 256), (0, 255)] {
            (0..times).for_each(|_| m.add(row));
        }
        m.widen();
        match m.weights() {
            Weights::Words(w) => assert_eq!(w, [255, 1, 0, 600, 256]),
            Weights::Bytes(_) => panic!("counts of 256 and more need words"),
        }
        let mut m = Multiplicities::new(2);
        (0..255).for_each(|_| m.add(1));
        assert!(matches!(m.weights(), Weights::Bytes([0, 255])));
    }

    /// The ROC sums of [`roc_pass`] (rows as if untied, then the tied groups corrected) are
    /// [`cell_pass`]'s, group by group, to the bit: ties at the first and last positions,
    /// groups of one class and of both, weights past 2^32 (wrapping) too.
    #[test]
    fn roc_pass_sums_equal_the_group_by_group_sums() {
        let n = 1001;
        let mut rng = SplitMix64::new(11);
        let starts: Vec<bool> = (0..n)
            .map(|p| p > 2 && p < n - 4 && rng.below(3) > 0)
            .collect();
        let code: Vec<u16> = (0..n)
            .map(|p| {
                let cell = (p % 5) as u16;
                let positive = rng.below(2) == 1;
                cell | (u16::from(starts[p]) * STARTS) | (u16::from(positive) * POSITIVE)
            })
            .collect();
        let cells = Cells {
            code,
            keys: vec![Vec::new(); 5],
            positive: Vec::new(),
            ties: ties(&starts),
        };
        assert!(matches!(cells.ties.first(), Some(&(0, len)) if len >= 3));
        assert_eq!(cells.ties.last().map(|&(f, l)| f + l), Some(n as u32));
        let sums = |a: &AreaSums| (a.tp, a.fp, a.twice_area);
        let bytes: Vec<u8> = (0..n).map(|_| rng.below(4) as u8).collect();
        let words: Vec<u32> = (0..n).map(|_| rng.below(1 << 31) as u32).collect();
        let (mut a, mut b) = (Tally::default(), Tally::default());
        let (x, y) = (
            roc_pass(&cells, &bytes, &mut a),
            cell_pass(&cells, &bytes, &mut b, AreaSums::default()),
        );
        assert_eq!((sums(&x), &a.cells), (sums(&y), &b.cells));
        assert!(x.areas(false).is_some_and(|r| r.roc.is_some()));
        let (x, y) = (
            roc_pass(&cells, &words, &mut a),
            cell_pass(&cells, &words, &mut b, AreaSums::default()),
        );
        assert_eq!((sums(&x), &a.cells), (sums(&y), &b.cells));
        assert!(x.areas(false).is_none(), "weights past 2^32");
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
