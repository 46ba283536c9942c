//! Reference profiles: what the checks need of a dataset, kept in a file, so that a gate runs
//! without reading the dataset again (`modelgate profile`, `reference = { profile = "…" }`).
//!
//! A profile holds every column's statistics, its value counts, every distinct finite value of
//! each numeric column with its count (quantiles, histograms, the Wasserstein distance: exact),
//! the duplicate-row count over all columns, and the rows themselves up to `--max-rows`. It
//! answers the table API as the dataset did: a [`Profile`] is a [`Backend`]. The file format is
//! in [`mod@format`] and docs/profiles.md.

pub mod format;
mod write;

pub use write::{command, ProfileArgs};

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context as _};
use polars::prelude::{DataFrame, IpcReader, SerReader};

use crate::data::{
    expand_runs, histogram_sorted, quantile_sorted, Backend, CallError, CallErrorKind, ColumnInfo,
    ColumnStats, ColumnType, Dataset, Runs,
};
use crate::files::sha256_file;
use format::{Header, Parsed};

/// The digest kind of a file read embedded: the SHA-256 of its bytes.
pub const FILE_DIGEST: &str = "sha256";
/// The digest kind of a dataset on Spark: its content fingerprint (docs/scale.md).
pub const SPARK_DIGEST: &str = "spark-fingerprint";

/// A dataset as a profile describes it.
#[derive(Debug)]
pub struct Profile {
    /// The profile file.
    file: PathBuf,
    header: Header,
    schema: Vec<ColumnInfo>,
    stats: HashMap<String, ColumnStats>,
    /// Per column: the most frequent values, and whether they are all of them.
    counts: HashMap<String, (Vec<(String, u64)>, bool)>,
    /// Per numeric column: distinct finite values and their counts.
    runs: HashMap<String, Runs>,
    /// Per numeric column, once asked for: its finite values, sorted.
    sorted: Mutex<HashMap<String, Arc<Vec<f64>>>>,
    /// The rows, when the profile keeps them.
    rows: Option<DataFrame>,
}

/// The digest a profile's source must still have: computed by the gate from the source the
/// policy names beside the profile.
#[derive(Debug, Clone)]
pub struct SourceDigest {
    /// How the policy names the source.
    pub source: String,
    /// The digest now.
    pub digest: String,
    /// [`FILE_DIGEST`] or [`SPARK_DIGEST`].
    pub kind: &'static str,
}

impl SourceDigest {
    /// The SHA-256 of a file read embedded, as `source` names it.
    pub fn of_file(source: String, path: &Path) -> std::io::Result<SourceDigest> {
        Ok(SourceDigest {
            source,
            digest: sha256_file(path)?,
            kind: FILE_DIGEST,
        })
    }
}

impl Profile {
    /// What the profile was written from.
    pub fn source(&self) -> &format::Source {
        &self.header.source
    }

    fn column(&self, column: &str) -> Result<&ColumnInfo, CallError> {
        self.schema
            .iter()
            .find(|c| c.name == column)
            .ok_or_else(|| {
                CallError::new(
                    CallErrorKind::NoSuchColumn,
                    format!(
                        "the profile {} has no column `{column}`",
                        self.file.display()
                    ),
                )
            })
    }

    /// A numeric column's value runs.
    fn column_runs(&self, column: &str) -> Result<&Runs, CallError> {
        self.runs.get(column).ok_or_else(|| {
            CallError::new(
                CallErrorKind::UnsupportedType,
                format!(
                    "column `{column}` of the profile {} is not numeric",
                    self.file.display()
                ),
            )
        })
    }

    /// A numeric column's finite values, sorted: expanded from its runs once, for quantiles and
    /// histograms.
    fn sorted(&self, column: &str) -> Result<Arc<Vec<f64>>, CallError> {
        let runs = self.column_runs(column)?;
        let mut cache = self.sorted.lock().unwrap_or_else(|p| p.into_inner());
        Ok(cache
            .entry(column.to_string())
            .or_insert_with(|| Arc::new(expand_runs(runs)))
            .clone())
    }
}

