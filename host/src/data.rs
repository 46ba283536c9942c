//! Datasets: loaded once with polars (CSV, Parquet, Arrow IPC, NDJSON) and shared by every check.
//!
//! A [`Dataset`] also implements the host side of the plugin's `table` resource: aggregates computed
//! natively and bounded chunked reads. Every function here caps what a guest can make the host
//! allocate (chunk length, bytes, number of edges or quantiles).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _};
use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::policy::DataFormat;

/// Most rows a single chunked read may return.
pub const MAX_CHUNK_ROWS: u32 = 1 << 20;
/// Most bytes of text a single `read-utf8` may return.
pub const MAX_CHUNK_BYTES: usize = 64 << 20;
/// Most histogram edges.
pub const MAX_EDGES: usize = 100_001;
/// Most quantile probabilities per call.
pub const MAX_QUANTILES: usize = 10_000;
/// Most values a `value-counts` call returns.
pub const MAX_VALUE_COUNTS: u32 = 100_000;

/// Why a host call on a dataset was refused (mirrors the WIT `error-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallErrorKind {
    /// The column does not exist.
    NoSuchColumn,
    /// An argument is out of range.
    InvalidArgument,
    /// The column's type does not support the operation.
    UnsupportedType,
    /// The host failed to compute the result.
    Failed,
}

/// An error returned to a plugin from a host call.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct CallError {
    /// What kind of error.
    pub kind: CallErrorKind,
    /// A message for people.
    pub message: String,
}

impl CallError {
    /// Builds an error.
    pub fn new(kind: CallErrorKind, message: impl Into<String>) -> Self {
        CallError {
            kind,
            message: message.into(),
        }
    }
    fn invalid(message: impl Into<String>) -> Self {
        Self::new(CallErrorKind::InvalidArgument, message)
    }
    fn failed(e: impl std::fmt::Display) -> Self {
        Self::new(CallErrorKind::Failed, e.to_string())
    }
}

/// The logical type of a column (mirrors the WIT `column-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Booleans.
    Boolean,
    /// Integers.
    Integer,
    /// Floats.
    Float,
    /// Text and categoricals.
    Utf8,
    /// Dates, times, durations.
    Temporal,
    /// Anything else.
    Other,
}

impl ColumnType {
    /// Classifies a polars dtype.
    pub fn of(dtype: &DataType) -> ColumnType {
        if dtype.is_bool() {
            ColumnType::Boolean
        } else if dtype.is_integer() {
            ColumnType::Integer
        } else if dtype.is_float() {
            ColumnType::Float
        } else if dtype.is_string() || dtype.is_categorical() {
            ColumnType::Utf8
        } else if dtype.is_temporal() {
            ColumnType::Temporal
        } else {
            ColumnType::Other
        }
    }

    /// Whether the column reads as numbers.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            ColumnType::Boolean | ColumnType::Integer | ColumnType::Float
        )
    }
}

/// One column of a dataset's schema.
#[derive(Debug, Clone)]
pub struct ColumnInfo {
    /// Name.
    pub name: String,
    /// Logical type.
    pub column_type: ColumnType,
    /// polars' name for the dtype.
    pub dtype: String,
}

/// Summary statistics of a column (see the WIT `column-stats`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnStats {
    /// Rows in the table.
    pub rows: u64,
    /// Nulls.
    pub null_count: u64,
    /// NaNs.
    pub nan_count: u64,
    /// ±inf.
    pub inf_count: u64,
    /// Distinct non-null values.
    pub unique_count: u64,
    /// Minimum of finite values.
    pub min: Option<f64>,
    /// Maximum of finite values.
    pub max: Option<f64>,
    /// Mean of finite values.
    pub mean: Option<f64>,
    /// Sample standard deviation of finite values.
    pub std: Option<f64>,
    /// Population standard deviation of finite values.
    pub std_pop: Option<f64>,
}

/// A chunk of values plus an Arrow validity bitmap (absent when all are valid).
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk<T> {
    /// The values.
    pub values: T,
    /// Bit i set = value i valid.
    pub validity: Option<Vec<u8>>,
}

/// Text chunk in Arrow layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Utf8Chunk {
    /// Concatenated bytes.
    pub data: Vec<u8>,
    /// n + 1 offsets.
    pub offsets: Vec<u32>,
    /// Validity bitmap.
    pub validity: Option<Vec<u8>>,
}

/// One column's statistics, computed by the first caller.
type StatsCell = std::sync::Arc<std::sync::OnceLock<Result<ColumnStats, CallError>>>;

/// A loaded dataset.
#[derive(Debug)]
pub struct Dataset {
    /// The name in the policy (or `model@dataset` for predictions).
    pub name: String,
    /// The file it came from, if any.
    pub path: Option<PathBuf>,
    /// sha256 of the file, hex.
    pub sha256: Option<String>,
    /// The data.
    pub df: DataFrame,
    /// Column statistics, computed once: every check asks for the same ones, often at the same
    /// time (a second caller waits for the first instead of computing them again).
    stats_cache: std::sync::Mutex<std::collections::HashMap<String, StatsCell>>,
}

