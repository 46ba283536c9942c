//! Messages for a policy that cannot be read: where (line and column), what is wrong, and the
//! nearest valid key or value.

use super::POLICY_VERSION;

/// Renders a toml error as "line L, column C: message".
pub(super) fn toml_message(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let (line, col) = line_col(text, span.start);
            format!("line {line}, column {col}: {}", e.message().trim())
        }
        None => e.message().trim().to_string(),
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, col)
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" messages, suggests the closest valid key.
pub(super) fn nearest_key_hint(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, expected) = rest.split_once('`')?;
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let best = candidates
        .iter()
        .map(|c| (levenshtein(unknown, c), *c))
        .min()?;
    (best.0 <= 3.max(unknown.len() / 3)).then(|| format!(" (did you mean `{}`?)", best.1))
}

/// What to write instead, for a value of the wrong type or an unknown variant at a key.
pub(super) fn value_hint(key: &str, message: &str) -> Option<String> {
    let wrong_value = message.starts_with("invalid type")
        || message.starts_with("unknown variant")
        || message.starts_with("wanted ")
        || message.starts_with("invalid value");
    if !wrong_value {
        return None;
    }
    let last = key.rsplit('.').next().unwrap_or(key);
    Some(match (key, last) {
        ("version", _) => format!("set `version = {POLICY_VERSION}`"),
        (_, "severity") => "write `severity = \"blocking\"` or `severity = \"advisory\"`".into(),
        ("task.type", _) => {
            "write `type = \"binary\"`, `\"multiclass\"` or `\"regression\"`".into()
        }
        (_, "format") => {
            "write `format = \"csv\"`, `\"parquet\"`, `\"ipc\"` or `\"ndjson\"`".into()
        }
        _ if message.contains("expected u32") || message.contains("expected u64") => {
            format!("write a whole number for `{last}`")
        }
        _ if message.contains("expected f64") => format!("write a number for `{last}`"),
        _ if message.contains("expected a string") => format!("write a quoted string for `{last}`"),
        _ => return None,
    })
}

/// Edit distance between two strings, for "did you mean" hints.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
