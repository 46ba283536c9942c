//! End-to-end tests: the real `modelgate` binary on the bundled examples, on policies that must
//! reject, on broken inputs that must error, and on misbehaving plugins that must be contained.
//! One module per topic; `support` is the harness (running the binary, writing policies, building
//! the fixture plugins, snapshot filters). Snapshots of output live in `snapshots/`.

mod ab_test;
mod adversarial;
mod bad_inputs;
mod ci_examples;
mod ci_images;
mod ci_monitor;
mod cli;
mod data_quality;
mod defaults;
mod drift;
mod dvc;
mod estimate;
mod examples;
mod latency;
mod model_cache;
mod monitor;
mod packaging;
mod parallel;
mod performance;
mod policy;
mod profile;
mod real_models;
mod registry;
mod reports;
#[cfg(feature = "spark")]
mod spark;
mod support;
mod terminal;
mod third_party;
