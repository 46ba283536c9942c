//! `--notify URL`: POST the decision to each URL (a Slack incoming webhook, an Argo Events
//! webhook sensor, any HTTP endpoint). Each gets bounded retries with backoff and a timeout; an
//! alert that could not be delivered is an error, never silence.

use std::time::Duration;

use serde_json::{json, Value};

use crate::decision::{MonitorRun, Notification};
use crate::monitor::windows::rfc3339_ms;

/// How many times one URL is tried.
pub const ATTEMPTS: u32 = 3;
/// Each attempt's limit (connect, send and answer).
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The wait before the second attempt; it doubles before each further one.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// The JSON body: `action`, `gate`, `window` (the latest: index, start, end, status), `reasons`
/// and a Slack-compatible `text`.
pub fn payload(run: &MonitorRun) -> Value {
    let latest = run.windows.len().saturating_sub(1);
    let window = run.windows.last().map(|w| {
        json!({
            "index": latest,
            "start": w.start.map(rfc3339_ms),
            "end": w.end.map(rfc3339_ms),
            "rows": w.rows,
            "status": w.status,
        })
    });
    json!({
        "action": run.action,
        "gate": run.gate.name,
        "window": window,
        "reasons": run.reasons,
        "text": text(run),
    })
}

/// One line for a chat message: the gate, the action, and which checks failed in the latest
/// window.
fn text(run: &MonitorRun) -> String {
    let latest = run.windows.len().saturating_sub(1);
    let label = run
        .windows
        .last()
        .and_then(|w| w.start)
        .map_or_else(|| format!("window {}", latest + 1), rfc3339_ms);
    let failed: Vec<String> = run
        .reasons
        .iter()
        .filter(|r| r.window == latest)
        .map(|r| format!("{} ({})", r.check, r.status.as_str()))
        .collect();
    let what = match run.action.as_str() {
        "retrain" => format!("retrain: {} failing windows in a row", run.retrain_after),
        other => other.to_string(),
    };
    if failed.is_empty() {
        format!(
            "modelgate monitor `{}`: {what} (latest window {label})",
            run.gate.name
        )
    } else {
        format!(
            "modelgate monitor `{}`: {what} — latest window {label}: {}",
            run.gate.name,
            failed.join(", ")
        )
    }
}

/// POSTs `body` to `url`: up to [`ATTEMPTS`] tries, retrying on connection failures, 5xx and
/// 429 with a doubling backoff; a 2xx answer is delivered.
pub fn send(url: &str, body: &Value) -> Notification {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .build(),
    );
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let answer = agent
            .post(url)
            .header("Content-Type", "application/json")
            .header(
                "User-Agent",
                concat!("modelgate/", env!("CARGO_PKG_VERSION")),
            )
            .send(&bytes[..]);
        let retry = match answer {
            Ok(r) if r.status().is_success() => {
                return Notification {
                    url: url.to_string(),
                    delivered: true,
                    attempts: attempt,
                    error: None,
                }
            }
            Ok(r) => {
                let code = r.status().as_u16();
                (format!("HTTP {code}"), code >= 500 || code == 429)
            }
            Err(e) => (e.to_string(), true),
        };
        let (last, retry) = retry;
        if !retry || attempt == ATTEMPTS {
            return Notification {
                url: url.to_string(),
                delivered: false,
                attempts: attempt,
                error: Some(last),
            };
        }
        std::thread::sleep(backoff);
        backoff *= 2;
    }
}
