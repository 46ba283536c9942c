//! From cleaned column samples to drift decisions, and from decisions to the check's result.
//! No host calls here, so all of it runs in native unit tests.

use modelgate_sdk::bounds::fmt_num;
use modelgate_sdk::details::{ColumnHistogram, Histogram, OtherCategories};
use modelgate_sdk::{Bounds, CheckResult, Direction, Evaluation, Metric, Status};
use serde::Serialize;
use serde_json::json;

use crate::config::{Correction, FailOn, Kind, Method};
use crate::methods::{self, Binned, Categories, NumSample};

/// A column's cleaned data (`±inf`, NaN and nulls dropped).
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// Numbers (from integer, float or boolean columns).
    Numeric {
        /// Reference values.
        reference: NumSample,
        /// Current values.
        current: NumSample,
        /// Both columns have an integer type (numpy floors Sturges bin widths at 1).
        integer: bool,
        /// The columns are boolean (categories are labelled false / true).
        boolean: bool,
    },
    /// Text, as counts per category.
    Text(Categories),
    /// A large numerical column measured by the host (`table.wasserstein`, statistics and
    /// histograms): only the normed Wasserstein distance is available, no values.
    Measured {
        /// Finite reference values.
        reference_rows: u64,
        /// Finite current values.
        current_rows: u64,
        /// Distinct values of both samples together (a lower bound, above 5).
        unique: u64,
        /// Wasserstein distance / max(std of the reference, 0.001).
        wasserstein_normed: f64,
        /// The two distributions over Sturges bins, for plots.
        histogram: Histogram,
    },
}

/// One column to test.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInput {
    /// Column name (`prediction` for prediction drift).
    pub column: String,
    /// The model whose predictions these are, if any.
    pub model: Option<String>,
    /// Numerical or categorical.
    pub kind: Kind,
    /// The data.
    pub data: Data,
    /// The configured method (possibly auto).
    pub method: Method,
    /// The configured threshold (default: the method's).
    pub threshold: Option<f64>,
}

/// The outcome of one column's test.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Column name.
    pub column: String,
    /// Model, for prediction drift.
    pub model: Option<String>,
    /// Numerical or categorical.
    pub kind: Kind,
    /// The method used (never auto).
    pub method: Method,
    /// The threshold used.
    pub threshold: f64,
    /// The method's metrics (e.g. `ks_statistic`, `ks_pvalue`).
    pub scores: Vec<(&'static str, f64)>,
    /// The raw p-value of a test.
    pub p_value: Option<f64>,
    /// The p-value after multiple-testing correction, if one applies.
    pub p_adjusted: Option<f64>,
    /// The score compared with the threshold: the (adjusted) p-value or the distance.
    pub score: f64,
    /// Whether the column drifted.
    pub drifted: bool,
    /// Number of reference values tested.
    pub reference_rows: u64,
    /// Number of current values tested.
    pub current_rows: u64,
    /// Distinct values of both samples together.
    pub unique: u64,
    /// The two distributions, for plots.
    pub histogram: Histogram,
}

/// Most categories shown in a histogram; the rest are summed into one bar.
pub const MAX_DETAIL_CATEGORIES: usize = 50;