/// Infers a file's format from its extension.
pub fn format_of(path: &Path) -> Option<DataFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "csv" => DataFormat::Csv,
        "parquet" | "pq" => DataFormat::Parquet,
        "arrow" | "ipc" | "feather" => DataFormat::Ipc,
        "ndjson" | "jsonl" => DataFormat::Ndjson,
        _ => return None,
    })
}

/// The sha256 of bytes, hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Streams a file through sha256 and returns the hex digest.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

impl Dataset {
    /// Loads a dataset file. Errors name the dataset, the file and what to do.
    pub fn load(name: &str, path: &Path, format: Option<DataFormat>) -> anyhow::Result<Dataset> {
        let what = || format!("dataset `{name}` ({})", path.display());
        let meta = std::fs::metadata(path).with_context(|| {
            format!("cannot read {}: check `datasets.{name}` in the policy (paths are relative to the policy file)", what())
        })?;
        if meta.is_dir() {
            bail!("{} is a directory, not a data file; point `datasets.{name}` at the data file itself", what());
        }
        let format = match format.or_else(|| format_of(path)) {
            Some(f) => f,
            None => bail!(
                "{}: cannot tell the format from the extension; use .csv, .parquet, .arrow/.ipc/.feather or \
                 .ndjson/.jsonl, or write `{name} = {{ path = \"...\", format = \"csv\" }}`",
                what()
            ),
        };
        if meta.len() == 0 {
            bail!("{} is an empty file; write the data into it (with a header row for CSV), or check `datasets.{name}`", what());
        }
        if format == DataFormat::Csv {
            check_csv_shape(path).map_err(|e| anyhow!("{}: {e}", what()))?;
        }
        // The digest for the report is computed while polars parses the file.
        let (sha256, df) = std::thread::scope(|s| {
            let digest = s.spawn(|| sha256_file(path));
            let df = read_frame(path, format);
            (
                digest
                    .join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("hashing failed"))),
                df,
            )
        });
        let sha256 = sha256.with_context(|| format!("cannot read {}", what()))?;
        let df = df.with_context(|| {
            let hint = match format {
                DataFormat::Csv => "the file is not valid CSV; fix it or re-export it",
                _ => "the file is damaged (truncated?) or is not in that format; re-export it, or give the right \
                      `format` for it in the policy",
            };
            format!("cannot load {} as {}: {hint}", what(), format_name(format))
        })?;
        if df.width() == 0 {
            bail!(
                "{} has no columns; write the data with a header row, or check `datasets.{name}`",
                what()
            );
        }
        if df.height() == 0 {
            bail!("{} has a header but no rows; the gate needs data to decide: check `datasets.{name}`", what());
        }
        Ok(Dataset {
            name: name.to_string(),
            path: Some(path.to_path_buf()),
            sha256: Some(sha256),
            df,
            stats_cache: Default::default(),
        })
    }

    /// Wraps a frame computed by the host (e.g. predictions).
    pub fn from_frame(name: impl Into<String>, df: DataFrame) -> Dataset {
        Dataset {
            name: name.into(),
            path: None,
            sha256: None,
            df,
            stats_cache: Default::default(),
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.df.height()
    }

    /// Column names in file order.
    pub fn column_names(&self) -> Vec<String> {
        self.df
            .get_column_names()
            .into_iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// The schema in file order.
    pub fn schema(&self) -> Vec<ColumnInfo> {
        self.df
            .columns()
            .iter()
            .map(|c| ColumnInfo {
                name: c.name().to_string(),
                column_type: ColumnType::of(c.dtype()),
                dtype: c.dtype().to_string(),
            })
            .collect()
    }

    /// A column by name; the error lists the columns there are.
    pub fn series(&self, column: &str) -> Result<&Series, CallError> {
        match self.df.column(column) {
            Ok(c) => Ok(c.as_materialized_series()),
            Err(_) => Err(CallError::new(
                CallErrorKind::NoSuchColumn,
                self.missing_column_message(column),
            )),
        }
    }

    /// "dataset `x` has no column `y`; did you mean `z`? (columns: ...)".
    pub fn missing_column_message(&self, column: &str) -> String {
        let names = self.column_names();
        let nearest = names
            .iter()
            .map(|n| (crate::policy::levenshtein(column, n), n))
            .min()
            .filter(|(d, _)| *d <= 3.max(column.len() / 3))
            .map(|(_, n)| format!("; did you mean `{n}`?"))
            .unwrap_or_default();
        let shown: Vec<&str> = names.iter().take(12).map(String::as_str).collect();
        let more = if names.len() > 12 {
            format!(", ... ({} in all)", names.len())
        } else {
            String::new()
        };
        format!(
            "dataset `{}` has no column `{column}`{nearest} (columns: {}{more})",
            self.name,
            shown.join(", ")
        )
    }

    fn numeric(&self, column: &str) -> Result<Float64Chunked, CallError> {
        let s = self.series(column)?;
        if !ColumnType::of(s.dtype()).is_numeric() {
            return Err(CallError::new(
                CallErrorKind::UnsupportedType,
                format!(
                    "column `{column}` of dataset `{}` is {}, not numeric",
                    self.name,
                    s.dtype()
                ),
            ));
        }
        let s = s.cast(&DataType::Float64).map_err(CallError::failed)?;
        Ok(s.f64().map_err(CallError::failed)?.clone())
    }

    /// Finite values of a numeric column, sorted ascending (by radix sort on order-preserving
    /// keys: linear in the rows, where a comparison sort of 10M values is cache-bound).
    fn sorted_finite(&self, column: &str) -> Result<Vec<f64>, CallError> {
        let ca = self.numeric(column)?;
        let mut keys: Vec<u64> = ca
            .iter()
            .flatten()
            .filter(|x| x.is_finite())
            .map(|x| order_key(x + 0.0))
            .collect();
        radix_sort(&mut keys);
        Ok(keys.into_iter().map(from_order_key).collect())
    }

    /// Summary statistics of a column (computed once per column, then cached).
    pub fn stats(&self, column: &str) -> Result<ColumnStats, CallError> {
        // Only real columns get a cache entry: a plugin asking for made-up names grows nothing.
        self.series(column)?;
        let cell = self
            .stats_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(column.to_string())
            .or_default()
            .clone();
        cell.get_or_init(|| self.compute_stats(column)).clone()
    }

    fn compute_stats(&self, column: &str) -> Result<ColumnStats, CallError> {
        let s = self.series(column)?;
        let numeric = ColumnType::of(s.dtype()).is_numeric();
        let mut st = ColumnStats {
            rows: s.len() as u64,
            null_count: s.null_count() as u64,
            unique_count: if numeric {
                0 // counted below, by hashing
            } else {
                let non_null = s.drop_nulls();
                non_null.n_unique().map_err(CallError::failed)? as u64
            },
            ..Default::default()
        };
        if !numeric {
            return Ok(st);
        }
        let ca = self.numeric(column)?;
        // Distinct values by their bits (-0.0 as 0.0, every NaN as one), as polars' n_unique
        // counts them, without sorting.
        // Distinct values: the canonical bits, radix-sorted, counted where they change.
        let mut bits: Vec<u64> = Vec::with_capacity(s.len() - s.null_count());
        let (mut n, mut mean, mut m2) = (0u64, 0.0f64, 0.0f64);
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for x in ca.iter().flatten() {
            bits.push(if x.is_nan() {
                f64::NAN.to_bits()
            } else {
                (x + 0.0).to_bits()
            });
            if x.is_nan() {
                st.nan_count += 1;
            } else if x.is_infinite() {
                st.inf_count += 1;
            } else {
                // Welford's update: numerically stable in one pass.
                n += 1;
                let d = x - mean;
                mean += d / n as f64;
                m2 += d * (x - mean);
                lo = lo.min(x);
                hi = hi.max(x);
            }
        }
        radix_sort(&mut bits);
        st.unique_count = (bits.windows(2).filter(|w| w[0] != w[1]).count()
            + usize::from(!bits.is_empty())) as u64;
        if n > 0 {
            st.min = Some(lo);
            st.max = Some(hi);
            st.mean = Some(mean);
            st.std_pop = Some((m2 / n as f64).sqrt());
            st.std = (n > 1).then(|| (m2 / (n - 1) as f64).sqrt());
        }
        Ok(st)
    }

    /// Quantiles over finite values with linear interpolation (numpy's default method).
    pub fn quantiles(&self, column: &str, probs: &[f64]) -> Result<Vec<Option<f64>>, CallError> {
        if probs.len() > MAX_QUANTILES {
            return Err(CallError::invalid(format!(
                "at most {MAX_QUANTILES} quantiles per call, got {}",
                probs.len()
            )));
        }
        if let Some(p) = probs.iter().find(|p| !(0.0..=1.0).contains(*p)) {
            return Err(CallError::invalid(format!(
                "quantile probability {p} is outside [0, 1]"
            )));
        }
        let v = self.sorted_finite(column)?;
        Ok(probs.iter().map(|&p| quantile_sorted(&v, p)).collect())
    }

    /// numpy-style histogram of finite values over strictly increasing edges.
    pub fn histogram(&self, column: &str, edges: &[f64]) -> Result<Vec<u64>, CallError> {
        if edges.len() < 2 || edges.len() > MAX_EDGES {
            return Err(CallError::invalid(format!(
                "a histogram needs 2 to {MAX_EDGES} edges, got {}",
                edges.len()
            )));
        }
        if edges.iter().any(|e| !e.is_finite()) || edges.windows(2).any(|w| w[0] >= w[1]) {
            return Err(CallError::invalid(
                "histogram edges must be finite and strictly increasing",
            ));
        }
        let ca = self.numeric(column)?;
        let bins = edges.len() - 1;
        let mut counts = vec![0u64; bins];
        let last = edges[edges.len() - 1];
        for x in ca.iter().flatten().filter(|x| x.is_finite()) {
            if x < edges[0] || x > last {
                continue;
            }
            // Index of the last edge <= x; the last bin is closed on the right.
            let i = edges.partition_point(|e| *e <= x);
            counts[(i - 1).min(bins - 1)] += 1;
        }
        Ok(counts)
    }

    /// Most frequent non-null values (as text), most frequent first, ties by value.
    pub fn value_counts(&self, column: &str, limit: u32) -> Result<Vec<(String, u64)>, CallError> {
        let limit = limit.min(MAX_VALUE_COUNTS) as usize;
        let s = self.series(column)?;
        let s = s.cast(&DataType::String).map_err(CallError::failed)?;
        let mut counts: std::collections::HashMap<&str, u64, xxhash_rust::xxh3::Xxh3Builder> =
            Default::default();
        for v in s.str().map_err(CallError::failed)?.iter().flatten() {
            *counts.entry(v).or_default() += 1;
        }
        let mut out: Vec<(String, u64)> = counts
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        out.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out.truncate(limit);
        Ok(out)
    }

    /// Rows equal to an earlier row over `columns` (all when empty), as pandas' `duplicated().sum()`:
    /// null equals null, NaN equals NaN, -0.0 equals 0.0. Each row gets a 128-bit hash of its
    /// values, built column by column (native values, no text rendering); a false match needs a
    /// 128-bit collision.
    pub fn duplicate_rows(&self, columns: &[String]) -> Result<u64, CallError> {
        let names: Vec<String> = if columns.is_empty() {
            self.column_names()
        } else {
            columns.to_vec()
        };
        let rows = self.rows();
        let (mut h1, mut h2) = (
            vec![0x243f_6a88_85a3_08d3u64; rows],
            vec![0x1319_8a2e_0370_7344u64; rows],
        );
        let mut absorb = |i: usize, tag: u64, bits: u64| {
            h1[i] = mix(mix(h1[i] ^ tag) ^ bits);
            h2[i] = mix(mix(h2[i] ^ tag.rotate_left(17) ^ 0xa409_3822_299f_31d0)
                ^ bits.rotate_left(29)
                ^ 0x082e_fa98_ec4e_6c89);
        };
        for n in &names {
            let s = self.series(n)?;
            let kind = ColumnType::of(s.dtype());
            match kind {
                ColumnType::Float => {
                    let s = s.cast(&DataType::Float64).map_err(CallError::failed)?;
                    for (i, v) in s.f64().map_err(CallError::failed)?.iter().enumerate() {
                        match v {
                            None => absorb(i, 0, 0),
                            Some(x) if x.is_nan() => absorb(i, 2, 0),
                            Some(x) => absorb(i, 1, (x + 0.0).to_bits()), // -0.0 + 0.0 is 0.0
                        }
                    }
                }
                ColumnType::Integer | ColumnType::Boolean => {
                    let s = s.cast(&DataType::Int64).map_err(CallError::failed)?;
                    for (i, v) in s.i64().map_err(CallError::failed)?.iter().enumerate() {
                        match v {
                            None => absorb(i, 0, 0),
                            Some(x) => absorb(i, 1, x as u64),
                        }
                    }
                }
                _ => {
                    let s = s.cast(&DataType::String).map_err(CallError::failed)?;
                    for (i, v) in s.str().map_err(CallError::failed)?.iter().enumerate() {
                        match v {
                            None => absorb(i, 0, 0),
                            Some(t) => absorb(
                                i,
                                3 ^ (t.len() as u64) << 8,
                                xxhash_rust::xxh3::xxh3_64(t.as_bytes()),
                            ),
                        }
                    }
                }
            }
        }
        let mut keys: Vec<u128> = h1
            .into_iter()
            .zip(h2)
            .map(|(a, b)| (u128::from(a) << 64) | u128::from(b))
            .collect();
        keys.sort_unstable();
        Ok(keys.windows(2).filter(|w| w[0] == w[1]).count() as u64)
    }

    /// `scipy.stats.wasserstein_distance` between the finite values of `column` here and of
    /// `other_column` in `other`: Σ |F_u − F_v| Δ over the sorted union of the values (scipy's
    /// `_cdf_distance(1, u, v)`), streamed over the two sorted samples with a compensated sum
    /// (numpy sums the terms pairwise; both are accurate to a few units in the last place).
    pub fn wasserstein(
        &self,
        column: &str,
        other: &Dataset,
        other_column: &str,
    ) -> Result<f64, CallError> {
        let (u, v) = std::thread::scope(|s| {
            let u = s.spawn(|| self.sorted_finite(column));
            let v = other.sorted_finite(other_column);
            (
                u.join().unwrap_or_else(|_| {
                    Err(CallError::new(CallErrorKind::Failed, "sorting failed"))
                }),
                v,
            )
        });
        let (u, v) = (u?, v?);
        for (d, c, values) in [(self, column, &u), (other, other_column, &v)] {
            if values.is_empty() {
                return Err(CallError::invalid(format!(
                    "column `{c}` of dataset `{}` has no finite value",
                    d.name
                )));
            }
        }
        let (nu, nv) = (u.len() as f64, v.len() as f64);
        let (mut i, mut j) = (0usize, 0usize);
        let (mut sum, mut compensation) = (0.0f64, 0.0f64);
        let mut prev: Option<f64> = None;
        while i < u.len() || j < v.len() {
            let x = if j >= v.len() || (i < u.len() && u[i] <= v[j]) {
                u[i]
            } else {
                v[j]
            };
            if let Some(p) = prev {
                // The term of the interval [p, x): the CDFs are those at p.
                let term = (i as f64 / nu - j as f64 / nv).abs() * (x - p);
                let t = sum + term;
                compensation += if sum.abs() >= term.abs() {
                    (sum - t) + term
                } else {
                    (term - t) + sum
                };
                sum = t;
            }
            while i < u.len() && u[i] <= x {
                i += 1;
            }
            while j < v.len() && v[j] <= x {
                j += 1;
            }
            prev = Some(x);
        }
        Ok(sum + compensation)
    }

    fn slice(&self, column: &str, offset: u64, len: u32) -> Result<Series, CallError> {
        let s = self.series(column)?;
        if len > MAX_CHUNK_ROWS {
            return Err(CallError::invalid(format!(
                "a chunk holds at most {MAX_CHUNK_ROWS} rows, asked for {len}"
            )));
        }
        let rows = s.len() as u64;
        if offset > rows {
            return Err(CallError::invalid(format!(
                "offset {offset} is past the end of dataset `{}` ({rows} rows)",
                self.name
            )));
        }
        let len = (len as u64).min(rows - offset) as usize;
        Ok(s.slice(offset as i64, len))
    }

    /// Rows [offset, offset+len) of a numeric column as f64 (nulls are NaN and cleared in validity).
    pub fn read_f64(
        &self,
        column: &str,
        offset: u64,
        len: u32,
    ) -> Result<Chunk<Vec<f64>>, CallError> {
        let s = self.slice(column, offset, len)?;
        if !ColumnType::of(s.dtype()).is_numeric() {
            return Err(CallError::new(
                CallErrorKind::UnsupportedType,
                format!(
                    "column `{column}` of dataset `{}` is {}; read it with read-utf8",
                    self.name,
                    s.dtype()
                ),
            ));
        }
        let s = s.cast(&DataType::Float64).map_err(CallError::failed)?;
        let ca = s.f64().map_err(CallError::failed)?;
        let values = ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
        Ok(Chunk {
            values,
            validity: validity(ca.iter().map(|v| v.is_some()), s.null_count()),
        })
    }

    /// Rows [offset, offset+len) of an integer or boolean column as i64.
    pub fn read_i64(
        &self,
        column: &str,
        offset: u64,
        len: u32,
    ) -> Result<Chunk<Vec<i64>>, CallError> {
        let s = self.slice(column, offset, len)?;
        if !matches!(
            ColumnType::of(s.dtype()),
            ColumnType::Integer | ColumnType::Boolean
        ) {
            return Err(CallError::new(
                CallErrorKind::UnsupportedType,
                format!(
                    "column `{column}` of dataset `{}` is {}, not integer",
                    self.name,
                    s.dtype()
                ),
            ));
        }
        let s = s.cast(&DataType::Int64).map_err(CallError::failed)?;
        let ca = s.i64().map_err(CallError::failed)?;
        let values = ca.iter().map(|v| v.unwrap_or(0)).collect();
        Ok(Chunk {
            values,
            validity: validity(ca.iter().map(|v| v.is_some()), s.null_count()),
        })
    }

    /// Rows [offset, offset+len) of any column rendered as text.
    pub fn read_utf8(&self, column: &str, offset: u64, len: u32) -> Result<Utf8Chunk, CallError> {
        let s = self.slice(column, offset, len)?;
        let s = s.cast(&DataType::String).map_err(|e| {
            CallError::new(
                CallErrorKind::UnsupportedType,
                format!("column `{column}` cannot be read as text: {e}"),
            )
        })?;
        let ca = s.str().map_err(CallError::failed)?;
        let mut data = Vec::new();
        let mut offsets = Vec::with_capacity(ca.len() + 1);
        offsets.push(0u32);
        for v in ca.iter() {
            let v = v.unwrap_or("");
            if data.len() + v.len() > MAX_CHUNK_BYTES {
                return Err(CallError::invalid(format!(
                    "the chunk's text exceeds {MAX_CHUNK_BYTES} bytes; read fewer rows at a time"
                )));
            }
            data.extend_from_slice(v.as_bytes());
            offsets.push(data.len() as u32);
        }
        Ok(Utf8Chunk {
            data,
            offsets,
            validity: validity(ca.iter().map(|v| v.is_some()), s.null_count()),
        })
    }
}

/// Arrow validity bitmap from per-row flags, or None when nothing is null.
fn validity(valid: impl Iterator<Item = bool>, null_count: usize) -> Option<Vec<u8>> {
    if null_count == 0 {
        return None;
    }
    let mut bits = Vec::new();
    for (i, v) in valid.enumerate() {
        if i % 8 == 0 {
            bits.push(0u8);
        }
        if v {
            *bits.last_mut().expect("pushed above") |= 1 << (i % 8);
        }
    }
    Some(bits)
}

/// numpy's default ("linear") quantile of sorted values.
pub fn quantile_sorted(v: &[f64], p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    Some(v[lo] + (h - lo as f64) * (v[hi] - v[lo]))
}

/// How a format is named in messages.
fn format_name(format: DataFormat) -> &'static str {
    match format {
        DataFormat::Csv => "CSV",
        DataFormat::Parquet => "Parquet",
        DataFormat::Ipc => "Arrow IPC",
        DataFormat::Ndjson => "NDJSON",
    }
}

