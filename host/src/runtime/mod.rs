//! The sandbox: one wasmtime [`Engine`] for the process, a compiled-component cache, and a fresh
//! [`Store`] per check with a memory limit, an epoch deadline, optional fuel, captured bounded
//! stdout/stderr and an empty WASI context (no files, no environment, no network, seeded random).
//!
//! One job per file: [`limits`] (defaults and the memory limiter), `cache` (compiled
//! components on disk), `output` (bounded stdout/stderr), `contract` (what a plugin may return),
//! `explain` (traps as reasons), `host` (the host API plugins call), `memo` (what a plugin keeps
//! between its calls in one process). This file wires them.

mod cache;
mod contract;
mod explain;
mod host;
pub mod limits;
mod memo;
mod output;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context as _};
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

pub use cache::{checked_entry, default_cache_dir, prune_cache};
pub use contract::{check_config, MAX_DETAILS_BYTES, MAX_METRICS, MAX_SUMMARY_BYTES};
pub use limits::Limits;
pub use output::MAX_OUTPUT_BYTES;

use crate::data::Dataset;
use crate::model::Model;
use crate::outcome::{LogLine, Outcome, PluginInfo, Status};
use cache::CompileCache;
use contract::{apply_result, check_wit_version, plugin_info, truncate, wit_version_of};
use limits::MemLimiter;
use output::BoundedOutput;

/// Host bindings generated from `wit/plugin.wit` (documented there, not here).
#[allow(missing_docs)]
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

use bindings::modelgate::plugin::types;

/// The WIT package version this host implements.
pub const WIT_VERSION: &str = "0.1.4";
/// How often the epoch ticker advances.
const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Most bytes of `log` messages kept per check.
pub const MAX_LOG_BYTES: usize = 64 * 1024;

/// A dataset handed to a plugin.
pub struct TableRes(pub Arc<Dataset>);
/// A model handed to a plugin.
pub struct ModelRes(pub Arc<Model>);

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
    /// The plugin's memo.
    memo: Arc<memo::Memo>,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Whether checks that need labels can run on these inputs.
#[derive(Debug, Clone, PartialEq)]
pub enum Labels {
    /// They run.
    Ready,
    /// They error with this reason (a missing label the policy does not leave out).
    Error(String),
    /// They are skipped with this reason (a production window whose labels have not arrived).
    Skip(String),
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
    /// What a check that needs a model (and no labels) sees instead of `datasets`, when it
    /// differs (`task.missing_features = "drop"`: the rows with complete features); empty otherwise.
    pub model_datasets: Vec<Arc<Dataset>>,
    /// What a check that needs labels sees instead of `datasets`, when it differs (the rows with
    /// a label, and complete features under `drop`); empty otherwise.
    pub label_datasets: Vec<Arc<Dataset>>,
    /// Whether checks that need labels can run: if not, they error or are skipped with the
    /// reason instead of running.
    pub labels: Labels,
    /// Models in policy order.
    pub models: Vec<Arc<Model>>,
}

