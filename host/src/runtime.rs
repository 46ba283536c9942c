//! The sandbox: one wasmtime [`Engine`] for the process, a compiled-component cache, and a fresh
//! [`Store`] per check with a memory limit, an epoch deadline, optional fuel, captured bounded
//! stdout/stderr and an empty WASI context (no files, no environment, no network, seeded random).

use std::collections::HashMap;
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker, Resource, ResourceTable};
use wasmtime::{Config, Engine, ResourceLimiter, Store, Trap};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::data::{CallError, CallErrorKind, ColumnType, Dataset};
use crate::model::Model;

/// Host bindings generated from `wit/plugin.wit`.
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "plugin",
        imports: { default: trappable },
        with: {
            "modelgate:plugin/host.table": super::TableRes,
            "modelgate:plugin/host.model": super::ModelRes,
        },
    });
}

use bindings::modelgate::plugin::{host, types};

/// The WIT package version this host implements.
pub const WIT_VERSION: &str = "0.1.1";
/// How often the epoch ticker advances.
const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Most bytes of stdout / stderr kept per check: the first 48 KiB and the last 16 KiB (where a
/// panic message is); what lies between is dropped, and the guest never sees a full pipe.
pub const MAX_OUTPUT_BYTES: usize = 64 * 1024;
const OUTPUT_TAIL_BYTES: usize = 16 * 1024;
/// Most bytes of `log` messages kept per check.
pub const MAX_LOG_BYTES: usize = 64 * 1024;
/// Most metrics one result may carry.
pub const MAX_METRICS: usize = 100_000;
/// Most bytes of `details` JSON one result may carry.
pub const MAX_DETAILS_BYTES: usize = 4 << 20;
/// Most bytes of a result's summary.
pub const MAX_SUMMARY_BYTES: usize = 4096;

/// A dataset handed to a plugin.
pub struct TableRes(pub Arc<Dataset>);
/// A model handed to a plugin.
pub struct ModelRes(pub Arc<Model>);

/// Sandbox limits for one check.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Guest linear memory limit, bytes.
    pub memory_bytes: usize,
    /// Wall-clock limit.
    pub timeout: Duration,
    /// Optional fuel budget.
    pub fuel: Option<u64>,
}

/// One log line from a plugin.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LogLine {
    /// trace / debug / info / warn / error.
    pub level: &'static str,
    /// The message (truncated to 4 KiB).
    pub message: String,
}

struct MemLimiter {
    max: usize,
    hit: Option<usize>,
}

impl ResourceLimiter for MemLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max {
            self.hit = Some(desired);
            return Ok(false);
        }
        Ok(true)
    }
    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

/// The per-check store data.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: MemLimiter,
    logs: Vec<LogLine>,
    log_bytes: usize,
    logs_dropped: usize,
    /// When the check's time limit runs out (host calls are not interrupted by the epoch deadline).
    deadline: Instant,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// What a plugin says about itself, plus the WIT version it was built against.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PluginInfo {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Description.
    pub description: String,
    /// JSON Schema of its config, as JSON.
    pub config_schema: serde_json::Value,
    /// The WIT package version of its `validator` export.
    pub wit_version: String,
    /// Datasets it reads by default.
    pub needs_datasets: Vec<String>,
    /// Whether it needs a model.
    pub needs_models: bool,
    /// Whether it needs labels.
    pub needs_labels: bool,
}

/// A metric as reported.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct MetricOut {
    /// Name.
    pub name: String,
    /// Value.
    pub value: f64,
    /// Column.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub column: Option<String>,
    /// Model.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub model: Option<String>,
    /// Slice.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub slice: Option<String>,
    /// Bounds by kind, e.g. {"min": 0.9}.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub threshold: Option<serde_json::Map<String, serde_json::Value>>,
    /// Whether the bounds hold.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub passed: Option<bool>,
}

/// A check's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every threshold holds.
    Pass,
    /// Attention needed, nothing failed.
    Warn,
    /// A threshold does not hold.
    Fail,
    /// The check could not be evaluated.
    Error,
}