/// Shortens text shown in a message to about `max` characters.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// Reads a CSV file once, quote-aware, before polars does, and refuses what polars would read
/// wrongly or explain badly: a header that is one column holding another delimiter, duplicate
/// column names (polars would rename them silently), and rows with more or fewer fields than the
/// header. Blank lines are skipped, as polars does. The error says what is wrong and what to do.
fn check_csv_shape(path: &Path) -> Result<(), String> {
    let file = File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    check_csv_records(file)
}

fn check_csv_records(reader: impl Read) -> Result<(), String> {
    let mut header: Option<Vec<String>> = None;
    let mut fields: Vec<Vec<u8>> = vec![Vec::new()];
    let (mut in_quotes, mut quote_pending, mut empty) = (false, false, true);
    let (mut line, mut record_line) = (1usize, 1usize);
    let mut end_record = |fields: &mut Vec<Vec<u8>>,
                          empty: bool,
                          record_line: usize|
     -> Result<(), String> {
        let n = fields.len();
        let taken = std::mem::replace(fields, vec![Vec::new()]);
        if empty {
            return Ok(());
        }
        match &header {
            None => {
                let names: Vec<String> = taken.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
                if names.len() == 1 {
                    if let Some(d) = [';', '\t', '|'].into_iter().find(|d| names[0].contains(*d)) {
                        let shown = if d == '\t' { "a tab".to_string() } else { format!("`{d}`") };
                        return Err(format!(
                            "the header is a single column `{}`: the file looks separated by {shown}, but modelgate \
                             reads comma-separated CSV; re-export it with `,` as the delimiter",
                            shorten(&names[0], 60)
                        ));
                    }
                }
                let mut seen = std::collections::HashMap::new();
                for (i, n) in names.iter().enumerate() {
                    if let Some(first) = seen.insert(n.as_str(), i) {
                        return Err(format!(
                            "column `{n}` appears twice in the header (columns {} and {}); rename or drop one of \
                             them: modelgate does not guess which one is meant",
                            first + 1,
                            i + 1
                        ));
                    }
                }
                header = Some(names);
            }
            Some(h) if n != h.len() => {
                return Err(format!(
                    "line {record_line} has {n} fields but the header has {}; fix that row (a missing or extra `,`, \
                     or a `,` inside a value that is not quoted)",
                    h.len()
                ))
            }
            Some(_) => {}
        }
        Ok(())
    };
    for b in std::io::BufReader::with_capacity(1 << 16, reader).bytes() {
        let b = b.map_err(|e| format!("cannot read the file: {e}"))?;
        if quote_pending {
            quote_pending = false;
            if b == b'"' {
                fields.last_mut().expect("a record has a field").push(b'"');
                continue;
            }
            in_quotes = false;
        }
        if in_quotes {
            match b {
                b'"' => quote_pending = true,
                b'\n' => {
                    line += 1;
                    fields.last_mut().expect("a record has a field").push(b);
                }
                _ => fields.last_mut().expect("a record has a field").push(b),
            }
            continue;
        }
        match b {
            b'"' if fields.last().is_some_and(|f| f.is_empty()) => {
                in_quotes = true;
                empty = false;
            }
            b',' => {
                fields.push(Vec::new());
                empty = false;
            }
            b'\n' => {
                end_record(&mut fields, empty, record_line)?;
                empty = true;
                line += 1;
                record_line = line;
            }
            b'\r' => {}
            _ => {
                fields.last_mut().expect("a record has a field").push(b);
                empty = false;
            }
        }
    }
    end_record(&mut fields, empty, record_line)
}

