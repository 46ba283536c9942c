//! Loops forever inside validate(): the epoch deadline must stop it.
use fixture::{CheckResult, Context};

fixture::plugin!("spin", validate);

fn validate(_ctx: Context, _config: String) -> Result<CheckResult, String> {
    let mut x: u64 = 0;
    loop {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
}
