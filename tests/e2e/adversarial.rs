use crate::support::*;

// Adversarial plugins (tests/plugins): each is a real component, run through the real binary next
// to a well-behaved built-in check. Each attack must be contained with the right status and a
// clear reason, and the other checks and the verdict must still come out.

use serde_json::Value;

/// A gate over the example with the built-in `performance` check (`perf`) first, then `checks`, in
/// which `{plugins}` is the directory of the built fixture plugins.
fn gate(checks: &str) -> Gate {
    Gate::example(&format!("{PERF}{checks}"))
}

/// A `[[checks]]` entry of `plugin` with `config.mode = mode`.
fn with_mode(id: &str, plugin: &str, mode: &str) -> String {
    r#"
[[checks]]
id = "ID"
plugin = "{plugins}/PLUGIN.wasm"
[checks.config]
mode = "MODE"
"#
    .replace("ID", id)
    .replace("PLUGIN", plugin)
    .replace("MODE", mode)
}

fn str_of<'a>(c: &'a Value, key: &str) -> &'a str {
    c[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string `{key}` in {c}"))
}

fn error_of(c: &Value) -> &str {
    assert_eq!(c["status"], "error", "{c}");
    str_of(c, "error")
}

fn log_messages(c: &Value) -> Vec<String> {
    c["logs"]
        .as_array()
        .map(|l| l.iter().map(|l| str_of(l, "message").to_string()).collect())
        .unwrap_or_default()
}

/// The well-behaved check still ran and passed.
fn assert_perf_passed(report: &Value) {
    assert_eq!(
        check(report, "perf")["status"],
        "pass",
        "the well-behaved check still ran"
    );
}

#[test]
fn sandbox_gives_no_files_directories_environment_arguments_or_network() {
    let gate = gate(
        r#"
[[checks]]
id = "snoop"
plugin = "{plugins}/snoop.wasm"
"#,
    );
    let out = gate.check(&[]).expect_code(0);
    assert!(out.stdout.contains("verdict: PROMOTE"), "{}", out.stdout);
    let report = gate.report();
    assert_eq!(report["verdict"], "promote");
    assert_perf_passed(&report);
    let snoop = check(&report, "snoop");
    // The fixture passes whatever it saw; what it saw is in its log (and its summary).
    assert_eq!(snoop["status"], "pass", "{snoop}");
    let logs = log_messages(snoop);
    let saw = |what: &str| -> &str {
        logs.iter()
            .find_map(|l| l.strip_prefix(&format!("{what}: ")))
            .unwrap_or_else(|| panic!("no `{what}` in {logs:?}"))
    };
    // No preopened directories: every path is refused.
    assert!(saw("read /etc/passwd").starts_with("ERR "), "{logs:?}");
    assert!(saw("read_dir /").starts_with("ERR "), "{logs:?}");
    assert!(saw("read_dir .").starts_with("ERR "), "{logs:?}");
    assert!(
        saw("write /tmp/modelgate-escape").starts_with("ERR "),
        "{logs:?}"
    );
    // No environment, no arguments.
    assert_eq!(saw("env vars"), "0 []");
    assert_eq!(saw("args"), "0 []");
    // No network: no TCP connection, no UDP socket, no name resolution.
    assert!(saw("tcp 127.0.0.1:9").starts_with("ERR "), "{logs:?}");
    assert!(saw("udp bind").starts_with("ERR "), "{logs:?}");
    assert!(saw("dns localhost").starts_with("ERR "), "{logs:?}");
    // Nothing of the host's files leaks into the report or onto the terminal.
    let text = std::fs::read_to_string(gate.path("report.json")).unwrap();
    assert!(
        !text.contains("root:"),
        "/etc/passwd leaked into the report"
    );
    assert!(
        !out.stdout.contains("root:") && !out.stderr.contains("root:"),
        "/etc/passwd leaked onto the terminal"
    );
}

