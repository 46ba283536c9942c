//! The bundled example gate (`examples/breast-cancer`), embedded so that `modelgate demo` runs
//! anywhere: the files are written to a temporary directory and the gate runs from there.

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
    for (rel, bytes) in FILES {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("relative paths have a parent"))
            .with_context(|| format!("cannot create {}", dir.path().display()))?;
        std::fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display()))?;
    }
    Ok(dir)
}
