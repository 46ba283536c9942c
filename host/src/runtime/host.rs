//! The host API a plugin calls: `log`, the `table` resource (aggregates computed natively, bounded
//! chunked reads) and the `model` resource (predictions, latency benchmarks).

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::Resource;
use wasmtime::Store;

use super::bindings::modelgate::plugin::{host, types};
use super::contract::truncate;
use super::{bindings, CheckContext, HostState, ModelRes, TableRes, MAX_LOG_BYTES};
use crate::data::{CallError, CallErrorKind, ColumnType, Dataset};
use crate::outcome::LogLine;

/// The `context` record `validate` receives: the check's task and its datasets and models as
/// resources in the store's table.
pub(super) fn build_context(
    store: &mut Store<HostState>,
    ctx: &CheckContext,
    datasets: &[Arc<Dataset>],
) -> anyhow::Result<bindings::exports::modelgate::plugin::validator::Context> {
    use bindings::exports::modelgate::plugin::validator::{
        Context, NamedModel, NamedTable, TaskInfo,
    };
    let table = &mut store.data_mut().table;
    let mut tables = Vec::new();
    for d in datasets {
        tables.push(NamedTable {
            name: d.name.clone(),
            table: table.push(TableRes(d.clone()))?,
        });
    }
    let mut models = Vec::new();
    for m in &ctx.models {
        models.push(NamedModel {
            name: m.name.clone(),
            model: table.push(ModelRes(m.clone()))?,
        });
    }
    Ok(Context {
        check_id: ctx.check_id.clone(),
        task: ctx.task.map(|kind| TaskInfo {
            kind,
            target: ctx.target.clone(),
            positive_label: ctx.positive_label.clone(),
            features: ctx.features.clone(),
        }),
        datasets: tables,
        models,
    })
}

fn host_error(e: CallError) -> types::HostError {
    types::HostError {
        kind: match e.kind {
            CallErrorKind::NoSuchColumn => types::ErrorKind::NoSuchColumn,
            CallErrorKind::InvalidArgument => types::ErrorKind::InvalidArgument,
            CallErrorKind::UnsupportedType => types::ErrorKind::UnsupportedType,
            CallErrorKind::Failed => types::ErrorKind::Failed,
        },
        message: e.message,
    }
}

/// Guards against a guest making the host allocate: names longer than this are refused.
const MAX_NAME_BYTES: usize = 4096;

fn check_name(column: &str) -> Result<(), types::HostError> {
    if column.len() > MAX_NAME_BYTES {
        return Err(host_error(CallError::new(
            CallErrorKind::InvalidArgument,
            "column name longer than 4096 bytes",
        )));
    }
    Ok(())
}

impl types::Host for HostState {}

impl host::Host for HostState {
    fn log(&mut self, level: types::LogLevel, message: String) -> wasmtime::Result<()> {
        let level = match level {
            types::LogLevel::Trace => "trace",
            types::LogLevel::Debug => "debug",
            types::LogLevel::Info => "info",
            types::LogLevel::Warn => "warn",
            types::LogLevel::Error => "error",
        };
        let message = truncate(&message, 4096);
        if self.log_bytes + message.len() > MAX_LOG_BYTES {
            self.logs_dropped += 1;
        } else {
            self.log_bytes += message.len();
            self.logs.push(LogLine { level, message });
        }
        Ok(())
    }

    fn memo_get(&mut self, key: String) -> wasmtime::Result<Option<Vec<u8>>> {
        Ok(self.memo.get(&key).map(|v| v.to_vec()))
    }

    fn memo_put(&mut self, key: String, value: Vec<u8>) -> HostResult<()> {
        Ok(self
            .memo
            .put(key, value)
            .map_err(|e| host_error(CallError::new(CallErrorKind::InvalidArgument, e))))
    }
}

type HostResult<T> = wasmtime::Result<Result<T, types::HostError>>;

impl HostState {
    fn dataset(&self, r: &Resource<TableRes>) -> wasmtime::Result<Arc<Dataset>> {
        Ok(self.table.get(r)?.0.clone())
    }
    fn with_column<T>(
        &self,
        r: &Resource<TableRes>,
        column: &str,
        f: impl FnOnce(&Dataset) -> Result<T, CallError>,
    ) -> HostResult<T> {
        let d = self.dataset(r)?;
        if let Err(e) = check_name(column) {
            return Ok(Err(e));
        }
        Ok(f(&d).map_err(host_error))
    }
}

