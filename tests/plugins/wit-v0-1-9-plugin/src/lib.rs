//! A well-behaved plugin built against a later minor release of the contract
//! (`modelgate:plugin@0.1.9`): the gate must run it, as any 0.1.x plugin. Its WIT is this
//! release's wit/plugin.wit with the version changed, written to tests/plugins/wit-v0.1.9 by the
//! test harness (tests/e2e/support.rs).
wit_bindgen::generate!({ world: "plugin", path: "../wit-v0.1.9" });

include!("body.rs");
