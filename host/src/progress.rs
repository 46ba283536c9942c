//! Progress on stderr for the long steps of a gate (loading data, loading models, compiling
//! plugins, running checks): one line per step with its duration, and a live count of finished
//! checks. Shown on a terminal (or with `--progress always`), never in `--quiet` mode.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Where progress goes.
#[derive(Debug, Default)]
pub struct Progress {
    enabled: bool,
    live: bool,
    current: Mutex<Option<(String, Instant)>>,
    done: AtomicUsize,
}

/// When to show progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum When {
    /// On a terminal.
    #[default]
    Auto,
    /// Always (plain lines when stderr is not a terminal).
    Always,
    /// Never.
    Never,
}

impl Progress {
    /// Progress shown as `when` says.
    pub fn new(when: When) -> Progress {
        let tty = std::io::stderr().is_terminal();
        let enabled = match when {
            When::Auto => tty,
            When::Always => true,
            When::Never => false,
        };
        Progress {
            enabled,
            live: enabled && tty,
            ..Default::default()
        }
    }

    /// No output.
    pub fn hidden() -> Progress {
        Progress::default()
    }

    /// Starts a step (ending the previous one).
    pub fn step(&self, what: impl Into<String>) {
        if !self.enabled {
            return;
        }
        self.finish();
        let what = what.into();
        if self.live {
            eprint!("  {what} …");
            let _ = std::io::stderr().flush();
        }
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some((what, Instant::now()));
        self.done.store(0, Ordering::Relaxed);
    }

    /// Counts one finished item of the current step, out of `total`.
    pub fn tick(&self, total: usize) {
        if !self.enabled {
            return;
        }
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if self.live {
            if let Some((what, _)) = self
                .current
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
            {
                eprint!("\r\x1b[2K  {what} … {n}/{total}");
                let _ = std::io::stderr().flush();
            }
        }
    }

    /// Ends the current step with its duration.
    pub fn finish(&self) {
        if !self.enabled {
            return;
        }
        if let Some((what, started)) = self
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            let line = format!(
                "  {what} … done in {:.2} s",
                started.elapsed().as_secs_f64()
            );
            if self.live {
                eprintln!("\r\x1b[2K{line}");
            } else {
                eprintln!("{line}");
            }
        }
    }
}
