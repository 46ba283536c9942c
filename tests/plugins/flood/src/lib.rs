//! Returns or emits far too much, by `config.mode`: `metrics` (200,000 metrics), `summary` (a 10 MiB
//! summary), `details` (10 MiB of details JSON), `error` (a 10 MiB error message), `logs` (100,000 log
//! calls), `big-log` (one 8 MiB log message), `stdout` (1 MiB printed to stdout), `stdout-panic` (the same,
//! then a panic whose message must still reach the report). The host must stay bounded and say what it cut or refused.
use fixture::bindings::modelgate::plugin::host::log;
use fixture::bindings::modelgate::plugin::types::{LogLevel, Metric, Status};
use fixture::{CheckResult, Context};

fixture::plugin!("flood", validate);

const MIB: usize = 1 << 20;

fn result(
    summary: String,
    metrics: Vec<Metric>,
    details: Option<String>,
) -> Result<CheckResult, String> {
    Ok(CheckResult {
        status: Status::Pass,
        summary,
        metrics,
        details,
    })
}

fn validate(_ctx: Context, config: String) -> Result<CheckResult, String> {
    let mode = config.split('"').nth(3).unwrap_or("").to_string();
    match mode.as_str() {
        "metrics" => {
            let metrics = (0..200_000)
                .map(|i| Metric {
                    name: "m".into(),
                    value: i as f64,
                    column: None,
                    model: None,
                    slice: None,
                    thresholds: vec![],
                    passed: None,
                })
                .collect();
            result("200000 metrics".into(), metrics, None)
        }
        "summary" => result("s".repeat(10 * MIB), vec![], None),
        "details" => result(
            "10 MiB of details".into(),
            vec![],
            Some(format!("\"{}\"", "d".repeat(10 * MIB))),
        ),
        "error" => Err("e".repeat(10 * MIB)),
        "logs" => {
            for i in 0..100_000 {
                log(LogLevel::Info, &format!("log line {i}"));
            }
            result("logged 100000 lines".into(), vec![], None)
        }
        "big-log" => {
            log(LogLevel::Warn, &"l".repeat(8 * MIB));
            result("logged one 8 MiB line".into(), vec![], None)
        }
        #[allow(
            clippy::print_stdout,
            clippy::print_stderr,
            reason = "the fixture floods stdout to test the host's bound on captured output"
        )]
        "stdout" | "stdout-panic" => {
            let line = "o".repeat(1023);
            for i in 0..1024 {
                println!("{i:04} {line}");
            }
            eprintln!("last line on stderr");
            if mode == "stdout-panic" {
                panic!("fixture panic after a stdout flood")
            }
            result("printed 1 MiB".into(), vec![], None)
        }
        other => Err(format!("unknown mode {other:?}")),
    }
}
