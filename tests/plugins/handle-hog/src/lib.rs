//! Asks the host for new resource handles in a loop and never drops them (`model.predict` returns a
//! new `table` handle each time): the host must bound its handle table, not grow until the time limit.
use fixture::{CheckResult, Context};

fixture::plugin!("handle-hog", validate);

fn validate(ctx: Context, _config: String) -> Result<CheckResult, String> {
    let t = &ctx.datasets.first().ok_or("no dataset")?.table;
    let m = &ctx.models.first().ok_or("no model")?.model;
    let mut n: u64 = 0;
    loop {
        match m.predict(t) {
            Ok(p) => std::mem::forget(p),
            Err(e) => return Err(format!("after {n} handles: {}", e.message)),
        }
        n += 1;
    }
}
