//! One dataset on the Spark engine: the table API as SQL over its temporary view.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use polars::prelude::{DataFrame, DataType};

use super::sql::{self, count_at, float_at, ident, INF};
use super::Engine;
use crate::data::{Backend, CallError, CallErrorKind, ColumnInfo, ColumnStats, ColumnType, Runs};

/// A dataset defined on the engine as the temporary view `view`.
#[derive(Debug)]
pub struct Table {
    engine: Arc<Engine>,
    name: String,
    view: String,
    source: String,
    schema: Vec<ColumnInfo>,
    rows: u64,
    /// Every column's statistics, computed in one job on the first request.
    stats: OnceLock<Result<HashMap<String, ColumnStats>, CallError>>,
}

impl Table {
    pub(super) fn new(
        engine: Arc<Engine>,
        name: &str,
        view: String,
        source: String,
        schema: Vec<ColumnInfo>,
        rows: u64,
    ) -> Table {
        Table {
            engine,
            name: name.to_string(),
            view,
            source,
            schema,
            rows,
            stats: OnceLock::new(),
        }
    }

    /// Runs a query whose answer has at least one row (every query here is made so: aggregates,
    /// or groups with a sentinel row): an answer without columns was cut short.
    fn query(&self, sql: &str) -> Result<DataFrame, CallError> {
        let fail = |e: String| {
            CallError::failed(format!(
                "the Spark engine at {} failed on dataset `{}` ({}): {e}",
                self.engine.endpoint, self.name, self.source
            ))
        };
        let df = self.engine.query(sql).map_err(fail)?;
        if df.width() == 0 {
            return Err(fail(CUT_SHORT.to_string()));
        }
        Ok(df)
    }

