//! Panics inside validate(): the gate must report the panic message and keep going.
use fixture::{CheckResult, Context};

fixture::plugin!("trap", validate);

fn validate(_ctx: Context, _config: String) -> Result<CheckResult, String> {
    panic!("fixture panic: the validator blew up on purpose")
}
