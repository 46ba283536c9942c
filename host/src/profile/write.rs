//! `modelgate profile`: reads one dataset of a policy (embedded or on the policy's engine) and
//! writes its profile.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{anyhow, bail, Context as _};
use clap::Args;
use polars::prelude::{IpcWriter, SerWriter};

use super::format::{self, Blob, Column, Header, Stats, Writer};
use super::{type_name, FILE_DIGEST, SPARK_DIGEST};
use crate::data::{CallError, Dataset, Runs, MAX_VALUE_COUNTS};
use crate::policy::{DatasetSpec, Policy};

/// Most value counts a profile keeps of a numeric column (all of them for text: up to
/// [`MAX_VALUE_COUNTS`]); its value runs answer everything else about it.
pub const NUMERIC_VALUE_COUNTS: u32 = 1000;
/// `--max-rows` by default.
pub const DEFAULT_MAX_ROWS: u64 = 100_000;

/// `modelgate profile`'s options.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// The dataset of the policy to profile (e.g. `reference`).
    #[arg(long, value_name = "NAME")]
    pub dataset: String,
    /// Where to write the profile (default: the `profile` the policy gives the dataset).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Keep the rows themselves in the profile when the dataset has at most this many (checks
    /// that read values, e.g. drift's tests on small columns, and models need them); 0 keeps
    /// aggregates only.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_ROWS)]
    pub max_rows: u64,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `modelgate profile POLICY --dataset NAME`.
