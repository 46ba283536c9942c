//! `[engine] spark`: datasets that live on a Spark cluster, reached through Spark Connect.
//!
//! Each dataset becomes a temporary view of the session (`modelgate_N`: a catalog table, a SQL
//! query's result, or a file the cluster reads) and answers the table API with SQL aggregates
//! pushed down to the cluster ([`table::Table`], a [`Backend`](crate::data::Backend)); only
//! results come back, as Arrow IPC bytes read by polars. A check or a model that needs rows gets
//! them fetched whole, once, up to `engine.max_local_rows`.
//!
//! The client (`apache-spark-connect`) blocks on its own tokio runtime, which must not be entered
//! from inside another: every call runs on a thread of its own (`off_runtime`).

// The client's error type is large; its results pass through closures here unchanged.
#![allow(clippy::result_large_err)]

mod sql;
mod table;

use std::io::Cursor;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail};
use polars::prelude::{DataFrame, IpcReader, SerReader};
use sha2::{Digest, Sha256};
use spark_connect::types::DataType as SparkType;
use spark_connect::SparkSession;

use crate::data::{format_of, CallError, ColumnInfo, ColumnType, Dataset};
use crate::policy::{DataFormat, DatasetSpec, EngineSpec, Policy, Query};
pub use table::Table;

/// Set (to anything) to print every query sent to the engine, with its time, on stderr.
pub const TRACE_ENV: &str = "MODELGATE_SPARK_TRACE";

/// A connected Spark Connect session.
pub struct Engine {
    session: SparkSession,
    /// The endpoint without its parameters (which may hold a token), for messages.
    pub endpoint: String,
    max_local_rows: u64,
    views: AtomicUsize,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// Runs `f` on a thread of its own, outside any tokio runtime (the client's calls block on
/// their own runtime); a panic inside the client becomes an error.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> Result<T, String> {
    std::thread::scope(|s| {
        s.spawn(f)
            .join()
            .map_err(|_| "the Spark Connect client failed (panicked)".to_string())
    })
}

impl Engine {
    /// Connects to the endpoint of `[engine]` and runs a first query, waiting at most
    /// `engine.connect_timeout_s`. Errors name the endpoint and what to check.
    pub fn connect(spec: &EngineSpec) -> anyhow::Result<Arc<Engine>> {
        let url = spec.spark_url().map_err(|e| anyhow!("{e}"))?;
        let endpoint = url.split("/;").next().unwrap_or(&url).to_string();
        let timeout = Duration::from_secs_f64(spec.connect_timeout_s);
        // A closed port fails at once (the client would retry it for minutes).
        if let Some(addr) = socket_address(&endpoint) {
            if let Err(e) = std::net::TcpStream::connect_timeout(&addr, timeout) {
                bail!(
                    "cannot reach the Spark Connect server at {endpoint}: {e}; check `engine.spark` \
                     (or ${}) and that the server is running",
                    crate::policy::SPARK_REMOTE_ENV
                );
            }
        }
        // A server that never answers must not hang the gate: the attempt runs on a detached
        // thread that is abandoned when the time is up.
        let (tx, rx) = std::sync::mpsc::channel();
        let target = url.clone();
        std::thread::Builder::new()
            .name("spark-connect".into())
            .spawn(move || {
                // Parquet filter push-down is off: parquet-mr drops a row group whose column
                // statistics lack min/max (polars writes none for a float column with a NaN)
                // under the `IS NOT NULL` filters the aggregates imply — every row of such a
                // file would vanish. The aggregates scan every row anyway.
                let session = SparkSession::builder()
                    .remote(&target)
                    .get_or_create()
                    .and_then(|s| {
                        s.conf().set("spark.sql.parquet.filterPushdown", "false")?;
                        s.sql("SELECT 1").and_then(|d| d.collect()).map(|_| s)
                    });
                let _ = tx.send(session.map_err(|e| spark_error(&e)));
            })?;
        let session = match rx.recv_timeout(timeout) {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => bail!(
                "cannot reach the Spark Connect server at {endpoint}: {e}; check `engine.spark` (or \
                 ${}) and that the server is running",
                crate::policy::SPARK_REMOTE_ENV
            ),
            Err(_) => bail!(
                "the Spark Connect server at {endpoint} did not answer within {} s \
                 (engine.connect_timeout_s); check `engine.spark` (or ${}) and that the server is \
                 running",
                spec.connect_timeout_s,
                crate::policy::SPARK_REMOTE_ENV
            ),
        };
        Ok(Arc::new(Engine {
            session,
            endpoint,
            max_local_rows: spec.max_local_rows,
            views: AtomicUsize::new(0),
        }))
    }

