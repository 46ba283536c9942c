//! Loops forever inside validate(): the epoch deadline must stop it.
use fixture::{info, CheckResult, Context, Guest, PluginInfo};

struct Fixture;
fixture::bindings::export!(Fixture);

impl Guest for Fixture {
    fn describe() -> PluginInfo {
        info("spin")
    }
    fn validate(_ctx: Context, _config: String) -> Result<CheckResult, String> {
        let mut x: u64 = 0;
        loop {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
}