    /// Statistics of every column in two queries: counts of rows, nulls, NaNs and infinities,
    /// min, max and mean of the finite values and an estimate of the distinct values; then the
    /// standard deviations and the exact distinct counts.
    ///
    /// Exact distinct counts of many columns in one `count(DISTINCT …)` query make Spark expand
    /// every row once per column (seconds even on a few hundred rows, minutes on a million); a
    /// column estimated to have at most [`SMALL_SET`] distinct values is counted exactly as the
    /// size of its set of values instead, each of the others with a `count(DISTINCT …)` job of
    /// its own.
    fn all_stats(&self) -> Result<HashMap<String, ColumnStats>, CallError> {
        let mut select = vec!["count(*) AS rows".to_string()];
        // Each column's values as the embedded engine tells them apart: -0.0 is 0.0 and every
        // NaN is one value.
        let keys: Vec<String> = self
            .schema
            .iter()
            .map(|c| {
                let q = ident(&c.name);
                if c.column_type.is_numeric() {
                    let (x, _) = sql::finite(&c.name);
                    format!("CASE WHEN isnan({x}) THEN CAST('NaN' AS DOUBLE) WHEN {x} = 0 THEN 0.0D ELSE {x} END")
                } else {
                    q
                }
            })
            .collect();
        for (i, c) in self.schema.iter().enumerate() {
            let q = ident(&c.name);
            select.push(format!("count_if({q} IS NULL) AS n{i}"));
            select.push(format!("approx_count_distinct({}) AS au{i}", keys[i]));
            if c.column_type.is_numeric() {
                let (x, fin) = sql::finite(&c.name);
                select.push(format!("count_if(isnan({x})) AS nan{i}"));
                select.push(format!("count_if(abs({x}) = {INF}) AS inf{i}"));
                select.push(format!("min({fin}) AS lo{i}"));
                select.push(format!("max({fin}) AS hi{i}"));
                select.push(format!("avg({fin}) AS m{i}"));
            }
        }
        let df = self.query(&format!("SELECT {} FROM {}", select.join(", "), self.view))?;
        // The second pass: exact distinct counts, and the standard deviations of the values less
        // their mean (one pass over values far from zero relative to their spread, 1e9 + u,
        // loses digits).
        let mut second = Vec::new();
        let mut large = Vec::new();
        for (i, c) in self.schema.iter().enumerate() {
            let estimate = count_at(&df, &format!("au{i}"), 0)?;
            if estimate <= SMALL_SET {
                second.push(format!("size(collect_set({})) AS u{i}", keys[i]));
            } else {
                large.push(i);
            }
            let mean = match c.column_type.is_numeric() {
                true => float_at(&df, &format!("m{i}"), 0)?,
                false => None,
            };
            if let Some(m) = mean {
                let (_, fin) = sql::finite(&c.name);
                let m = sql::double(m);
                second.push(format!("stddev_samp({fin} - {m}) AS s{i}"));
                second.push(format!("stddev_pop({fin} - {m}) AS sp{i}"));
            }
        }
        let sd = self.query(&format!("SELECT {} FROM {}", second.join(", "), self.view))?;
        // One job per large column: several `count(DISTINCT …)` in one query expand every row
        // once per column and shuffle them all.
        let mut distinct = HashMap::new();
        for &i in &large {
            let d = self.query(&format!(
                "SELECT count(DISTINCT {}) AS u FROM {}",
                keys[i], self.view
            ))?;
            distinct.insert(i, count_at(&d, "u", 0)?);
        }
        let mut out = HashMap::new();
        for (i, c) in self.schema.iter().enumerate() {
            let get = |k: &str| count_at(&df, &format!("{k}{i}"), 0);
            let fl = |k: &str| float_at(&df, &format!("{k}{i}"), 0);
            let mut st = ColumnStats {
                rows: count_at(&df, "rows", 0)?,
                null_count: get("n")?,
                unique_count: match distinct.get(&i) {
                    Some(u) => *u,
                    None => count_at(&sd, &format!("u{i}"), 0)?,
                },
                ..Default::default()
            };
            if c.column_type.is_numeric() {
                st.nan_count = get("nan")?;
                st.inf_count = get("inf")?;
                st.min = fl("lo")?;
                st.max = fl("hi")?;
                st.mean = fl("m")?;
                if st.mean.is_some() {
                    st.std = float_at(&sd, &format!("s{i}"), 0)?;
                    st.std_pop = float_at(&sd, &format!("sp{i}"), 0)?;
                }
            }
            out.insert(c.name.clone(), st);
        }
        Ok(out)
    }
}

/// Why an answer came back empty: Spark Connect ends a result stream that has been open for
/// `spark.connect.execute.reattachable.senderMaxStreamDuration` (2 minutes by default) and expects
/// the client to resume it, which this client does not do.
const CUT_SHORT: &str = "its answer was cut short (Spark Connect ends a result stream after \
    spark.connect.execute.reattachable.senderMaxStreamDuration, 2 minutes by default, and this client \
    does not resume it): raise that setting on the server, or give the query less to do";

/// Columns estimated to have at most this many distinct values are counted as the size of their
/// set of values (held in memory per task); larger ones with `count(DISTINCT …)`.
const SMALL_SET: u64 = 200_000;

impl Backend for Table {
    fn source(&self) -> String {
        self.source.clone()
    }

    fn engine(&self) -> Option<String> {
        Some(format!("spark {}", self.engine.endpoint))
    }

    fn rows(&self) -> u64 {
        self.rows
    }

    fn schema(&self) -> &[ColumnInfo] {
        &self.schema
    }

    fn stats(&self, column: &str) -> Result<ColumnStats, CallError> {
        let all = self.stats.get_or_init(|| self.all_stats()).as_ref();
        match all {
            Ok(m) => m.get(column).cloned().ok_or_else(|| {
                CallError::new(CallErrorKind::NoSuchColumn, format!("no column `{column}`"))
            }),
            Err(e) => Err(e.clone()),
        }
    }

