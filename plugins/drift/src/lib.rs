//! The built-in `drift` check of modelgate: data drift between two datasets, drift of the
//! models' predictions, and the confidence of classifiers, compatible with Evidently's
//! defaults and computed as scipy computes the statistics.
//!
//! ```toml
//! [[checks]]
//! id = "drift"
//! plugin = "drift"
//! [checks.config]
//! reference = "reference"    # default "reference"
//! dataset = "current"        # default "current"
//! include = ["age", "city"]  # default: the task's features, else every column both datasets have
//! exclude = ["id"]
//! method = "auto"            # auto | ks | chi2 | z | wasserstein | jensen_shannon | psi
//! # threshold = 0.05         # every column without its own; default: the method's
//! drift_share = 0.5          # dataset drift when the drifted share is >= this
//! correction = "none"        # none | bonferroni | benjamini_hochberg
//! fail_on = "dataset_drift"  # dataset_drift | any_column | never
//! [checks.config.columns.age]
//! method = "psi"
//! threshold = 0.2
//! type = "numerical"         # numerical | categorical: overrides the inferred type
//! [checks.config.prediction] # optional: prediction drift and confidence
//! models = ["candidate"]     # default: `candidate`, else the gate's first model
//! method = "auto"            # classifiers' labels are categorical, regressors' values numerical
//! fail_on_drift = false      # prediction drift warns unless this is true
//! low_confidence = 0.6       # a row is low-confidence when its top class probability is < 0.6
//! mean_confidence = { min = 0.8, max_drop = 0.05 }   # relative bounds compare with the reference
//! low_confidence_share = { max = 0.2 }
//! ```
//!
//! `columns` may also be a plain list (`columns = ["age", "city"]`, the same as `include`).
//!
//! # What is compared
//!
//! Per column, the reference sample and the current sample after turning `±inf` into NaN and
//! dropping NaN and nulls (Evidently's `get_one_column_drift`). A column without any value left
//! in either dataset is an error (exclude it). Column types (override with `type`), as Evidently
//! treats them given a column mapping by dtype — the semantics of modelgate's design: integer and
//! float → numerical (a numerical column with at most 5 distinct values is still tested with
//! chi2 / z by `auto`, below); boolean → categorical; text → categorical, except that text with more distinct values than
//! half its rows (Evidently's "text" columns, which it tests with a domain classifier) is skipped
//! unless listed explicitly; temporal and other columns are skipped (an error if listed).
//!
//! Where the host keeps only aggregates of a table (a dataset on a Spark engine larger than
//! `max_local_rows`, a profile without rows), a numeric sample is the column's values from the
//! host's value runs (`table.value-runs`): the same values, sorted instead of in row order. Every
//! test gives the same result, except the population standard deviation that normalises
//! `wasserstein` on columns the host does not measure (summed in another order: equal to a few
//! units in the last place).
//!
//! # Methods (Evidently `legacy/calculations/stattests/*.py` and `registry.py`)
//!
//! `auto` (`_get_default_stattest`), with `n` = reference values after cleaning and `u` =
//! distinct values of both samples together:
//!
//! | | numerical, `u > 5` | numerical `u <= 5`, or categorical |
//! |-|-|-|
//! | `n <= 1000` | `ks` | `chi2` if `u > 2`, else `z` |
//! | `n > 1000` | `wasserstein` | `jensen_shannon` |
//!
//! | method | metric(s) | drift when | default threshold |
//! |-|-|-|-|
//! | `ks` | `ks_statistic`, `ks_pvalue` (`scipy.stats.ks_2samp`, method auto: exact up to 10,000 values per sample) | `p <= threshold` | 0.05 |
//! | `chi2` | `chi2_statistic`, `chi2_pvalue` (`scipy.stats.chisquare(current counts, reference counts × n_cur / n_ref)` over the union of categories) | `p < threshold` | 0.05 |
//! | `z` | `z_statistic`, `z_pvalue` (two-proportion z-test of "not the first category", categories sorted; `2 (1 − Φ(|z|))`) | `p < threshold` | 0.05 |
//! | `wasserstein` | `wasserstein_normed` (`scipy.stats.wasserstein_distance / max(np.std(reference), 0.001)`) | `>= threshold` | 0.1 |
//! | `jensen_shannon` | `jensen_shannon` (`scipy.spatial.distance.jensenshannon`, natural log) | `>= threshold` | 0.1 |
//! | `psi` | `psi` (`Σ (r − c) ln(r / c)`) | `>= threshold` | 0.1 |
//!
//! Jensen–Shannon and PSI compare shares from Evidently's `get_binned_data`: for a numerical
//! column whose reference has more than 20 distinct values, the share of each sample in the
//! bins `np.histogram_bin_edges(concat(reference, current), bins="sturges")`; otherwise the
//! share of each category of the union. PSI (not Jensen–Shannon) replaces zero shares by the
//! smallest non-zero share / 10^6 if that is at most 0.0001, else by 0.0001.
//!
//! `ks` and `wasserstein` need numbers; `chi2`, `z`, `jensen_shannon` and `psi` also accept
//! numbers (every distinct value is a category). With `correction`, the p-values of the
//! feature columns tested with `ks`, `chi2` or `z` are adjusted together (Bonferroni: `p m`;
//! Benjamini–Hochberg: `min_{j >= i} p_(j) m / j`; `m` = number of such columns; capped at 1),
//! each column decides drift on its adjusted p-value (`pvalue_adjusted`), and the raw p-value
//! is still reported. Prediction drift is not part of the family.
//!
//! # Metrics
//!
//! Per column (`column` set): the method's metrics above, `pvalue_adjusted` (with a
//! correction), and `drift_detected` (1 or 0; thresholds `[{kind: "p_value" | "threshold",
//! value}]`; `passed` = not drifted — a drifted column that only warns (the default) is a failed
//! metric in a `warn` result, which the host reports as a warning). Dataset: `drift_share`
//! (threshold kind `drift_share`; failed when the share is **at least** `drift_share`, as
//! Evidently decides dataset drift), `drifted_columns`, `columns_tested`. Prediction drift: the same per-column metrics with
//! `column = "prediction"` and `model` set. Confidence (classifiers with probabilities):
//! `mean_confidence` and `low_confidence_share` on the current dataset, with `model` set.
//!
//! # Status
//!
//! `fail_on = "dataset_drift"` (default): the check fails on dataset drift and warns when some
//! columns drift without dataset drift; `"any_column"`: it fails when any column drifts;
//! `"never"`: drift only warns (monitoring). Prediction drift warns, or fails with
//! `fail_on_drift = true`. A confidence bound that does not hold fails. Otherwise the check
//! passes.
//!
//! The details JSON holds, per column, the method, threshold, score, decision and the two
//! distributions (Sturges bins with reference and current counts, or categories with counts).
//!
//! The statistics are in [`stats`] and [`methods`]; [`evaluate`] turns samples into decisions
//! and a result; this file reads the host's tables.

