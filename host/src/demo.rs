//! The bundled example gate (`examples/breast-cancer`), embedded so that `modelgate demo` runs
//! anywhere: the files are written to a temporary directory and the gate runs from there.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

macro_rules! example {
    ($($rel:literal),* $(,)?) => {
        &[$(($rel, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/breast-cancer/", $rel)) as &[u8])),*]
    };
}

/// The example's files: (path relative to the example directory, content).
pub const FILES: &[(&str, &[u8])] = example![
    "gate.toml",
    "data/reference.parquet",
    "data/current.csv",
    "models/candidate.onnx",
    "models/baseline.onnx",
];

/// A temporary directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates a fresh, empty directory `modelgate-PREFIX-PID-N` in the system's temporary directory.
    pub fn new(prefix: &str) -> anyhow::Result<TempDir> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "modelgate-{prefix}-{}-{nanos}-{n}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(TempDir(path))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes the example to a fresh temporary directory.
pub fn extract() -> anyhow::Result<TempDir> {
    let dir = TempDir::new("demo")?;
    for (rel, bytes) in FILES {
        let p = dir.0.join(rel);
        std::fs::create_dir_all(p.parent().expect("relative paths have a parent"))
            .with_context(|| format!("cannot create {}", dir.0.display()))?;
        std::fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display()))?;
    }
    Ok(dir)
}
