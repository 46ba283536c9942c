//! Reasons people can act on, for traps and panics inside a plugin.

use std::time::Instant;

use anyhow::anyhow;
use wasmtime::Trap;

use super::contract::truncate;
use super::Limits;

/// Turns a trap into a reason people can act on. `memory_hit` is the size the guest last tried to
/// grow its memory to beyond the limit, if it did.
pub(super) fn explain(
    memory_hit: Option<usize>,
    e: wasmtime::Error,
    limits: &Limits,
    started: Instant,
    during: &str,
) -> anyhow::Error {
    if let Some(desired) = memory_hit {
        return anyhow!(
                "memory limit exceeded: the plugin tried to grow its memory to {:.1} MiB, the limit is {} MiB (set \
                 `memory_mb` on the check to raise it)",
                desired as f64 / (1 << 20) as f64,
                limits.memory_bytes >> 20
            );
    }
    match e.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => anyhow!(
                "time limit exceeded: {during} ran for {:.1} s, the limit is {:.1} s (set `timeout_s` on the check to raise it)",
                started.elapsed().as_secs_f64(),
                limits.timeout.as_secs_f64()
            ),
            Some(Trap::OutOfFuel) => anyhow!("fuel budget of {} exhausted during {during}", limits.fuel.unwrap_or(0)),
            Some(Trap::StackOverflow) => anyhow!("the plugin overflowed its call stack during {during} (unbounded recursion?)"),
            // A Rust (or C) guest keeps its stack in linear memory, below its data: unbounded
            // recursion runs that stack pointer below address 0 before wasm's own stack fills up.
            Some(Trap::MemoryOutOfBounds) => anyhow!(
                "the plugin trapped during {during}: out of bounds memory access (a memory bug in the plugin, or its \
                 stack overflowed: unbounded recursion?)"
            ),
            Some(t) => anyhow!("the plugin trapped during {during}: {t}"),
            None => {
                // Without the wasm backtrace (function indices, useless in a report).
                let msg = e
                    .chain()
                    .map(|c| c.to_string())
                    .filter(|m| !m.starts_with("error while executing at wasm backtrace"))
                    .collect::<Vec<_>>()
                    .join(": ");
                if msg.contains("invalid utf-8") {
                    anyhow!("{during} failed: the plugin gave the host a string that is not valid UTF-8 ({msg})")
                } else if msg.contains("handle limit exceeded") {
                    anyhow!("{during} failed: the plugin holds too many resource handles ({msg}); drop the tables `predict` returns")
                } else {
                    anyhow!("{during} failed: {msg}")
                }
            }
        }
}

/// The panic line(s) a Rust guest wrote to stderr ("panicked at FILE:LINE:COL:\nMESSAGE").
pub(super) fn panic_message(output: &str) -> Option<String> {
    let start = output.find("panicked at ")?;
    let mut lines = output[start..].lines();
    let location = lines
        .next()?
        .trim_start_matches("panicked at ")
        .trim_end_matches(':');
    let message = lines.next().unwrap_or("").trim();
    Some(truncate(&format!("{message} (at {location})"), 1024))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn reason(hit: Option<usize>, e: wasmtime::Error) -> String {
        let limits = Limits::new(64, 2.0, Some(1000));
        explain(hit, e, &limits, Instant::now(), "validate()").to_string()
    }

    #[test]
    fn traps_become_reasons_that_say_what_to_change() {
        let e = reason(
            Some(100 << 20),
            wasmtime::Error::from(Trap::UnreachableCodeReached),
        );
        assert!(e.starts_with("memory limit exceeded: the plugin tried to grow its memory to 100.0 MiB, the limit is 64 MiB"), "{e}");
        assert!(e.contains("`memory_mb`"), "{e}");
        let e = reason(None, wasmtime::Error::from(Trap::Interrupt));
        assert!(
            e.starts_with("time limit exceeded: validate() ran for 0.0 s, the limit is 2.0 s"),
            "{e}"
        );
        assert!(e.contains("`timeout_s`"), "{e}");
        let e = reason(None, wasmtime::Error::from(Trap::OutOfFuel));
        assert_eq!(e, "fuel budget of 1000 exhausted during validate()");
        let e = reason(None, wasmtime::Error::from(Trap::StackOverflow));
        assert!(
            e.contains("overflowed its call stack during validate()"),
            "{e}"
        );
        let e = reason(None, wasmtime::Error::from(Trap::MemoryOutOfBounds));
        assert!(
            e.contains("out of bounds memory access") && e.contains("unbounded recursion?"),
            "{e}"
        );
        let e = reason(None, wasmtime::Error::msg("invalid utf-8 sequence"));
        assert!(e.contains("not valid UTF-8"), "{e}");
        let e = reason(None, wasmtime::Error::msg("resource handle limit exceeded"));
        assert!(e.contains("too many resource handles"), "{e}");
        let e = reason(None, wasmtime::Error::msg("something else"));
        assert_eq!(e, "validate() failed: something else");
        let _ = Duration::ZERO;
    }

    #[test]
    fn a_rust_panic_message_is_lifted_from_stderr() {
        let out = "log line\nthread '<unnamed>' panicked at src/lib.rs:12:5:\nindex out of bounds\nnote: ...";
        assert_eq!(
            panic_message(out).as_deref(),
            Some("index out of bounds (at src/lib.rs:12:5)")
        );
        assert_eq!(panic_message("no panic here"), None);
    }
}
