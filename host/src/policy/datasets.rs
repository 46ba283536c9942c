//! `[datasets]`: a path, or a table with the path, an explicit format and the CSV dialect; on a
//! Spark engine also `{ table = "db.name" }` or `{ sql = "SELECT ..." }`.

use std::fmt;
use std::path::PathBuf;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// A dataset: a path, or a table with the path, an explicit format and CSV options.
#[derive(Debug, Clone)]
pub struct DatasetSpec {
    /// File path (relative to the policy); empty for a `table` or `sql` dataset.
    pub path: PathBuf,
    /// `{ table = "..." }` or `{ sql = "..." }`: a dataset the Spark engine reads (`[engine]`).
    pub query: Option<Query>,
    /// `{ profile = "reference.profile" }`: the dataset is this profile (`modelgate profile`),
    /// relative to the policy; `path`, `table` or `sql` beside it name the source it must still
    /// match (its digest is checked).
    pub profile: Option<PathBuf>,
    /// Explicit format; default: from the file extension.
    pub format: Option<DataFormat>,
    /// How a CSV file is written (polars' CSV options); defaults read comma-separated files with a
    /// header row and `"` quotes.
    pub csv: CsvDialect,
}

/// The dialect of a CSV file: `separator`, `quote_char`, `null_values`, `has_header`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvDialect {
    /// The field separator (one ASCII character; default `,`).
    pub separator: u8,
    /// The quote character (one ASCII character; default `"`); `None` when written as `""`:
    /// quotes are then ordinary characters.
    pub quote_char: Option<u8>,
    /// Values read as null in every column (default: only empty fields).
    pub null_values: Vec<String>,
    /// Whether the first row names the columns (default true); without one, columns are named
    /// `column_1`, `column_2`, … as polars names them.
    pub has_header: bool,
}

impl Default for CsvDialect {
    fn default() -> Self {
        CsvDialect {
            separator: b',',
            quote_char: Some(b'"'),
            null_values: Vec::new(),
            has_header: true,
        }
    }
}

impl CsvDialect {
    /// Whether this is the default dialect (comma, double quote, header row, no extra nulls).
    pub fn is_default(&self) -> bool {
        self == &CsvDialect::default()
    }
}

/// A dataset defined on the engine rather than by a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// A table of the engine's catalog, e.g. `lake.churn.train_2026_10`.
    Table(String),
    /// A SQL query whose result is the dataset.
    Sql(String),
}

impl DatasetSpec {
    /// How the policy names the dataset's source, for messages: its path, `table …` or `sql …`.
    pub fn source(&self) -> String {
        match &self.query {
            Some(Query::Table(t)) => format!("table {t}"),
            Some(Query::Sql(q)) => format!("sql {}", crate::data::shorten(q, 60)),
            None => self.path.display().to_string(),
        }
    }

    /// Whether the dataset names a source (a path, `table` or `sql`): a profile may have none.
    pub fn has_source(&self) -> bool {
        self.query.is_some() || !self.path.as_os_str().is_empty()
    }
}

/// Supported data file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// Arrow IPC file (Feather v2).
    Ipc,
    /// Newline-delimited JSON.
    Ndjson,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DatasetTable {
    #[serde(default)]
    path: Option<PathBuf>,
    #[serde(default)]
    table: Option<String>,
    #[serde(default)]
    sql: Option<String>,
    #[serde(default)]
    profile: Option<PathBuf>,
    #[serde(default)]
    format: Option<DataFormat>,
    #[serde(default)]
    separator: Option<String>,
    #[serde(default)]
    quote_char: Option<String>,
    #[serde(default)]
    null_values: Option<Vec<String>>,
    #[serde(default)]
    has_header: Option<bool>,
}

/// One ASCII character (not a line break) from a CSV option, or an error saying what is wrong.
fn csv_char(key: &str, v: &str) -> Result<u8, String> {
    match v.as_bytes() {
        [b] if b.is_ascii() && *b != b'\n' && *b != b'\r' => Ok(*b),
        _ => Err(format!(
            "`{key}` must be one ASCII character (e.g. \";\" or \"\\t\"), not {v:?}"
        )),
    }
}

impl DatasetTable {
    fn into_spec(self) -> Result<DatasetSpec, String> {
        let (path, query) = match (self.path, self.table, self.sql) {
            (Some(p), None, None) => (p, None),
            (None, Some(t), None) if t.trim().is_empty() => {
                return Err("`table` is empty: name a table of the engine's catalog".into())
            }
            (None, Some(t), None) => (PathBuf::new(), Some(Query::Table(t))),
            (None, None, Some(q)) if q.trim().is_empty() => {
                return Err("`sql` is empty: write the query whose result is the dataset".into())
            }
            (None, None, Some(q)) => (PathBuf::new(), Some(Query::Sql(q))),
            (None, None, None) if self.profile.is_some() => (PathBuf::new(), None),
            (None, None, None) => {
                return Err(
                    "give the dataset's `path`, or (on a Spark engine) its `table` or `sql`, or a \
                     `profile` written by `modelgate profile`"
                        .into(),
                )
            }
            _ => return Err("give one of `path`, `table` and `sql`, not several".into()),
        };
        if query.is_some()
            && (self.format.is_some()
                || self.separator.is_some()
                || self.quote_char.is_some()
                || self.null_values.is_some()
                || self.has_header.is_some())
        {
            return Err(
                "`format` and the CSV options apply to files (`path`), not to `table` or `sql` datasets".into(),
            );
        }
        let mut csv = CsvDialect::default();
        if let Some(s) = &self.separator {
            csv.separator = csv_char("separator", s)?;
        }
        if let Some(q) = &self.quote_char {
            csv.quote_char = if q.is_empty() {
                None
            } else {
                Some(csv_char("quote_char", q)?)
            };
        }
        if csv.quote_char == Some(csv.separator) {
            return Err("`quote_char` and `separator` must differ".into());
        }
        if let Some(n) = self.null_values {
            csv.null_values = n;
        }
        if let Some(h) = self.has_header {
            csv.has_header = h;
        }
        if matches!(&self.profile, Some(p) if p.as_os_str().is_empty()) {
            return Err("`profile` is empty: give the file `modelgate profile` wrote".into());
        }
        Ok(DatasetSpec {
            path,
            query,
            profile: self.profile,
            format: self.format,
            csv,
        })
    }
}

impl<'de> Deserialize<'de> for DatasetSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DatasetSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a file path, or a table { path = \"...\", format = \"csv\", separator = \";\", \
                     null_values = [\"NA\"], quote_char = \"'\", has_header = true }, or (on a Spark \
                     engine) { table = \"db.name\" } or { sql = \"SELECT ...\" }, or a profile \
                     { profile = \"reference.profile\" }",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DatasetSpec, E> {
                Ok(DatasetSpec {
                    path: PathBuf::from(v),
                    query: None,
                    profile: None,
                    format: None,
                    csv: CsvDialect::default(),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DatasetSpec, A::Error> {
                let t = DatasetTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                t.into_spec().map_err(de::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}
