//! The record of a gate run: what was checked ([`GateRun`]: the policy, datasets, models and
//! plugins with their digests), each check's [`CheckReport`], and where the time went
//! ([`Timing`]). The gate writes it; the verdict, the reports and `promote` read it.

use std::time::Duration;

use crate::dvc::DvcEntry;
use crate::outcome::Outcome;
use crate::policy::Severity;
use crate::registry::RegistryModel;

/// A file the verdict depends on.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputFile {
    /// Path as resolved (`models:/NAME/VERSION` for a model from the registry).
    pub path: String,
    /// sha256, hex.
    pub sha256: String,
    /// Where a model came from in the MLflow registry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<RegistryModel>,
}

/// A loaded dataset as reported.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DatasetInput {
    /// Path; for a dataset on an engine, its source there (a path as the cluster reads it,
    /// `table NAME` or `sql QUERY`).
    pub path: String,
    /// sha256 of the file; for a dataset on an engine, of its content fingerprint (see
    /// docs/scale.md).
    pub sha256: String,
    /// The engine the dataset was read and aggregated on, when not embedded
    /// (`spark sc://host:port`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub columns: usize,
    /// Rows left out of what model and label checks see (`task.missing_features = "drop"`: a
    /// feature or the label is missing); absent when none were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropped_rows: Option<usize>,
    /// The DVC entry that tracks the file, checked against it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dvc: Option<DvcEntry>,
    /// For a profile (`path` and `sha256` are the profile file's): what it was written from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_of: Option<crate::profile::format::Source>,
}

/// A plugin as reported.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PluginInput {
    /// A file path, or `builtin:NAME`.
    pub path: String,
    /// sha256 of the component.
    pub sha256: String,
    /// Its name (from `describe`).
    pub name: String,
    /// Its version (from `describe`).
    pub version: String,
    /// The `modelgate:plugin` WIT version it was built against (empty when it did not start).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub wit_version: String,
}

/// One check's report.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Id.
    pub id: String,
    /// The plugin as written in the policy.
    pub plugin: String,
    /// Severity.
    pub severity: Severity,
    /// What the sandbox returned.
    pub outcome: Outcome,
    /// Wall time.
    pub duration: Duration,
}

/// Everything a gate run produced.
#[derive(Debug, Clone)]
pub struct GateRun {
    /// The gate's name.
    pub name: String,
    /// The policy file.
    pub policy: InputFile,
    /// Datasets by name, in policy order.
    pub datasets: Vec<(String, DatasetInput)>,
    /// Models by name, in policy order (ONNX files only have a path).
    pub models: Vec<(String, Option<InputFile>)>,
    /// Plugins by check id.
    pub plugins: Vec<(String, PluginInput)>,
    /// Checks in policy order.
    pub checks: Vec<CheckReport>,
    /// Where the time went, phases and their items in order.
    pub timings: Vec<Timing>,
}

/// One line of `--timings`: a phase of the gate, or an item inside the phase before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// 0 for a phase, 1 for an item of the phase.
    pub depth: u8,
    /// What took the time.
    pub what: String,
    /// Wall time.
    pub took: Duration,
}

impl Timing {
    /// A phase of the gate (loading, preparing, running).
    pub fn phase(what: impl Into<String>, took: Duration) -> Timing {
        Timing {
            depth: 0,
            what: what.into(),
            took,
        }
    }

    /// An item of the phase listed before it.
    pub fn item(what: impl Into<String>, took: Duration) -> Timing {
        Timing {
            depth: 1,
            what: what.into(),
            took,
        }
    }
}