impl Status {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Error => "error",
        }
    }
}

/// What running a plugin produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// pass / warn / fail / error.
    pub status: Status,
    /// One line.
    pub summary: String,
    /// Metrics.
    pub metrics: Vec<MetricOut>,
    /// Details JSON.
    pub details: Option<serde_json::Value>,
    /// Why the check errored.
    pub error: Option<String>,
    /// Log lines.
    pub logs: Vec<LogLine>,
    /// Captured stdout + stderr (bounded).
    pub output: String,
    /// The plugin's self-description, when `describe` succeeded.
    pub info: Option<PluginInfo>,
}

/// What a check may look at.
pub struct CheckContext {
    /// The check id.
    pub check_id: String,
    /// The task, if any.
    pub task: Option<types::TaskKind>,
    /// The target column.
    pub target: String,
    /// Positive label.
    pub positive_label: Option<String>,
    /// Feature columns.
    pub features: Vec<String>,
    /// Datasets in policy order.
    pub datasets: Vec<Arc<Dataset>>,
    /// Models in policy order.
    pub models: Vec<Arc<Model>>,
}

/// The process-wide wasmtime engine, linker and compiled-component cache.
pub struct Runtime {
    engine: Engine,
    linker: Linker<HostState>,
    cache_dir: Option<PathBuf>,
    compiled: Mutex<HashMap<String, Arc<bindings::PluginPre<HostState>>>>,
    stop: Arc<AtomicBool>,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Where compiled components are cached: `MODELGATE_CACHE_DIR`, else `$XDG_CACHE_HOME/modelgate`,
/// else `~/.cache/modelgate`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("MODELGATE_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("modelgate"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("modelgate"))
}

/// The compile cache's size cap: `MODELGATE_CACHE_MAX_MB` (default 1024 MiB). A Python plugin
/// compiles to ~40 MB and every rebuild has a new digest, so the cache would otherwise only grow.
fn cache_max_bytes() -> u64 {
    std::env::var("MODELGATE_CACHE_MAX_MB")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1024)
        .saturating_mul(1 << 20)
}

/// Deletes the least recently used compiled components (`*.cwasm`, by modification time, which a
/// cache hit refreshes) until the cache holds at most `max_bytes`, never deleting `keep`. Best
/// effort: another modelgate may be pruning too.
pub fn prune_cache(dir: &Path, max_bytes: u64, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, u64, PathBuf)> = entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            Some((m.modified().ok()?, m.len(), e.path()))
        })
        .collect();
    let mut total: u64 = files.iter().map(|f| f.1).sum();
    files.sort();
    for (_, len, path) in files {
        if total <= max_bytes {
            break;
        }
        if path != keep && std::fs::remove_file(&path).is_ok() {
            total -= len;
        }
    }
}

struct ShaHasher(Sha256);
impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

