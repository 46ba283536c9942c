//! Panics inside validate(): the gate must report the panic message and keep going.
use fixture::{info, CheckResult, Context, Guest, PluginInfo};

struct Fixture;
fixture::bindings::export!(Fixture);

impl Guest for Fixture {
    fn describe() -> PluginInfo {
        info("trap")
    }
    fn validate(_ctx: Context, _config: String) -> Result<CheckResult, String> {
        panic!("fixture panic: the validator blew up on purpose")
    }
}
