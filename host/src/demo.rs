//! The bundled example gate (`examples/breast-cancer`), embedded so that `modelgate demo` runs
//! anywhere: the files are written to a temporary directory and the gate runs from there.

use std::path::Path;

use crate::files::TempDir;

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

/// Writes the example to a fresh temporary directory.
pub fn extract() -> anyhow::Result<TempDir> {
    let dir = TempDir::new("demo")?;
    extract_to(dir.path())?;
    Ok(dir)
}

/// Writes the example's files into `dir` (created if missing), replacing earlier copies of them;
/// other files there are left alone.
pub fn extract_to(dir: &Path) -> anyhow::Result<()> {
    for (rel, bytes) in FILES {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("relative paths have a parent"))
            .with_context(|| format!("cannot create {}", p.parent().unwrap_or(dir).display()))?;
        crate::files::write_atomic(&p, bytes)?;
    }
    Ok(())
}