pub fn command(policy_path: &Path, args: &ProfileArgs) -> anyhow::Result<()> {
    let policy = Policy::load(policy_path)?;
    let name = &args.dataset;
    let spec = policy.spec.datasets.get(name).with_context(|| {
        format!(
            "{}: no dataset `{name}` (--dataset); the policy's datasets are {}",
            policy.path.display(),
            policy
                .spec
                .datasets
                .keys()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    if !spec.has_source() {
        bail!(
            "`datasets.{name}` is a profile without a source: give the data beside it (`path`, or \
             `table`/`sql` on a Spark engine), e.g. `{name} = {{ profile = \"{}\", path = \"data/{name}.parquet\" }}`",
            spec.profile.as_deref().unwrap_or(Path::new("x.profile")).display()
        );
    }
    let output = match (&args.output, &spec.profile) {
        (Some(o), _) => o.clone(),
        (None, Some(p)) => policy.resolve(p),
        (None, None) => bail!(
            "say where to write the profile: `-o {name}.profile` (or give `datasets.{name}` a `profile`)"
        ),
    };
    let (dataset, source) = load(&policy, name, spec)?;
    let bytes = profile_bytes(&dataset, source, args.max_rows)?;
    crate::files::write_atomic(&output, &bytes)?;
    if !args.quiet {
        let kept = if dataset.rows() as u64 <= args.max_rows {
            "with its rows".to_string()
        } else {
            format!(
                "aggregates only (more rows than --max-rows {})",
                args.max_rows
            )
        };
        println!(
            "wrote {}: dataset `{name}` ({}), {} rows × {} columns, {kept}; {:.1} MB",
            output.display(),
            spec.source(),
            dataset.rows(),
            dataset.width(),
            bytes.len() as f64 / 1e6
        );
    }
    Ok(())
}

/// The dataset as the gate would read it, and how the profile records its source.
fn load(
    policy: &Policy,
    name: &str,
    spec: &DatasetSpec,
) -> anyhow::Result<(Dataset, format::Source)> {
    let mut spec = spec.clone();
    spec.profile = None;
    let mut d = match &policy.spec.engine {
        #[cfg(feature = "spark")]
        Some(engine) => {
            let engine = crate::spark::Engine::connect(engine)?;
            let d = engine.dataset(name, &spec, policy)?;
            let source = format::Source {
                source: spec.source(),
                engine: Some(format!("spark {}", engine.endpoint)),
                path: None,
                digest: d.sha256.clone().unwrap_or_default(),
                digest_kind: SPARK_DIGEST.into(),
            };
            return finish(policy, d, source);
        }
        #[cfg(not(feature = "spark"))]
        Some(_) => bail!("this modelgate was built without the Spark engine (cargo feature `spark`); remove `[engine]` from the policy"),
        None => {
            let path = policy.resolve(&spec.path);
            crate::dvc::check(name, &path)?;
            Dataset::load(name, &path, spec.format, &spec.csv)?
        }
    };
    let path = d.path.take().expect("a file dataset has its path");
    let absolute = std::path::absolute(&path).unwrap_or(path);
    let source = format::Source {
        source: spec.source(),
        engine: None,
        path: Some(absolute.display().to_string()),
        digest: d.sha256.clone().unwrap_or_default(),
        digest_kind: FILE_DIGEST.into(),
    };
    finish(policy, d, source)
}

/// Takes out the monitor's timestamp, as the gate does: no check sees it.
fn finish(
    policy: &Policy,
    mut d: Dataset,
    source: format::Source,
) -> anyhow::Result<(Dataset, format::Source)> {
    let timestamp = policy
        .spec
        .monitor
        .as_ref()
        .and_then(|m| m.timestamp.as_deref());
    if let Some(t) = timestamp.filter(|t| d.column_type(t).is_ok()) {
        d.frame_mut()?.drop_in_place(t)?;
    }
    Ok((d, source))
}

/// The profile of a loaded dataset, as bytes of the file.
pub fn profile_bytes(
    d: &Dataset,
    source: format::Source,
    max_rows: u64,
) -> anyhow::Result<Vec<u8>> {
    let what = |e: CallError| anyhow!("profiling dataset `{}` ({}): {e}", d.name, source.source);
    let schema = d.schema();
    // Columns in parallel: on an engine each is a few queries.
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<Option<Profiled>>> = Mutex::new(vec![None; schema.len()]);
    let workers = schema.len().clamp(1, 4);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(c) = schema.get(i) else { break };
                let r = column(d, &c.name, c.column_type.is_numeric());
                done.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(r);
            });
        }
    });
    let mut w = Writer::default();
    let mut columns = Vec::with_capacity(schema.len());
    for (c, r) in schema
        .iter()
        .zip(done.into_inner().unwrap_or_else(|p| p.into_inner()))
    {
        let (mut column, runs) = r
            .ok_or_else(|| anyhow!("column `{}` was not profiled", c.name))?
            .map_err(what)?;
        column.dtype = c.dtype.clone();
        column.column_type = type_name(c.column_type).into();
        column.runs = runs.map(|(v, n)| w.runs(&v, &n));
        columns.push(column);
    }
    let duplicate_rows = d.duplicate_rows(&[]).map_err(what)?;
    let rows_ipc: Option<Blob> = if d.rows() as u64 <= max_rows {
        let mut df = d.frame().map_err(what)?.clone();
        let mut bytes = Vec::new();
        IpcWriter::new(&mut bytes)
            .finish(&mut df)
            .with_context(|| format!("cannot write the rows of dataset `{}`", d.name))?;
        Some(w.blob(&bytes))
    } else {
        None
    };
    let header = Header {
        format: "modelgate-profile".into(),
        version: format::VERSION,
        written_by: format!(
            "modelgate {} (commit {})",
            env!("CARGO_PKG_VERSION"),
            env!("MODELGATE_GIT_COMMIT")
        ),
        written_at: crate::report::json::rfc3339(std::time::SystemTime::now()),
        dataset: d.name.clone(),
        source,
        rows: d.rows() as u64,
        duplicate_rows,
        columns,
        rows_ipc,
    };
    Ok(w.finish(&header))
}

/// A column's profile and (numeric) its value runs.
type Profiled = Result<(Column, Option<Runs>), CallError>;

/// One column: statistics, value counts and (numeric) value runs.
fn column(d: &Dataset, name: &str, numeric: bool) -> Profiled {
    let st = d.stats(name)?;
    let value_counts = match numeric {
        true if st.unique_count > u64::from(NUMERIC_VALUE_COUNTS) => Vec::new(),
        true => d.value_counts(name, NUMERIC_VALUE_COUNTS)?,
        false => d.value_counts(name, MAX_VALUE_COUNTS)?,
    };
    let runs = if numeric {
        Some(d.value_runs(name)?)
    } else {
        None
    };
    let column = Column {
        name: name.to_string(),
        column_type: String::new(),
        dtype: String::new(),
        stats: Stats::from(&st),
        value_counts_complete: value_counts.len() as u64 >= st.unique_count,
        value_counts,
        runs: None,
    };
    Ok((column, runs))
}
