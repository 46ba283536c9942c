//! modelgate: the promotion gate for ML models.
//!
//! The data flows through one module per stage: [`cli`] → [`policy`] → [`data`] → [`model`] →
//! [`runtime`] (wasmtime sandbox) → [`gate`] (orchestration) → [`verdict`] → [`report`]; [`verify`] checks a report against the files on disk.

pub mod cli;
pub mod data;
pub mod demo;
pub mod dvc;
pub mod gate;
pub mod model;
pub mod policy;
pub mod promote;
pub mod registry;
pub mod report;
pub mod runtime;
pub mod scaffold;
pub mod verdict;
pub mod verify;
