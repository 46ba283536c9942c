//! The monitor's reports: the decision JSON, the Prometheus textfile, Markdown, HTML and the
//! terminal lines. All are rendered before any is written; each file is written atomically.

pub mod json;
pub mod prometheus;
pub mod text;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::decision::MonitorRun;
use crate::files::write_atomic;

/// Where to write each report (`None`: not asked for).
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// The decision JSON.
    pub json: Option<PathBuf>,
    /// The HTML page.
    pub html: Option<PathBuf>,
    /// The Markdown summary.
    pub markdown: Option<PathBuf>,
    /// The Prometheus textfile.
    pub prometheus: Option<PathBuf>,
}

/// Renders every report of a monitor run and writes those asked for; returns the Markdown (for
/// `$GITHUB_STEP_SUMMARY`).
pub fn write_all(
    run: &MonitorRun,
    targets: &Targets,
    started_at: SystemTime,
    total: Duration,
) -> anyhow::Result<String> {
    let mut decision = serde_json::to_vec_pretty(&json::decision(run, started_at, total))?;
    decision.push(b'\n');
    let markdown = text::markdown(run);
    let mut files: Vec<(&PathBuf, Vec<u8>)> = Vec::new();
    if let Some(p) = &targets.json {
        files.push((p, decision));
    }
    if let Some(p) = &targets.html {
        files.push((p, crate::report::html::monitor::render(run).into_bytes()));
    }
    if let Some(p) = &targets.markdown {
        files.push((p, markdown.clone().into_bytes()));
    }
    if let Some(p) = &targets.prometheus {
        files.push((p, prometheus::render(run, SystemTime::now()).into_bytes()));
    }
    for (path, bytes) in files {
        write_atomic(path, &bytes)?;
    }
    Ok(markdown)
}