#[test]
fn unbounded_recursion_is_stopped_and_named() {
    let gate = gate(
        &(with_mode("frames", "recurse", "frames") + &with_mode("shadow", "recurse", "shadow")),
    );
    let out = gate.check(&[]).expect_code(2);
    assert!(
        out.stdout.contains("verdict: ERROR (exit 2)"),
        "{}",
        out.stdout
    );
    let report = gate.report();
    assert_eq!(report["verdict"], "error");
    assert_perf_passed(&report);
    // Small frames: wasm's own call stack overflows.
    let frames = error_of(check(&report, "frames"));
    assert!(
        frames.contains("overflowed its call stack during validate()"),
        "{frames}"
    );
    // Big frames: a Rust guest's stack lives in linear memory and runs below address 0 first.
    let shadow = error_of(check(&report, "shadow"));
    assert!(
        shadow.contains("out of bounds memory access") && shadow.contains("unbounded recursion?"),
        "{shadow}"
    );
}

#[test]
fn oversized_results_are_refused_and_floods_are_truncated() {
    let modes = [
        "metrics",
        "details",
        "summary",
        "error",
        "logs",
        "big-log",
        "stdout",
        "stdout-panic",
    ];
    let checks: String = modes.iter().map(|m| with_mode(m, "flood", m)).collect();
    let gate = gate(&checks);
    let out = gate.check(&[]).expect_code(2);
    assert!(
        out.stdout.contains("verdict: ERROR (exit 2)"),
        "{}",
        out.stdout
    );
    let report = gate.report();
    assert_eq!(report["verdict"], "error");
    assert_perf_passed(&report);

    // Too many metrics, too much detail: refused, naming the limit.
    let metrics = error_of(check(&report, "metrics"));
    assert_eq!(metrics, "malformed result: 200000 metrics (at most 100000)");
    let details = error_of(check(&report, "details"));
    assert!(
        details.starts_with("malformed result: details are 10485762 bytes (at most 4194304)"),
        "{details}"
    );
    assert!(check(&report, "details")["details"].is_null());

    // A 10 MiB summary or error message: cut to 4 KiB.
    let summary = check(&report, "summary");
    assert_eq!(summary["status"], "pass", "{}", summary["status"]);
    let s = str_of(summary, "summary");
    assert!(
        s.len() <= 4096 + '…'.len_utf8() && s.ends_with('…'),
        "summary of {} bytes",
        s.len()
    );
    let e = error_of(check(&report, "error"));
    assert!(
        e.len() <= 4096 + '…'.len_utf8() && e.starts_with("eeee") && e.ends_with('…'),
        "error of {} bytes",
        e.len()
    );

    // 100,000 log calls: the first 64 KiB are kept, and a note says how many lines were dropped.
    let logs = log_messages(check(&report, "logs"));
    assert_eq!(check(&report, "logs")["status"], "pass");
    assert_eq!(logs[0], "log line 0");
    let note = logs.last().unwrap();
    let dropped: usize = note
        .strip_suffix(" log lines dropped (over 65536 bytes)")
        .unwrap_or_else(|| panic!("no `dropped` note: {note}"))
        .parse()
        .unwrap();
    let kept = &logs[..logs.len() - 1];
    assert_eq!(kept.len() + dropped, 100_000);
    assert!(kept.iter().map(|l| l.len()).sum::<usize>() <= 65536);
    assert_eq!(
        kept.last().unwrap(),
        &format!("log line {}", kept.len() - 1),
        "lines are kept in order"
    );
    // One 8 MiB log message: cut to 4 KiB.
    let big = log_messages(check(&report, "big-log"));
    assert_eq!(big.len(), 1, "{big:?}");
    assert!(big[0].len() <= 4096 + '…'.len_utf8() && big[0].ends_with('…'));

    // 1 MiB on stdout: the plugin is not killed by a full pipe; the head and the tail are kept, with
    // a note of what was dropped in between.
    let stdout = check(&report, "stdout");
    assert_eq!(stdout["status"], "pass", "{}", stdout["error"]);
    let output = str_of(stdout, "output");
    assert!(
        output.len() <= 64 * 1024 + 100,
        "output of {} bytes",
        output.len()
    );
    assert!(output.starts_with("0000 ooo"), "the head is kept");
    assert!(
        output.contains("bytes of output dropped"),
        "the cut is said"
    );
    assert!(
        output.contains("1023 ooo") && output.ends_with("last line on stderr\n"),
        "the tail is kept"
    );
    // ... so that a panic after a flood is still reported with its message.
    let panic = error_of(check(&report, "stdout-panic"));
    assert!(
        panic.contains("the plugin panicked: fixture panic after a stdout flood"),
        "{panic}"
    );

    let size = std::fs::metadata(gate.path("report.json")).unwrap().len();
    assert!(size < 1 << 20, "the report stays small: {size} bytes");
}