/// Opens a profile as the dataset `name`. With `check`, the source's digest now must be the one
/// the profile was written from; without, a profile of a local file that is still where it was
/// is checked against it. Errors name the file and what to do.
pub fn open(name: &str, file: &Path, check: Option<SourceDigest>) -> anyhow::Result<Dataset> {
    let what = || format!("dataset `{name}`: the profile {}", file.display());
    let bytes = std::fs::read(file).with_context(|| {
        format!("cannot read {}: check `datasets.{name}.profile` (relative to the policy), or write it with `modelgate profile`", what())
    })?;
    let sha256 = crate::files::sha256_bytes(&bytes);
    let parsed = Parsed::from_bytes(bytes).map_err(|e| anyhow::anyhow!("{}: {e}", what()))?;
    let header = &parsed.header;
    let recorded = &header.source;
    let check = match check {
        Some(c) => Some(c),
        None => match &recorded.path {
            Some(p) if recorded.engine.is_none() && Path::new(p).is_file() => Some(
                SourceDigest::of_file(recorded.source.clone(), Path::new(p))
                    .with_context(|| format!("cannot read {p}"))?,
            ),
            _ => None,
        },
    };
    if let Some(c) = check {
        if c.kind != recorded.digest_kind {
            bail!(
                "{}: it was written {} and has a {} of its source, and this gate computes a {} of {}: \
                 write the profile with the gate's engine (`modelgate profile`), or name no source \
                 beside `profile` to use it unchecked",
                what(),
                recorded
                    .engine
                    .as_deref()
                    .map_or("embedded".to_string(), |e| format!("on {e}")),
                recorded.digest_kind,
                c.kind,
                c.source
            );
        }
        if c.digest != recorded.digest {
            bail!(
                "{} is stale: it was written from {} when its {} was {}, and {} now has {} {}; write \
                 it again with `modelgate profile POLICY --dataset {name}`",
                what(),
                recorded.source,
                recorded.digest_kind,
                recorded.digest,
                c.source,
                c.kind,
                c.digest
            );
        }
    }
    let profile = read(file, parsed).map_err(|e| anyhow::anyhow!("{}: {e}", what()))?;
    let mut d = Dataset::on_backend(name, Arc::new(profile));
    d.path = Some(file.to_path_buf());
    d.sha256 = Some(sha256);
    Ok(d)
}

fn read(file: &Path, parsed: Parsed) -> Result<Profile, String> {
    let mut p = Profile {
        file: file.to_path_buf(),
        header: parsed.header.clone(),
        schema: Vec::new(),
        stats: HashMap::new(),
        counts: HashMap::new(),
        runs: HashMap::new(),
        sorted: Mutex::default(),
        rows: None,
    };
    for c in &parsed.header.columns {
        let column_type = type_of(&c.column_type).ok_or_else(|| {
            format!(
                "the file is damaged (column `{}` has the unknown type {:?}); write the profile again",
                c.name, c.column_type
            )
        })?;
        p.schema.push(ColumnInfo {
            name: c.name.clone(),
            column_type,
            dtype: c.dtype.clone(),
        });
        let s = &c.stats;
        p.stats.insert(c.name.clone(), ColumnStats::from(s));
        p.counts.insert(
            c.name.clone(),
            (c.value_counts.clone(), c.value_counts_complete),
        );
        match (column_type.is_numeric(), c.runs) {
            (true, Some(b)) => {
                let runs = parsed.runs(&c.name, b)?;
                let finite = s.rows - s.null_count - s.nan_count - s.inf_count;
                if runs.1.iter().sum::<u64>() != finite {
                    return Err(format!(
                        "the file is damaged (the value runs of `{}` do not add up to its {finite} \
                         finite values); write the profile again",
                        c.name
                    ));
                }
                p.runs.insert(c.name.clone(), runs);
            }
            (false, None) => {}
            _ => {
                return Err(format!(
                    "the file is damaged (column `{}` is {} and {} value runs); write the profile again",
                    c.name,
                    c.column_type,
                    if c.runs.is_some() { "has" } else { "lacks" }
                ))
            }
        }
    }
    if let Some(b) = parsed.header.rows_ipc {
        let df = IpcReader::new(Cursor::new(parsed.blob(b)?))
            .finish()
            .map_err(|e| format!("the file is damaged (its rows: {e}); write the profile again"))?;
        if df.height() as u64 != parsed.header.rows || df.width() != p.schema.len() {
            return Err(
                "the file is damaged (its rows do not match its header); write the profile again"
                    .into(),
            );
        }
        p.rows = Some(df);
    }
    Ok(p)
}

