//! The built-in `data-quality` check of modelgate.
//!
//! Checks one dataset (default `current`) for the problems that break or silently degrade a
//! model: too few or too many rows, missing, unexpected or retyped columns, nulls, NaN and
//! infinities, values outside fixed bounds or outside the range seen in the reference data,
//! categories never seen in the reference, values outside an allowed set, duplicate rows and
//! constant columns. Everything is computed by the host natively (column statistics, value
//! counts, histograms, duplicate counts); rows are read only in a rare fallback (see below).
//!
//! # Config
//!
//! ```toml
//! [[checks]]
//! id = "data-quality"
//! plugin = "data-quality"
//! [checks.config]
//! dataset = "current"             # the data to check (default "current")
//! reference = "reference"         # learn schema, ranges and categories from it; default:
//!                                 # "reference" if the gate has it; false: no reference
//! include = ["age", "city"]       # columns to check (default: every column)
//! exclude = ["id"]                # columns not to check
//! expected_columns = { age = "integer", income = "numeric", city = "utf8" }
//!                                 # or "reference" (default when there is a reference) or "none"
//! categorical_max_unique = 20     # integer columns with <= this many distinct reference
//!                                 # values are categorical (default 20)
//! duplicate_columns = ["id"]      # rows compare on these columns (default: all columns)
//!
//! row_count = { min = 100, max = 1_000_000 }
//! duplicate_rows = { max = 0 }
//! duplicate_share = { max = 0.01, level = "warn" }
//! unexpected_columns = "fail"     # a level alone keeps the default limit (here max 0)
//! null_fraction = { max = 0.05 }  # check-wide rules apply to every checked column ...
//! out_of_range_share = { max = 0.01 }
//! unseen_share = { max = 0.0 }
//! constant_column = "ignore"
//!
//! [checks.config.columns.age]     # ... and per-column rules override them
//! null_fraction = { max = 0.0 }
//! min = 0                         # bounds on the column's smallest / largest finite value
//! max = 120
//! [checks.config.columns.city]
//! allowed_values = ["Paris", "Lyon"]
//! kind = "categorical"            # auto (default) | numeric | categorical | none
//! ```
//!
//! The checked columns are `include` (default: every column, in file order) minus `exclude`,
//! plus every column with a `columns.<name>` section (`include = []` checks only those). Every
//! column named anywhere must exist in the checked dataset; a column both excluded and given a
//! section is an error. The schema check (`expected_columns`) and `duplicate_rows` look at
//! every column whatever `include` says; `column_count` counts every column.
//!
//! ## Rules
//!
//! Every rule is named after the metric it bounds and is written either as a table
//! `{ min, max, level }` (inclusive bounds on the metric; `level` is `fail`, `warn` or
//! `ignore`) or as a level alone (`"warn"`), which keeps the default limits and changes only what
//! a violation does. A table replaces the limits it overrides; a table without `level` keeps the
//! level it overrides, except that it turns an ignored rule on at level `fail`. With `ignore`
//! the metric is reported without thresholds. Per-column rules override check-wide ones, which
//! override the defaults:
//!
//! | rule | scope | default |
//! |------|-------|---------|
//! | `row_count` | dataset | `{ min = 1 }`, fail |
//! | `column_count` | dataset | none |
//! | `missing_columns` | dataset | `{ max = 0 }`, fail |
//! | `unexpected_columns` | dataset | `{ max = 0 }`, ignore |
//! | `dtype_mismatch` | per column | `{ max = 0 }`, fail |
//! | `duplicate_rows` | dataset | `{ max = 0 }`, ignore |
//! | `duplicate_share` | dataset | from the reference, fail |
//! | `null_fraction` | per column | from the reference, fail |
//! | `nan_count`, `inf_count` | per numeric column | `{ max = 0 }`, fail |
//! | `out_of_range_share` | per numeric column | from the reference, fail |
//! | `unseen_categories` | per categorical column | `{ max = 0 }`, ignore |
//! | `unseen_share` | per categorical column | from the reference, fail |
//! | `constant_column` | per column | `{ max = 0 }`, warn |
//! | `not_allowed_values` | per column with `allowed_values` | `{ max = 0 }`, fail |
//!
//! So with no config the check fails on what is almost surely broken (an empty dataset,
//! columns missing or retyped vs the reference, NaN or infinite numbers), warns on constant
//! columns, and, when there is a reference, fails on more nulls, duplicates, values outside the
//! reference's range or categories the reference never had **than chance explains**:
//!
//! ## Reference-derived limits ("from the reference")
//!
//! A clean window is a sample of the reference's distribution, so its share of nulls (or
//! duplicates, out-of-range values, unseen categories) varies by chance, more in a small window
//! than in a large one, and more against a small reference. A derived rule's limit is the largest
//! share that chance explains at a false-alarm rate of 0.001 per check, shared equally by its
//! derived rules (Bonferroni): with `K` the count in a window of `m` values, the limit is
//! `(k − 1) / m` for the smallest `k` with `P(K ≥ k) ≤ α`, where
//!
//! | rule | law of `K` under "same distribution" | reference statistic |
//! |------|--------------------------------------|---------------------|
//! | null_fraction | BetaBinomial(m, x + 1, n − x + 1) | `x` nulls of `n` rows |
//! | duplicate_share | BetaBinomial(m, x + 1, n − x + 1) | `x` duplicate rows of `n` |
//! | unseen_share | BetaBinomial(m, x + 1, n − x + 1) | `x` rows whose value occurs once in `n` (Good–Turing: the chance that a new draw is a value never seen) |
//! | out_of_range_share | BetaBinomial(m, 2, n − 1) | the range of `n` finite values (mass outside it: Beta(2, n − 1), mean share 2/(n + 1)) |
//!
//! and never below the reference's share plus 0.001 (a tenth of a percentage point: a tiny,
//! significant change in a huge window is no alarm). The finding says what the reference had.
//! Without a reference (or for a column it lacks) a derived rule is reported without limits. A
//! level alone (`null_fraction = "warn"`) keeps the derived limit at that level; a table
//! (`{ max = 0.05 }`) replaces it.
//!
//! Evidently's reference-based test conditions, for comparison (its legacy test suites):
//! missing values `≤ 1.1 ×` the reference's share (0 without a reference), duplicate rows `=`
//! the reference's count scaled to the window's rows `± 10 %`, out-of-range values `= 0`, new
//! categories `= 0`, column types equal to the reference's. Those raise false alarms on clean
//! windows (any value outside the reference's range fails, yet about `2m/(n + 1)` of a clean
//! window's `m` values fall there; a reference with no nulls fails a window with one), which is
//! what the limits above avoid. Per-column `min` / `max` are plain numbers, checked at level
//! `fail`.
//!
//! The status is `fail` if a fail-level rule does not hold, else `warn` if a warn-level rule
//! does not hold, else `pass`. The summary names up to three findings, failures first.
//!
//! Errors (the check reports `error`): an unknown config key (the message names its path), an
//! unknown dataset or column (the message lists the available ones), a reference that is named
//! but missing, a rule that needs a reference (`out_of_range_share`, `unseen_*`,
//! `expected_columns = "reference"` set explicitly) when there is none or when the column is not
//! in it, `min` / `max` on a column that is not numeric or has no finite values, and
//! `kind = "numeric"` on a column that is not numeric, a schema rule (`missing_columns`,
//! `unexpected_columns`, `dtype_mismatch`) set when there is no expected schema.
//!
//! # Metrics
//!
//! Exactly how each is computed (as pandas would, `df` the checked dataset, `ref` the
//! reference, `s = df[col]`, "finite" = not null, not NaN, not ±inf):
//!
//! * `row_count` = `len(df)`; `column_count` = `len(df.columns)` (every column, checked or not).
//! * `missing_columns` = number of expected columns absent from `df`; `unexpected_columns` =
//!   number of columns of `df` not expected (when an expected schema applies); `dtype_mismatch`
//!   (per expected column present) = 1.0 if its logical type (boolean, integer, float, utf8,
//!   temporal, other) differs from the expected one, else 0.0. `numeric` matches integer and
//!   float; a schema learned from the reference expects each reference column with its type,
//!   integer and float counting as the same (`numeric`), and not requiring the task's target
//!   column (a production window may have no labels). A column whose every value is null
//!   matches any type (a CSV reader types an empty column as text; `null_fraction` reports it).
//! * `duplicate_rows` = `df.duplicated(subset=duplicate_columns).sum()` (rows equal to an
//!   earlier row; null equals null, NaN equals NaN); `duplicate_share` = `duplicate_rows /
//!   row_count` (not reported for an empty dataset).
//! * `null_fraction` = `s.isna().sum() / len(s)` counting nulls only: NaN is not null here (in
//!   pandas, count the nulls of the Arrow/polars column, not NaN). Not reported for 0 rows.
//! * `nan_count`, `inf_count` (integer and float columns) = number of NaN, of ±inf values.
//! * `min`, `max` (integer and float columns with at least one finite value) = smallest and
//!   largest finite value.
//! * `out_of_range_share` (numeric columns whose reference column is numeric with finite
//!   values) =
//!   (# finite values of `s` < `ref[col]`'s finite min or > its finite max) / (# finite values
//!   of `s`); not reported when `s` has no finite value.
//! * `unseen_categories` (categorical columns present in the reference, whatever its type
//!   there) = number of distinct
//!   values of `s` absent from `ref[col]`; `unseen_share` = (# rows of `s` holding such a value)
//!   / (# rows of `s` compared). Values compared: non-null ones; when both columns are integer
//!   or float they compare as numbers (`1` equals `1.0`, `-0.0` equals `0.0`) and NaN is
//!   skipped on both sides (pandas' `dropna()`); otherwise they compare as text as polars renders
//!   them (`true`, `1`, `1.5`). `unseen_share` is not reported when no row is compared.
//! * `constant_column` = 1.0 if `s.nunique()` (distinct non-null values, NaN not counted) <= 1,
//!   else 0.0.
//! * `not_allowed_values` (columns with `allowed_values`) = number of non-null rows whose value
//!   is not allowed. A value is allowed when its text equals an allowed string (or boolean,
//!   as `true` / `false`), or when it parses as a number equal to an allowed number.
//!
//! Column kinds (`kind = "auto"`): boolean columns are categorical; text columns are
//! categorical when the reference column has at most 100,000 distinct non-null values (more:
//! identifiers or free text, neither); integer columns are categorical when the reference column
//! has at most `categorical_max_unique` distinct non-null values (without a reference: numeric),
//! else numeric; float columns are numeric; temporal and other columns are neither. Numeric
//! columns get `out_of_range_share`, categorical ones `unseen_*`. A per-column `kind` overrides
//! this (`categorical` works on any column: integer and float values then compare as numbers).
//!
//! How: `stats` gives rows, null / NaN / inf counts, distinct counts and finite min / max;
//! `out_of_range_share` counts the finite values inside the reference range with a one-bin
//! histogram over `[min, max]`; categories come from `value-counts` (a column with more than
//! 100,000 distinct values, made categorical by `kind` or given `allowed_values`, is read in
//! chunks instead); duplicates from `duplicate-rows`.
//!
//! The result's details (JSON) hold every finding with its level, the schema comparison
//! (missing, unexpected, mismatched columns), up to 10 unseen and not-allowed values per
//! column, and the reference range of each numeric column.

