//! What a person sees on the terminal: the verdict table of `check` and `demo` (not a terminal,
//! NO_COLOR: plain text, snapshotted whole), an error verdict, colour only on a terminal, progress
//! lines, `--quiet` and `--timings`.

use crate::support::*;

#[test]
fn demo_promotes_and_prints_the_verdict_table() {
    let out = modelgate(&["demo"]).expect_code(0);
    // The whole output: the table, the thresholded metrics, the verdict line — but for what the
    // advisory latency check measured, which a loaded machine can push past its bounds.
    snapshot!("demo", steady_latency(&out.transcript()));
    assert!(
        out.stdout.contains("verdict: PROMOTE (exit 0)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("CHECK"),
        "table header missing:\n{}",
        out.stdout
    );
    assert!(out.stdout.contains("performance"), "{}", out.stdout);
    assert!(
        out.stdout.contains("accuracy"),
        "thresholded metrics are listed:\n{}",
        out.stdout
    );
}

/// `text` with the advisory latency check's status, summary, marks and the verdict's counts
/// masked: they follow the machine's load, not the code.
fn steady_latency(text: &str) -> String {
    let masks = [
        (
            r"(?m)^(  latency +latency +advisory +).*$",
            "${1}[STATUS, TIME, SUMMARY]",
        ),
        (
            r"(?m)^    (?:ok  |FAIL) (latency_\w+_ms|throughput_rows_per_s) ",
            "    [MARK] $1 ",
        ),
        (r"(verdict: PROMOTE \(exit 0\)): .*", "$1: [COUNTS]"),
    ];
    masks.iter().fold(text.to_string(), |t, (re, with)| {
        regex::Regex::new(re)
            .unwrap()
            .replace_all(&t, *with)
            .into_owned()
    })
}

#[test]
fn progress_lines_name_each_step_and_quiet_hides_them() {
    let gate = Gate::example(PERF);
    let out = gate.check(&["--progress", "always"]).expect_code(0);
    snapshot!("progress", out.transcript());
    for step in [
        "loading 2 datasets … done in",
        "loading 2 models … done in",
        "preparing 1 plugin … done in",
        "running 1 check … done in",
    ] {
        assert!(
            out.stderr.contains(step),
            "missing `{step}` in:\n{}",
            out.stderr
        );
    }
    let out = gate
        .check(&["--progress", "always", "--quiet"])
        .expect_code(0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert_eq!(
        out.stdout.lines().count(),
        1,
        "--quiet prints only the verdict: {}",
        out.stdout
    );
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    // The example's checks without its latency check, whose outcome follows the machine's load.
    let gate = Gate::example(PERF);
    let policy = std::path::PathBuf::from(gate.policy());
    let _binary = binary_in_use();
    let cmd = format!(
        "{} check {} --quiet",
        env!("CARGO_BIN_EXE_modelgate"),
        policy.display()
    );
    // `script` (util-linux) runs the command on a pseudo-terminal.
    let on_tty = |no_color: bool| {
        let mut c = std::process::Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"])
            .env("MODELGATE_CACHE_DIR", cache_dir());
        if no_color {
            c.env("NO_COLOR", "1");
        } else {
            c.env_remove("NO_COLOR");
        }
        String::from_utf8_lossy(&c.output().expect("script is in util-linux").stdout).into_owned()
    };
    let coloured = on_tty(false);
    snapshot!("quiet_on_a_terminal", format!("{coloured:?}"));
    assert!(
        coloured.contains("\x1b[32;1mPROMOTE\x1b[0m"),
        "{coloured:?}"
    );
    let plain = on_tty(true);
    assert!(
        plain.contains("verdict: PROMOTE (exit 0)") && !plain.contains('\x1b'),
        "{plain:?}"
    );
    let piped = std::process::Command::new(env!("CARGO_BIN_EXE_modelgate"))
        .args(["check", policy.to_str().unwrap(), "--quiet"])
        .env("MODELGATE_CACHE_DIR", cache_dir())
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let piped = String::from_utf8_lossy(&piped.stdout);
    assert!(
        piped.contains("PROMOTE") && !piped.contains('\x1b'),
        "no colour when stdout is not a terminal: {piped:?}"
    );
}

#[test]
fn timings_say_where_the_time_went() {
    let gate = Gate::example(PERF);
    let out = gate.check(&["--timings"]).expect_code(0);
    for needle in [
        "timings:",
        "load datasets (in parallel)",
        "dataset `current` (228 rows × 31 columns)",
        "load models",
        "model `baseline`",
        "prepare plugins",
        "plugin builtin:performance (",
        "check `perf`",
        // Run by the check, or read from the cache an earlier test's run filled.
        "predictions of `candidate` on `current` (",
        "total (wall, with reports)",
    ] {
        assert!(
            out.stderr.contains(needle),
            "`{needle}` in:\n{}",
            out.stderr
        );
    }
    // Every line ends with seconds.
    for line in out.stderr.lines().skip_while(|l| *l != "timings:").skip(1) {
        let secs = line
            .trim_end()
            .strip_suffix(" s")
            .and_then(|l| l.split_whitespace().last())
            .and_then(|n| n.parse::<f64>().ok());
        assert!(secs.is_some_and(|s| s >= 0.0), "{line}");
    }
    // Without the flag: nothing.
    assert!(!gate.check(&[]).expect_code(0).stderr.contains("timings:"));
}

#[test]
fn a_check_that_errors_gives_the_error_verdict_and_says_why() {
    let gate = Gate::example(
        r#"
[[checks]]
id = "perf"
plugin = "performance"
[[checks]]
id = "slices"
plugin = "performance"
[checks.config]
slices = [{ column = "label", groups = { unknown = ["7"] } }]
[checks.config.metrics]
accuracy = { min = 0.9 }
[[checks]]
id = "strict"
plugin = "performance"
severity = "advisory"
[checks.config.metrics]
f1 = { min = 0.999 }
"#,
    );
    let out = gate.check(&[]).expect_code(2);
    snapshot!("error_verdict", out.transcript());
    assert!(out.stdout.contains("verdict: ERROR (exit 2)"));
}
