//! Markdown (`--markdown PATH`): a summary ready to paste as a pull-request comment, appended to
//! `$GITHUB_STEP_SUMMARY` when GitHub Actions sets it; plus GitHub workflow annotations
//! (`::error::` / `::warning::`) for failing and warning checks.

use std::fmt::Write as _;

use crate::outcome::Status;
use crate::policy::Severity;
use crate::record::GateRun;
use crate::report::metric_line;
use crate::verdict::Verdict;

/// Text safe in a Markdown table cell.
pub(crate) fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A status with its icon.
pub(crate) fn icon(s: Status) -> &'static str {
    match s {
        Status::Pass => "✅ pass",
        Status::Warn => "⚠️ warn",
        Status::Fail => "❌ fail",
        Status::Error => "🛑 error",
        Status::Skipped => "⏭️ skipped",
    }
}

/// Renders the Markdown summary.
pub fn render(run: &GateRun, verdict: Verdict) -> String {
    let mut s = String::new();
    let banner = match verdict {
        Verdict::Promote => "✅ **PROMOTE**",
        Verdict::Reject => "❌ **REJECT**",
        Verdict::Error => "🛑 **ERROR**",
    };
    let _ = writeln!(
        s,
        "## modelgate: `{}` — {banner} (exit {})\n",
        cell(&run.name),
        verdict.exit_code()
    );
    for line in crate::report::dropped_rows(run) {
        let _ = writeln!(s, "> {}\n", cell(&line));
    }
    let _ = writeln!(s, "| Check | Plugin | Severity | Status | Summary |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for c in &run.checks {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} |",
            cell(&c.id),
            cell(&c.plugin),
            if c.severity == Severity::Advisory {
                "advisory"
            } else {
                "blocking"
            },
            icon(c.outcome.status),
            cell(&c.outcome.summary)
        );
    }
    for c in &run.checks {
        let gated: Vec<_> = c
            .outcome
            .metrics
            .iter()
            .filter(|m| m.passed.is_some())
            .collect();
        if gated.is_empty() && c.outcome.error.is_none() {
            continue;
        }
        let open = if matches!(c.outcome.status, Status::Fail | Status::Error) {
            " open"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "\n<details{open}><summary><code>{}</code>: {}</summary>\n",
            cell(&c.id),
            icon(c.outcome.status)
        );
        for m in gated {
            let mark = match (m.passed, c.outcome.status) {
                (Some(true), _) => "✅",
                (_, Status::Warn) => "⚠️",
                _ => "❌",
            };
            let _ = writeln!(s, "- {mark} {}", metric_line(m));
        }
        if let Some(e) = &c.outcome.error {
            let _ = writeln!(s, "- 🛑 {}", e.replace('\n', " "));
        }
        let _ = writeln!(s, "\n</details>");
    }
    let _ = writeln!(
        s,
        "\n<sub>policy `{}` sha256 `{}`</sub>",
        cell(&run.policy.path),
        &run.policy.sha256[..12.min(run.policy.sha256.len())]
    );
    s
}

/// Escapes a workflow-command message (`%`, CR and LF must be encoded).
fn command_escape(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub annotations: `::error::` for blocking failures and errors, `::warning::` for warnings
/// and advisory failures.
pub fn annotations(run: &GateRun) -> Vec<String> {
    run.checks
        .iter()
        .filter_map(|c| {
            let level = match (c.outcome.status, c.severity) {
                (Status::Pass | Status::Skipped, _) => return None,
                (Status::Warn, _) | (_, Severity::Advisory) => "warning",
                (Status::Fail | Status::Error, Severity::Blocking) => "error",
            };
            let title =
                command_escape(&format!("modelgate {} {}", c.id, c.outcome.status.as_str()))
                    .replace(',', "%2C")
                    .replace(':', "%3A");
            Some(format!(
                "::{level} title={title}::{}",
                command_escape(&c.outcome.summary)
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_cells_and_commands_are_escaped() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(command_escape("50%\ndone"), "50%25%0Adone");
    }

    #[test]
    fn metric_lines_are_reused_from_the_terminal() {
        let m = crate::outcome::Metric {
            name: "accuracy".into(),
            value: 0.5,
            column: None,
            model: Some("candidate".into()),
            slice: None,
            threshold: None,
            passed: Some(false),
        };
        assert_eq!(metric_line(&m), "accuracy = 0.5000 [model candidate]");
    }
}