    fn quantiles(&self, column: &str, probs: &[f64]) -> Result<Vec<Option<f64>>, CallError> {
        if probs.is_empty() {
            return Ok(Vec::new());
        }
        let (x, _) = sql::finite(column);
        let ps: Vec<String> = probs.iter().map(|p| sql::double(*p)).collect();
        let df = self.query(&format!(
            "SELECT percentile(x, array({})) AS q FROM (SELECT {x} AS x FROM {}) \
             WHERE NOT isnan(x) AND abs(x) != {INF}",
            ps.join(", "),
            self.view
        ))?;
        let list = df
            .column("q")
            .map_err(CallError::failed)?
            .as_materialized_series()
            .list()
            .map_err(CallError::failed)?
            .get_as_series(0);
        Ok(match list {
            None => vec![None; probs.len()],
            Some(s) => {
                let s = s.cast(&DataType::Float64).map_err(CallError::failed)?;
                s.f64().map_err(CallError::failed)?.iter().collect()
            }
        })
    }

    fn histogram(&self, column: &str, edges: &[f64]) -> Result<Vec<u64>, CallError> {
        let (x, _) = sql::finite(column);
        let bins = edges.len() - 1;
        let array: Vec<String> = edges.iter().map(|e| sql::double(*e)).collect();
        // The bin of x is the number of edges <= x, less one; the last bin is closed.
        let df = self.query(&format!(
            "SELECT b, count(*) AS n FROM (\
               SELECT least({last}, size(filter(array({edges}), e -> e <= x)) - 1) AS b \
               FROM (SELECT {x} AS x FROM {view}) \
               WHERE NOT isnan(x) AND x >= {lo} AND x <= {hi}) GROUP BY b \
             UNION ALL SELECT -1 AS b, 0 AS n",
            last = bins - 1,
            edges = array.join(", "),
            view = self.view,
            lo = array[0],
            hi = array[bins],
        ))?;
        let mut counts = vec![0u64; bins];
        for row in 0..df.height() {
            // The sentinel row (bin -1) only makes the answer non-empty.
            let Ok(b) = count_at(&df, "b", row) else {
                continue;
            };
            if let Some(c) = counts.get_mut(b as usize) {
                *c = count_at(&df, "n", row)?;
            }
        }
        Ok(counts)
    }

