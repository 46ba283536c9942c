//! Attestation: `modelgate verify REPORT.json` re-hashes every input a report names (policy,
//! datasets, models, plugin files; built-in plugins against this binary's) and says whether the
//! artifacts are exactly the ones the verdict was given for. A deploy step runs it to refuse a
//! model whose verdict does not match it.
//!
//! Relative paths in a report are relative to the directory `modelgate check` ran in: run
//! `verify` from the same directory.

use std::path::Path;

use anyhow::{bail, Context as _};
use serde_json::Value;

use crate::files::sha256_file;
use crate::gate::builtins;

/// One input of a report and what was found on disk.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// "policy", "dataset current", "model candidate", "plugin perf".
    pub what: String,
    /// The path in the report.
    pub path: String,
    /// The digest the report recorded.
    pub recorded: String,
    /// The digest on disk (or in the registry) now, or None if the file cannot be read.
    pub actual: Option<String>,
    /// Why it cannot be read, when that is known.
    pub note: Option<String>,
}

impl Finding {
    /// Whether the file is the one the report names.
    pub fn matches(&self) -> bool {
        self.actual.as_deref() == Some(self.recorded.as_str())
    }
}

fn entry(what: String, v: &Value) -> anyhow::Result<Finding> {
    let path = v["path"]
        .as_str()
        .with_context(|| format!("{what}: no `path` in the report"))?
        .to_string();
    let recorded = v["sha256"]
        .as_str()
        .with_context(|| format!("{what}: no `sha256` in the report"))?
        .to_string();
    let (actual, note) = if v["registry"].is_object() {
        match registry_sha256(&v["registry"]) {
            Ok(sha) => (Some(sha), None),
            Err(e) => (None, Some(format!("{e:#}"))),
        }
    } else {
        match path.strip_prefix("builtin:") {
            Some(name) => (builtins::get(name).map(crate::files::sha256_bytes), None),
            None => (sha256_file(Path::new(&path)).ok(), None),
        }
    };
    Ok(Finding {
        what,
        path,
        recorded,
        actual,
        note,
    })
}

/// Downloads the model version a report names from its registry again and hashes it.
fn registry_sha256(r: &Value) -> anyhow::Result<String> {
    let field = |k: &str| {
        r[k].as_str()
            .with_context(|| format!("the report's registry entry has no `{k}`"))
    };
    let client = crate::registry::Client::new(Some(field("tracking_uri")?))?;
    let reference = crate::registry::ModelRef {
        name: field("name")?.to_string(),
        selector: crate::registry::Selector::Version(field("version")?.to_string()),
    };
    let (_, bytes, _) = client.fetch_onnx(&reference)?;
    Ok(crate::files::sha256_bytes(&bytes))
}

/// Every input of a report, re-hashed.
pub fn findings(report: &Value) -> anyhow::Result<Vec<Finding>> {
    if report["schema_version"] != 1 {
        bail!(
            "not a modelgate report with schema_version 1 (found {})",
            report["schema_version"]
        );
    }
    let mut out = vec![entry("policy".into(), &report["policy"])?];
    let inputs = &report["inputs"];
    for (kind, key) in [
        ("dataset", "datasets"),
        ("model", "models"),
        ("plugin", "plugins"),
    ] {
        let Some(map) = inputs[key].as_object() else {
            bail!("the report has no `inputs.{key}`")
        };
        for (name, v) in map {
            if kind == "model" && v.get("path").is_none() {
                continue; // predictions read from a dataset column: covered by the dataset's digest
            }
            out.push(entry(format!("{kind} {name}"), v)?);
        }
    }
    Ok(out)
}

/// Prints one line per input and a conclusion; returns whether everything matches.
pub fn verify(report_path: &Path) -> anyhow::Result<bool> {
    let text = std::fs::read_to_string(report_path)
        .with_context(|| format!("cannot read report {}", report_path.display()))?;
    let report: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a JSON report", report_path.display()))?;
    let found = findings(&report).with_context(|| format!("report {}", report_path.display()))?;
    let width = found.iter().map(|f| f.what.len()).max().unwrap_or(0);
    for f in &found {
        let state = match (&f.actual, f.matches()) {
            (_, true) => "ok     ".to_string(),
            (None, _) => "MISSING".to_string(),
            (Some(_), false) => "CHANGED".to_string(),
        };
        let detail = match (&f.actual, &f.note) {
            (Some(a), _) if !f.matches() => format!(
                " (sha256 now {}…, the report says {}…)",
                &a[..12],
                &f.recorded[..12.min(f.recorded.len())]
            ),
            (None, Some(note)) => format!(" ({note})"),
            _ => String::new(),
        };
        println!("{state}  {:<width$}  {}{detail}", f.what, f.path);
    }
    let bad = found.iter().filter(|f| !f.matches()).count();
    let verdict = report["verdict"].as_str().unwrap_or("?");
    if bad == 0 {
        println!(
            "verified: all {} inputs are the ones the `{verdict}` verdict was given for",
            found.len()
        );
    } else {
        println!("NOT VERIFIED: {bad} of {} inputs differ from those the `{verdict}` verdict was given for", found.len());
    }
    Ok(bad == 0)
}
