//! A well-behaved plugin built against another major version of the contract (tests/plugins/wit-v2,
//! `modelgate:plugin@2.0.0`): the gate must refuse it before running anything, naming both versions.
//! (Raw bindings of its own: the `fixture` crate is bound to this release's wit/.)
wit_bindgen::generate!({ world: "plugin", path: "../wit-v2" });

use exports::modelgate::plugin::validator::{Context, Guest};
use modelgate::plugin::types::{CheckResult, Needs, PluginInfo, Status};

struct Fixture;
export!(Fixture);

impl Guest for Fixture {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "wit-v2".into(),
            version: "2.0.0".into(),
            description: "a plugin built against modelgate:plugin@2.0.0".into(),
            config_schema: "{}".into(),
            needs: Needs { datasets: vec![], models: false, labels: false },
        }
    }
    fn validate(_ctx: Context, _config: String) -> Result<CheckResult, String> {
        Ok(CheckResult { status: Status::Pass, summary: "ran".into(), metrics: vec![], details: None })
    }
}