pub mod chance;
pub mod check;
pub mod config;

use std::collections::BTreeMap;

use modelgate_sdk::{
    export_validator, info as info_log, warn, About, Check, CheckResult, ColumnType, Context,
    Needs, Table,
};

use check::{ColumnObs, Observations};
use config::{Config, Expected, Kind, ReferenceSpec, TypeName};

/// The check.
pub struct DataQuality;

impl Check for DataQuality {
    type Config = Config;

    fn about() -> About {
        About {
            name: "data-quality".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "Checks a dataset's quality: row count, expected columns and types, \
                          nulls, NaN and infinities, value bounds and allowed values, values \
                          outside the reference's range, categories unseen in the reference, \
                          duplicate rows and constant columns, each with fail / warn / ignore \
                          rules, check-wide and per column."
                .to_string(),
            needs: Needs {
                datasets: vec!["current".to_string()],
                models: false,
                labels: false,
            },
        }
    }

    fn check(ctx: &Context, config: Config) -> Result<CheckResult, String> {
        run(ctx, &config)
    }
}

export_validator!(DataQuality);

/// Most distinct values fetched with one `value-counts` call (the host's cap).
const MAX_VALUE_COUNTS: u64 = 100_000;

fn run(ctx: &Context, cfg: &Config) -> Result<CheckResult, String> {
    let rules = cfg.dataset_rules();
    let dataset = cfg.dataset.as_deref().unwrap_or("current");
    let table = ctx
        .dataset(dataset)
        .map_err(|e| format!("config.dataset: {e}"))?;
    let reference_name = match &cfg.reference {
        Some(ReferenceSpec::Named(name)) => {
            if name == dataset {
                return Err(format!(
                    "config.reference: the reference `{name}` is the checked dataset"
                ));
            }
            ctx.dataset(name)
                .map_err(|e| format!("config.reference: {e}"))?;
            Some(name.as_str())
        }
        Some(ReferenceSpec::Off) => None,
        None => (dataset != "reference" && ctx.has_dataset("reference")).then_some("reference"),
    };
    let reference = match reference_name {
        Some(n) => Some(ctx.dataset(n)?),
        None => None,
    };
    if let Some(n) = reference_name {
        info_log(format!("checking `{dataset}` against reference `{n}`"));
    }

    let schema = table.schema();
    let names: Vec<&str> = schema.iter().map(|c| c.name.as_str()).collect();
    let require = |path: String, name: &str| -> Result<(), String> {
        if names.contains(&name) {
            Ok(())
        } else {
            Err(format!(
                "{path}: no column `{name}` in `{dataset}`; columns: {}",
                quote_names(&names)
            ))
        }
    };
    if let Some(include) = &cfg.include {
        for n in include {
            require("config.include".into(), n)?;
        }
    }
    for n in &cfg.exclude {
        require("config.exclude".into(), n)?;
    }
    for n in cfg.columns.keys() {
        require(format!("config.columns.{n}"), n)?;
        if cfg.exclude.contains(n) {
            return Err(format!(
                "config.columns.{n}: column `{n}` has settings but is also in config.exclude"
            ));
        }
    }
    if let Some(cols) = &cfg.duplicate_columns {
        for n in cols {
            require("config.duplicate_columns".into(), n)?;
        }
    }
    let checked: Vec<&modelgate_sdk::ColumnInfo> = schema
        .iter()
        .filter(|c| {
            let included = cfg.include.as_ref().is_none_or(|inc| inc.contains(&c.name));
            (included && !cfg.exclude.contains(&c.name)) || cfg.columns.contains_key(&c.name)
        })
        .collect();

    // The expected schema.
    let expected: Option<(String, Vec<(String, TypeName)>)> = match &cfg.expected_columns {
        Some(Expected::Columns(m)) => Some((
            "config".to_string(),
            m.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        )),
        Some(Expected::None) => None,
        Some(Expected::Reference) | None => match (reference, reference_name) {
            (Some(r), Some(n)) => {
                // Production windows often come without labels: a learned schema does not
                // require the task's target column.
                let target = ctx.task.as_ref().map(|t| t.target.as_str());
                let exp = r
                    .schema()
                    .into_iter()
                    .filter(|c| Some(c.name.as_str()) != target || names.contains(&c.name.as_str()))
                    .map(|c| (c.name, check::learned_type(c.column_type)))
                    .collect();
                Some((n.to_string(), exp))
            }
            _ if cfg.expected_columns.is_some() => {
                return Err(format!(
                    "config.expected_columns = \"reference\" needs a reference dataset, but {}",
                    no_reference_reason(ctx, cfg, dataset)
                ))
            }
            _ => None,
        },
    };
    if expected.is_none() {
        for (key, spec, rule) in [
            (
                "missing_columns",
                &cfg.missing_columns,
                rules.missing_columns,
            ),
            (
                "unexpected_columns",
                &cfg.unexpected_columns,
                rules.unexpected_columns,
            ),
            ("dtype_mismatch", &cfg.dtype_mismatch, rules.dtype_mismatch),
        ] {
            if spec.is_some() && rule.level != config::Level::Ignore {
                return Err(format!(
                    "config.{key} needs an expected schema, but there is none: set \
                     config.expected_columns, or give the gate a reference dataset"
                ));
            }
        }
    }
    let all_null = |c: &str| {
        table
            .stats(c)
            .is_ok_and(|s| s.rows > 0 && s.null_count == s.rows)
    };
    let schema_check = expected.map(|(source, exp)| {
        (
            check::compare_schema(&source, &exp, &schema, all_null),
            rules.missing_columns,
            rules.unexpected_columns,
            rules.dtype_mismatch,
        )
    });

    let rows = table.num_rows();
    let dup_columns = cfg.duplicate_columns.clone().unwrap_or_default();
    let duplicates = table
        .duplicate_rows(&dup_columns)
        .map_err(|e| format!("counting duplicate rows of `{dataset}`: {}", e.message))?;

    let ref_schema = reference.map(|r| r.schema()).unwrap_or_default();
    let max_unique = cfg
        .categorical_max_unique
        .unwrap_or(config::CATEGORICAL_MAX_UNIQUE);
    let mut columns = Vec::new();
    for info in checked {
        columns.push(observe_column(
            cfg,
            table,
            reference.map(|r| (r, reference_name.unwrap_or_default(), ref_schema.as_slice())),
            info,
            max_unique,
            || no_reference_reason(ctx, cfg, dataset),
        )?);
    }

    // The reference's duplicate share, for a duplicate_share rule derived from it.
    let reference_duplicates = match reference {
        Some(r)
            if rules.duplicate_share.from_reference
                && rules.duplicate_share.level != config::Level::Ignore =>
        {
            if dup_columns
                .iter()
                .all(|c| ref_schema.iter().any(|rc| &rc.name == c))
            {
                let d = r.duplicate_rows(&dup_columns).map_err(|e| {
                    format!("counting duplicate rows of `{}`: {}", r.name(), e.message)
                })?;
                Some((d, r.num_rows()))
            } else {
                None
            }
        }
        _ => None,
    };
    let obs = Observations {
        reference_duplicates,
        dataset: dataset.to_string(),
        reference: reference_name.map(str::to_string),
        rows,
        column_count: schema.len() as u64,
        row_count_rule: rules.row_count,
        column_count_rule: rules.column_count,
        schema: schema_check,
        duplicates: Some((duplicates, rules.duplicate_rows, rules.duplicate_share)),
        columns,
    };
    check::evaluate(&obs)
}

