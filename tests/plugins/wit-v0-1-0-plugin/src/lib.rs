//! A well-behaved plugin built against an earlier release of the contract
//! (`modelgate:plugin@0.1.0`, before `table.wasserstein`): the gate must run it, as any 0.1.x
//! plugin. Its WIT is written to tests/plugins/wit-v0.1.0 by the test harness
//! (tests/e2e/support.rs).
wit_bindgen::generate!({ world: "plugin", path: "../wit-v0.1.0" });

include!("../../wit-v0-1-9-plugin/src/body.rs");