/// Label of a numeric category.
fn label(boolean: bool, v: f64) -> String {
    if boolean {
        (if v != 0.0 { "true" } else { "false" }).to_string()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn categories(data: &Data) -> Categories {
    match data {
        Data::Numeric {
            reference,
            current,
            boolean,
            ..
        } => Categories::from_sorted(&reference.sorted, &current.sorted, |v| label(*boolean, v)),
        Data::Text(c) => c.clone(),
        // Only the wasserstein method takes measured data (checked in `test_column`).
        Data::Measured { .. } => Categories::default(),
    }
}

/// Evidently's default method (`_get_default_stattest`): by the reference size (after
/// cleaning) and the number of distinct values of both samples together.
pub fn auto_method(kind: Kind, reference_rows: u64, unique: u64) -> Method {
    match (reference_rows <= 1000, kind) {
        (true, Kind::Numerical) if unique > 5 => Method::Ks,
        (true, _) if unique > 2 => Method::Chi2,
        (true, _) => Method::Z,
        (false, Kind::Numerical) if unique > 5 => Method::Wasserstein,
        (false, _) => Method::JensenShannon,
    }
}

/// Tests one column.
pub fn test_column(input: &ColumnInput) -> Result<Outcome, String> {
    let who = match &input.model {
        Some(m) => format!("predictions of model `{m}`"),
        None => format!("column `{}`", input.column),
    };
    let (reference_rows, current_rows, unique) = match &input.data {
        Data::Numeric {
            reference, current, ..
        } => (
            reference.len() as u64,
            current.len() as u64,
            methods::union_unique(&reference.sorted, &current.sorted) as u64,
        ),
        Data::Text(c) => (c.reference_total(), c.current_total(), c.len() as u64),
        Data::Measured {
            reference_rows,
            current_rows,
            unique,
            ..
        } => (*reference_rows, *current_rows, *unique),
    };
    if reference_rows == 0 || current_rows == 0 {
        let which = if reference_rows == 0 {
            "reference"
        } else {
            "current"
        };
        return Err(format!(
            "{who}: no values to test in the {which} dataset (every value is null, NaN or \
             infinite); exclude the column or fix the data"
        ));
    }
    let method = match input.method {
        Method::Auto => auto_method(input.kind, reference_rows, unique),
        m => m,
    };
    if matches!(input.data, Data::Measured { .. }) && method != Method::Wasserstein {
        return Err(format!(
            "{who}: measured by the host for the wasserstein method, not {}",
            method.name()
        ));
    }
    let threshold = input.threshold.unwrap_or(method.default_threshold());
    let numeric = match &input.data {
        Data::Numeric {
            reference, current, ..
        } => Some((reference, current)),
        Data::Text(_) | Data::Measured { .. } => None,
    };
    let needs_numbers = |m: Method| {
        format!(
            "{who}: method {} needs numbers, but the column holds text",
            m.name()
        )
    };
    let mut scores = Vec::new();
    let (p_value, score) = match method {
        Method::Ks => {
            let (a, b) = numeric.ok_or_else(|| needs_numbers(method))?;
            let r = methods::ks(a, b);
            scores.push(("ks_statistic", r.statistic));
            scores.push(("ks_pvalue", r.pvalue));
            (Some(r.pvalue), r.pvalue)
        }
        Method::Wasserstein => {
            let w = match &input.data {
                Data::Measured {
                    wasserstein_normed, ..
                } => *wasserstein_normed,
                _ => {
                    let (a, b) = numeric.ok_or_else(|| needs_numbers(method))?;
                    methods::wasserstein_normed(a, b)
                }
            };
            scores.push(("wasserstein_normed", w));
            (None, w)
        }
        Method::Chi2 => {
            let (stat, p) = methods::chi2(&categories(&input.data));
            if stat.is_finite() {
                scores.push(("chi2_statistic", stat));
            }
            scores.push(("chi2_pvalue", p));
            (Some(p), p)
        }
        Method::Z => {
            let (z, p) = methods::z_test(&categories(&input.data));
            if let Some(z) = z {
                scores.push(("z_statistic", z));
            }
            scores.push(("z_pvalue", p));
            (Some(p), p)
        }
        Method::JensenShannon | Method::Psi => {
            let b = binned(input);
            let (name, v) = if method == Method::Psi {
                ("psi", methods::psi(&b.reference, &b.current))
            } else {
                (
                    "jensen_shannon",
                    methods::jensen_shannon(&b.reference, &b.current),
                )
            };
            scores.push((name, v));
            (None, v)
        }
        Method::Auto => unreachable!("resolved above"),
    };
    Ok(Outcome {
        column: input.column.clone(),
        model: input.model.clone(),
        kind: input.kind,
        method,
        threshold,
        scores,
        p_value,
        p_adjusted: None,
        score,
        drifted: drifted(method, score, threshold),
        reference_rows,
        current_rows,
        unique,
        histogram: histogram(input),
    })
}

/// Evidently's comparisons: KS drifts when `p <= threshold`, chi-square and z when
/// `p < threshold`, distances when `score >= threshold`.
pub fn drifted(method: Method, score: f64, threshold: f64) -> bool {
    match method {
        Method::Ks => score <= threshold,
        Method::Chi2 | Method::Z => score < threshold,
        _ => score >= threshold,
    }
}

/// Evidently's `get_binned_data` for Jensen–Shannon and PSI.
fn binned(input: &ColumnInput) -> Binned {
    match &input.data {
        Data::Numeric {
            reference,
            current,
            integer,
            ..
        } if input.kind == Kind::Numerical && reference.unique() > 20 => {
            methods::binned_numeric(&reference.sorted, &current.sorted, *integer)
        }
        data => methods::binned_categories(&categories(data)),
    }
}

/// The two distributions for a report: Sturges bins of both samples for numerical columns,
/// counts per category (the most frequent [`MAX_DETAIL_CATEGORIES`]) otherwise.
fn histogram(input: &ColumnInput) -> Histogram {
    if let Data::Measured { histogram, .. } = &input.data {
        return histogram.clone();
    }
    if let (
        Kind::Numerical,
        Data::Numeric {
            reference,
            current,
            integer,
            ..
        },
    ) = (input.kind, &input.data)
    {
        let edges = methods::sturges_edges(&reference.sorted, &current.sorted, *integer);
        return Histogram::Numeric {
            reference: methods::histogram_sorted(&reference.sorted, &edges),
            current: methods::histogram_sorted(&current.sorted, &edges),
            edges,
        };
    }
    let c = categories(&input.data);
    if c.len() <= MAX_DETAIL_CATEGORIES {
        return Histogram::Categorical {
            categories: c.labels,
            reference: c.reference,
            current: c.current,
            other: None,
        };
    }
    let mut order: Vec<usize> = (0..c.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(c.reference[i] + c.current[i]));
    let mut keep: Vec<usize> = order[..MAX_DETAIL_CATEGORIES].to_vec();
    keep.sort_unstable();
    let (mut other_r, mut other_c) = (c.reference_total(), c.current_total());
    let mut labels = Vec::new();
    let (mut r, mut cur) = (Vec::new(), Vec::new());
    for i in keep {
        labels.push(c.labels[i].clone());
        r.push(c.reference[i]);
        cur.push(c.current[i]);
        other_r -= c.reference[i];
        other_c -= c.current[i];
    }
    Histogram::Categorical {
        categories: labels,
        reference: r,
        current: cur,
        other: Some(OtherCategories {
            categories: (c.len() - MAX_DETAIL_CATEGORIES) as u64,
            reference: other_r,
            current: other_c,
        }),
    }
}

/// Applies a multiple-testing correction to the p-values of the outcomes tested with a
/// p-value method (the family: those outcomes; distances are not affected) and re-decides
/// drift on the adjusted p-values.
pub fn correct(outcomes: &mut [Outcome], correction: Correction) {
    if correction == Correction::None {
        return;
    }
    let family: Vec<usize> = (0..outcomes.len())
        .filter(|&i| outcomes[i].p_value.is_some())
        .collect();
    let m = family.len() as f64;
    let raw: Vec<f64> = family
        .iter()
        .map(|&i| outcomes[i].p_value.expect("filtered"))
        .collect();
    let adjusted = match correction {
        Correction::None => unreachable!(),
        Correction::Bonferroni => raw.iter().map(|p| (p * m).min(1.0)).collect(),
        Correction::BenjaminiHochberg => benjamini_hochberg(&raw),
    };
    for (&i, p) in family.iter().zip(adjusted) {
        let o = &mut outcomes[i];
        o.p_adjusted = Some(p);
        o.score = p;
        o.drifted = drifted(o.method, p, o.threshold);
    }
}

/// Benjamini–Hochberg adjusted p-values: `min_{j >= i} p_(j) m / j` over the ascending order,
/// capped at 1 (as `statsmodels.stats.multitest.multipletests(method="fdr_bh")`).
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut out = vec![0.0; m];
    let mut running = 1.0f64;
    for rank in (0..m).rev() {
        let i = order[rank];
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        out[i] = running.min(1.0);
    }
    out
}

/// The confidence of a classifier: its top class probability per row.
#[derive(Debug, Clone, PartialEq)]
pub struct Confidence {
    /// The model.
    pub model: String,
    /// Mean top-class probability on the current dataset.
    pub mean: f64,
    /// Share of current rows whose top-class probability is below the cut-off.
    pub low_share: f64,
    /// The same on the reference dataset.
    pub reference_mean: f64,
    /// The same on the reference dataset.
    pub reference_low_share: f64,
}

impl Confidence {
    /// Computes the statistics from the top-class probabilities of both datasets.
    pub fn new(model: &str, reference: &[f64], current: &[f64], cut: f64) -> Self {
        let low = |v: &[f64]| v.iter().filter(|&&p| p < cut).count() as f64 / v.len() as f64;
        Confidence {
            model: model.to_string(),
            mean: modelgate_sdk::numeric::mean(current),
            low_share: low(current),
            reference_mean: modelgate_sdk::numeric::mean(reference),
            reference_low_share: low(reference),
        }
    }
}

/// Everything [`assemble`] needs besides the outcomes.
#[derive(Debug, Clone)]
pub struct Settings<'a> {
    /// Baseline dataset name.
    pub reference: &'a str,
    /// Compared dataset name.
    pub dataset: &'a str,
    /// Dataset drift share.
    pub drift_share: f64,
    /// Correction in force.
    pub correction: Correction,
    /// When drift fails the check.
    pub fail_on: FailOn,
    /// Whether prediction drift fails the check.
    pub fail_on_prediction_drift: bool,
    /// Low-confidence cut-off.
    pub low_confidence: f64,
    /// Bounds on `mean_confidence`.
    pub mean_confidence: &'a Bounds,
    /// Bounds on `low_confidence_share`.
    pub low_confidence_share: &'a Bounds,
}