/// Why there is no reference, for error messages.
fn no_reference_reason(ctx: &Context, cfg: &Config, dataset: &str) -> String {
    match &cfg.reference {
        Some(ReferenceSpec::Off) => "config.reference is false".to_string(),
        _ if dataset == "reference" => {
            "the checked dataset is `reference`; set config.reference".to_string()
        }
        _ => format!(
            "the gate has no dataset `reference` (datasets: {}); set config.reference",
            quote_names(&ctx.dataset_names())
        ),
    }
}

fn quote_names(names: &[&str]) -> String {
    if names.is_empty() {
        return "(none)".to_string();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Measures one checked column.
fn observe_column(
    cfg: &Config,
    table: &Table,
    reference: Option<(&Table, &str, &[modelgate_sdk::ColumnInfo])>,
    info: &modelgate_sdk::ColumnInfo,
    max_unique: u64,
    no_reference: impl Fn() -> String,
) -> Result<ColumnObs, String> {
    let name = info.name.as_str();
    let rules = cfg.column_rules(name);
    let stats = table.column_stats(name)?;
    if rules.kind == Kind::Numeric && !check::is_number(info.column_type) {
        return Err(format!(
            "config.columns.{name}.kind: `numeric` needs an integer or float column, but `{name}` \
             is {}",
            check::type_name(info.column_type).name()
        ));
    }
    let not_allowed = match &rules.allowed_values {
        Some(allowed) => {
            let counts = value_counts(table, name, stats.unique_count)?;
            Some(check::not_allowed(&counts, allowed))
        }
        None => None,
    };

    // The reference column and its statistics, if any; the column's kind.
    let ref_column = match reference {
        Some((rtable, rname, rschema)) => match rschema.iter().find(|c| c.name == name) {
            Some(rinfo) => Some((rtable, rname, rinfo, rtable.column_stats(name)?)),
            None => None,
        },
        None => None,
    };
    let ref_unique = ref_column.as_ref().map_or(u64::MAX, |r| r.3.unique_count);
    let kind = check::resolve_kind(rules.kind, info.column_type, ref_unique, max_unique);
    let applies = |metric: &str| match kind {
        Kind::Numeric => metric == "out_of_range_share",
        Kind::Categorical => metric != "out_of_range_share",
        Kind::None | Kind::Auto => false,
    };
    // A rule set on the column itself must apply to it; a check-wide one applies to the
    // columns of its kind.
    if let Some(rule) = rules
        .explicit_reference_rules
        .iter()
        .find(|r| r.per_column && !applies(r.metric))
    {
        return Err(format!(
            "{}: column `{name}` is {} (kind {}), so {} does not apply to it; set \
             config.columns.{name}.kind",
            rule.path,
            check::type_name(info.column_type).name(),
            kind_name(kind),
            rule.metric
        ));
    }
    // Fails closed when a rule the user turned on cannot be evaluated for this column.
    let explicit: Vec<&config::ExplicitRule> = rules
        .explicit_reference_rules
        .iter()
        .filter(|r| applies(r.metric))
        .collect();
    let need_reference = |what: String| -> Result<(), String> {
        match explicit.first() {
            Some(rule) => Err(format!(
                "{} compares column `{name}` with a reference, but {what}",
                rule.path
            )),
            None => Ok(()),
        }
    };

    let mut obs = ColumnObs {
        name: name.to_string(),
        column_type: info.column_type,
        stats,
        kind,
        rules: rules.clone(),
        reference_range: None,
        in_range: None,
        reference_finite: None,
        reference_nulls: None,
        unseen: None,
        not_allowed,
    };
    let Some((rtable, rname, rinfo, rstats)) = ref_column else {
        match reference {
            None => need_reference(no_reference())?,
            Some((_, rname, _)) => {
                need_reference(format!("reference `{rname}` has no column `{name}`"))?;
                warn(format!(
                    "column `{name}` is not in reference `{rname}`: not compared with it"
                ));
            }
        }
        return Ok(obs);
    };
    obs.reference_nulls = Some((rstats.null_count, rstats.rows));
    match kind {
        Kind::Numeric => {
            if !check::is_number(rinfo.column_type) {
                need_reference(format!(
                    "column `{name}` of reference `{rname}` is {}, not numeric",
                    check::type_name(rinfo.column_type).name()
                ))?;
                warn(format!(
                    "column `{name}` of reference `{rname}` is {}: no range to compare with",
                    check::type_name(rinfo.column_type).name()
                ));
            } else if let (Some(lo), Some(hi)) = (rstats.min, rstats.max) {
                obs.reference_range = Some((lo, hi));
                obs.in_range = Some(count_in_range(table, name, lo, hi)?);
                obs.reference_finite =
                    Some(rstats.rows - rstats.null_count - rstats.nan_count - rstats.inf_count);
            } else {
                need_reference(format!(
                    "column `{name}` of reference `{rname}` has no finite values"
                ))?;
            }
        }
        Kind::Categorical => {
            let current = value_counts(table, name, obs.stats.unique_count)?;
            let seen = value_counts(rtable, name, rstats.unique_count)?;
            let numeric = check::is_number(info.column_type) && check::is_number(rinfo.column_type);
            obs.unseen = Some(check::unseen(&current, &seen, numeric));
        }
        Kind::None | Kind::Auto => {
            if info.column_type == ColumnType::Utf8 {
                info_log(format!(
                    "column `{name}` has {} distinct values in reference `{rname}`: not compared \
                     as categories (set config.columns.{name}.kind = \"categorical\" to compare them)",
                    rstats.unique_count
                ));
            }
        }
    }
    Ok(obs)
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Auto => "auto",
        Kind::Numeric => "numeric",
        Kind::Categorical => "categorical",
        Kind::None => "none",
    }
}

/// Finite values of a numeric column within `[lo, hi]`, by a host histogram (or, when no
/// finite edges express the range, by reading the column).
fn count_in_range(table: &Table, column: &str, lo: f64, hi: f64) -> Result<u64, String> {
    if let Some(edges) = check::range_edges(lo, hi) {
        let counts = table.histogram(column, &edges).map_err(|e| {
            format!(
                "histogram of column `{column}` of `{}`: {}",
                table.name(),
                e.message
            )
        })?;
        return Ok(counts.first().copied().unwrap_or(0));
    }
    let mut n = 0;
    table.for_each_f64(column, |_, v| {
        if v.is_some_and(|x| x.is_finite() && x >= lo && x <= hi) {
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}

/// Every distinct non-null value of a column (as text) with its count, most frequent first.
fn value_counts(table: &Table, column: &str, unique: u64) -> Result<Vec<(String, u64)>, String> {
    if unique < MAX_VALUE_COUNTS {
        let counts = table
            .value_counts(column, (unique + 1) as u32)
            .map_err(|e| {
                format!(
                    "value counts of column `{column}` of `{}`: {}",
                    table.name(),
                    e.message
                )
            })?;
        return Ok(counts.into_iter().map(|c| (c.value, c.count)).collect());
    }
    // More distinct values than one call returns: read the column.
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    table.for_each_utf8(column, |_, v| {
        if let Some(v) = v {
            match counts.get_mut(v) {
                Some(n) => *n += 1,
                None => {
                    counts.insert(v.to_string(), 1);
                }
            }
        }
        Ok(())
    })?;
    let mut out: Vec<(String, u64)> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn schema_is_json_and_closed() {
        let s: serde_json::Value =
            serde_json::from_str(&modelgate_sdk::config_schema::<super::Config>()).unwrap();
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["$defs"]["ColumnConfig"]["additionalProperties"], false);
        assert_eq!(s["$defs"]["RuleTable"]["additionalProperties"], false);
        assert_eq!(s["properties"]["categorical_max_unique"]["default"], 20);
        // Every config key is in the schema and vice versa.
        let keys: Vec<&String> = s["properties"].as_object().unwrap().keys().collect();
        for k in &keys {
            let json = match k.as_str() {
                "dataset" => r#"{"dataset": "x"}"#.to_string(),
                "reference" => r#"{"reference": "x"}"#.to_string(),
                "include" | "exclude" | "duplicate_columns" => format!(r#"{{"{k}": []}}"#),
                "expected_columns" => r#"{"expected_columns": "none"}"#.to_string(),
                "categorical_max_unique" => r#"{"categorical_max_unique": 3}"#.to_string(),
                "columns" => r#"{"columns": {}}"#.to_string(),
                _ => format!(r#"{{"{k}": "warn"}}"#),
            };
            modelgate_sdk::config::<super::Config>(&json).unwrap_or_else(|e| panic!("{k}: {e}"));
        }
        let col: Vec<&String> = s["$defs"]["ColumnConfig"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        for k in col {
            let v = match k.as_str() {
                "kind" => r#""auto""#,
                "min" | "max" => "1",
                "allowed_values" => "[1]",
                _ => r#""warn""#,
            };
            let json = format!(r#"{{"columns": {{"c": {{"{k}": {v}}}}}}}"#);
            modelgate_sdk::config::<super::Config>(&json).unwrap_or_else(|e| panic!("{k}: {e}"));
        }
        assert_eq!(keys.len(), 23, "one property per Config field");
        // The crate documentation's table of rules lists exactly the declared rules, each
        // with its default level.
        let table: Vec<&str> = include_str!("lib.rs")
            .lines()
            .filter(|l| l.starts_with("//! | `"))
            .collect();
        let mut documented = 0;
        for line in &table {
            for name in line.split('|').nth(1).unwrap().split(',') {
                let name = name.trim().trim_matches('`');
                let rule = super::config::RULES
                    .iter()
                    .find(|r| r.name == name)
                    .unwrap_or_else(|| panic!("documented rule `{name}` is not declared"));
                let level = rule.default.level.name();
                assert!(
                    line.ends_with(&format!(", {level} |"))
                        || (rule.default.bounds().is_empty() && !rule.default.from_reference),
                    "{line}: default level {level}"
                );
                assert_eq!(
                    line.contains("from the reference"),
                    rule.default.from_reference,
                    "{line}"
                );
                documented += 1;
            }
        }
        assert_eq!(documented, super::config::RULES.len(), "{table:#?}");
        // Every rule is a key, check-wide; every column rule per column too.
        for rule in super::config::RULES {
            assert!(keys.iter().any(|k| *k == rule.name), "{}", rule.name);
            let per_column = rule.scope != super::config::Scope::Dataset;
            assert_eq!(
                s["$defs"]["ColumnConfig"]["properties"][rule.name].is_object(),
                per_column,
                "{}",
                rule.name
            );
        }
    }
}