    /// Runs a SQL statement and returns its result as a polars frame (no columns when it has no
    /// rows).
    pub fn query(&self, sql: &str) -> Result<DataFrame, String> {
        let started = std::time::Instant::now();
        let bytes = off_runtime(|| self.session.sql(sql).and_then(|d| d.to_arrow()));
        if std::env::var_os(TRACE_ENV).is_some() {
            eprintln!(
                "modelgate spark: {:.3} s {}",
                started.elapsed().as_secs_f64(),
                crate::data::shorten(sql, 300)
            );
        }
        let bytes = bytes?.map_err(|e| spark_error(&e))?;
        IpcReader::new(Cursor::new(bytes))
            .finish()
            .map_err(|e| format!("cannot read the engine's answer: {e}"))
    }

    /// Defines the dataset `name` on the engine as a temporary view and reads its schema and row
    /// count. Errors name the dataset, its source and Spark's message.
    pub fn dataset(
        self: &Arc<Self>,
        name: &str,
        spec: &DatasetSpec,
        policy: &Policy,
    ) -> anyhow::Result<Dataset> {
        let source = spec.source();
        let fail = |e: String| {
            anyhow!(
                "dataset `{name}` ({source}) on the Spark engine at {}: {e}; check `datasets.{name}`",
                self.endpoint
            )
        };
        let view = format!("modelgate_{}", self.views.fetch_add(1, Ordering::Relaxed));
        let path = (spec.query.is_none()).then(|| cluster_path(policy, &spec.path));
        let fields = off_runtime(|| {
            let spark = |e: spark_connect::SparkError| format!("Spark says: {}", spark_error(&e));
            let frame = match (&spec.query, &path) {
                (Some(Query::Table(t)), _) => self.session.table(t).map_err(spark)?,
                (Some(Query::Sql(q)), _) => self.session.sql(q).map_err(spark)?,
                (None, Some(p)) => read_file(&self.session, name, p, spec)?,
                (None, None) => return Err("a dataset is a file or a query".to_string()),
            };
            frame.create_or_replace_temp_view(&view).map_err(spark)?;
            frame.schema().map_err(spark)
        })
        .and_then(|r| r)
        .map_err(fail)?;
        // The row count and a fingerprint of the content, in one pass: the sum and the XOR of
        // every row's 64-bit xxhash (independent of the row order, which Spark does not keep).
        let counted = self
            .query(&format!(
                "SELECT count(*) AS n, CAST(sum(CAST(xxhash64(*) AS DECIMAL(38, 0))) AS STRING) AS s, \
                 bit_xor(xxhash64(*)) AS x FROM {view}"
            ))
            .map_err(|e| fail(format!("Spark says: {e}")))?;
        let rows = sql::count(&counted, "n").map_err(fail)?;
        let SparkType::Struct { fields } = fields else {
            return Err(fail("the engine did not describe its columns".into()));
        };
        if fields.is_empty() {
            return Err(fail("it has no columns".into()));
        }
        if rows == 0 {
            return Err(fail("it has no rows; the gate needs data to decide".into()));
        }
        let schema: Vec<ColumnInfo> = fields
            .iter()
            .map(|f| {
                let (column_type, dtype) = column_type(&f.data_type);
                ColumnInfo {
                    name: f.name.clone(),
                    column_type,
                    dtype,
                }
            })
            .collect();
        let fingerprint = format!(
            "modelgate spark fingerprint 1\n{}\nrows {rows}\nsum {}\nxor {}\n",
            schema_text(&schema),
            sql::text(&counted, "s").map_err(fail)?,
            sql::text(&counted, "x").map_err(fail)?
        );
        let table = Table::new(self.clone(), name, view, source, schema, rows);
        let mut d = Dataset::on_backend(name, Arc::new(table));
        d.sha256 = Some(hex::encode(Sha256::digest(fingerprint.as_bytes())));
        Ok(d)
    }
}

/// The socket address of `sc://host[:port]` (Spark Connect's default port is 15002), when the
/// host resolves.
fn socket_address(endpoint: &str) -> Option<std::net::SocketAddr> {
    use std::net::ToSocketAddrs;
    let hostport = endpoint.strip_prefix("sc://")?.trim_end_matches('/');
    let with_port = if hostport
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        && !hostport.ends_with(']')
    {
        hostport.to_string()
    } else {
        format!("{hostport}:15002")
    };
    with_port.to_socket_addrs().ok()?.next()
}

