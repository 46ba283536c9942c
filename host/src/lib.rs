//! modelgate: the promotion gate for ML models.
//!
//! The data flows through one module per stage: [`cli`] → [`policy`] → [`data`] → [`model`] →
//! [`runtime`] (wasmtime sandbox) → [`gate`] (orchestration) → [`verdict`] → [`report`].
//! The words every stage shares live in modules no stage owns: [`outcome`] (a check's status,
//! metrics, logs, plugin info) and [`record`] (the record of a gate run); [`files`] holds digests
//! and atomic writes, [`progress`] the progress display. Beside the gate: [`registry`] (MLflow),
//! [`dvc`], [`promote`], [`verify`] (a report against the files on disk), [`demo`], [`scaffold`]
//! (`plugin new`). Reports and the verdict never import the sandbox, the sandbox never imports
//! reports, and nothing below the CLI imports it (checked by the `house_rules` tests).

pub mod cli;
pub mod data;
pub mod decision;
pub mod demo;
pub mod dvc;
pub mod files;
pub mod gate;
pub mod model;
pub mod monitor;
pub mod monitor_cli;
pub mod outcome;
pub mod policy;
pub mod profile;
pub mod progress;
pub mod promote;
pub mod record;
pub mod registry;
pub mod report;
pub mod runtime;
pub mod scaffold;
#[cfg(feature = "spark")]
pub mod spark;
pub mod verdict;
pub mod verify;

#[cfg(test)]
mod house_rules;