impl Runtime {
    /// Creates the engine (epoch interruption and fuel on), the linker, and starts the epoch ticker.
    pub fn new(cache_dir: Option<PathBuf>) -> anyhow::Result<Runtime> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.consume_fuel(true);
        config.max_wasm_stack(1 << 20);
        let engine =
            Engine::new(&config).map_err(|e| anyhow!("cannot create the wasm engine: {e}"))?;
        let mut linker: Linker<HostState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        bindings::Plugin::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;
        let stop = Arc::new(AtomicBool::new(false));
        let (e, s) = (engine.clone(), stop.clone());
        std::thread::Builder::new()
            .name("modelgate-epoch".into())
            .spawn(move || {
                while !s.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    e.increment_epoch();
                }
            })?;
        Ok(Runtime {
            engine,
            linker,
            cache_dir,
            compiled: Mutex::new(HashMap::new()),
            stop,
        })
    }

    fn engine_key(&self) -> String {
        let mut h = ShaHasher(Sha256::new());
        std::hash::Hash::hash(&self.engine.precompile_compatibility_hash(), &mut h);
        h.0.update(env!("CARGO_PKG_VERSION").as_bytes());
        hex::encode(&h.0.finalize()[..8])
    }

    /// Compiles (or fetches from the cache) a component by its bytes and sha256, and checks that it
    /// targets a compatible version of the plugin contract.
    pub fn prepare(
        &self,
        what: &str,
        bytes: &[u8],
        sha256: &str,
    ) -> anyhow::Result<Arc<bindings::PluginPre<HostState>>> {
        if let Some(p) = self
            .compiled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(sha256)
        {
            return Ok(p.clone());
        }
        let component = self.compile_cached(what, bytes, sha256)?;
        check_wit_version(&self.engine, &component, what)?;
        let pre = self.linker.instantiate_pre(&component).map_err(|e| {
            anyhow!("{what} cannot be linked against modelgate's host: {e:#}; it may import interfaces this host does not provide")
        })?;
        let pre = bindings::PluginPre::new(pre).map_err(|e| {
            anyhow!("{what} does not export `modelgate:plugin/validator@{WIT_VERSION}`: {e:#}")
        })?;
        let pre = Arc::new(pre);
        self.compiled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(sha256.to_string(), pre.clone());
        Ok(pre)
    }

    fn compile_cached(&self, what: &str, bytes: &[u8], sha256: &str) -> anyhow::Result<Component> {
        let file = self
            .cache_dir
            .as_ref()
            .map(|d| d.join(format!("{sha256}-{}.cwasm", self.engine_key())));
        if let Some(f) = &file {
            if f.is_file() {
                // SAFETY: the file is in modelgate's own cache, keyed by the component's sha256 and the
                // engine's compatibility hash, written only by `Component::serialize` below.
                match unsafe { Component::deserialize_file(&self.engine, f) } {
                    Ok(c) => {
                        // Marks the entry as recently used, for the cache's size cap (best effort).
                        let _ = std::fs::File::options()
                            .append(true)
                            .open(f)
                            .and_then(|h| h.set_modified(std::time::SystemTime::now()));
                        return Ok(c);
                    }
                    Err(_) => {
                        let _ = std::fs::remove_file(f);
                    }
                }
            }
        }
        if !bytes.starts_with(b"\0asm") {
            bail!("{what} is not a WebAssembly file (no \\0asm header)");
        }
        let component = Component::new(&self.engine, bytes).map_err(|e| {
            anyhow!("{what} is not a valid WebAssembly component: {e:#}; build plugins with `cargo build --target wasm32-wasip2` (or componentize-py)")
        })?;
        if let Some(f) = &file {
            // Best effort: a read-only cache only costs compile time.
            let compiled = component.serialize()?;
            let dir = f.parent().expect("cache files live in the cache directory");
            let _ = std::fs::create_dir_all(dir)
                .map_err(anyhow::Error::from)
                .and_then(|()| crate::report::write_atomic(f, &compiled));
            prune_cache(dir, cache_max_bytes(), f);
        }
        Ok(component)
    }

    /// Calls `describe` in a fresh sandbox.
    pub fn describe(
        &self,
        pre: &bindings::PluginPre<HostState>,
        limits: &Limits,
    ) -> anyhow::Result<PluginInfo> {
        let (mut store, _out) = self.store(limits);
        let plugin = pre
            .instantiate(&mut store)
            .map_err(|e| anyhow!("instantiation failed: {e:#}"))?;
        let info = plugin
            .modelgate_plugin_validator()
            .call_describe(&mut store)
            .map_err(|e| anyhow!("describe() failed: {e:#}"))?;
        plugin_info(info, wit_version_of(pre))
    }

    fn store(&self, limits: &Limits) -> (Store<HostState>, BoundedOutput) {
        let out = BoundedOutput::default();
        let wasi = WasiCtxBuilder::new()
            .stdout(out.clone())
            .stderr(out.clone())
            .insecure_random_seed(0x6d6f_6465_6c67_6174_6500)
            .secure_random(<rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(
                0x6d67,
            ))
            .insecure_random(<rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(
                0x6d68,
            ))
            .build();
        let state = HostState {
            wasi,
            table: ResourceTable::new(),
            limiter: MemLimiter {
                max: limits.memory_bytes,
                hit: None,
            },
            logs: Vec::new(),
            log_bytes: 0,
            logs_dropped: 0,
            deadline: Instant::now() + limits.timeout,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        let ticks = (limits.timeout.as_nanos() / EPOCH_TICK.as_nanos()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        // Fuel is always metered (the engine is configured for it); without a budget it is unbounded.
        let _ = store.set_fuel(limits.fuel.unwrap_or(u64::MAX));
        (store, out)
    }

    /// Runs one check: a fresh store, `describe`, then `validate`. Never panics and never returns an
    /// error: whatever goes wrong becomes an `error` outcome with the reason.
    pub fn run_check(
        &self,
        pre: &bindings::PluginPre<HostState>,
        ctx: &CheckContext,
        config_json: &str,
        limits: &Limits,
    ) -> Outcome {
        let started = Instant::now();
        let (mut store, out) = self.store(limits);
        let mut outcome = Outcome {
            status: Status::Error,
            summary: String::new(),
            metrics: Vec::new(),
            details: None,
            error: None,
            logs: Vec::new(),
            output: String::new(),
            info: None,
        };
        let result: anyhow::Result<()> = (|| {
            let plugin = pre
                .instantiate(&mut store)
                .map_err(|e| self.explain(&store, e, limits, started, "instantiation"))?;
            let v = plugin.modelgate_plugin_validator();
            let info = v
                .call_describe(&mut store)
                .map_err(|e| self.explain(&store, e, limits, started, "describe()"))?;
            let info = plugin_info(info, wit_version_of(pre))?;
            // The host checks the config against the schema the plugin publishes before running it.
            check_config(&info, config_json)?;
            outcome.info = Some(info);
            let wctx = build_context(&mut store, ctx)?;
            let r = v
                .call_validate(&mut store, &wctx, config_json)
                .map_err(|e| self.explain(&store, e, limits, started, "validate()"))?;
            match r {
                Ok(res) => apply_result(&mut outcome, res),
                Err(msg) => {
                    outcome.status = Status::Error;
                    outcome.summary = truncate(&msg, MAX_SUMMARY_BYTES);
                    outcome.error = Some(truncate(&msg, MAX_SUMMARY_BYTES));
                    Ok(())
                }
            }
        })();
        if let Err(e) = result {
            outcome.status = Status::Error;
            let msg = format!("{e:#}");
            outcome.summary = truncate(&msg, MAX_SUMMARY_BYTES);
            outcome.error = Some(msg);
            outcome.metrics.clear();
            outcome.details = None;
        }
        let st = store.data_mut();
        outcome.logs = std::mem::take(&mut st.logs);
        if st.logs_dropped > 0 {
            outcome.logs.push(LogLine {
                level: "warn",
                message: format!(
                    "{} log lines dropped (over {MAX_LOG_BYTES} bytes)",
                    st.logs_dropped
                ),
            });
        }
        drop(store);
        outcome.output = out.contents();
        // A Rust guest prints its panic message to stderr before trapping: put it in the reason.
        if let (Some(err), Some(panic)) = (&mut outcome.error, panic_message(&outcome.output)) {
            if err.contains("trapped") {
                *err = format!("the plugin panicked: {panic}");
                outcome.summary = truncate(err, MAX_SUMMARY_BYTES);
            }
        }
        outcome
    }

    /// Turns a trap into a reason people can act on.
    fn explain(
        &self,
        store: &Store<HostState>,
        e: wasmtime::Error,
        limits: &Limits,
        started: Instant,
        during: &str,
    ) -> anyhow::Error {
        if let Some(desired) = store.data().limiter.hit {
            return anyhow!(
                "memory limit exceeded: the plugin tried to grow its memory to {:.1} MiB, the limit is {} MiB (set \
                 `memory_mb` on the check to raise it)",
                desired as f64 / (1 << 20) as f64,
                limits.memory_bytes >> 20
            );
        }
        match e.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => anyhow!(
                "time limit exceeded: {during} ran for {:.1} s, the limit is {:.1} s (set `timeout_s` on the check to raise it)",
                started.elapsed().as_secs_f64(),
                limits.timeout.as_secs_f64()
            ),
            Some(Trap::OutOfFuel) => anyhow!("fuel budget of {} exhausted during {during}", limits.fuel.unwrap_or(0)),
            Some(Trap::StackOverflow) => anyhow!("the plugin overflowed its call stack during {during} (unbounded recursion?)"),
            // A Rust (or C) guest keeps its stack in linear memory, below its data: unbounded
            // recursion runs that stack pointer below address 0 before wasm's own stack fills up.
            Some(Trap::MemoryOutOfBounds) => anyhow!(
                "the plugin trapped during {during}: out of bounds memory access (a memory bug in the plugin, or its \
                 stack overflowed: unbounded recursion?)"
            ),
            Some(t) => anyhow!("the plugin trapped during {during}: {t}"),
            None => {
                // Without the wasm backtrace (function indices, useless in a report).
                let msg = e
                    .chain()
                    .map(|c| c.to_string())
                    .filter(|m| !m.starts_with("error while executing at wasm backtrace"))
                    .collect::<Vec<_>>()
                    .join(": ");
                if msg.contains("invalid utf-8") {
                    anyhow!("{during} failed: the plugin gave the host a string that is not valid UTF-8 ({msg})")
                } else if msg.contains("handle limit exceeded") {
                    anyhow!("{during} failed: the plugin holds too many resource handles ({msg}); drop the tables `predict` returns")
                } else {
                    anyhow!("{during} failed: {msg}")
                }
            }
        }
    }
}