/// The metrics of one outcome. `gating`: whether this column's drift fails the check. The host
/// turns a `warn` result with a failed metric into `fail`, so a drift that only warns is
/// reported with its threshold but without `passed` (the value, 1 or 0, still says it drifted).
fn column_metrics(o: &Outcome) -> Vec<Metric> {
    let base = |m: Metric| {
        let m = m.column(&o.column);
        match &o.model {
            Some(model) => m.model(model),
            None => m,
        }
    };
    let mut out: Vec<Metric> = o
        .scores
        .iter()
        .map(|&(name, v)| base(Metric::new(name, v)))
        .collect();
    if let Some(p) = o.p_adjusted {
        out.push(base(Metric::new("pvalue_adjusted", p)));
    }
    let kind = if o.method.is_test() {
        "p_value"
    } else {
        "threshold"
    };
    // `passed` marks drift whether or not it fails the check: the host keeps a `warn` result
    // with failed metrics as a warning, and reports show the drifted columns either way.
    let m = Metric::new("drift_detected", if o.drifted { 1.0 } else { 0.0 })
        .threshold(kind, o.threshold)
        .passed(!o.drifted);
    out.push(base(m));
    out
}

fn describe(o: &Outcome) -> String {
    let score = if o.method.is_test() {
        format!(
            "{} p={}{}",
            o.method.name(),
            fmt_num(o.p_value.unwrap_or(o.score), 3),
            o.p_adjusted
                .map(|p| format!(" (adjusted {})", fmt_num(p, 3)))
                .unwrap_or_default()
        )
    } else {
        format!("{} {}", o.method.name(), fmt_num(o.score, 3))
    };
    format!("{} ({score})", o.column)
}

