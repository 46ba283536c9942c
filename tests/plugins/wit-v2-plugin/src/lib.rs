//! A well-behaved plugin built against another major version of the contract
//! (`modelgate:plugin@2.0.0`): the gate must refuse it before running anything, naming both
//! versions. Its WIT is this release's wit/plugin.wit with the version changed, written to
//! tests/plugins/wit-v2 by the test harness (tests/e2e/support.rs).
wit_bindgen::generate!({ world: "plugin", path: "../wit-v2" });

include!("../../wit-v0-1-9-plugin/src/body.rs");
