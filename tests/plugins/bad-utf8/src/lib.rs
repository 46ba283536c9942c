//! Hands the host strings that are not UTF-8, built with `from_utf8_unchecked` (undefined behaviour in
//! Rust, but a guest is untrusted code): as the summary of its result (`config.mode` = `result`) or as
//! a host-call argument (`log`, `column`). The canonical ABI validates strings when lifting them: the
//! host must turn this into an error, not crash. `lossy` returns a `from_utf8_lossy` string, which is
//! valid UTF-8 (replacement characters) and passes.
use fixture::bindings::modelgate::plugin::host::log;
use fixture::bindings::modelgate::plugin::types::{LogLevel, Status};
use fixture::{CheckResult, Context};

fixture::plugin!("bad-utf8", validate);

const BYTES: &[u8] = b"bad \xff\xfe\xc0\x80 bytes";

#[allow(
    unsafe_code,
    reason = "the fixture sends ill-formed UTF-8 to the host, which safe Rust cannot build"
)]
fn invalid() -> String {
    // SAFETY: deliberately not: the point is to send ill-formed UTF-8 to the host.
    unsafe { String::from_utf8_unchecked(BYTES.to_vec()) }
}

fn validate(ctx: Context, config: String) -> Result<CheckResult, String> {
    let mode = config.split('"').nth(3).unwrap_or("").to_string();
    let summary = match mode.as_str() {
        "result" => invalid(),
        "lossy" => String::from_utf8_lossy(BYTES).into_owned(),
        "log" => {
            log(LogLevel::Info, &invalid());
            "logged".into()
        }
        "column" => {
            let t = &ctx.datasets.first().ok_or("no dataset")?.table;
            format!("stats: {:?}", t.stats(&invalid()))
        }
        other => return Err(format!("unknown mode {other:?}")),
    };
    Ok(CheckResult {
        status: Status::Pass,
        summary,
        metrics: vec![],
        details: None,
    })
}