/// The profile's name of a column type.
pub fn type_name(t: ColumnType) -> &'static str {
    match t {
        ColumnType::Boolean => "boolean",
        ColumnType::Integer => "integer",
        ColumnType::Float => "float",
        ColumnType::Utf8 => "utf8",
        ColumnType::Temporal => "temporal",
        ColumnType::Other => "other",
    }
}

fn type_of(name: &str) -> Option<ColumnType> {
    Some(match name {
        "boolean" => ColumnType::Boolean,
        "integer" => ColumnType::Integer,
        "float" => ColumnType::Float,
        "utf8" => ColumnType::Utf8,
        "temporal" => ColumnType::Temporal,
        "other" => ColumnType::Other,
        _ => return None,
    })
}

impl Backend for Profile {
    fn source(&self) -> String {
        format!(
            "profile {} of {}",
            self.file.display(),
            self.header.source.source
        )
    }

    fn engine(&self) -> Option<String> {
        None
    }

    fn rows(&self) -> u64 {
        self.header.rows
    }

    fn schema(&self) -> &[ColumnInfo] {
        &self.schema
    }

    fn stats(&self, column: &str) -> Result<ColumnStats, CallError> {
        self.column(column)?;
        Ok(self.stats[column].clone())
    }

    fn quantiles(&self, column: &str, probs: &[f64]) -> Result<Vec<Option<f64>>, CallError> {
        let v = self.sorted(column)?;
        Ok(probs.iter().map(|&p| quantile_sorted(&v, p)).collect())
    }

    fn histogram(&self, column: &str, edges: &[f64]) -> Result<Vec<u64>, CallError> {
        Ok(histogram_sorted(&self.sorted(column)?, edges))
    }

    fn value_counts(&self, column: &str, limit: u32) -> Result<Vec<(String, u64)>, CallError> {
        self.column(column)?;
        let (counts, complete) = &self.counts[column];
        if (limit as usize) > counts.len() && !complete {
            return Err(CallError::new(
                CallErrorKind::InvalidArgument,
                format!(
                    "the profile {} keeps {} of `{column}` (of {} distinct), and {limit} were \
                     asked for: gate with the dataset itself",
                    self.file.display(),
                    match counts.len() {
                        0 => "no value counts".to_string(),
                        n => format!("the {n} most frequent values"),
                    },
                    self.stats[column].unique_count
                ),
            ));
        }
        Ok(counts.iter().take(limit as usize).cloned().collect())
    }