#[test]
fn malformed_results_are_errors() {
    let modes = ["nan", "inf-threshold", "name", "details"];
    let checks: String = modes.iter().map(|m| with_mode(m, "malformed", m)).collect();
    let gate = gate(&checks);
    gate.check(&[]).expect_code(2);
    let report = gate.report();
    assert_eq!(report["verdict"], "error");
    assert_perf_passed(&report);
    let expect = [
        (
            "nan",
            "malformed result: metric `accuracy` has value NaN (metrics must be finite)",
        ),
        (
            "inf-threshold",
            "malformed result: threshold `min` of metric `accuracy` is -inf",
        ),
        (
            "name",
            "malformed result: metric name \"Accuracy Score!\" is not snake_case",
        ),
        ("details", "malformed result: details are not JSON"),
    ];
    for (id, reason) in expect {
        let c = check(&report, id);
        assert!(error_of(c).starts_with(reason), "{id}: {c}");
        assert!(
            c["metrics"].as_array().is_none_or(|m| m.is_empty()),
            "nothing of a malformed result is kept: {c}"
        );
    }

    // Advisory, the same malformed results are reported and the candidate is promoted.
    let advisory: String = modes
        .iter()
        .map(|m| {
            with_mode(m, "malformed", m).replace("plugin =", "severity = \"advisory\"\nplugin =")
        })
        .collect();
    let gate = self::gate(&advisory);
    gate.check(&[]).expect_code(0);
    assert_eq!(check(&gate.report(), "nan")["status"], "error");
}

#[test]
fn strings_that_are_not_utf8_are_errors_not_crashes() {
    // The canonical ABI validates every string the host lifts from a guest: in a result, as a log
    // message, as a column name. The call fails, and the check errors with the reason.
    let modes = ["result", "log", "column", "lossy"];
    let checks: String = modes.iter().map(|m| with_mode(m, "bad_utf8", m)).collect();
    let gate = gate(&checks);
    gate.check(&[]).expect_code(2);
    let report = gate.report();
    assert_eq!(report["verdict"], "error");
    assert_perf_passed(&report);
    for id in ["result", "log", "column"] {
        let e = error_of(check(&report, id));
        assert!(
            e.starts_with("validate() failed: the plugin gave the host a string that is not valid UTF-8 (invalid utf-8 sequence"),
            "{id}: {e}"
        );
        assert!(
            !e.contains("wasm backtrace"),
            "no wasm backtrace in the reason: {e}"
        );
    }
    // `from_utf8_lossy` makes valid UTF-8: the replacement characters come through.
    let lossy = check(&report, "lossy");
    assert_eq!(lossy["status"], "pass");
    assert_eq!(
        str_of(lossy, "summary"),
        "bad \u{fffd}\u{fffd}\u{fffd}\u{fffd} bytes"
    );
}