pub mod config;
pub mod evaluate;
pub mod methods;
pub mod stats;

#[cfg(test)]
mod reference_tests;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, DefaultHasher};

use modelgate_sdk::details::Histogram;
use modelgate_sdk::{
    export_validator, info, About, Check, CheckResult, ColumnType, Context, Needs, Table, TaskKind,
};

use config::{Config, Kind, Method};
use evaluate::{ColumnInput, Confidence, Data, Outcome, Settings};
use methods::{Categories, NumSample};

/// The check.
pub struct Drift;

impl Check for Drift {
    type Config = Config;

    fn about() -> About {
        About {
            name: "drift".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "Data drift between a reference and a current dataset, compatible with \
                          Evidently's defaults (KS, chi-square, z-test, normed Wasserstein, \
                          Jensen-Shannon, PSI; scipy-exact statistics), per-column methods and \
                          thresholds, optional multiple-testing correction, dataset drift share; \
                          optionally drift of the models' predictions and classifier confidence."
                .to_string(),
            needs: Needs {
                datasets: vec!["reference".to_string(), "current".to_string()],
                models: false,
                labels: false,
            },
        }
    }

    fn check(ctx: &Context, config: Config) -> Result<CheckResult, String> {
        run(ctx, &config)
    }
}

export_validator!(Drift);