/// The guest's stdout and stderr (one stream, as a terminal would interleave them), bounded: it keeps
/// the head and the tail and counts what it drops in between. Writes always succeed, so a plugin that
/// prints a lot is not killed by a full pipe (wasmtime's `MemoryOutputPipe` closes the stream, the
/// guest's `println!` panics, and the panic message is lost in the full pipe).
#[derive(Clone, Default)]
struct BoundedOutput(Arc<Mutex<OutputBuf>>);

#[derive(Default)]
struct OutputBuf {
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    dropped: usize,
}

impl BoundedOutput {
    fn push(&self, bytes: &[u8]) {
        let mut b = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let room = (MAX_OUTPUT_BYTES - OUTPUT_TAIL_BYTES)
            .saturating_sub(b.head.len())
            .min(bytes.len());
        b.head.extend_from_slice(&bytes[..room]);
        let rest = &bytes[room..];
        let rest = if rest.len() > OUTPUT_TAIL_BYTES {
            b.dropped += rest.len() - OUTPUT_TAIL_BYTES;
            &rest[rest.len() - OUTPUT_TAIL_BYTES..]
        } else {
            rest
        };
        b.tail.extend(rest);
        let over = b.tail.len().saturating_sub(OUTPUT_TAIL_BYTES);
        b.tail.drain(..over);
        b.dropped += over;
    }