#[test]
fn a_plugin_built_against_another_wit_major_version_is_refused_before_running() {
    let gate = gate(
        r#"
[[checks]]
id = "v2"
plugin = "{plugins}/wit_v2_plugin.wasm"
"#,
    );
    let out = gate.check(&[]).expect_code(2);
    assert!(
        out.stderr
            .contains("(check `v2`) was built against modelgate:plugin@2.0.0"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("this modelgate implements @0.1.4 and accepts 0.1.x"),
        "{}",
        out.stderr
    );
    assert!(!gate.has_report(), "nothing ran");

    let wasm = fixture_plugins().join("wit_v2_plugin.wasm");
    let out = modelgate(&["plugin", "inspect", wasm.to_str().unwrap()]).expect_code(2);
    assert!(
        out.stderr.contains("modelgate:plugin@2.0.0") && out.stderr.contains("@0.1.4"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_plugin_built_against_an_earlier_0_1_release_runs() {
    let gate = gate(
        r#"
[[checks]]
id = "old"
plugin = "{plugins}/wit_v0_1_0_plugin.wasm"
"#,
    );
    gate.check(&[]).expect_code(0);
    let report = gate.report();
    assert_eq!(check(&report, "old")["status"], "pass");
    assert_eq!(
        report["inputs"]["plugins"]["old"]["wit_version"], "0.1.0",
        "{report}"
    );
}

#[test]
fn a_plugin_built_against_a_later_0_1_release_runs() {
    let gate = gate(
        r#"
[[checks]]
id = "next"
plugin = "{plugins}/wit_v0_1_9_plugin.wasm"
"#,
    );
    gate.check(&[]).expect_code(0);
    let report = gate.report();
    let next = check(&report, "next");
    assert_eq!(next["status"], "pass", "{next}");
    assert_eq!(
        report["inputs"]["plugins"]["next"]["wit_version"], "0.1.9",
        "{report}"
    );
    assert_eq!(
        report["inputs"]["plugins"]["perf"]["wit_version"],
        modelgate::runtime::WIT_VERSION,
        "{report}"
    );
    assert_eq!(next["metrics"][0]["value"], 228.0, "{next}");

    let wasm = fixture_plugins().join("wit_v0_1_9_plugin.wasm");
    let out = modelgate(&["plugin", "inspect", wasm.to_str().unwrap()]).expect_code(0);
    assert!(out.stdout.contains("0.1.9"), "{}", out.stdout);
}

#[test]
fn bad_host_call_arguments_come_back_as_host_errors() {
    let gate = gate(
        r#"
[[checks]]
id = "abuse"
plugin = "{plugins}/host_abuse.wasm"
"#,
    );
    gate.check(&[]).expect_code(0);
    let report = gate.report();
    assert_eq!(report["verdict"], "promote");
    assert_perf_passed(&report);
    let abuse = check(&report, "abuse");
    assert_eq!(abuse["status"], "pass", "no trap: {abuse}");
    let logs = log_messages(abuse);
    let got = |call: &str| -> &str {
        logs.iter()
            .find_map(|l| l.strip_prefix(&format!("{call}: ")))
            .unwrap_or_else(|| panic!("no `{call}` in {logs:?}"))
    };
    let expect = [
        ("stats unknown column", "ERR ErrorKind::NoSuchColumn dataset `current` has no column `no_such_column`"),
        ("stats 1 MiB column name", "ERR ErrorKind::InvalidArgument column name longer than 4096 bytes"),
        ("read-f64 offset past the end", "ERR ErrorKind::InvalidArgument offset 229 is past the end of dataset `current` (228 rows)"),
        ("read-f64 offset u64::MAX", "ERR ErrorKind::InvalidArgument offset 18446744073709551615 is past the end"),
        ("read-f64 len u32::MAX", "ERR ErrorKind::InvalidArgument a chunk holds at most 1048576 rows, asked for 4294967295"),
        ("read-i64 len u32::MAX", "ERR ErrorKind::InvalidArgument a chunk holds at most 1048576 rows"),
        ("read-utf8 len u32::MAX", "ERR ErrorKind::InvalidArgument a chunk holds at most 1048576 rows"),
        ("read-f64 at the end", "OK 0 values"),
        ("histogram 2^20+1 edges", "ERR ErrorKind::InvalidArgument a histogram needs 2 to 100001 edges, got 1048577"),
        ("histogram decreasing edges", "ERR ErrorKind::InvalidArgument histogram edges must be finite and strictly increasing"),
        ("histogram NaN edge", "ERR ErrorKind::InvalidArgument histogram edges must be finite and strictly increasing"),
        ("quantiles 10^6 probabilities", "ERR ErrorKind::InvalidArgument at most 10000 quantiles per call, got 1000000"),
        ("quantiles NaN probability", "ERR ErrorKind::InvalidArgument quantile probability NaN is outside [0, 1]"),
        ("duplicate-rows unknown columns", "ERR ErrorKind::InvalidArgument column name longer than 4096 bytes"),
        ("benchmark u32::MAX iterations", "ERR ErrorKind::InvalidArgument at most 10000 warm-up and timed iterations"),
        ("benchmark u32::MAX warm-up", "ERR ErrorKind::InvalidArgument at most 10000 warm-up and timed iterations"),
        ("benchmark batch 0", "ERR ErrorKind::InvalidArgument batch size must be at least 1"),
        ("memo-put 2 KiB key", "ERR ErrorKind::InvalidArgument a memo key is at most 1024 bytes, this one 2048"),
        ("memo-put 65 MiB", "ERR ErrorKind::InvalidArgument the plugin's memo would hold 68157443 bytes, more than its 67108864: nothing stored"),
        ("memo-put", "OK stored"),
        // Each run starts with an empty memo; what was refused is not stored.
        ("memo-get", "None before, Some(Ok(\"kept\")) after, None for the refused"),
    ];
    for (call, answer) in expect {
        assert!(
            got(call).starts_with(answer),
            "{call}: got {:?}, want {answer:?}",
            got(call)
        );
    }
    // An absurd limit is capped, not refused: every distinct value comes back.
    assert!(
        got("value-counts limit u32::MAX").starts_with("OK "),
        "{logs:?}"
    );
}

#[test]
fn a_slow_plugin_within_its_time_limit_passes() {
    let gate = gate(
        r#"
[[checks]]
id = "slow"
plugin = "{plugins}/slow.wasm"
timeout_s = 5
"#,
    );
    gate.check(&[]).expect_code(0);
    let report = gate.report();
    assert_eq!(report["verdict"], "promote");
    assert_perf_passed(&report);
    let slow = check(&report, "slow");
    assert_eq!(slow["status"], "pass", "{slow}");
    assert!(str_of(slow, "summary").starts_with("busy for 1."), "{slow}");
    assert!(slow["duration_ms"].as_f64().unwrap() >= 1400.0, "{slow}");
}

#[test]
fn a_fuel_budget_stops_a_spinning_plugin() {
    // Without `fuel` the spinning plugin would run into the 60 s default time limit.
    let gate = gate(
        r#"
[[checks]]
id = "spin"
plugin = "{plugins}/spin.wasm"
fuel = 1000000
"#,
    );
    let started = std::time::Instant::now();
    gate.check(&[]).expect_code(2);
    assert!(
        started.elapsed().as_secs() < 30,
        "the fuel ran out long before the time limit"
    );
    let report = gate.report();
    assert_eq!(report["verdict"], "error");
    assert_perf_passed(&report);
    let spin = error_of(check(&report, "spin"));
    assert_eq!(spin, "fuel budget of 1000000 exhausted during validate()");
}

#[test]
fn a_plugin_hoarding_resource_handles_is_stopped() {
    // Each `predict` returns a new table handle; the plugin never drops them. wasmtime bounds the
    // store's handle table, so the host's memory stays bounded long before the time limit.
    let gate = gate(
        r#"
[[checks]]
id = "handles"
plugin = "{plugins}/handle_hog.wasm"
"#,
    );
    let started = std::time::Instant::now();
    gate.check(&[]).expect_code(2);
    assert!(
        started.elapsed().as_secs() < 30,
        "stopped by the handle limit, not by the time limit"
    );
    let report = gate.report();
    assert_eq!(report["verdict"], "error");
    assert_perf_passed(&report);
    let e = error_of(check(&report, "handles"));
    assert!(
        e.contains("the plugin holds too many resource handles")
            && e.contains("handle limit exceeded"),
        "{e}"
    );
}

#[test]
fn a_benchmark_longer_than_the_time_limit_is_refused_up_front() {
    // Benchmarks run in the host, where the epoch deadline cannot interrupt them. On 45,600 rows,
    // 10,000 warm-up and 10,000 timed runs take about half a minute, far over `timeout_s = 5`: the
    // host times one run and refuses the call instead of holding the gate.
    let head = EXAMPLE_HEAD.replace("{example}/data/current.csv", "big.csv");
    let checks = r#"
[[checks]]
id = "bench"
plugin = "{plugins}/host_abuse.wasm"
timeout_s = 5
[checks.config]
mode = "bench"
"#;
    let gate = Gate::new(&format!("{head}{checks}"));
    let csv = std::fs::read_to_string(example().join("data/current.csv")).unwrap();
    let (header, rows) = csv.split_once('\n').unwrap();
    std::fs::write(
        gate.path("big.csv"),
        format!("{header}\n{}", rows.repeat(200)),
    )
    .unwrap();
    let started = std::time::Instant::now();
    gate.check(&[]).expect_code(0);
    assert!(
        started.elapsed().as_secs() < 30,
        "refused up front, not run to the end"
    );
    let report = gate.report();
    let bench = check(&report, "bench");
    assert_eq!(
        bench["status"], "pass",
        "the fixture reports what it got: {bench}"
    );
    let s = str_of(bench, "summary");
    assert!(
        s.starts_with("benchmark 20000 runs on every row: ERR ErrorKind::InvalidArgument 20000 benchmark runs of ")
            && s.contains("left of the check's time limit; use fewer iterations or a smaller batch"),
        "{s}"
    );
}

#[test]
fn misbehaving_plugins_are_contained_and_the_gate_fails_closed() {
    let checks = r#"
[[checks]]
id = "perf"
plugin = "performance"
[[checks]]
id = "panics"
plugin = "{plugins}/trap.wasm"
[[checks]]
id = "loops"
plugin = "{plugins}/spin.wasm"
timeout_s = 1.0
[[checks]]
id = "hoards"
plugin = "{plugins}/memory_hog.wasm"
memory_mb = 64
"#;
    let gate = Gate::example(checks);
    let started = std::time::Instant::now();
    let out = gate.check(&[]).expect_code(2);
    assert!(
        started.elapsed().as_secs() < 60,
        "the epoch deadline stopped the loop"
    );
    // The table with each contained check's reason, and the error verdict.
    snapshot!("misbehaving_plugins", out.transcript());
    assert!(out.stdout.contains("verdict: ERROR (exit 2)"));
    let report = gate.report();
    assert_eq!(report["verdict"], "error");
    assert_eq!(
        check(&report, "perf")["status"],
        "pass",
        "the well-behaved check still ran"
    );
    let panics = check(&report, "panics");
    assert_eq!(panics["status"], "error");
    assert!(
        panics["error"]
            .as_str()
            .unwrap()
            .contains("fixture panic: the validator blew up on purpose"),
        "{panics}"
    );
    let loops = check(&report, "loops");
    assert_eq!(loops["status"], "error");
    assert!(
        loops["error"]
            .as_str()
            .unwrap()
            .contains("time limit exceeded"),
        "{loops}"
    );
    let hoards = check(&report, "hoards");
    assert_eq!(hoards["status"], "error");
    assert!(
        hoards["error"]
            .as_str()
            .unwrap()
            .contains("memory limit exceeded"),
        "{hoards}"
    );
    assert!(
        hoards["error"].as_str().unwrap().contains("64 MiB"),
        "{hoards}"
    );

    // The same misbehaving checks, advisory: contained, reported, and the candidate is promoted.
    let advisory = checks.replace(
        "\nplugin = \"{plugins}",
        "\nseverity = \"advisory\"\nplugin = \"{plugins}",
    );
    assert_eq!(advisory.matches("advisory").count(), 3);
    let gate = Gate::example(&advisory);
    gate.check(&[]).expect_code(0);
    assert_eq!(check(&gate.report(), "loops")["status"], "error");
}
