//! Plugins: resolved (a built-in or a file), pinned (`sha256`), compiled (or loaded from the
//! cache) and given their limits, all before any check runs.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, bail, Context as _};

use super::{builtins, plural};
use crate::policy::Policy;
use crate::progress::Progress;
use crate::record::Timing;
use crate::runtime::{self, bindings::PluginPre, HostState, Limits, Runtime};

/// A check ready to run: its compiled plugin, config and limits.
#[derive(Clone)]
pub(super) struct PreparedCheck {
    /// Its index in the policy's checks.
    pub index: usize,
    pub pre: Arc<PluginPre<HostState>>,
    pub config_json: String,
    pub limits: Limits,
    /// How the plugin is shown in reports: a path, or `builtin:NAME`.
    pub shown: String,
    /// sha256 of the component.
    pub sha256: String,
}

/// Resolves, pins and compiles every check's plugin.
pub(super) async fn prepare(
    policy: &Policy,
    rt: &Arc<Runtime>,
    progress: &Progress,
    timings: &mut Vec<Timing>,
) -> anyhow::Result<Vec<PreparedCheck>> {
    let spec = &policy.spec;
    progress.step(format!("preparing {}", plural(spec.checks.len(), "plugin")));
    let phase_started = Instant::now();
    let at = timings.len();
    let mut prepared = Vec::new();
    for (index, c) in spec.checks.iter().enumerate() {
        let (bytes, shown) = resolve_plugin(policy, &c.plugin)
            .with_context(|| format!("check `{}` (checks[{index}].plugin)", c.id))?;
        let sha = crate::files::sha256_bytes(&bytes);
        let bytes_len = bytes.len();
        if let Some(pin) = &c.sha256 {
            if !pin.eq_ignore_ascii_case(&sha) {
                bail!(
                    "check `{}`: plugin {shown} has sha256 {sha}, but the policy pins {pin} (checks[{index}].sha256); \
                     refusing to run a plugin that is not the one pinned",
                    c.id
                );
            }
        }
        let what = format!("plugin {shown} (check `{}`)", c.id);
        let started = Instant::now();
        let pre = {
            let rt = rt.clone();
            let sha = sha.clone();
            tokio::task::spawn_blocking(move || rt.prepare(&what, &bytes, &sha))
                .await
                .map_err(|e| anyhow!("compiler crashed: {e}"))??
        };
        let config = c.config.clone().unwrap_or_default();
        let config_json = serde_json::to_string(&config)
            .context("the check's config cannot be expressed as JSON")?;
        let limits = Limits::new(
            c.memory_mb.unwrap_or(spec.runtime.memory_mb),
            c.timeout_s.unwrap_or(spec.runtime.timeout_s),
            c.fuel.or(spec.runtime.fuel),
        );
        timings.push(Timing::item(
            format!("plugin {shown} ({} KB)", bytes_len.div_ceil(1024)),
            started.elapsed(),
        ));
        prepared.push(PreparedCheck {
            index,
            pre,
            config_json,
            limits,
            shown,
            sha256: sha,
        });
    }
    timings.insert(
        at,
        Timing::phase(
            "prepare plugins (compile, or load from the cache)",
            phase_started.elapsed(),
        ),
    );
    Ok(prepared)
}

/// A built-in by name, or a `.wasm` file relative to the policy. Returns the bytes and how to show it.
pub fn resolve_plugin(policy: &Policy, plugin: &str) -> anyhow::Result<(Vec<u8>, String)> {
    if let Some(b) = builtins::get(plugin) {
        return Ok((b.to_vec(), format!("builtin:{plugin}")));
    }
    let looks_like_path =
        plugin.contains('/') || plugin.contains('\\') || plugin.ends_with(".wasm");
    if !looks_like_path {
        bail!(
            "unknown plugin `{plugin}`: the built-in plugins are {}; for your own plugin give the path to its .wasm file",
            builtins::names().join(", ")
        );
    }
    let path = policy.resolve(Path::new(plugin));
    let bytes = runtime::read_plugin_file(&path)?;
    Ok((bytes, path.display().to_string()))
}