    fn contents(&self) -> String {
        let b = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let mut all = b.head.clone();
        if b.dropped > 0 {
            all.extend_from_slice(
                format!("\n[… {} bytes of output dropped …]\n", b.dropped).as_bytes(),
            );
        }
        all.extend(b.tail.iter());
        String::from_utf8_lossy(&all).into_owned()
    }
}

impl tokio::io::AsyncWrite for BoundedOutput {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.push(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

impl wasmtime_wasi::cli::IsTerminal for BoundedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl wasmtime_wasi::cli::StdoutStream for BoundedOutput {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

/// Fills an outcome from a plugin's result, refusing malformed results (fail closed).
fn apply_result(outcome: &mut Outcome, r: types::CheckResult) -> anyhow::Result<()> {
    if r.metrics.len() > MAX_METRICS {
        bail!(
            "malformed result: {} metrics (at most {MAX_METRICS})",
            r.metrics.len()
        );
    }
    let details = match r.details {
        Some(d) if d.len() > MAX_DETAILS_BYTES => bail!(
            "malformed result: details are {} bytes (at most {MAX_DETAILS_BYTES})",
            d.len()
        ),
        Some(d) => Some(
            serde_json::from_str(&d)
                .map_err(|e| anyhow!("malformed result: details are not JSON: {e}"))?,
        ),
        None => None,
    };
    let mut metrics = Vec::with_capacity(r.metrics.len());
    for m in r.metrics {
        let snake = m.name.len() <= 64
            && m.name.starts_with(|c: char| c.is_ascii_lowercase())
            && m.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !snake {
            bail!("malformed result: metric name {:?} is not snake_case (a-z, 0-9, _; at most 64 bytes)", truncate(&m.name, 80));
        }
        if !m.value.is_finite() {
            bail!(
                "malformed result: metric `{}` has value {} (metrics must be finite)",
                m.name,
                m.value
            );
        }
        let mut threshold = serde_json::Map::new();
        for t in &m.thresholds {
            if !t.value.is_finite() {
                bail!(
                    "malformed result: threshold `{}` of metric `{}` is {}",
                    t.kind,
                    m.name,
                    t.value
                );
            }
            threshold.insert(t.kind.clone(), serde_json::json!(t.value));
        }
        metrics.push(MetricOut {
            name: m.name,
            value: m.value,
            column: m.column,
            model: m.model,
            slice: m.slice,
            threshold: (!threshold.is_empty()).then_some(threshold),
            passed: m.passed,
        });
    }
    outcome.status = match r.status {
        types::Status::Pass => Status::Pass,
        types::Status::Warn => Status::Warn,
        types::Status::Fail => Status::Fail,
    };
    // Fail closed: a result that says pass while one of its metrics failed is a failure. (A `warn`
    // result may carry failed metrics: the plugin rates those misses as warnings.)
    if outcome.status == Status::Pass && metrics.iter().any(|m| m.passed == Some(false)) {
        outcome.status = Status::Fail;
    }
    outcome.summary = truncate(r.summary.lines().next().unwrap_or(""), MAX_SUMMARY_BYTES);
    outcome.metrics = metrics;
    outcome.details = details;
    Ok(())
}

/// The panic line(s) a Rust guest wrote to stderr ("panicked at FILE:LINE:COL:\nMESSAGE").
fn panic_message(output: &str) -> Option<String> {
    let start = output.find("panicked at ")?;
    let mut lines = output[start..].lines();
    let location = lines
        .next()?
        .trim_start_matches("panicked at ")
        .trim_end_matches(':');
    let message = lines.next().unwrap_or("").trim();
    Some(truncate(&format!("{message} (at {location})"), 1024))
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn plugin_info(i: types::PluginInfo, wit_version: String) -> anyhow::Result<PluginInfo> {
    let config_schema = serde_json::from_str(&i.config_schema).map_err(|e| {
        anyhow!(
            "plugin `{}` describes a config schema that is not JSON: {e}",
            i.name
        )
    })?;
    Ok(PluginInfo {
        name: truncate(&i.name, 256),
        version: truncate(&i.version, 64),
        description: truncate(&i.description, 4096),
        config_schema,
        wit_version,
        needs_datasets: i.needs.datasets,
        needs_models: i.needs.models,
        needs_labels: i.needs.labels,
    })
}

/// Validates a check's config against the plugin's JSON Schema; the error names the key path
/// (`config.metrics.accuracy.min`) and the rule broken.
pub fn check_config(info: &PluginInfo, config_json: &str) -> anyhow::Result<()> {
    let config: serde_json::Value = serde_json::from_str(config_json)?;
    let validator = jsonschema::validator_for(&info.config_schema).map_err(|e| {
        anyhow!(
            "plugin `{}` publishes a config schema that is not a valid JSON Schema: {e}",
            info.name
        )
    })?;
    let errors: Vec<String> = validator
        .iter_errors(&config)
        .take(5)
        .map(|e| {
            let path: String = e
                .instance_path
                .to_string()
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| format!(".{s}"))
                .collect();
            format!("config{path}: {e}")
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        bail!(
            "the check's config does not match the schema of plugin `{}` ({}); fix the policy's [checks.config] (see `modelgate plugin inspect {}`)",
            info.name,
            errors.join("; "),
            info.name
        )
    }
}

fn wit_version_of(pre: &bindings::PluginPre<HostState>) -> String {
    let component = pre.instance_pre().component();
    exported_validator_version(pre.engine(), component).unwrap_or_else(|| WIT_VERSION.to_string())
}

fn exported_validator_version(engine: &Engine, component: &Component) -> Option<String> {
    component
        .component_type()
        .exports(engine)
        .find_map(|(name, _)| {
            name.strip_prefix("modelgate:plugin/validator@")
                .map(str::to_string)
        })
}

/// Accepts components built against any 0.1.x of the contract; names both versions otherwise.
fn check_wit_version(engine: &Engine, component: &Component, what: &str) -> anyhow::Result<()> {
    let exports: Vec<String> = component
        .component_type()
        .exports(engine)
        .map(|(n, _)| n.to_string())
        .collect();
    match exported_validator_version(engine, component) {
        Some(v) if v.starts_with("0.1.") => Ok(()),
        Some(v) => bail!(
            "{what} was built against modelgate:plugin@{v}; this modelgate implements @{WIT_VERSION} and accepts 0.1.x — \
             rebuild the plugin against wit/ of this release"
        ),
        None => bail!(
            "{what} is not a modelgate plugin: it does not export `modelgate:plugin/validator` (exports: {})",
            if exports.is_empty() { "none".to_string() } else { exports.join(", ") }
        ),
    }
}

fn build_context(
    store: &mut Store<HostState>,
    ctx: &CheckContext,
) -> anyhow::Result<bindings::exports::modelgate::plugin::validator::Context> {
    use bindings::exports::modelgate::plugin::validator::{
        Context, NamedModel, NamedTable, TaskInfo,
    };
    let table = &mut store.data_mut().table;
    let mut datasets = Vec::new();
    for d in &ctx.datasets {
        datasets.push(NamedTable {
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
        datasets,
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
        Ok(task_kind(self.table.get(&r)?.0.task))
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

/// Maps the policy's task type to the WIT enum.
pub fn task_kind(t: crate::policy::TaskType) -> types::TaskKind {
    match t {
        crate::policy::TaskType::Binary => types::TaskKind::Binary,
        crate::policy::TaskType::Multiclass => types::TaskKind::Multiclass,
        crate::policy::TaskType::Regression => types::TaskKind::Regression,
    }
}

/// Reads a plugin file with a clear error.
pub fn read_plugin_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read plugin {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_the_most_recently_used_entries_within_its_cap() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = std::time::SystemTime::now() - Duration::from_secs(100);
        let mut paths = Vec::new();
        for (i, name) in ["a.cwasm", "b.cwasm", "c.cwasm", "d.cwasm"]
            .into_iter()
            .enumerate()
        {
            let p = dir.path().join(name);
            std::fs::write(&p, vec![0u8; 1000]).unwrap();
            // a is the oldest ... d the newest; then a is used again.
            let age = if name == "a.cwasm" { 50 } else { i as u64 };
            std::fs::File::options()
                .append(true)
                .open(&p)
                .unwrap()
                .set_modified(t0 + Duration::from_secs(age))
                .unwrap();
            paths.push(p);
        }
        std::fs::write(dir.path().join("notes.txt"), vec![0u8; 5000]).unwrap();
        // 4000 bytes of entries, cap 2500: the two least recently used (b, c) go, a (used again
        // recently) and d stay.
        prune_cache(dir.path(), 2500, &paths[3]);
        let left: Vec<bool> = paths.iter().map(|p| p.exists()).collect();
        assert_eq!(left, [true, false, false, true]);
        assert!(
            dir.path().join("notes.txt").exists(),
            "only compiled components are pruned"
        );
        // The entry being kept survives even a cap of zero.
        prune_cache(dir.path(), 0, &paths[3]);
        assert!(!paths[0].exists() && paths[3].exists());
    }
}
