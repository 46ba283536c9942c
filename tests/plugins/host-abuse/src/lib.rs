//! Calls the host with bad arguments: an unknown column, offsets past the end, absurd chunk lengths,
//! too many histogram edges and quantile probabilities, non-finite arguments, absurd benchmark sizes,
//! memo keys and values over their bounds.
//! Every call must come back as a `host-error` (no trap, no crash, no huge allocation); the fixture
//! reports each answer in its summary and log, and passes. With `config.mode = "bench"` it asks only
//! for the longest benchmark the host allows, on every row.
use fixture::bindings::modelgate::plugin::host::{log, memo_get, memo_put};
use fixture::bindings::modelgate::plugin::types::{HostError, LogLevel, Status};
use fixture::{CheckResult, Context};

fixture::plugin!("host-abuse", validate);

fn show<T>(name: &str, r: Result<T, HostError>, ok: impl FnOnce(T) -> String) -> String {
    match r {
        Ok(v) => format!("{name}: OK {}", ok(v)),
        Err(e) => format!("{name}: ERR {:?} {}", e.kind, e.message),
    }
}

fn validate(ctx: Context, config: String) -> Result<CheckResult, String> {
    // The `current` dataset (the one the tests make large), else the first.
    let t = &ctx
        .datasets
        .iter()
        .find(|d| d.name == "current")
        .or(ctx.datasets.first())
        .ok_or("no dataset")?
        .table;
    if config.contains("bench") {
        // The longest benchmark the host allows (10,000 warm-up and 10,000 timed runs on every
        // row): host time, which the epoch deadline cannot interrupt.
        let m = &ctx.models.first().ok_or("no model")?.model;
        let started = std::time::Instant::now();
        let r = show(
            "benchmark 20000 runs on every row",
            m.benchmark(t, u32::MAX, 10_000, 10_000),
            |v| format!("{} samples", v.len()),
        );
        let summary = format!("{r} (after {:.1} s)", started.elapsed().as_secs_f64());
        return Ok(CheckResult {
            status: Status::Pass,
            summary,
            metrics: vec![],
            details: None,
        });
    }
    let rows = t.num_rows();
    let col = t
        .schema()
        .into_iter()
        .find(|c| c.name != "label")
        .ok_or("no column")?
        .name;
    let edges: Vec<f64> = (0..(1u32 << 20) + 1).map(f64::from).collect();
    let probs: Vec<f64> = (0..1_000_000).map(|i| i as f64 / 1e6).collect();
    let long_name = "x".repeat(1 << 20);
    let mut obs = vec![
        show("stats unknown column", t.stats("no_such_column"), |s| {
            format!("{s:?}")
        }),
        show("stats 1 MiB column name", t.stats(&long_name), |s| {
            format!("{s:?}")
        }),
        show(
            "read-f64 offset past the end",
            t.read_f64(&col, rows + 1, 10),
            |c| format!("{} values", c.values.len()),
        ),
        show(
            "read-f64 offset u64::MAX",
            t.read_f64(&col, u64::MAX, 1),
            |c| format!("{} values", c.values.len()),
        ),
        show(
            "read-f64 len u32::MAX",
            t.read_f64(&col, 0, u32::MAX),
            |c| format!("{} values", c.values.len()),
        ),
        show(
            "read-i64 len u32::MAX",
            t.read_i64(&col, 0, u32::MAX),
            |c| format!("{} values", c.values.len()),
        ),
        show(
            "read-utf8 len u32::MAX",
            t.read_utf8(&col, 0, u32::MAX),
            |c| format!("{} bytes", c.data.len()),
        ),
        show("read-f64 at the end", t.read_f64(&col, rows, 10), |c| {
            format!("{} values", c.values.len())
        }),
        show("histogram 2^20+1 edges", t.histogram(&col, &edges), |c| {
            format!("{} bins", c.len())
        }),
        show(
            "histogram decreasing edges",
            t.histogram(&col, &[1.0, 0.0]),
            |c| format!("{c:?}"),
        ),
        show(
            "histogram NaN edge",
            t.histogram(&col, &[0.0, f64::NAN]),
            |c| format!("{c:?}"),
        ),
        show(
            "quantiles 10^6 probabilities",
            t.quantiles(&col, &probs),
            |q| format!("{} quantiles", q.len()),
        ),
        show(
            "quantiles NaN probability",
            t.quantiles(&col, &[f64::NAN]),
            |q| format!("{q:?}"),
        ),
        show(
            "value-counts limit u32::MAX",
            t.value_counts(&col, u32::MAX),
            |v| format!("{} values", v.len()),
        ),
        show(
            "duplicate-rows unknown columns",
            t.duplicate_rows(&["nope".to_string(), long_name.clone()]),
            |n| n.to_string(),
        ),
    ];
    let before = memo_get("abuse");
    obs.extend([
        show(
            "memo-put 2 KiB key",
            memo_put(&"k".repeat(2048), b"v"),
            |()| "stored".into(),
        ),
        show(
            "memo-put 65 MiB",
            memo_put("big", &vec![7; 65 << 20]),
            |()| "stored".into(),
        ),
        show("memo-put", memo_put("abuse", b"kept"), |()| "stored".into()),
    ]);
    obs.push(format!(
        "memo-get: {:?} before, {:?} after, {:?} for the refused",
        before.map(String::from_utf8),
        memo_get("abuse").map(String::from_utf8),
        memo_get("big").map(|v| v.len())
    ));
    if let Some(m) = ctx.models.first() {
        let m = &m.model;
        obs.push(show(
            "benchmark u32::MAX iterations",
            m.benchmark(t, u32::MAX, 0, u32::MAX),
            |v| format!("{} samples", v.len()),
        ));
        obs.push(show(
            "benchmark u32::MAX warm-up",
            m.benchmark(t, 1, u32::MAX, 1),
            |v| format!("{} samples", v.len()),
        ));
        obs.push(show("benchmark batch 0", m.benchmark(t, 0, 0, 1), |v| {
            format!("{} samples", v.len())
        }));
    }
    for o in &obs {
        log(LogLevel::Info, o);
    }
    Ok(CheckResult {
        status: Status::Pass,
        summary: obs.join(" | "),
        metrics: vec![],
        details: None,
    })
}
