//! Reports: the terminal table for people, the JSON report (schema_version 1) for machines.

pub mod json;
pub mod terminal;

use std::path::Path;

use anyhow::Context as _;

/// Writes a file atomically: to a temporary file in the same directory, then renamed into place,
/// so a reader never sees a half-written report.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().with_context(|| format!("{} is not a file path", path.display()))?;
    let tmp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write report {}", path.display()))?;
    std::fs::rename(&tmp, path).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write report {}", path.display())
    })
}