impl host::HostTable for HostState {
    fn name(&mut self, r: Resource<TableRes>) -> wasmtime::Result<String> {
        Ok(self.dataset(&r)?.name.clone())
    }
    fn num_rows(&mut self, r: Resource<TableRes>) -> wasmtime::Result<u64> {
        Ok(self.dataset(&r)?.rows() as u64)
    }
    fn value_runs(
        &mut self,
        r: Resource<TableRes>,
        column: String,
    ) -> HostResult<types::ValueRuns> {
        self.with_column(&r, &column, |d| {
            let (values, counts) = d.value_runs(&column)?;
            if values.len() > crate::data::MAX_CHUNK_ROWS as usize {
                return Err(CallError::new(
                    CallErrorKind::InvalidArgument,
                    format!(
                        "column `{column}` of dataset `{}` has {} distinct finite values, more than \
                         the {} value-runs returns; read the column instead",
                        d.name,
                        values.len(),
                        crate::data::MAX_CHUNK_ROWS
                    ),
                ));
            }
            Ok(types::ValueRuns { values, counts })
        })
    }
    fn identity(&mut self, r: Resource<TableRes>) -> wasmtime::Result<String> {
        Ok(format!("table-{}", self.dataset(&r)?.id()))
    }
    fn schema(&mut self, r: Resource<TableRes>) -> wasmtime::Result<Vec<types::ColumnInfo>> {
        Ok(self
            .dataset(&r)?
            .schema()
            .into_iter()
            .map(|c| types::ColumnInfo {
                name: c.name,
                column_type: match c.column_type {
                    ColumnType::Boolean => types::ColumnType::Boolean,
                    ColumnType::Integer => types::ColumnType::Integer,
                    ColumnType::Float => types::ColumnType::Float,
                    ColumnType::Utf8 => types::ColumnType::Utf8,
                    ColumnType::Temporal => types::ColumnType::Temporal,
                    ColumnType::Other => types::ColumnType::Other,
                },
                dtype: c.dtype,
            })
            .collect())
    }
    fn stats(&mut self, r: Resource<TableRes>, column: String) -> HostResult<types::ColumnStats> {
        self.with_column(&r, &column, |d| {
            d.stats(&column).map(|s| types::ColumnStats {
                rows: s.rows,
                null_count: s.null_count,
                nan_count: s.nan_count,
                inf_count: s.inf_count,
                unique_count: s.unique_count,
                min: s.min,
                max: s.max,
                mean: s.mean,
                std: s.std,
                std_pop: s.std_pop,
            })
        })
    }
    fn quantiles(
        &mut self,
        r: Resource<TableRes>,
        column: String,
        probabilities: Vec<f64>,
    ) -> HostResult<Vec<Option<f64>>> {
        self.with_column(&r, &column, |d| d.quantiles(&column, &probabilities))
    }
    fn histogram(
        &mut self,
        r: Resource<TableRes>,
        column: String,
        edges: Vec<f64>,
    ) -> HostResult<Vec<u64>> {
        self.with_column(&r, &column, |d| d.histogram(&column, &edges))
    }
    fn value_counts(
        &mut self,
        r: Resource<TableRes>,
        column: String,
        limit: u32,
    ) -> HostResult<Vec<types::ValueCount>> {
        self.with_column(&r, &column, |d| {
            d.value_counts(&column, limit).map(|v| {
                v.into_iter()
                    .map(|(value, count)| types::ValueCount { value, count })
                    .collect()
            })
        })
    }
    fn duplicate_rows(&mut self, r: Resource<TableRes>, columns: Vec<String>) -> HostResult<u64> {
        let d = self.dataset(&r)?;
        if let Some(e) = columns.iter().find_map(|c| check_name(c).err()) {
            return Ok(Err(e));
        }
        Ok(d.duplicate_rows(&columns).map_err(host_error))
    }
    fn wasserstein(
        &mut self,
        r: Resource<TableRes>,
        column: String,
        other: Resource<TableRes>,
        other_column: String,
    ) -> HostResult<f64> {
        let (d, o) = (self.dataset(&r)?, self.dataset(&other)?);
        if let Some(e) = [&column, &other_column]
            .into_iter()
            .find_map(|c| check_name(c).err())
        {
            return Ok(Err(e));
        }
        Ok(d.wasserstein(&column, &o, &other_column)
            .map_err(host_error))
    }
    fn grouped_moments(
        &mut self,
        r: Resource<TableRes>,
        group_column: String,
        columns: Vec<String>,
    ) -> HostResult<Vec<types::GroupMoments>> {
        let d = self.dataset(&r)?;
        if columns.len() > crate::data::MAX_MOMENT_COLUMNS {
            return Ok(Err(host_error(CallError::new(
                CallErrorKind::InvalidArgument,
                format!(
                    "grouped-moments takes at most {} columns, got {}",
                    crate::data::MAX_MOMENT_COLUMNS,
                    columns.len()
                ),
            ))));
        }
        for c in std::iter::once(&group_column).chain(&columns) {
            if let Err(e) = check_name(c) {
                return Ok(Err(e));
            }
        }
        Ok(d.grouped_moments(&group_column, &columns)
            .map(|groups| {
                groups
                    .into_iter()
                    .map(|g| types::GroupMoments {
                        key: g.key,
                        rows: g.rows,
                        nulls: g.nulls,
                        non_finite: g.non_finite,
                        n: g.n,
                        means: g.means,
                        comoments: g.comoments,
                    })
                    .collect()
            })
            .map_err(host_error))
    }

