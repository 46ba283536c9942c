//! `--notify URL`: POST the decision to each URL (a Slack incoming webhook, an Argo Events
//! webhook sensor, any HTTP endpoint). Each gets bounded retries with backoff and a timeout; an
//! alert that could not be delivered is an error, never silence.

use std::time::Duration;

use serde_json::Value;

use crate::decision::Notification;

/// How many times one URL is tried.
pub const ATTEMPTS: u32 = 3;
/// Each attempt's limit (connect, send and answer).
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The wait before the second attempt; it doubles before each further one.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(500);

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