fn read_frame(path: &Path, format: DataFormat) -> anyhow::Result<DataFrame> {
    Ok(match format {
        DataFormat::Csv => CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(10_000))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))?
            .finish()?,
        DataFormat::Parquet => ParquetReader::new(File::open(path)?).finish()?,
        DataFormat::Ipc => IpcReader::new(File::open(path)?).finish()?,
        DataFormat::Ndjson => JsonReader::new(File::open(path)?)
            .with_json_format(JsonFormat::JsonLines)
            .finish()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds() -> Dataset {
        let df = df!(
            "x" => [Some(1.0), Some(2.0), None, Some(f64::NAN), Some(4.0), Some(f64::INFINITY)],
            "s" => [Some("a"), Some("b"), Some("a"), None, Some("c"), Some("a")],
            "i" => [1i64, 2, 3, 4, 5, 6],
        )
        .unwrap();
        Dataset::from_frame("t", df)
    }

    #[test]
    fn stats_separate_nulls_nans_and_infs() {
        let s = ds().stats("x").unwrap();
        assert_eq!(
            (s.rows, s.null_count, s.nan_count, s.inf_count),
            (6, 1, 1, 1)
        );
        assert_eq!((s.min, s.max), (Some(1.0), Some(4.0)));
        let mean = 7.0 / 3.0;
        assert!((s.mean.unwrap() - mean).abs() < 1e-15);
        let var_pop = [1.0f64, 2.0, 4.0]
            .iter()
            .map(|x| (x - mean).powi(2))
            .sum::<f64>()
            / 3.0;
        assert!((s.std_pop.unwrap() - var_pop.sqrt()).abs() < 1e-15);
        assert!((s.std.unwrap() - (var_pop * 1.5).sqrt()).abs() < 1e-15);
        assert_eq!(ds().stats("s").unwrap().unique_count, 3);
    }

    #[test]
    fn quantiles_match_numpy_linear() {
        // numpy.quantile([1, 2, 4], [0, 0.25, 0.5, 1]) == [1, 1.5, 2, 4]
        let q = ds().quantiles("x", &[0.0, 0.25, 0.5, 1.0]).unwrap();
        assert_eq!(q, vec![Some(1.0), Some(1.5), Some(2.0), Some(4.0)]);
        assert!(ds().quantiles("x", &[1.5]).is_err());
    }

    #[test]
    fn histogram_matches_numpy_edges() {
        // numpy.histogram([1, 2, 4], bins=[1, 2, 4]) == [1, 2]: last bin closed.
        assert_eq!(ds().histogram("x", &[1.0, 2.0, 4.0]).unwrap(), vec![1, 2]);
        assert_eq!(ds().histogram("i", &[0.0, 3.0, 5.5]).unwrap(), vec![2, 3]);
        assert!(ds().histogram("x", &[2.0, 1.0]).is_err());
    }

    #[test]
    fn reads_are_bounded_and_carry_validity() {
        let d = ds();
        let c = d.read_f64("x", 1, 3).unwrap();
        assert_eq!(c.values.len(), 3);
        assert_eq!(c.validity, Some(vec![0b101]));
        let t = d.read_utf8("s", 0, 100).unwrap();
        assert_eq!(t.offsets.len(), 7);
        assert_eq!(t.data, b"abaca".to_vec());
        assert_eq!(t.validity, Some(vec![0b110111]));
        assert_eq!(
            d.read_f64("x", 7, 1).unwrap_err().kind,
            CallErrorKind::InvalidArgument
        );
        assert_eq!(
            d.read_f64("x", 0, MAX_CHUNK_ROWS + 1).unwrap_err().kind,
            CallErrorKind::InvalidArgument
        );
        assert_eq!(
            d.read_f64("s", 0, 1).unwrap_err().kind,
            CallErrorKind::UnsupportedType
        );
        let e = d.read_f64("xx", 0, 1).unwrap_err();
        assert_eq!(e.kind, CallErrorKind::NoSuchColumn);
        assert!(e.message.contains("did you mean `x`"), "{}", e.message);
    }

    #[test]
    fn duplicate_rows_count_later_occurrences_like_pandas() {
        let df = df!(
            "a" => [Some(1i64), Some(1), None, None, Some(2), Some(1)],
            "b" => [Some("x"), Some("x"), None, None, Some("x"), Some("y")],
        )
        .unwrap();
        let d = Dataset::from_frame("t", df);
        // pandas: DataFrame({"a": [1, 1, None, None, 2, 1], "b": [...]}).duplicated().sum() == 2
        assert_eq!(d.duplicate_rows(&[]).unwrap(), 2);
        assert_eq!(d.duplicate_rows(&["a".to_string()]).unwrap(), 3);
        assert_eq!(
            d.duplicate_rows(&["nope".to_string()]).unwrap_err().kind,
            CallErrorKind::NoSuchColumn
        );
        // pandas: DataFrame({"f": [0.0, -0.0, nan, nan, None, 1.5], "s": ["", "", "a", "a", None, None]})
        // .duplicated().sum() == 2 (-0.0 == 0.0, NaN == NaN); a null is neither 0, NaN nor "".
        let df = df!(
            "f" => [Some(0.0f64), Some(-0.0), Some(f64::NAN), Some(f64::NAN), None, Some(1.5)],
            "s" => [Some(""), Some(""), Some("a"), Some("a"), None, None],
        )
        .unwrap();
        let d = Dataset::from_frame("t", df);
        assert_eq!(d.duplicate_rows(&[]).unwrap(), 2);
        assert_eq!(d.duplicate_rows(&["s".to_string()]).unwrap(), 3);
        // Equal text in different columns is not an equal row: ("ab", "c") vs ("a", "bc").
        let df = df!("x" => ["ab", "a"], "y" => ["c", "bc"]).unwrap();
        assert_eq!(Dataset::from_frame("t", df).duplicate_rows(&[]).unwrap(), 0);
    }

    #[test]
    fn csv_shape_refuses_duplicates_other_delimiters_and_ragged_rows() {
        let check = |t: &str| check_csv_records(t.as_bytes());
        assert_eq!(check("a,b\n1,2\n\n3,4\n"), Ok(()));
        assert_eq!(
            check("a,\"b,c\"\r\n1,\"x \"\"y\"\", z\"\r\n2,\"multi\nline\"\n"),
            Ok(())
        );
        let e = check("a,b,a\n1,2,3\n").unwrap_err();
        assert!(
            e.contains("column `a` appears twice") && e.contains("columns 1 and 3"),
            "{e}"
        );
        let e = check("a;b;c\n1;2;3\n").unwrap_err();
        assert!(
            e.contains("separated by `;`") && e.contains("re-export"),
            "{e}"
        );
        let e = check("a,b\n1,2\n1,2,3\n").unwrap_err();
        assert!(
            e.contains("line 3 has 3 fields but the header has 2"),
            "{e}"
        );
        let e = check("a,b\n\"x\ny\",2\n1\n").unwrap_err();
        assert!(e.contains("line 4 has 1 fields"), "{e}");
    }

    #[test]
    fn wasserstein_matches_scipy_and_skips_non_finite_values() {
        let t = |u: Vec<Option<f64>>, v: Vec<Option<f64>>| {
            let a = Dataset::from_frame("a", df!("x" => u).unwrap());
            let b = Dataset::from_frame("b", df!("y" => v).unwrap());
            a.wasserstein("x", &b, "y")
        };
        // scipy.stats.wasserstein_distance([0, 1, 3], [5, 6, 8]) == 5.0, and the others likewise.
        assert_eq!(
            t(
                vec![Some(0.0), Some(1.0), Some(3.0)],
                vec![Some(5.0), Some(6.0), Some(8.0)]
            )
            .unwrap(),
            5.0
        );
        let w = t(
            vec![Some(3.4), Some(3.9), Some(7.5), Some(7.8)],
            vec![
                Some(4.5),
                Some(1.4),
                None,
                Some(f64::NAN),
                Some(f64::INFINITY),
            ],
        )
        .unwrap();
        assert!((w - 2.7).abs() < 1e-15, "{w}");
        let w = t(
            vec![Some(1.0), Some(1.0), Some(1.0), Some(2.0)],
            vec![Some(1.0), Some(2.0), Some(2.0), Some(2.0), Some(3.5)],
        )
        .unwrap();
        assert!((w - 0.85).abs() < 1e-15, "{w}");
        let e = t(vec![Some(1.0)], vec![None, Some(f64::NAN)]).unwrap_err();
        assert!(
            e.message
                .contains("column `y` of dataset `b` has no finite value"),
            "{}",
            e.message
        );
        let text = Dataset::from_frame("c", df!("s" => ["a"]).unwrap());
        assert_eq!(
            text.wasserstein("s", &text, "s").unwrap_err().kind,
            CallErrorKind::UnsupportedType
        );
    }

    #[test]
    fn radix_sort_orders_floats_like_total_cmp() {
        let mut state = 0x1234_5678u64;
        let mut values: Vec<f64> = (0..5000)
            .map(|i| {
                state = mix(state);
                match i % 7 {
                    0 => -((state >> 11) as f64),
                    1 => 0.0,
                    2 => -0.0,
                    3 => f64::MIN_POSITIVE,
                    _ => (state >> 11) as f64 * 1e-9 - 4e6,
                }
            })
            .collect();
        let mut keys: Vec<u64> = values.iter().map(|&x| order_key(x)).collect();
        radix_sort(&mut keys);
        let sorted: Vec<f64> = keys.into_iter().map(from_order_key).collect();
        values.sort_unstable_by(f64::total_cmp);
        assert_eq!(
            sorted.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            values.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        let st = Dataset::from_frame("t", df!("x" => [Some(1.0), Some(-0.0), Some(0.0), None, Some(f64::NAN), Some(f64::NAN), Some(1.0)]).unwrap())
            .stats("x")
            .unwrap();
        assert_eq!(st.unique_count, 3, "1, 0 (either sign) and NaN");
    }

    #[test]
    fn value_counts_sorted_by_count_then_value() {
        let vc = ds().value_counts("s", 2).unwrap();
        assert_eq!(vc, vec![("a".to_string(), 3), ("b".to_string(), 1)]);
    }
}

/// A 64-bit finaliser (SplitMix64's): every input bit affects every output bit.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A key whose unsigned order is the order of finite floats (and -0.0 < 0.0).
fn order_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

fn from_order_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// LSD radix sort of u64 keys, 8 bits a pass; a pass where every key has the same byte is skipped.
fn radix_sort(keys: &mut Vec<u64>) {
    if keys.len() < 256 {
        keys.sort_unstable();
        return;
    }
    let mut counts = vec![[0usize; 256]; 8];
    for &k in keys.iter() {
        for (pass, c) in counts.iter_mut().enumerate() {
            c[((k >> (pass * 8)) & 0xff) as usize] += 1;
        }
    }
    let mut buffer = vec![0u64; keys.len()];
    for (pass, c) in counts.iter().enumerate() {
        if c.iter().any(|&n| n == keys.len()) {
            continue;
        }
        let mut offsets = [0usize; 256];
        let mut total = 0;
        for (o, n) in offsets.iter_mut().zip(c) {
            *o = total;
            total += n;
        }
        for &k in keys.iter() {
            let d = ((k >> (pass * 8)) & 0xff) as usize;
            buffer[offsets[d]] = k;
            offsets[d] += 1;
        }
        std::mem::swap(keys, &mut buffer);
    }
}