/// The columns as `name: dtype` lines, for the fingerprint.
fn schema_text(schema: &[ColumnInfo]) -> String {
    schema
        .iter()
        .map(|c| format!("{}: {}", c.name, c.dtype))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A file path as the cluster reads it: URIs (`s3a://…`, `hdfs://…`) as written, local paths
/// resolved against the policy's directory and made absolute.
fn cluster_path(policy: &Policy, path: &Path) -> String {
    let text = path.to_string_lossy();
    if text.contains("://") {
        return text.into_owned();
    }
    let p = policy.resolve(path);
    std::path::absolute(&p)
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned()
}

/// A reader for the file at `path` in its format (Parquet, CSV with the policy's dialect, NDJSON).
fn read_file(
    session: &SparkSession,
    name: &str,
    path: &str,
    spec: &DatasetSpec,
) -> Result<spark_connect::DataFrame, String> {
    let format = spec.format.or_else(|| format_of(Path::new(path)));
    let reader = session.read();
    Ok(match format {
        Some(DataFormat::Parquet) => reader.parquet(path),
        Some(DataFormat::Ndjson) => reader.json(path),
        Some(DataFormat::Csv) => {
            let csv = &spec.csv;
            if csv.null_values.len() > 1 {
                return Err(format!(
                    "Spark reads one null marker per CSV file, `datasets.{name}.null_values` lists {}",
                    csv.null_values.len()
                ));
            }
            let mut r = reader
                .format("csv")
                .option("header", if csv.has_header { "true" } else { "false" })
                .option("inferSchema", "true")
                .option("sep", &char::from(csv.separator).to_string());
            r = match csv.quote_char {
                Some(q) => r.option("quote", &char::from(q).to_string()),
                None => r.option("quote", "\u{0}"),
            };
            if let Some(n) = csv.null_values.first() {
                r = r.option("nullValue", n);
            }
            r.load(Some(path))
        }
        Some(DataFormat::Ipc) => {
            return Err("Spark does not read Arrow IPC files; write the dataset as Parquet".into())
        }
        None => {
            return Err(
                "cannot tell the format from the extension; use .parquet, .csv or .ndjson/.jsonl, \
                 or give `format`"
                    .into(),
            )
        }
    })
}

/// The logical type of a Spark column, and the polars dtype its rows arrive as.
fn column_type(t: &SparkType) -> (ColumnType, String) {
    let (kind, dtype) = match t {
        SparkType::Boolean => (ColumnType::Boolean, "bool"),
        SparkType::Byte => (ColumnType::Integer, "i8"),
        SparkType::Short => (ColumnType::Integer, "i16"),
        SparkType::Integer => (ColumnType::Integer, "i32"),
        SparkType::Long => (ColumnType::Integer, "i64"),
        SparkType::Float => (ColumnType::Float, "f32"),
        SparkType::Double => (ColumnType::Float, "f64"),
        // Fetched as doubles (see `Table::fetch`).
        SparkType::Decimal { .. } => (ColumnType::Float, "f64"),
        SparkType::String { .. } | SparkType::Char { .. } | SparkType::Varchar { .. } => {
            (ColumnType::Utf8, "str")
        }
        SparkType::Date => (ColumnType::Temporal, "date"),
        SparkType::Timestamp => (ColumnType::Temporal, "datetime[μs, UTC]"),
        SparkType::TimestampNtz => (ColumnType::Temporal, "datetime[μs]"),
        other => return (ColumnType::Other, format!("{other:?}").to_lowercase()),
    };
    (kind, dtype.to_string())
}

/// Spark's message for people: the server's text up to the first line break (the analysed plan
/// that follows is noise), with its error class once.
fn spark_error(e: &spark_connect::SparkError) -> String {
    let first = |t: &str| t.lines().next().unwrap_or("").trim().to_string();
    let mut text = first(&e.message);
    if text.is_empty() {
        text = first(&e.to_string());
    }
    if !e.error_class.is_empty() && !text.contains(&format!("[{}]", e.error_class)) {
        text = format!("[{}] {text}", e.error_class);
    }
    text
}

impl From<String> for CallError {
    fn from(message: String) -> Self {
        CallError::failed(message)
    }
}