    fn read_f64(
        &mut self,
        r: Resource<TableRes>,
        column: String,
        offset: u64,
        len: u32,
    ) -> HostResult<types::F64Chunk> {
        self.with_column(&r, &column, |d| {
            d.read_f64(&column, offset, len).map(|c| types::F64Chunk {
                values: c.values,
                validity: c.validity,
            })
        })
    }
    fn read_i64(
        &mut self,
        r: Resource<TableRes>,
        column: String,
        offset: u64,
        len: u32,
    ) -> HostResult<types::I64Chunk> {
        self.with_column(&r, &column, |d| {
            d.read_i64(&column, offset, len).map(|c| types::I64Chunk {
                values: c.values,
                validity: c.validity,
            })
        })
    }
    fn read_utf8(
        &mut self,
        r: Resource<TableRes>,
        column: String,
        offset: u64,
        len: u32,
    ) -> HostResult<types::Utf8Chunk> {
        self.with_column(&r, &column, |d| {
            d.read_utf8(&column, offset, len).map(|c| types::Utf8Chunk {
                data: c.data,
                offsets: c.offsets,
                validity: c.validity,
            })
        })
    }
    fn drop(&mut self, r: Resource<TableRes>) -> wasmtime::Result<()> {
        self.table.delete(r)?;
        Ok(())
    }
}

impl host::HostModel for HostState {
    fn name(&mut self, r: Resource<ModelRes>) -> wasmtime::Result<String> {
        Ok(self.table.get(&r)?.0.name.clone())
    }
    fn task(&mut self, r: Resource<ModelRes>) -> wasmtime::Result<types::TaskKind> {
        Ok(super::task_kind(self.table.get(&r)?.0.task))
    }
    fn classes(&mut self, r: Resource<ModelRes>) -> wasmtime::Result<Vec<String>> {
        Ok(self.table.get(&r)?.0.classes.clone())
    }
    fn runnable(&mut self, r: Resource<ModelRes>) -> wasmtime::Result<bool> {
        Ok(self.table.get(&r)?.0.runnable())
    }
    fn predict(
        &mut self,
        r: Resource<ModelRes>,
        data: Resource<TableRes>,
    ) -> HostResult<Resource<TableRes>> {
        let model = self.table.get(&r)?.0.clone();
        let d = self.dataset(&data)?;
        match model.predict(&d) {
            Ok(p) => Ok(Ok(self.table.push(TableRes(p))?)),
            Err(e) => Ok(Err(host_error(e))),
        }
    }
    fn benchmark(
        &mut self,
        r: Resource<ModelRes>,
        data: Resource<TableRes>,
        batch_size: u32,
        warmup: u32,
        iterations: u32,
    ) -> HostResult<Vec<u64>> {
        let model = self.table.get(&r)?.0.clone();
        let d = self.dataset(&data)?;
        // The benchmark runs in the host, where the epoch deadline cannot stop it: up to 20,000 runs
        // on a large batch could hold the gate for hours. Time one run first and refuse a benchmark
        // that cannot finish within what is left of the check's time limit.
        let runs = u64::from(warmup) + u64::from(iterations);
        if runs > 1
            && warmup <= crate::model::MAX_BENCH_ITERATIONS
            && iterations <= crate::model::MAX_BENCH_ITERATIONS
        {
            let one = match model.benchmark(&d, batch_size, 0, 1) {
                Ok(v) => Duration::from_nanos(v.first().copied().unwrap_or(0)),
                Err(e) => return Ok(Err(host_error(e))),
            };
            let needed = one.saturating_mul(u32::try_from(runs).unwrap_or(u32::MAX));
            let left = self.deadline.saturating_duration_since(Instant::now());
            if needed > left {
                return Ok(Err(host_error(CallError::new(CallErrorKind::InvalidArgument, format!(
                    "{runs} benchmark runs of {:.3} ms each would take about {:.1} s, more than the {:.1} s left of \
                     the check's time limit; use fewer iterations or a smaller batch",
                    one.as_secs_f64() * 1e3,
                    needed.as_secs_f64(),
                    left.as_secs_f64()
                )))));
            }
        }
        Ok(model
            .benchmark(&d, batch_size, warmup, iterations)
            .map_err(host_error))
    }
    fn drop(&mut self, r: Resource<ModelRes>) -> wasmtime::Result<()> {
        self.table.delete(r)?;
        Ok(())
    }
}