/// The process-wide wasmtime engine, linker and compiled-component cache.
pub struct Runtime {
    engine: Engine,
    linker: Linker<HostState>,
    cache: CompileCache,
    compiled: Mutex<HashMap<String, Arc<bindings::PluginPre<HostState>>>>,
    /// Each plugin's memo, by component sha256.
    memos: memo::Memos,
    /// Digests of (config schema, config) pairs the schema accepted in this process.
    accepted: Mutex<std::collections::HashSet<String>>,
    /// Whether the engine meters fuel (see [`Runtime::new`]).
    metered: bool,
    stop: Arc<AtomicBool>,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Runtime {
    /// Creates the engine (epoch interruption on; fuel metered when `metered`: some check has a
    /// fuel budget), the linker, and starts the epoch ticker. Metering costs every loop
    /// iteration of every plugin a counter update (1,000 bootstrap resamples at 1M rows: ~7 %
    /// of the check), so a policy without a fuel budget runs without it; the time limit (epoch
    /// interruption) holds either way. Compiled components are cached per engine setting.
    pub fn new(cache_dir: Option<PathBuf>, metered: bool) -> anyhow::Result<Runtime> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.consume_fuel(metered);
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
            cache: CompileCache::new(cache_dir, &engine),
            engine,
            linker,
            compiled: Mutex::new(HashMap::new()),
            memos: Default::default(),
            accepted: Default::default(),
            metered,
            stop,
        })
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
        let component = self
            .cache
            .load_or_compile(&self.engine, what, bytes, sha256)?;
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

    /// Calls `describe` in a fresh sandbox.
    pub fn describe(
        &self,
        pre: &bindings::PluginPre<HostState>,
        limits: &Limits,
    ) -> anyhow::Result<PluginInfo> {
        let (mut store, _out) = self.store(limits, Default::default());
        let plugin = pre
            .instantiate(&mut store)
            .map_err(|e| anyhow!("instantiation failed: {e:#}"))?;
        let info = plugin
            .modelgate_plugin_validator()
            .call_describe(&mut store)
            .map_err(|e| anyhow!("describe() failed: {e:#}"))?;
        plugin_info(info, wit_version_of(pre))
    }

    fn store(&self, limits: &Limits, memo: Arc<memo::Memo>) -> (Store<HostState>, BoundedOutput) {
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
            memo,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        let ticks = (limits.timeout.as_nanos() / EPOCH_TICK.as_nanos()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        // Where fuel is metered, a check without a budget has unbounded fuel.
        if self.metered {
            let _ = store.set_fuel(limits.fuel.unwrap_or(u64::MAX));
        }
        (store, out)
    }

    /// [`check_config`], skipped for a schema and config accepted before — in this process
    /// (`monitor` checks every window), or by an earlier run of this build (the cache keeps a
    /// marker per accepted pair): compiling a JSON Schema validator costs tens of milliseconds,
    /// most of a small gate's run. Only acceptances are remembered; a rejected config is
    /// checked, and named, every time.
    fn check_config(&self, info: &PluginInfo, config_json: &str) -> anyhow::Result<()> {
        let key = {
            use sha2::Digest as _;
            let mut h = sha2::Sha256::new();
            h.update(b"modelgate accepted config 1\0");
            h.update(info.config_schema.to_string().as_bytes());
            h.update(b"\0");
            h.update(config_json.as_bytes());
            hex::encode(h.finalize())
        };
        let mut accepted = self.accepted.lock().unwrap_or_else(|p| p.into_inner());
        if accepted.contains(&key) || self.cache.config_accepted(&key) {
            accepted.insert(key);
            return Ok(());
        }
        drop(accepted);
        check_config(info, config_json)?;
        self.cache.remember_config(&key);
        self.accepted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key);
        Ok(())
    }

    /// Runs one check of the plugin whose component has this sha256: a fresh store, `describe`,
    /// then `validate`. Never panics and never returns an error: whatever goes wrong becomes an
    /// `error` outcome with the reason.
    pub fn run_check(
        &self,
        pre: &bindings::PluginPre<HostState>,
        sha256: &str,
        ctx: &CheckContext,
        config_json: &str,
        limits: &Limits,
    ) -> Outcome {
        let started = Instant::now();
        if limits.fuel.is_some() && !self.metered {
            return Outcome::with_status(
                Status::Error,
                "a fuel budget needs a runtime that meters fuel (Runtime::new(.., true)); the \
                 check did not run",
            );
        }
        let (mut store, out) = self.store(limits, self.memos.of(sha256));
        let mut outcome = Outcome::with_status(Status::Error, "");
        let result: anyhow::Result<()> = (|| {
            let plugin = pre.instantiate(&mut store).map_err(|e| {
                explain::explain(
                    store.data().limiter.hit,
                    e,
                    limits,
                    started,
                    "instantiation",
                )
            })?;
            let v = plugin.modelgate_plugin_validator();
            let info = v.call_describe(&mut store).map_err(|e| {
                explain::explain(store.data().limiter.hit, e, limits, started, "describe()")
            })?;
            let info = plugin_info(info, wit_version_of(pre))?;
            // The host checks the config against the schema the plugin publishes before running it.
            self.check_config(&info, config_json)?;
            let (needs_labels, needs_models) = (info.needs_labels, info.needs_models);
            outcome.info = Some(info);
            match (&ctx.labels, needs_labels) {
                (Labels::Error(reason), true) => anyhow::bail!("{reason}"),
                (Labels::Skip(reason), true) => {
                    outcome.status = Status::Skipped;
                    outcome.summary = reason.clone();
                    return Ok(());
                }
                _ => {}
            }
            let datasets = match (needs_labels, needs_models) {
                (true, _) if !ctx.label_datasets.is_empty() => &ctx.label_datasets,
                (false, true) if !ctx.model_datasets.is_empty() => &ctx.model_datasets,
                _ => &ctx.datasets,
            };
            let wctx = host::build_context(&mut store, ctx, datasets)?;
            let r = v
                .call_validate(&mut store, &wctx, config_json)
                .map_err(|e| {
                    explain::explain(store.data().limiter.hit, e, limits, started, "validate()")
                })?;
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
        if let (Some(err), Some(panic)) =
            (&mut outcome.error, explain::panic_message(&outcome.output))
        {
            if err.contains("trapped") {
                *err = format!("the plugin panicked: {panic}");
                outcome.summary = truncate(err, MAX_SUMMARY_BYTES);
            }
        }
        outcome
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