fn run(ctx: &Context, config: &Config) -> Result<CheckResult, String> {
    config.check()?;
    let reference_name = config.reference.as_deref().unwrap_or("reference");
    let dataset_name = config.dataset.as_deref().unwrap_or("current");
    let reference = ctx
        .dataset(reference_name)
        .map_err(|e| format!("config.reference: {e}"))?;
    let current = ctx
        .dataset(dataset_name)
        .map_err(|e| format!("config.dataset: {e}"))?;

    let columns = select_columns(ctx, config, reference, current)?;
    let mut features: Vec<Outcome> = Vec::new();
    for (name, explicit) in &columns {
        let settings = config.columns.settings.get(name);
        let method = settings.and_then(|s| s.method).unwrap_or(config.method);
        let Some((kind, data)) = read_column(
            reference,
            current,
            name,
            settings.and_then(|s| s.kind),
            *explicit,
            method,
        )?
        else {
            continue;
        };
        let input = ColumnInput {
            column: name.clone(),
            model: None,
            kind,
            data,
            method,
            threshold: settings.and_then(|s| s.threshold).or(config.threshold),
        };
        features.push(evaluate::test_column(&input)?);
    }
    evaluate::correct(&mut features, config.correction);

    let mut predictions = Vec::new();
    let mut confidence = Vec::new();
    if let Some(p) = &config.prediction {
        let models: Vec<String> = match &p.models {
            Some(m) => m.clone(),
            None => vec![ctx
                .candidate_model(None)
                .map_err(|e| format!("config.prediction: {e}"))?
                .name
                .to_string()],
        };
        for name in &models {
            let model = ctx
                .model(name)
                .map_err(|e| format!("config.prediction.models: {e}"))?;
            let predict = |table: &Table, which: &str| {
                model.predict(table).map_err(|e| {
                    format!("predictions of model `{name}` on `{which}`: {}", e.message)
                })
            };
            let pr = predict(reference, reference_name)?;
            let pc = predict(current, dataset_name)?;
            let kind = match model.task() {
                TaskKind::Regression => Kind::Numerical,
                _ => Kind::Categorical,
            };
            let (_, data) = read_column(&pr, &pc, "prediction", Some(kind), true, p.method)?
                .expect("explicit columns are read");
            let input = ColumnInput {
                column: "prediction".to_string(),
                model: Some(name.clone()),
                kind,
                data,
                method: p.method,
                threshold: p.threshold,
            };
            predictions.push(evaluate::test_column(&input)?);

            let classes = model.classes();
            let has_proba = !classes.is_empty() && pc.has_column("proba_0");
            if has_proba {
                let r = top_probability(&pr, classes.len(), name)?;
                let c = top_probability(&pc, classes.len(), name)?;
                if r.is_empty() || c.is_empty() {
                    return Err(format!("model `{name}`: no rows to compute confidence on"));
                }
                confidence.push(Confidence::new(name, &r, &c, p.low_confidence));
            } else if !p.mean_confidence.is_empty() || !p.low_confidence_share.is_empty() {
                return Err(format!(
                    "config.prediction: confidence bounds need class probabilities, but model \
                     `{name}` has none"
                ));
            } else {
                info(format!(
                    "model `{name}` has no class probabilities: no confidence metrics"
                ));
            }
        }
    }

    let empty = modelgate_sdk::Bounds::default();
    let settings = Settings {
        reference: reference_name,
        dataset: dataset_name,
        drift_share: config.drift_share,
        correction: config.correction,
        fail_on: config.fail_on,
        fail_on_prediction_drift: config.prediction.as_ref().is_some_and(|p| p.fail_on_drift),
        low_confidence: config
            .prediction
            .as_ref()
            .map(|p| p.low_confidence)
            .unwrap_or(0.6),
        mean_confidence: config
            .prediction
            .as_ref()
            .map(|p| &p.mean_confidence)
            .unwrap_or(&empty),
        low_confidence_share: config
            .prediction
            .as_ref()
            .map(|p| &p.low_confidence_share)
            .unwrap_or(&empty),
    };
    if features.is_empty() && predictions.is_empty() {
        return Err(format!(
            "no columns to test between `{reference_name}` and `{dataset_name}` (list them in \
             config.include)"
        ));
    }
    evaluate::assemble(&settings, &features, &predictions, &confidence)
}

