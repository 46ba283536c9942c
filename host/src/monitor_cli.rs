//! `modelgate monitor` on the command line: run, notify, write the reports, tell GitHub Actions.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use crate::cli::{
    append_to_github_file, async_runtime, progress, under_github_actions, MonitorArgs,
};
use crate::decision::Action;
use crate::policy::Policy;
use crate::report::monitor::{self, text};

/// Runs the monitor and maps its action to the exit code (0 none, 1 alert or retrain, 2 error).
pub fn monitor(policy: &Path, args: &MonitorArgs) -> anyhow::Result<ExitCode> {
    let (started_at, started) = (SystemTime::now(), Instant::now());
    let policy = Policy::load(policy)?;
    let opts = args.engine.gate_options();
    let progress = progress(args.quiet, args.progress);
    let mut run = async_runtime()?.block_on(crate::monitor::run(&policy, &opts, &progress))?;
    if run.action != Action::None && !args.notify.is_empty() {
        let body = monitor::json::notification(&run);
        run.notifications = args
            .notify
            .iter()
            .map(|url| crate::monitor::notify::send(url, &body))
            .collect();
        for n in run.notifications.iter().filter(|n| !n.delivered) {
            eprintln!(
                "error: the notification to {} was not delivered after {} attempt(s): {}",
                n.url,
                n.attempts,
                n.error.as_deref().unwrap_or("")
            );
        }
    }
    let targets = monitor::Targets {
        json: args.json.clone(),
        html: args.html.clone(),
        markdown: args.markdown.clone(),
        prometheus: args.prometheus.clone(),
    };
    let markdown = monitor::write_all(&run, &targets, started_at, started.elapsed())?;
    if under_github_actions() {
        append_to_github_file("GITHUB_STEP_SUMMARY", &format!("{markdown}\n"))?;
        append_to_github_file(
            "GITHUB_OUTPUT",
            &format!("action={}\n", run.action.as_str()),
        )?;
    }
    if args.timings {
        eprint!(
            "{}",
            crate::report::terminal::timings(&run.gate, started.elapsed())
        );
    }
    let color = crate::report::terminal::use_color();
    if args.quiet {
        println!("{}", text::action_line(&run, color));
    } else {
        print!("{}", text::render(&run, color));
    }
    Ok(ExitCode::from(run.exit_code()))
}
