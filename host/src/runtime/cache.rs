//! The compiled-component cache: `<component sha256>-<engine key>.cwasm` files in the cache
//! directory, written atomically, capped in size (least recently used go first). Only files this
//! cache wrote are ever deserialized.

use std::hash::Hasher;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

/// Compiles components, through the on-disk cache when there is one.
pub(super) struct CompileCache {
    dir: Option<PathBuf>,
    /// The engine's compatibility hash and modelgate's version: a new build never reads an old
    /// build's native code.
    key: String,
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

/// Deletes the least recently used entries of a cache directory (its `*.EXT` files, by
/// modification time, which a cache hit refreshes) until they hold at most `max_bytes`, never
/// deleting `keep`. Best effort: another modelgate may be pruning too.
pub fn prune_cache(dir: &Path, ext: &str, max_bytes: u64, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, u64, PathBuf)> = entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == ext))
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

/// What was read from a cache entry: when it parsed (`Some`), the entry is marked as recently used,
/// for the cache's size cap; when it did not, the damaged entry is deleted, to be written again.
/// Best effort both ways.
pub fn checked_entry<T>(entry: &Path, parsed: Option<T>) -> Option<T> {
    match &parsed {
        Some(_) => {
            let _ = std::fs::File::options()
                .append(true)
                .open(entry)
                .and_then(|h| h.set_modified(std::time::SystemTime::now()));
        }
        None => {
            let _ = std::fs::remove_file(entry);
        }
    }
    parsed
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

/// Most markers of accepted configs the cache keeps (the oldest go first).
const MAX_CONFIG_MARKERS: usize = 4096;

impl CompileCache {
    /// The marker file of a config a plugin's schema accepted: `configs/<key>` (empty).
    fn config_marker(&self, config_key: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?.join("configs");
        Some(dir.join(format!("{config_key}-{}", self.key)))
    }

    /// Whether this build accepted the config under `config_key` (a digest of the schema and
    /// the config) before.
    pub(super) fn config_accepted(&self, config_key: &str) -> bool {
        self.config_marker(config_key).is_some_and(|f| f.is_file())
    }

    /// Remembers that the config under `config_key` was accepted (best effort).
    pub(super) fn remember_config(&self, config_key: &str) {
        let Some(f) = self.config_marker(config_key) else {
            return;
        };
        let dir = f.parent().expect("markers live in the configs directory");
        if std::fs::create_dir_all(dir).is_err() || std::fs::write(&f, b"").is_err() {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut markers: Vec<(std::time::SystemTime, PathBuf)> = entries
            .flatten()
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect();
        if markers.len() > MAX_CONFIG_MARKERS {
            markers.sort();
            for (_, p) in &markers[..markers.len() - MAX_CONFIG_MARKERS] {
                let _ = std::fs::remove_file(p);
            }
        }
    }

    pub(super) fn new(dir: Option<PathBuf>, engine: &Engine) -> CompileCache {
        let mut h = ShaHasher(Sha256::new());
        std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut h);
        h.0.update(env!("CARGO_PKG_VERSION").as_bytes());
        CompileCache {
            dir,
            key: hex::encode(&h.0.finalize()[..8]),
        }
    }

    /// The component for these bytes: from the cache when it holds them, else compiled (and
    /// stored, best effort).
    pub(super) fn load_or_compile(
        &self,
        engine: &Engine,
        what: &str,
        bytes: &[u8],
        sha256: &str,
    ) -> anyhow::Result<Component> {
        let file = self
            .dir
            .as_ref()
            .map(|d| d.join(format!("{sha256}-{}.cwasm", self.key)));
        if let Some(f) = &file {
            if f.is_file() {
                // SAFETY: the file is in modelgate's own cache, keyed by the component's sha256 and the
                // engine's compatibility hash, written only by `Component::serialize` below.
                let c = unsafe { Component::deserialize_file(engine, f) }.ok();
                if let Some(c) = checked_entry(f, c) {
                    return Ok(c);
                }
            }
        }
        if !bytes.starts_with(b"\0asm") {
            bail!("{what} is not a WebAssembly file (no \\0asm header)");
        }
        let component = Component::new(engine, bytes).map_err(|e| {
            anyhow!("{what} is not a valid WebAssembly component: {e:#}; build plugins with `cargo build --target wasm32-wasip2` (or componentize-py)")
        })?;
        if let Some(f) = &file {
            // Best effort: a read-only cache only costs compile time.
            let compiled = component.serialize()?;
            let dir = f.parent().expect("cache files live in the cache directory");
            let _ = std::fs::create_dir_all(dir)
                .map_err(anyhow::Error::from)
                .and_then(|()| crate::files::write_atomic(f, &compiled));
            prune_cache(dir, "cwasm", cache_max_bytes(), f);
        }
        Ok(component)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_the_most_recently_used_entries_within_its_cap() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = std::time::SystemTime::now() - std::time::Duration::from_secs(100);
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
                .set_modified(t0 + std::time::Duration::from_secs(age))
                .unwrap();
            paths.push(p);
        }
        std::fs::write(dir.path().join("notes.txt"), vec![0u8; 5000]).unwrap();
        // 4000 bytes of entries, cap 2500: the two least recently used (b, c) go, a (used again
        // recently) and d stay.
        prune_cache(dir.path(), "cwasm", 2500, &paths[3]);
        let left: Vec<bool> = paths.iter().map(|p| p.exists()).collect();
        assert_eq!(left, [true, false, false, true]);
        assert!(
            dir.path().join("notes.txt").exists(),
            "only compiled components are pruned"
        );
        // The entry being kept survives even a cap of zero.
        prune_cache(dir.path(), "cwasm", 0, &paths[3]);
        assert!(!paths[0].exists() && paths[3].exists());
    }
}