/// One entry of the details' `columns` or `predictions`: what the report draws (the SDK's
/// [`ColumnHistogram`]) and the test behind it.
#[derive(Serialize)]
struct OutcomeDetails {
    #[serde(flatten)]
    plot: ColumnHistogram,
    #[serde(rename = "type")]
    kind: &'static str,
    method: &'static str,
    threshold: f64,
    threshold_kind: &'static str,
    score: f64,
    p_value: Option<f64>,
    p_value_adjusted: Option<f64>,
    reference_rows: u64,
    current_rows: u64,
    unique: u64,
}

fn outcome_details(o: &Outcome) -> OutcomeDetails {
    OutcomeDetails {
        plot: ColumnHistogram {
            column: o.column.clone(),
            model: o.model.clone(),
            drifted: Some(o.drifted),
            histogram: o.histogram.clone(),
        },
        kind: o.kind.name(),
        method: o.method.name(),
        threshold: o.threshold,
        threshold_kind: if o.method.is_test() {
            "p_value"
        } else {
            "threshold"
        },
        score: o.score,
        p_value: o.p_value,
        p_value_adjusted: o.p_adjusted,
        reference_rows: o.reference_rows,
        current_rows: o.current_rows,
        unique: o.unique,
    }
}

/// Builds the check's result: metrics, status, summary and details.
pub fn assemble(
    s: &Settings<'_>,
    features: &[Outcome],
    predictions: &[Outcome],
    confidence: &[Confidence],
) -> Result<CheckResult, String> {
    if features.is_empty() && predictions.is_empty() {
        return Err("no columns to test".to_string());
    }
    let mut metrics = Vec::new();
    let mut fail = Vec::<String>::new();
    let mut warn = Vec::<String>::new();

    for o in features {
        metrics.extend(column_metrics(o));
    }
    for o in predictions {
        metrics.extend(column_metrics(o));
    }
    let drifted: Vec<&Outcome> = features.iter().filter(|o| o.drifted).collect();
    let tested = features.len();
    let mut dataset_drift = false;
    if tested > 0 {
        let share = drifted.len() as f64 / tested as f64;
        dataset_drift = share >= s.drift_share;
        // Dataset drift when share >= drift_share (Evidently's rule), so the bound is not an
        // inclusive `max`: its kind is `drift_share`.
        metrics.push(
            Metric::new("drift_share", share)
                .threshold("drift_share", s.drift_share)
                .passed(!dataset_drift),
        );
        metrics.push(Metric::new("drifted_columns", drifted.len() as f64));
        metrics.push(Metric::new("columns_tested", tested as f64));
        let listed: Vec<String> = drifted.iter().take(5).map(|o| describe(o)).collect();
        let more = if drifted.len() > 5 {
            format!(", and {} more", drifted.len() - 5)
        } else {
            String::new()
        };
        let line = format!(
            "{} of {tested} columns drifted (share {} {} {})",
            drifted.len(),
            fmt_num(share, 3),
            if dataset_drift { ">=" } else { "<" },
            s.drift_share
        );
        if dataset_drift {
            let msg = format!("dataset drift: {line}: {}{more}", listed.join(", "));
            match s.fail_on {
                FailOn::Never => warn.push(msg),
                _ => fail.push(msg),
            }
        } else if !drifted.is_empty() {
            let msg = format!("no dataset drift, but {line}: {}{more}", listed.join(", "));
            match s.fail_on {
                FailOn::AnyColumn => fail.push(msg),
                _ => warn.push(msg),
            }
        }
    }
    for o in predictions.iter().filter(|o| o.drifted) {
        let msg = format!(
            "prediction drift of model `{}`: {}",
            o.model.as_deref().unwrap_or("?"),
            describe(o)
        );
        if s.fail_on_prediction_drift {
            fail.push(msg);
        } else {
            warn.push(msg);
        }
    }
    let mut confidence_json = Vec::new();
    for c in confidence {
        let mut evals: Vec<(Evaluation, f64)> = Vec::new();
        for (name, bounds, value, baseline, dir) in [
            (
                "mean_confidence",
                s.mean_confidence,
                c.mean,
                c.reference_mean,
                Direction::HigherIsBetter,
            ),
            (
                "low_confidence_share",
                s.low_confidence_share,
                c.low_share,
                c.reference_low_share,
                Direction::LowerIsBetter,
            ),
        ] {
            let e = bounds
                .evaluate(name, value, Some(baseline), dir)
                .map_err(|e| format!("config.prediction.{e}"))?;
            if !e.passed() {
                fail.push(format!("model `{}`: {}", c.model, e.summary()));
            }
            metrics.push(Metric::new(name, value).model(&c.model).evaluated(&e));
            evals.push((e, baseline));
        }
        confidence_json.push(json!({
            "model": c.model,
            "low_confidence": s.low_confidence,
            "mean_confidence": c.mean,
            "low_confidence_share": c.low_share,
            "reference_mean_confidence": c.reference_mean,
            "reference_low_confidence_share": c.reference_low_share,
        }));
    }

    let status = if !fail.is_empty() {
        Status::Fail
    } else if !warn.is_empty() {
        Status::Warn
    } else {
        Status::Pass
    };
    let summary = if fail.is_empty() && warn.is_empty() {
        let mut s_ = if tested > 0 {
            format!(
                "no drift in {tested} columns ({} vs {})",
                s.dataset, s.reference
            )
        } else {
            format!("no prediction drift ({} vs {})", s.dataset, s.reference)
        };
        if !predictions.is_empty() && tested > 0 {
            s_.push_str(&format!(
                "; no prediction drift for {}",
                predictions
                    .iter()
                    .filter_map(|o| o.model.as_deref())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        s_
    } else {
        fail.iter()
            .chain(&warn)
            .cloned()
            .collect::<Vec<_>>()
            .join("; ")
    };
    let details = json!({
        "reference": s.reference,
        "dataset": s.dataset,
        "drift_share": s.drift_share,
        "correction": s.correction.name(),
        "dataset_drift": dataset_drift,
        "columns": features.iter().map(outcome_details).collect::<Vec<_>>(),
        "predictions": predictions.iter().map(outcome_details).collect::<Vec<_>>(),
        "confidence": confidence_json,
    });
    Ok(CheckResult::new(status, summary)
        .metrics(metrics)
        .details(details.to_string()))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn num(column: &str, a: Vec<f64>, b: Vec<f64>) -> ColumnInput {
        ColumnInput {
            column: column.to_string(),
            model: None,
            kind: Kind::Numerical,
            data: Data::Numeric {
                reference: NumSample::new(a),
                current: NumSample::new(b),
                integer: false,
                boolean: false,
            },
            method: Method::Auto,
            threshold: None,
        }
    }

    fn settings<'a>(b: &'a Bounds) -> Settings<'a> {
        Settings {
            reference: "reference",
            dataset: "current",
            drift_share: 0.5,
            correction: Correction::None,
            fail_on: FailOn::DatasetDrift,
            fail_on_prediction_drift: false,
            low_confidence: 0.6,
            mean_confidence: b,
            low_confidence_share: b,
        }
    }

    #[test]
    fn auto_follows_evidently() {
        use Kind::*;
        assert_eq!(auto_method(Numerical, 1000, 6), Method::Ks);
        assert_eq!(auto_method(Numerical, 1000, 5), Method::Chi2);
        assert_eq!(auto_method(Numerical, 1000, 2), Method::Z);
        assert_eq!(auto_method(Categorical, 10, 3), Method::Chi2);
        assert_eq!(auto_method(Categorical, 10, 2), Method::Z);
        assert_eq!(auto_method(Numerical, 1001, 6), Method::Wasserstein);
        assert_eq!(auto_method(Numerical, 1001, 5), Method::JensenShannon);
        assert_eq!(auto_method(Categorical, 1001, 100), Method::JensenShannon);
    }

    #[test]
    fn comparisons_follow_evidently() {
        assert!(drifted(Method::Ks, 0.05, 0.05));
        assert!(!drifted(Method::Chi2, 0.05, 0.05));
        assert!(!drifted(Method::Z, 0.05, 0.05));
        assert!(drifted(Method::Psi, 0.1, 0.1));
        assert!(!drifted(Method::Wasserstein, 0.0999, 0.1));
    }

    #[test]
    fn benjamini_hochberg_matches_statsmodels() {
        // multipletests([0.01, 0.04, 0.03, 0.2], method="fdr_bh")[1]
        let p = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.2]);
        let want = [0.04, 0.05333333333333334, 0.05333333333333334, 0.2];
        for (a, b) in p.iter().zip(want) {
            assert!((a - b).abs() < 1e-15, "{p:?}");
        }
    }

    #[test]
    fn a_shifted_column_drifts_and_fails_the_dataset() {
        let a: Vec<f64> = (0..100).map(|i| i as f64).collect();
        let b: Vec<f64> = (0..100).map(|i| i as f64 + 50.0).collect();
        let o = test_column(&num("x", a.clone(), b)).unwrap();
        assert_eq!(o.method, Method::Ks);
        assert!(o.drifted);
        let same = test_column(&num("y", a.clone(), a)).unwrap();
        assert!(!same.drifted);
        assert_eq!(same.p_value, Some(1.0));
        let bounds = Bounds::default();
        let r = assemble(&settings(&bounds), &[o.clone(), same.clone()], &[], &[]).unwrap();
        assert!(matches!(r.status, Status::Fail), "{}", r.summary);
        assert!(
            r.summary
                .starts_with("dataset drift: 1 of 2 columns drifted"),
            "{}",
            r.summary
        );
        let names: Vec<&str> = r.metrics.iter().map(|m| m.name.as_str()).collect();
        assert!(names.contains(&"ks_pvalue") && names.contains(&"drift_share"));
        let mut st = settings(&bounds);
        st.drift_share = 0.6;
        let r = assemble(&st, &[o, same], &[], &[]).unwrap();
        assert!(matches!(r.status, Status::Warn), "{}", r.summary);
        let d: Value = serde_json::from_str(r.details.as_deref().unwrap()).unwrap();
        assert_eq!(d["columns"][0]["histogram"]["type"], "numeric");
    }

    #[test]
    fn text_columns_reject_numeric_methods() {
        let c = Categories::from_counts(&[("a".into(), 3)], &[("a".into(), 2), ("b".into(), 1)]);
        let input = ColumnInput {
            column: "t".into(),
            model: None,
            kind: Kind::Categorical,
            data: Data::Text(c),
            method: Method::Ks,
            threshold: None,
        };
        assert!(test_column(&input).unwrap_err().contains("needs numbers"));
        let o = test_column(&ColumnInput {
            method: Method::Auto,
            ..input
        })
        .unwrap();
        assert_eq!(o.method, Method::Z);
    }

    #[test]
    fn confidence_and_wide_histograms() {
        let c = Confidence::new("m", &[0.9, 0.5], &[0.7, 0.55, 0.95, 0.4], 0.6);
        assert!((c.mean - 0.65).abs() < 1e-15);
        assert_eq!(c.low_share, 0.5);
        assert_eq!(c.reference_low_share, 0.5);
        let labels: Vec<(String, u64)> = (0..60).map(|i| (format!("v{i:02}"), i + 1)).collect();
        let input = ColumnInput {
            column: "t".into(),
            model: None,
            kind: Kind::Categorical,
            data: Data::Text(Categories::from_counts(&labels, &labels)),
            method: Method::Auto,
            threshold: None,
        };
        let o = test_column(&input).unwrap();
        assert_eq!(o.method, Method::JensenShannon);
        assert_eq!(o.score, 0.0);
        let Histogram::Categorical {
            categories, other, ..
        } = &o.histogram
        else {
            panic!("categorical: {:?}", o.histogram)
        };
        assert_eq!(categories.len(), MAX_DETAIL_CATEGORIES);
        assert_eq!(categories[0], "v10");
        let other = other.unwrap();
        assert_eq!(other.categories, 10);
        assert_eq!(other.reference, 55);
    }

    #[test]
    fn warn_only_drift_marks_the_column_and_warns() {
        let a: Vec<f64> = (0..100).map(|i| i as f64).collect();
        let b: Vec<f64> = (0..100).map(|i| i as f64 + 50.0).collect();
        let drifted = test_column(&num("x", a.clone(), b)).unwrap();
        let same: Vec<Outcome> = (0..3)
            .map(|i| test_column(&num(&format!("s{i}"), a.clone(), a.clone())).unwrap())
            .collect();
        let bounds = Bounds::default();
        let mut all = vec![drifted];
        all.extend(same);
        let r = assemble(&settings(&bounds), &all, &[], &[]).unwrap();
        assert!(matches!(r.status, Status::Warn), "{}", r.summary);
        let dd = r
            .metrics
            .iter()
            .find(|m| m.name == "drift_detected")
            .unwrap();
        // The drifted column is marked; the result stays a warning.
        assert_eq!((dd.value, dd.passed), (1.0, Some(false)));
        assert_eq!(dd.thresholds[0].kind, "p_value");
        let mut st = settings(&bounds);
        st.fail_on = FailOn::AnyColumn;
        let r = assemble(&st, &all, &[], &[]).unwrap();
        assert!(matches!(r.status, Status::Fail));
        let dd = r
            .metrics
            .iter()
            .find(|m| m.name == "drift_detected")
            .unwrap();
        assert_eq!(dd.passed, Some(false));
    }

    #[test]
    fn correction_rescales_p_values() {
        let mk = |p: f64| Outcome {
            column: "c".into(),
            model: None,
            kind: Kind::Numerical,
            method: Method::Ks,
            threshold: 0.05,
            scores: vec![],
            p_value: Some(p),
            p_adjusted: None,
            score: p,
            drifted: p <= 0.05,
            reference_rows: 1,
            current_rows: 1,
            unique: 1,
            histogram: Histogram::Numeric {
                edges: vec![],
                reference: vec![],
                current: vec![],
            },
        };
        let mut v = vec![mk(0.02), mk(0.5)];
        correct(&mut v, Correction::Bonferroni);
        assert_eq!(v[0].p_adjusted, Some(0.04));
        assert!(v[0].drifted);
        let mut v = vec![mk(0.03), mk(0.5)];
        correct(&mut v, Correction::Bonferroni);
        assert!(!v[0].drifted);
    }
}
