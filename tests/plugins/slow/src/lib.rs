//! Busy for ~1.5 s (wall clock), then passes: slow but within the limit, it must not be stopped.
use fixture::bindings::modelgate::plugin::types::Status;
use fixture::{CheckResult, Context};

fixture::plugin!("slow", validate);

fn validate(_ctx: Context, _config: String) -> Result<CheckResult, String> {
    let started = std::time::Instant::now();
    let mut x: u64 = 0;
    while started.elapsed() < std::time::Duration::from_millis(1500) {
        for _ in 0..10_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
    Ok(CheckResult {
        status: Status::Pass,
        summary: format!("busy for {:.1} s", started.elapsed().as_secs_f64()),
        metrics: vec![],
        details: None,
    })
}
