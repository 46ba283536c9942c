//! The verdict: `reject` if any blocking check failed; else `error` if any blocking check errored
//! (fail closed); else `promote`. Advisory checks never change it.

use std::process::ExitCode;

use crate::outcome::Status;
use crate::policy::Severity;
use crate::record::CheckReport;

/// The gate's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The candidate may go live (exit 0).
    Promote,
    /// A blocking check failed (exit 1).
    Reject,
    /// The gate could not decide (exit 2).
    Error,
}

impl Verdict {
    /// Combines check outcomes into a verdict.
    pub fn of(checks: &[CheckReport]) -> Verdict {
        let blocking = || checks.iter().filter(|c| c.severity == Severity::Blocking);
        if blocking().any(|c| c.outcome.status == Status::Fail) {
            Verdict::Reject
        } else if checks.is_empty() || blocking().any(|c| c.outcome.status == Status::Error) {
            Verdict::Error
        } else {
            Verdict::Promote
        }
    }

    /// The process exit code: 0 promote, 1 reject, 2 error.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Promote => 0,
            Verdict::Reject => 1,
            Verdict::Error => 2,
        }
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Promote => "promote",
            Verdict::Reject => "reject",
            Verdict::Error => "error",
        }
    }
}

impl From<Verdict> for ExitCode {
    fn from(v: Verdict) -> ExitCode {
        ExitCode::from(v.exit_code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;
    use std::time::Duration;

    fn check(status: Status, severity: Severity) -> CheckReport {
        CheckReport {
            id: "c".into(),
            plugin: "p".into(),
            severity,
            outcome: Outcome::with_status(status, ""),
            duration: Duration::ZERO,
        }
    }

    #[test]
    fn rules() {
        use Severity::*;
        use Status::*;
        let v = |cs: &[(Status, Severity)]| {
            Verdict::of(&cs.iter().map(|(s, v)| check(*s, *v)).collect::<Vec<_>>())
        };
        assert_eq!(v(&[(Pass, Blocking), (Warn, Blocking)]), Verdict::Promote);
        assert_eq!(
            v(&[(Pass, Blocking), (Fail, Blocking), (Error, Blocking)]),
            Verdict::Reject
        );
        assert_eq!(v(&[(Pass, Blocking), (Error, Blocking)]), Verdict::Error);
        assert_eq!(
            v(&[(Pass, Blocking), (Fail, Advisory), (Error, Advisory)]),
            Verdict::Promote
        );
        assert_eq!(v(&[]), Verdict::Error, "no checks is never a pass");
        assert_eq!(Verdict::Reject.exit_code(), 1);
    }
}
