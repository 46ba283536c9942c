//! JUnit XML (`--junit PATH`): one test case per check, plus one per failing metric, so that
//! Jenkins, GitLab and GitHub test reporters show what failed and why.
//!
//! - `fail` (blocking) → `<failure>`; `error` (blocking) → `<error>`;
//! - an advisory check that fails or errors → `<skipped>` with the reason (it never blocks);
//! - `warn` → a passing case whose `<system-out>` starts with `WARN:`;
//! - logs and captured plugin output go to `<system-out>`.

use std::fmt::Write as _;

use crate::outcome::Status;
use crate::policy::Severity;
use crate::record::{CheckReport, GateRun};
use crate::report::{escape_markup as escape, metric_line};
use crate::verdict::Verdict;

fn secs(d: std::time::Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

fn system_out(c: &CheckReport) -> String {
    let mut s = String::new();
    if c.outcome.status == Status::Warn {
        let _ = writeln!(s, "WARN: {}", c.outcome.summary);
    }
    for l in &c.outcome.logs {
        let _ = writeln!(s, "[{}] {}", l.level, l.message);
    }
    if !c.outcome.output.is_empty() {
        let _ = writeln!(s, "--- plugin output\n{}", c.outcome.output);
    }
    s
}

/// Renders the JUnit XML document of a gate run.
pub fn render(run: &GateRun, verdict: Verdict, total: std::time::Duration) -> String {
    let suite = escape(&run.name);
    let mut cases = String::new();
    let (mut tests, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
    for c in &run.checks {
        tests += 1;
        let advisory = c.severity == Severity::Advisory;
        let _ = writeln!(
            cases,
            "    <testcase classname=\"modelgate.{suite}\" name=\"{}\" time=\"{}\">",
            escape(&c.id),
            secs(c.duration)
        );
        let message = escape(&c.outcome.summary);
        match (c.outcome.status, advisory) {
            (Status::Fail | Status::Error, true) => {
                skipped += 1;
                let _ = writeln!(
                    cases,
                    "      <skipped message=\"advisory check {}: {message}\"/>",
                    c.outcome.status.as_str()
                );
            }
            (Status::Fail, false) => {
                failures += 1;
                let body: Vec<String> = c
                    .outcome
                    .metrics
                    .iter()
                    .filter(|m| m.passed == Some(false))
                    .map(|m| format!("FAIL {}", metric_line(m)))
                    .collect();
                let _ = writeln!(
                    cases,
                    "      <failure message=\"{message}\" type=\"threshold\">{}</failure>",
                    escape(&body.join("\n"))
                );
            }
            (Status::Error, false) => {
                errors += 1;
                let detail = c.outcome.error.as_deref().unwrap_or(&c.outcome.summary);
                let _ = writeln!(
                    cases,
                    "      <error message=\"{message}\" type=\"error\">{}</error>",
                    escape(detail)
                );
            }
            (Status::Skipped, _) => {
                skipped += 1;
                let _ = writeln!(cases, "      <skipped message=\"{message}\"/>");
            }
            (Status::Pass | Status::Warn, _) => {}
        }
        let out = system_out(c);
        if !out.is_empty() {
            let _ = writeln!(cases, "      <system-out>{}</system-out>", escape(&out));
        }
        cases.push_str("    </testcase>\n");
        // One case per failing metric, so reporters list each broken threshold by name.
        if c.outcome.status == Status::Fail && !advisory {
            for m in c.outcome.metrics.iter().filter(|m| m.passed == Some(false)) {
                tests += 1;
                failures += 1;
                let line = escape(&metric_line(m));
                let _ = write!(
                    cases,
                    "    <testcase classname=\"modelgate.{suite}.{}\" name=\"{line}\" time=\"0.000\">\n      \
                     <failure message=\"{line}\" type=\"threshold\"/>\n    </testcase>\n",
                    escape(&c.id)
                );
            }
        }
    }
    let mut doc = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        doc,
        "<testsuites name=\"modelgate\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{}\">",
        secs(total)
    );
    let _ = writeln!(
        doc,
        "  <testsuite name=\"{suite}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{}\">",
        secs(total)
    );
    let _ = writeln!(doc, "    <properties>");
    let _ = writeln!(
        doc,
        "      <property name=\"verdict\" value=\"{}\"/>",
        verdict.as_str()
    );
    let _ = writeln!(
        doc,
        "      <property name=\"policy\" value=\"{}\"/>",
        escape(&run.policy.path)
    );
    let _ = writeln!(
        doc,
        "      <property name=\"policy_sha256\" value=\"{}\"/>",
        run.policy.sha256
    );
    let _ = writeln!(doc, "    </properties>");
    doc.push_str(&cases);
    doc.push_str("  </testsuite>\n</testsuites>\n");
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            escape("a<b>&\"c'\u{1}\u{85}"),
            "a&lt;b&gt;&amp;&quot;c&#39;\u{FFFD}\u{FFFD}"
        );
        assert_eq!(escape("line\nnext"), "line\nnext");
    }
}