    fn value_counts(&self, column: &str, limit: u32) -> Result<Vec<(String, u64)>, CallError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let q = ident(column);
        // Spark groups -0.0 with 0.0; the embedded engine counts values by their text, where
        // "-0.0" is a value of its own: the sign of a zero is a second key.
        let negative_zero = match self.schema.iter().find(|c| c.name == column) {
            Some(c) if c.column_type == ColumnType::Float => {
                format!("({q} = 0 AND startswith(CAST({q} AS STRING), '-'))")
            }
            _ => "false".to_string(),
        };
        let groups = format!(
            "SELECT {q} AS v, {negative_zero} AS neg, count(*) AS n FROM {} WHERE {q} IS NOT NULL \
             GROUP BY {q}, {negative_zero}",
            self.view
        );
        // The values tied at the limit decide by their text, which polars renders: every value
        // counted at least as often as the limit-th one comes back, and the order is made here,
        // as the embedded engine makes it.
        let nth = self.query(&format!(
            "SELECT max(n) AS n FROM (SELECT n FROM ({groups}) ORDER BY n DESC LIMIT 1 OFFSET {})",
            limit - 1
        ))?;
        // Fewer values than the limit: all of them.
        let at_least = count_at(&nth, "n", 0)?.max(1);
        // The sentinel row (no value) only makes the answer non-empty.
        let df = self.query(&format!(
            "SELECT v, neg, n FROM ({groups}) WHERE n >= {at_least} \
             UNION ALL SELECT NULL AS v, NULL AS neg, -1 AS n"
        ))?;
        let text = df
            .column("v")
            .and_then(|c| c.cast(&DataType::String))
            .map_err(CallError::failed)?;
        let text = text.str().map_err(CallError::failed)?;
        let neg = df
            .column("neg")
            .and_then(|c| c.cast(&DataType::Boolean))
            .map_err(CallError::failed)?;
        let neg = neg.bool().map_err(CallError::failed)?;
        let mut out = Vec::with_capacity(df.height());
        for (row, (v, neg)) in text.iter().zip(neg.iter()).enumerate() {
            if let Some(v) = v {
                let v = match neg {
                    Some(true) if !v.starts_with('-') => format!("-{v}"),
                    _ => v.to_string(),
                };
                out.push((v, count_at(&df, "n", row)?));
            }
        }
        out.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out.truncate(limit as usize);
        Ok(out)
    }

    fn duplicate_rows(&self, columns: &[String]) -> Result<u64, CallError> {
        // DISTINCT counts null equal to null, NaN to NaN and -0.0 to 0.0, as the embedded
        // engine does.
        let cols: Vec<String> = columns.iter().map(|c| ident(c)).collect();
        let df = self.query(&format!(
            "SELECT count(*) AS d FROM (SELECT DISTINCT {} FROM {})",
            cols.join(", "),
            self.view
        ))?;
        Ok(self.rows.saturating_sub(count_at(&df, "d", 0)?))
    }

    fn wasserstein(
        &self,
        column: &str,
        other: &dyn Backend,
        other_column: &str,
    ) -> Option<Result<f64, CallError>> {
        let other = other.as_any().downcast_ref::<Table>()?;
        if !Arc::ptr_eq(&self.engine, &other.engine) {
            return None;
        }
        Some(self.wasserstein_sql(column, other, other_column))
    }

    fn value_runs(&self, column: &str) -> Option<Result<Runs, CallError>> {
        Some(self.runs(column))
    }

    fn fetch(&self) -> Result<DataFrame, CallError> {
        if self.rows > self.engine.max_local_rows {
            return Err(CallError::new(
                CallErrorKind::UnsupportedType,
                format!(
                    "dataset `{}` ({}) has {} rows on the Spark engine, more than \
                     engine.max_local_rows ({}): this needs the rows themselves (a check that \
                     reads values, or a model to run), which are fetched only up to that many; \
                     raise `engine.max_local_rows`, give models as prediction columns, or use \
                     checks that need aggregates only",
                    self.name, self.source, self.rows, self.engine.max_local_rows
                ),
            ));
        }
        let df = self.query(&format!("SELECT {} FROM {}", self.columns(), self.view))?;
        if df.height() as u64 != self.rows {
            return Err(CallError::failed(format!(
                "dataset `{}` ({}) had {} rows and {} came back: its source changed during the run, \
                 or {CUT_SHORT}",
                self.name,
                self.source,
                self.rows,
                df.height()
            )));
        }
        Ok(df)
    }

    fn sample(&self, rows: usize) -> Option<Result<DataFrame, CallError>> {
        // The rows whose content hashes lowest, ties (equal rows) in any order: the same rows
        // whatever the partitioning or the order the engine reads them in.
        let n = rows.min(MAX_SAMPLE_ROWS);
        Some(self.query(&format!(
            "SELECT {} FROM (SELECT *, xxhash64(xxhash64(*), {SAMPLE_SEED}) AS `__modelgate_h` \
             FROM {}) ORDER BY `__modelgate_h` LIMIT {n}",
            self.columns(),
            self.view
        )))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The seed of [`Backend::sample`] on Spark: the sample is the rows with the lowest
/// `xxhash64(xxhash64(row), SAMPLE_SEED)`.
pub const SAMPLE_SEED: i64 = 20_261_207;
/// Most rows a sample fetches.
pub const MAX_SAMPLE_ROWS: usize = 100_000;

impl Table {
    /// Every column for a frame with the schema's types (decimals arrive as doubles, as the
    /// schema says).
    fn columns(&self) -> String {
        let cols: Vec<String> = self
            .schema
            .iter()
            .map(|c| {
                let q = ident(&c.name);
                if c.column_type == ColumnType::Float && c.dtype == "f64" {
                    format!("CAST({q} AS DOUBLE) AS {q}")
                } else {
                    q
                }
            })
            .collect();
        cols.join(", ")
    }

    /// Per distinct finite value (Spark groups -0.0 with 0.0), ascending: the value and its count,
    /// in one job; a sentinel row keeps the answer non-empty.
    fn runs(&self, column: &str) -> Result<Runs, CallError> {
        let (x, _) = sql::finite(column);
        let df = self.query(&format!(
            "SELECT v, n FROM (SELECT x AS v, count(*) AS n FROM (SELECT {x} AS x FROM {}) \
             WHERE NOT isnan(x) AND abs(x) != {INF} GROUP BY x \
             UNION ALL SELECT CAST(NULL AS DOUBLE) AS v, CAST(0 AS BIGINT) AS n) \
             ORDER BY v ASC NULLS FIRST",
            self.view
        ))?;
        let column = |name: &str, dtype: &DataType| {
            df.column(name)
                .and_then(|c| c.cast(dtype))
                .map_err(|e| CallError::failed(format!("the engine's answer lacks `{name}`: {e}")))
        };
        let (v, n) = (
            column("v", &DataType::Float64)?,
            column("n", &DataType::Int64)?,
        );
        let (v, n) = (
            v.f64().map_err(CallError::failed)?,
            n.i64().map_err(CallError::failed)?,
        );
        let mut runs = (Vec::with_capacity(v.len()), Vec::with_capacity(v.len()));
        for (v, n) in v.iter().zip(n.iter()).skip(1) {
            match (v, n.and_then(|n| u64::try_from(n).ok())) {
                (Some(v), Some(n)) => {
                    runs.0.push(v + 0.0);
                    runs.1.push(n);
                }
                _ => return Err(CallError::failed(CUT_SHORT)),
            }
        }
        Ok(runs)
    }

    /// Σ |F_u − F_v| Δ over the sorted union of both columns' finite values (scipy's
    /// `wasserstein_distance`), from per-value counts and running sums on the engine.
    fn wasserstein_sql(
        &self,
        column: &str,
        other: &Table,
        other_column: &str,
    ) -> Result<f64, CallError> {
        let counts = |t: &Table, c: &str| {
            let (x, _) = sql::finite(c);
            format!(
                "SELECT x AS v, count(*) AS n FROM (SELECT {x} AS x FROM {}) \
                 WHERE NOT isnan(x) AND abs(x) != {INF} GROUP BY x",
                t.view
            )
        };
        let df = self.query(&format!(
            "WITH a AS ({a}), b AS ({b}), \
             u AS (SELECT coalesce(a.v, b.v) AS v, coalesce(a.n, 0) AS na, coalesce(b.n, 0) AS nb \
                   FROM a FULL OUTER JOIN b ON a.v = b.v), \
             t AS (SELECT sum(na) AS ta, sum(nb) AS tb FROM u), \
             c AS (SELECT v, lead(v) OVER (ORDER BY v) AS next, \
                          sum(na) OVER (ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS ca, \
                          sum(nb) OVER (ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cb \
                   FROM u) \
             SELECT (SELECT ta FROM t) AS ta, (SELECT tb FROM t) AS tb, \
                    (SELECT sum(abs(ca / t.ta - cb / t.tb) * (next - v)) FROM c CROSS JOIN t \
                     WHERE next IS NOT NULL) AS w",
            a = counts(self, column),
            b = counts(other, other_column),
        ))?;
        for (t, c, k) in [(self, column, "ta"), (other, other_column, "tb")] {
            if count_at(&df, k, 0)? == 0 {
                return Err(CallError::new(
                    CallErrorKind::InvalidArgument,
                    format!("column `{c}` of dataset `{}` has no finite value", t.name),
                ));
            }
        }
        Ok(float_at(&df, "w", 0)?.unwrap_or(0.0))
    }
}