/// The columns to test, each with whether it was named explicitly (explicit columns must be
/// testable; default ones are skipped with a note when they are not).
fn select_columns(
    ctx: &Context,
    config: &Config,
    reference: &Table,
    current: &Table,
) -> Result<Vec<(String, bool)>, String> {
    let ref_cols = reference.column_names();
    let cur_cols = current.column_names();
    let (mut names, explicit, source) = if let Some(list) = config.listed_columns() {
        (list.to_vec(), true, "config.include")
    } else if let Some(task) = &ctx.task {
        (task.features.clone(), false, "the task's features")
    } else {
        let shared: Vec<String> = ref_cols
            .iter()
            .filter(|c| cur_cols.contains(c))
            .cloned()
            .collect();
        let skipped: Vec<&String> = ref_cols
            .iter()
            .chain(cur_cols.iter())
            .filter(|c| !shared.contains(c))
            .collect();
        if !skipped.is_empty() {
            info(format!(
                "columns not in both datasets are not tested: {}",
                skipped
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        (shared, false, "the shared columns")
    };
    for e in &config.exclude {
        if !ref_cols.contains(e) && !cur_cols.contains(e) {
            return Err(format!("config.exclude: no column `{e}` in either dataset"));
        }
    }
    names.retain(|n| !config.exclude.contains(n));
    let mut seen = std::collections::HashSet::<&str>::new();
    for n in &names {
        if !seen.insert(n) {
            return Err(format!("{source}: column `{n}` is listed twice"));
        }
        for (cols, table) in [(&ref_cols, reference), (&cur_cols, current)] {
            if !cols.contains(n) {
                return Err(format!(
                    "{source}: {}",
                    table.column(n).expect_err("column is missing")
                ));
            }
        }
    }
    for key in config.columns.settings.keys() {
        if !names.contains(key) {
            return Err(format!(
                "config.columns.{key}: `{key}` is not among the tested columns ({source}{})",
                if config.exclude.contains(key) {
                    ", and it is excluded"
                } else {
                    ""
                }
            ));
        }
    }
    Ok(names.into_iter().map(|n| (n, explicit)).collect())
}

fn is_numeric(t: ColumnType) -> bool {
    matches!(
        t,
        ColumnType::Integer | ColumnType::Float | ColumnType::Boolean
    )
}

/// Reads and cleans one column of both tables and decides its kind; `None` when a column that
/// was not named explicitly cannot be tested (the reason is logged).
fn read_column(
    reference: &Table,
    current: &Table,
    name: &str,
    kind_override: Option<Kind>,
    explicit: bool,
    method: Method,
) -> Result<Option<(Kind, Data)>, String> {
    let rt = reference.column(name)?.column_type;
    let ct = current.column(name)?.column_type;
    let unsupported = |t: ColumnType| matches!(t, ColumnType::Temporal | ColumnType::Other);
    if unsupported(rt) || unsupported(ct) {
        let msg = format!(
            "column `{name}` is {} in `{}` and {} in `{}`: drift of temporal and nested \
             columns is not supported",
            type_name(rt),
            reference.name(),
            type_name(ct),
            current.name()
        );
        if explicit {
            return Err(msg);
        }
        info(format!("{msg}; not tested"));
        return Ok(None);
    }
    if is_numeric(rt) && is_numeric(ct) {
        let kind = kind_override.unwrap_or(match (rt, ct) {
            (ColumnType::Boolean, _) | (_, ColumnType::Boolean) => Kind::Categorical,
            _ => Kind::Numerical,
        });
        let integer = rt == ColumnType::Integer && ct == ColumnType::Integer;
        if kind == Kind::Numerical {
            if let Some(data) = measure(reference, current, name, method, integer)? {
                return Ok(Some((kind, data)));
            }
        }
        let a = NumSample::new(read_finite(reference, name)?);
        let b = NumSample::new(read_finite(current, name)?);
        let data = Data::Numeric {
            reference: a,
            current: b,
            integer,
            boolean: rt == ColumnType::Boolean && ct == ColumnType::Boolean,
        };
        return Ok(Some((kind, data)));
    }
    if kind_override == Some(Kind::Numerical) {
        return Err(format!(
            "config.columns.{name}.type: `{name}` holds text, it cannot be numerical"
        ));
    }
    let r = text_counts(reference, name)?;
    let c = text_counts(current, name)?;
    let (c_rows, c_unique): (u64, usize) = (c.iter().map(|x| x.1).sum(), c.len());
    if !explicit && kind_override.is_none() && c_unique as f64 > 0.5 * c_rows as f64 {
        info(format!(
            "column `{name}` is text with {c_unique} distinct values in {c_rows} rows (Evidently \
             tests such columns with a text classifier): not tested; list it in config.include, \
             or set its type, to test it as categorical"
        ));
        return Ok(None);
    }
    Ok(Some((
        Kind::Categorical,
        Data::Text(Categories::from_counts(&r, &c)),
    )))
}

fn type_name(t: ColumnType) -> &'static str {
    match t {
        ColumnType::Boolean => "boolean",
        ColumnType::Integer => "integer",
        ColumnType::Float => "float",
        ColumnType::Utf8 => "text",
        ColumnType::Temporal => "temporal",
        ColumnType::Other => "nested",
    }
}

/// A numerical column tested with the wasserstein method (explicitly, or by `auto` on a
/// reference of more than 1000 values with more than 5 distinct ones) is measured by the host:
/// no values cross into the sandbox, so tables of any size fit the memory limit. `None` when the
/// column needs its values (another method, or `auto` on a small or low-cardinality column).
fn measure(
    reference: &Table,
    current: &Table,
    name: &str,
    method: Method,
    integer: bool,
) -> Result<Option<Data>, String> {
    let (r, c) = (reference.column_stats(name)?, current.column_stats(name)?);
    let finite = |s: &modelgate_sdk::ColumnStats| s.rows - s.null_count - s.nan_count - s.inf_count;
    // Distinct finite values of each: NaN and the infinities are distinct values too.
    let distinct = |s: &modelgate_sdk::ColumnStats| {
        s.unique_count
            .saturating_sub(u64::from(s.nan_count > 0) + u64::from(s.inf_count > 0) * 2)
    };
    let unique = distinct(&r).max(distinct(&c));
    let wasserstein = match method {
        Method::Wasserstein => true,
        Method::Auto => finite(&r) > 1000 && unique > 5,
        _ => false,
    };
    let (Some(std), Some(r_min), Some(r_max), Some(c_min), Some(c_max)) =
        (r.std_pop, r.min, r.max, c.min, c.max)
    else {
        return Ok(None); // no finite value: the sample path says so
    };
    if !wasserstein || unique <= 5 {
        return Ok(None);
    }
    let distance = reference
        .wasserstein(name, current, name)
        .map_err(|e| format!("column `{name}`: {}", e.message))?;
    let (rows_r, rows_c) = (finite(&r), finite(&c));
    let edges =
        methods::sturges_edges_of(r_min.min(c_min), r_max.max(c_max), rows_r + rows_c, integer);
    let hist = |t: &Table| {
        t.histogram(name, &edges)
            .map_err(|e| format!("column `{name}`: {}", e.message))
    };
    Ok(Some(Data::Measured {
        reference_rows: rows_r,
        current_rows: rows_c,
        unique,
        wasserstein_normed: distance / std.max(0.001),
        histogram: Histogram::Numeric {
            reference: hist(reference)?,
            current: hist(current)?,
            edges,
        },
    }))
}

/// The finite values of a numeric column, in row order; sorted, from the host's value runs,
/// where the host keeps only aggregates of the table (every test but the row-order sum of
/// `np.std` in `wasserstein`'s norm depends on the values alone).
fn read_finite(table: &Table, column: &str) -> Result<Vec<f64>, String> {
    if !table.has_rows(column) {
        return table.sorted_finite(column);
    }
    let mut out = Vec::with_capacity(table.row_count()?);
    table.for_each_f64(column, |_, v| {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            out.push(v);
        }
        Ok(())
    })?;
    Ok(out)
}

/// The most distinct values the host counts in one call.
const VALUE_COUNTS_LIMIT: u32 = 100_000;

/// Counts per non-null value of a column rendered as text.
fn text_counts(table: &Table, column: &str) -> Result<Vec<(String, u64)>, String> {
    let stats = table.column_stats(column)?;
    if stats.unique_count <= VALUE_COUNTS_LIMIT as u64 {
        let counts = table
            .value_counts(column, VALUE_COUNTS_LIMIT)
            .map_err(|e| {
                format!(
                    "counting values of `{column}` in `{}`: {}",
                    table.name(),
                    e.message
                )
            })?;
        return Ok(counts.into_iter().map(|v| (v.value, v.count)).collect());
    }
    let mut counts: HashMap<String, u64, BuildHasherDefault<DefaultHasher>> = HashMap::default();
    table.for_each_utf8(column, |_, v| {
        if let Some(v) = v {
            *counts.entry(v.to_string()).or_default() += 1;
        }
        Ok(())
    })?;
    Ok(counts.into_iter().collect())
}

/// Per row, the largest class probability (`proba_0` ... `proba_{k-1}`).
fn top_probability(preds: &Table, classes: usize, model: &str) -> Result<Vec<f64>, String> {
    let rows = preds.row_count()?;
    let mut top = vec![f64::NEG_INFINITY; rows];
    for c in 0..classes {
        let column = format!("proba_{c}");
        preds.column(&column).map_err(|e| {
            format!(
                "model `{model}` declares {classes} classes, but its predictions lack them: {e}"
            )
        })?;
        preds.for_each_f64(&column, |i, v| {
            let v = v.filter(|v| v.is_finite()).ok_or_else(|| {
                format!("`{column}` of model `{model}`'s predictions is missing at row {i}")
            })?;
            top[i] = top[i].max(v);
            Ok(())
        })?;
    }
    Ok(top)
}

#[cfg(test)]
mod tests {
    use modelgate_sdk::Validator;

    use super::*;
    use crate::config::Method;

    #[test]
    fn info_describes_the_check() {
        let info = Drift::info();
        assert_eq!(info.name, "drift");
        assert_eq!(info.needs.datasets, ["reference", "current"]);
        assert!(!info.needs.models && !info.needs.labels);
        let schema: serde_json::Value = serde_json::from_str(&info.config_schema).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
    }

    #[test]
    fn method_names_are_stable() {
        for m in [
            Method::Ks,
            Method::Chi2,
            Method::Z,
            Method::Wasserstein,
            Method::JensenShannon,
            Method::Psi,
        ] {
            let parsed: Method = serde_json::from_str(&format!("\"{}\"", m.name())).unwrap();
            assert_eq!(parsed, m);
        }
    }
}
