//! Reports: the terminal table for people, the JSON report (schema_version 1) for machines.

pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod progress;
pub mod terminal;

use std::fmt::Write as _;
use std::path::Path;

use crate::runtime::MetricOut;

use anyhow::Context as _;

/// Escapes text for XML and HTML (element content and quoted attribute values alike, SVG too);
/// control characters that XML 1.0 and HTML cannot hold become U+FFFD.
pub fn escape_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// "2 passed", "1 failed", ... for the statuses that occur, in pass / warn / fail / error order.
pub fn status_counts(run: &crate::gate::GateRun) -> Vec<String> {
    use crate::runtime::Status;
    [
        (Status::Pass, "passed"),
        (Status::Warn, "warned"),
        (Status::Fail, "failed"),
        (Status::Error, "errored"),
    ]
    .into_iter()
    .filter_map(|(s, word)| {
        let n = run.checks.iter().filter(|c| c.outcome.status == s).count();
        (n > 0).then(|| format!("{n} {word}"))
    })
    .collect()
}

/// Writes a file atomically: to a temporary file in the same directory, then renamed into place,
/// so a reader never sees a half-written file (reports, the compiled-plugin cache).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    std::fs::rename(&tmp, path).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}", path.display())
    })
}

/// A number for people: 4 decimals, scientific for very small or large magnitudes.
pub fn fmt_value(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
        format!("{v:.4e}")
    } else {
        format!("{v:.4}")
    }
}

/// One metric for people: `accuracy = 0.9693 (min 0.9500) [model candidate]`.
pub fn metric_line(m: &MetricOut) -> String {
    let mut s = format!("{} = {}", m.name, fmt_value(m.value));
    if let Some(t) = &m.threshold {
        let bounds: Vec<String> = t
            .iter()
            .map(|(k, v)| format!("{k} {}", v.as_f64().map_or(v.to_string(), fmt_value)))
            .collect();
        let _ = write!(s, " ({})", bounds.join(", "));
    }
    let scope: Vec<String> = [
        ("model", &m.model),
        ("column", &m.column),
        ("slice", &m.slice),
    ]
    .iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
    .collect();
    if !scope.is_empty() {
        let _ = write!(s, " [{}]", scope.join(", "));
    }
    s
}
