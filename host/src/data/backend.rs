//! Where a dataset's rows live when they are not in this process: the table API's aggregates go
//! to a [`Backend`] (today the Spark Connect engine, `crate::spark`), which computes them where
//! the data is and returns only results. A [`Dataset`](super::Dataset) without a backend is
//! embedded: its rows are a polars frame here and the aggregates are computed natively.
//!
//! The [`Dataset`](super::Dataset) in front of a backend checks every argument (column names and
//! types, edge and probability limits) before it calls the backend, and keeps the answers it
//! caches for embedded datasets, so a backend implements the computation only. Row reads (chunked
//! reads, grouped moments, model inputs, views) use the backend's rows, fetched whole once
//! through [`Backend::fetch`] when the backend allows it.

use std::any::Any;
use std::fmt::Debug;

use polars::prelude::DataFrame;

use super::{CallError, ColumnInfo, ColumnStats, Runs};

/// A dataset's engine. Its semantics are the embedded ones, documented on the methods of
/// [`Dataset`](super::Dataset) with the same names; docs/scale.md says where a backend is exact.
pub trait Backend: Send + Sync + Debug {
    /// How the dataset is defined there, for messages and reports (`table x`, `sql …`, a path).
    fn source(&self) -> String;
    /// The engine, for reports: its kind and where it is (`spark sc://host:15002`); `None` for
    /// a backend that is not an engine (a profile).
    fn engine(&self) -> Option<String>;
    /// Rows.
    fn rows(&self) -> u64;
    /// Columns in order.
    fn schema(&self) -> &[ColumnInfo];
    /// Summary statistics of a column that exists.
    fn stats(&self, column: &str) -> Result<ColumnStats, CallError>;
    /// Quantiles of the finite values (linear interpolation); probabilities checked.
    fn quantiles(&self, column: &str, probs: &[f64]) -> Result<Vec<Option<f64>>, CallError>;
    /// Histogram of the finite values on strictly increasing finite edges (the last bin closed).
    fn histogram(&self, column: &str, edges: &[f64]) -> Result<Vec<u64>, CallError>;
    /// The `limit` most frequent non-null values as text, most frequent first, ties by value.
    fn value_counts(&self, column: &str, limit: u32) -> Result<Vec<(String, u64)>, CallError>;
    /// Rows equal to an earlier row over `columns` (never empty here).
    fn duplicate_rows(&self, columns: &[String]) -> Result<u64, CallError>;
    /// The 1-Wasserstein distance between the finite values of `column` here and of
    /// `other_column` in `other`; `None` when `other` is not on the same engine (the caller then
    /// computes it from both datasets' rows).
    fn wasserstein(
        &self,
        column: &str,
        other: &dyn Backend,
        other_column: &str,
    ) -> Option<Result<f64, CallError>>;
    /// A numeric column's distinct finite values, ascending (-0.0 as 0.0), and their counts, when
    /// the backend has them without the rows (a profile, a `GROUP BY` on an engine); `None`: from
    /// the rows. Sorted values, and so quantiles and distances, come from these too.
    fn value_runs(&self, _column: &str) -> Option<Result<Runs, CallError>> {
        None
    }
    /// Up to `rows` rows picked by the engine for what needs a few rows only (a model's latency):
    /// the same rows on every run, never "the first N" of an engine without a row order; `None`
    /// when the backend has no such sample (its rows, when it gives them, are used).
    fn sample(&self, _rows: usize) -> Option<Result<DataFrame, CallError>> {
        None
    }
    /// Every row, as a frame with [`Backend::schema`]'s columns; an error that says why when the
    /// engine does not give them (too many rows).
    fn fetch(&self) -> Result<DataFrame, CallError>;
    /// For [`Backend::wasserstein`]: the concrete backend of `other`.
    fn as_any(&self) -> &dyn Any;
}
