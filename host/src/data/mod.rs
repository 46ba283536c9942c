//! Datasets: loaded once with polars (CSV, Parquet, Arrow IPC, NDJSON) and shared by every check.
//!
//! A [`Dataset`] also implements the host side of the plugin's `table` resource: aggregates computed
//! natively and bounded chunked reads. Every function here caps what a guest can make the host
//! allocate (chunk length, bytes, number of edges or quantiles).
//!
//! One job per file: this one loads; `aggregates` and `reads` implement the table API,
//! `moments` the grouped moments, `csv` checks a CSV file's shape before polars reads it,
//! `kernels` sorts and hashes.

mod aggregates;
mod backend;
mod counts;
mod csv;
mod kernels;
mod missing;
mod moments;
mod reads;

pub use aggregates::{expand_runs, histogram_sorted, quantile_sorted, runs_of};
pub use backend::Backend;
pub use missing::{incomplete, present};
pub use moments::{GroupMoments, MAX_GROUPS, MAX_MOMENT_COLUMNS};

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::files::sha256_file_with;
use anyhow::{anyhow, bail, Context as _};
use csv::CsvShape;
use polars::prelude::*;

use crate::policy::{CsvDialect, DataFormat};

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
    /// A failure of the host (or the engine) computing a result.
    pub fn failed(e: impl std::fmt::Display) -> Self {
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

/// A numeric column's distinct finite values, ascending, and how often each occurs.
pub type Runs = (Vec<f64>, Vec<u64>);

/// Values and their counts, most frequent first (shared: each caller copies only its limit's).
type ValueCounts = Arc<Vec<(String, u64)>>;

/// Values by key, each computed by the first caller (see [`once`]).
type Cells<K, V> = std::sync::Mutex<std::collections::HashMap<K, Arc<std::sync::OnceLock<V>>>>;

/// The value under `key`, computed by `init` if no caller has yet; a caller at the same time
/// waits for the first instead of computing it again.
fn once<K: Eq + std::hash::Hash, V: Clone>(
    cells: &Cells<K, V>,
    key: K,
    init: impl FnOnce() -> V,
) -> V {
    let cell = cells
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(key)
        .or_default()
        .clone();
    cell.get_or_init(init).clone()
}

/// A loaded dataset.
#[derive(Debug)]
pub struct Dataset {
    /// The name in the policy (or `model@dataset` for predictions).
    pub name: String,
    /// The file it came from, if any.
    pub path: Option<PathBuf>,
    /// sha256 of the file, hex.
    pub sha256: Option<String>,
    /// A digest of the rows as loaded from a file (its sha256, format and CSV dialect), while
    /// they are unchanged: what the predictions cache keys a dataset by.
    pub content: Option<String>,
    /// The rows in memory: loaded, or (with a backend) fetched from the engine when first needed.
    frame: std::sync::OnceLock<Result<DataFrame, CallError>>,
    /// Set when the rows live on an engine: the aggregates are computed there.
    backend: Option<Arc<dyn Backend>>,
    /// Set on a view of a dataset (e.g. its rows with complete model inputs): what the view is.
    pub view: Option<String>,
    /// Column statistics, computed once: every check asks for the same ones, often at the same
    /// time (a second caller waits for the first instead of computing them again).
    stats_cache: Cells<String, Result<ColumnStats, CallError>>,
    /// Per grouping column, each row's group (`grouped-moments`: an A/B test asks once per metric).
    groups_cache: Cells<String, Result<Arc<moments::Groups>, CallError>>,
    /// What is kept of a dataset that many runs of the checks share (see [`Dataset::share`]).
    shared: Shared,
    /// Unique in the process (see [`Dataset::id`]).
    id: u64,
}

/// The next [`Dataset::id`].
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The caches of a shared dataset: off until [`Dataset::share`] (but the value counts and the
/// kept sorted values, which every dataset keeps).
#[derive(Debug, Default)]
struct Shared {
    on: std::sync::atomic::AtomicBool,
    /// A column's sorted finite values.
    sorted: Cells<String, Result<Arc<Vec<f64>>, CallError>>,
    /// A column's value counts, by limit (rows in memory: always kept, at the largest limit).
    counts: Cells<(String, u32), Result<ValueCounts, CallError>>,
    /// Counts of duplicate rows, by columns.
    duplicates: Cells<Vec<String>, Result<u64, CallError>>,
    /// Sorted finite values of columns (sorted by their statistics, for the distinct count, or
    /// by the first caller that needed them sorted), kept for later callers: `wasserstein`,
    /// `quantiles` and `histogram` (two binary searches a bin, no pass over the rows). A gate's
    /// data quality and drift sort each numeric column once between them, not twice, and drift's
    /// histograms of a column read what its Wasserstein distance sorted. At most
    /// [`KEPT_SORTED_SHARE`] of the dataset's size is kept; the least recently used go first.
    kept_sorted: std::sync::Mutex<KeptSorted>,
}

/// Sorted finite values kept by column, with when each was last used, and their size in bytes.
#[derive(Debug, Default)]
struct KeptSorted {
    bytes: usize,
    clock: u64,
    by_column: std::collections::HashMap<String, (Arc<Vec<f64>>, u64)>,
}

/// The most sorted values kept for later callers, as a share of the dataset's size in memory.
const KEPT_SORTED_SHARE: f64 = 0.125;

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

impl Dataset {
    /// Loads a dataset file. Errors name the dataset, the file and what to do.
    pub fn load(
        name: &str,
        path: &Path,
        format: Option<DataFormat>,
        csv: &CsvDialect,
    ) -> anyhow::Result<Dataset> {
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
        if format != DataFormat::Csv && !csv.is_default() {
            bail!(
                "{}: `separator`, `quote_char`, `null_values` and `has_header` apply to CSV files only, and this \
                 file is read as {}; remove them from `datasets.{name}`",
                what(),
                format_name(format)
            );
        }
        // One read of the file, while polars parses it, gives the report's digest and (CSV)
        // the shape check; a shape error wins over polars' own.
        let ((sha256, shape), df) = std::thread::scope(|s| {
            let side = s.spawn(|| {
                let mut shape = (format == DataFormat::Csv).then(|| CsvShape::new(csv));
                let mut refused = None;
                let sha256 = sha256_file_with(path, |bytes| {
                    if let (Some(check), None) = (shape.as_mut(), &refused) {
                        refused = check.feed(bytes).err();
                    }
                });
                let shape = match (refused, shape) {
                    (Some(e), _) => Err(e),
                    (None, Some(check)) => check.finish(),
                    (None, None) => Ok(()),
                };
                (sha256, shape)
            });
            let df = read_frame(path, format, csv);
            let side = side.join().unwrap_or_else(|_| {
                (
                    Err(std::io::Error::other("hashing failed")),
                    Err("the shape check failed".to_string()),
                )
            });
            (side, df)
        });
        let sha256 = sha256.with_context(|| format!("cannot read {}", what()))?;
        shape.map_err(|e| anyhow!("{}: {e}", what()))?;
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
        let mut d = Dataset::from_frame(name, df);
        d.path = Some(path.to_path_buf());
        d.content = Some(format!("{sha256} {format:?} {csv:?}"));
        d.sha256 = Some(sha256);
        Ok(d)
    }

    /// Wraps a frame computed by the host (e.g. predictions).
    pub fn from_frame(name: impl Into<String>, df: DataFrame) -> Dataset {
        Dataset {
            name: name.into(),
            path: None,
            sha256: None,
            content: None,
            frame: Ok(df).into(),
            backend: None,
            view: None,
            stats_cache: Default::default(),
            groups_cache: Default::default(),
            shared: Default::default(),
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// A dataset whose rows live on an engine (see [`Backend`]).
    pub fn on_backend(name: impl Into<String>, backend: Arc<dyn Backend>) -> Dataset {
        Dataset {
            name: name.into(),
            path: None,
            sha256: None,
            content: None,
            frame: Default::default(),
            backend: Some(backend),
            view: None,
            stats_cache: Default::default(),
            groups_cache: Default::default(),
            shared: Default::default(),
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// A number no other dataset of this process has: a view, a window or predictions are
    /// datasets of their own. Plugins see it as `table.identity` (memo keys).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The engine the rows live on, if not here.
    pub fn backend(&self) -> Option<&Arc<dyn Backend>> {
        self.backend.as_ref()
    }

    /// The rows as a polars frame: fetched from the engine on first use for a dataset with a
    /// backend (an error when the engine does not give them).
    pub fn frame(&self) -> Result<&DataFrame, CallError> {
        self.frame
            .get_or_init(|| match &self.backend {
                Some(b) => b.fetch(),
                None => Err(CallError::failed("an embedded dataset without rows")),
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Up to `rows` rows for what needs a few (a model's latency): on an engine, its sample (the
    /// same rows on every run, whether or not its rows were fetched: an engine keeps no row
    /// order); otherwise the first rows.
    pub fn sample(&self, rows: usize) -> Result<DataFrame, CallError> {
        if let Some(sample) = self.backend.as_ref().and_then(|b| b.sample(rows)) {
            return sample;
        }
        Ok(self.frame()?.head(Some(rows)))
    }

    /// The rows, to change in place (the loader takes the monitor's timestamp out).
    pub fn frame_mut(&mut self) -> Result<&mut DataFrame, CallError> {
        self.frame()?;
        self.content = None;
        match self.frame.get_mut() {
            Some(Ok(df)) => Ok(df),
            _ => Err(CallError::failed("the dataset's rows are not in memory")),
        }
    }

    /// Marks the dataset as shared by many runs of the checks (`monitor`: the reference, which
    /// every window is compared with): from now on its sorted values, value counts and duplicate
    /// counts are kept once computed, so each is computed once instead of once per window. It costs a sorted copy
    /// of each numeric column asked for, which a single gate run does not need to pay.
    pub fn share(&self) {
        self.shared
            .on
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        match (&self.backend, self.frame.get()) {
            (_, Some(Ok(df))) => df.height(),
            (Some(b), _) => b.rows() as usize,
            (None, _) => 0,
        }
    }

    /// Number of columns.
    pub fn width(&self) -> usize {
        match (&self.backend, self.frame.get()) {
            (_, Some(Ok(df))) => df.width(),
            (Some(b), _) => b.schema().len(),
            (None, _) => 0,
        }
    }

    /// Column names in file order.
    pub fn column_names(&self) -> Vec<String> {
        self.schema().into_iter().map(|c| c.name).collect()
    }

    /// The schema in file order.
    pub fn schema(&self) -> Vec<ColumnInfo> {
        match (&self.backend, self.frame.get()) {
            (_, Some(Ok(df))) => df
                .columns()
                .iter()
                .map(|c| ColumnInfo {
                    name: c.name().to_string(),
                    column_type: ColumnType::of(c.dtype()),
                    dtype: c.dtype().to_string(),
                })
                .collect(),
            (Some(b), _) => b.schema().to_vec(),
            (None, _) => Vec::new(),
        }
    }

    /// A column's type; the error lists the columns there are.
    pub fn column_type(&self, column: &str) -> Result<ColumnType, CallError> {
        let found = match (&self.backend, self.frame.get()) {
            (_, Some(Ok(df))) => df.column(column).ok().map(|c| ColumnType::of(c.dtype())),
            (Some(b), _) => b
                .schema()
                .iter()
                .find(|c| c.name == column)
                .map(|c| c.column_type),
            (None, _) => None,
        };
        found.ok_or_else(|| {
            CallError::new(
                CallErrorKind::NoSuchColumn,
                self.missing_column_message(column),
            )
        })
    }

    /// A column by name; the error lists the columns there are. Needs the rows: on an engine,
    /// they are fetched (once) or the error says why they cannot be.
    pub fn series(&self, column: &str) -> Result<&Series, CallError> {
        if self.frame.get().is_none() {
            // Name a missing column before fetching any rows.
            self.column_type(column)?;
        }
        match self.frame()?.column(column) {
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
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

fn read_frame(path: &Path, format: DataFormat, csv: &CsvDialect) -> anyhow::Result<DataFrame> {
    Ok(match format {
        DataFormat::Csv => CsvReadOptions::default()
            .with_has_header(csv.has_header)
            .map_parse_options(|o| {
                let nulls = (!csv.null_values.is_empty()).then(|| {
                    NullValues::AllColumns(
                        csv.null_values.iter().map(|v| v.as_str().into()).collect(),
                    )
                });
                o.with_separator(csv.separator)
                    .with_quote_char(csv.quote_char)
                    .with_null_values(nulls)
            })
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
pub(crate) mod tests {
    use super::*;

    /// A small frame with nulls, NaN and infinity, for the unit tests of the table API.
    pub(crate) fn ds() -> Dataset {
        let df = df!(
            "x" => [Some(1.0), Some(2.0), None, Some(f64::NAN), Some(4.0), Some(f64::INFINITY)],
            "s" => [Some("a"), Some("b"), Some("a"), None, Some("c"), Some("a")],
            "i" => [1i64, 2, 3, 4, 5, 6],
        )
        .unwrap();
        Dataset::from_frame("t", df)
    }
}
