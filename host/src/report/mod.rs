//! Reports: the terminal table for people, the JSON report (schema_version 1) for machines.

pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod monitor;
pub mod terminal;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::files::write_atomic;
use crate::outcome::Metric;
use crate::record::GateRun;
use crate::verdict::Verdict;

/// Where to write each report (`None`: not asked for).
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// The JSON report.
    pub json: Option<PathBuf>,
    /// JUnit XML.
    pub junit: Option<PathBuf>,
    /// The Markdown summary.
    pub markdown: Option<PathBuf>,
    /// The HTML page.
    pub html: Option<PathBuf>,
}

/// A finished gate: its run, verdict, and every report rendered (and written where asked).
pub struct Done {
    /// The run.
    pub run: GateRun,
    /// Its verdict.
    pub verdict: Verdict,
    /// The JSON report, whether or not it was asked for.
    pub json: Vec<u8>,
    /// The Markdown summary, whether or not it was asked for.
    pub markdown: String,
    /// Every other report asked for: (file name for an artifact store, content).
    pub others: Vec<(&'static str, Vec<u8>)>,
}

/// Renders every report, then writes those asked for. All are rendered before any is written, so a
/// failure leaves none half-done; each file is written atomically.
pub fn write_all(
    run: GateRun,
    verdict: Verdict,
    targets: &Targets,
    started_at: SystemTime,
    total: Duration,
) -> anyhow::Result<Done> {
    let mut json = serde_json::to_vec_pretty(&json::report(&run, verdict, started_at, total))?;
    json.push(b'\n');
    let markdown = markdown::render(&run, verdict);
    // Each other report asked for: (name in an artifact store, path, content).
    let mut others: Vec<(&'static str, &PathBuf, Vec<u8>)> = Vec::new();
    if let Some(path) = &targets.junit {
        others.push((
            "junit.xml",
            path,
            junit::render(&run, verdict, total).into_bytes(),
        ));
    }
    if let Some(path) = &targets.html {
        others.push((
            "report.html",
            path,
            html::render(&run, verdict).into_bytes(),
        ));
    }
    if let Some(path) = &targets.markdown {
        others.push(("summary.md", path, markdown.clone().into_bytes()));
    }
    let json_file = targets.json.as_ref().map(|p| (p, json.as_slice()));
    for (path, bytes) in json_file
        .into_iter()
        .chain(others.iter().map(|(_, p, b)| (*p, b.as_slice())))
    {
        write_atomic(path, bytes)?;
    }
    let others = others
        .into_iter()
        .map(|(name, _, bytes)| (name, bytes))
        .collect();
    Ok(Done {
        run,
        verdict,
        json,
        markdown,
        others,
    })
}

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
pub fn status_counts(run: &GateRun) -> Vec<String> {
    use crate::outcome::Status;
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

/// A number for people: 4 decimals, scientific for very small or large magnitudes.
pub fn fmt_value(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
        format!("{v:.4e}")
    } else {
        format!("{v:.4}")
    }
}

/// One metric for people: `accuracy = 0.9693 (min 0.9500) [model candidate]`.
pub fn metric_line(m: &Metric) -> String {
    let mut s = format!("{} = {}", m.name, fmt_value(m.value));
    if let Some(t) = &m.threshold {
        let bounds: Vec<String> = t
            .iter()
            .map(|(k, v)| match v.as_f64() {
                Some(v) => crate::outcome::bound_words(&m.name, k, v, fmt_value),
                None => format!("{k} {v}"),
            })
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

/// One line per dataset whose incomplete rows model and label checks left out
/// (`task.missing_features = "drop"`), e.g. "12 of 94 rows of dataset `current` ...".
pub fn dropped_rows(run: &GateRun) -> Vec<String> {
    run.datasets
        .iter()
        .filter_map(|(name, d)| {
            d.dropped_rows.map(|n| {
                format!(
                    "{n} of {} rows of dataset `{name}` left out of model and label checks (a feature or \
                     the label is missing; task.missing_features = \"drop\")",
                    d.rows
                )
            })
        })
        .collect()
}