    fn duplicate_rows(&self, columns: &[String]) -> Result<u64, CallError> {
        if columns.iter().eq(self.schema.iter().map(|c| &c.name)) {
            return Ok(self.header.duplicate_rows);
        }
        Err(CallError::new(
            CallErrorKind::InvalidArgument,
            format!(
                "the profile {} counts duplicate rows over all columns, not over {}: gate with the \
                 dataset itself for other columns",
                self.file.display(),
                columns
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ))
    }

    fn wasserstein(
        &self,
        _column: &str,
        _other: &dyn Backend,
        _other_column: &str,
    ) -> Option<Result<f64, CallError>> {
        None // from the sorted values of both
    }

    fn value_runs(&self, column: &str) -> Option<Result<Runs, CallError>> {
        Some(self.column_runs(column).cloned())
    }

    fn fetch(&self) -> Result<DataFrame, CallError> {
        self.rows.clone().ok_or_else(|| {
            CallError::new(
                CallErrorKind::UnsupportedType,
                format!(
                    "the profile {} of {} keeps aggregates, not its {} rows: this needs the rows \
                     themselves (a check that reads values, or a model to run); write the profile \
                     with `--max-rows {}` or more, or gate with the dataset itself",
                    self.file.display(),
                    self.header.source.source,
                    self.header.rows,
                    self.header.rows
                ),
            )
        })
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    /// A dataset and its profile (aggregates only), opened as a dataset.
    fn profiled(df: DataFrame) -> (Dataset, Dataset, tempfile::TempDir) {
        let d = Dataset::from_frame("t", df);
        let source = format::Source {
            source: "t.parquet".into(),
            engine: None,
            path: None,
            digest: "0".repeat(64),
            digest_kind: FILE_DIGEST.into(),
        };
        let bytes = write::profile_bytes(&d, source, 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.profile");
        std::fs::write(&file, bytes).unwrap();
        let p = open("t", &file, None).unwrap();
        (d, p, dir)
    }

    #[test]
    fn a_profile_answers_the_table_api_as_its_dataset_did() {
        let n = 5000;
        let x: Vec<Option<f64>> = (0..n)
            .map(|i| match i % 97 {
                0 => None,
                1 => Some(f64::NAN),
                2 => Some(f64::NEG_INFINITY),
                3 => Some(-0.0),
                _ => Some(((i * 7919) % 1013) as f64 / 7.0 - 50.0),
            })
            .collect();
        let k: Vec<i64> = (0..n).map(|i| (i % 4) as i64).collect();
        let s: Vec<Option<&str>> = (0..n)
            .map(|i| (i % 11 != 0).then_some(["a", "b", "c"][i % 3]))
            .collect();
        let (d, p, _dir) = profiled(df!("x" => x, "k" => k, "s" => s).unwrap());
        for c in ["x", "k", "s"] {
            assert_eq!(d.stats(c).unwrap(), p.stats(c).unwrap(), "{c}");
        }
        for c in ["x", "k"] {
            let probs = [0.0, 0.1, 0.25, 0.5, 0.9, 1.0];
            assert_eq!(
                d.quantiles(c, &probs).unwrap(),
                p.quantiles(c, &probs).unwrap()
            );
            let edges = [-50.0, -10.0, 0.0, 0.5, 3.0, 100.0];
            assert_eq!(
                d.histogram(c, &edges).unwrap(),
                p.histogram(c, &edges).unwrap()
            );
            let w = |a: &Dataset, b: &Dataset| a.wasserstein(c, b, "x").unwrap().to_bits();
            assert_eq!(w(&d, &d), w(&p, &d));
            assert_eq!(w(&d, &p), w(&p, &p));
        }
        for (c, limit) in [("k", 2), ("k", 100), ("s", 1), ("s", 10)] {
            assert_eq!(
                d.value_counts(c, limit).unwrap(),
                p.value_counts(c, limit).unwrap()
            );
        }
        assert_eq!(
            d.duplicate_rows(&[]).unwrap(),
            p.duplicate_rows(&[]).unwrap()
        );
        // What a profile without rows cannot answer, it says so, naming itself.
        let err = p.value_counts("x", 10).unwrap_err().message;
        assert!(err.contains("no value counts of `x`"), "{err}");
        let err = p.duplicate_rows(&["k".into()]).unwrap_err().message;
        assert!(err.contains("over all columns"), "{err}");
        let err = p.series("x").unwrap_err().message;
        assert!(
            err.contains("t.profile") && err.contains("--max-rows 5000"),
            "{err}"
        );
    }
}
