//! Parsing a check's `config`.

use serde::de::DeserializeOwned;

/// Parses a check's `config` (the policy's `[checks.config]` table, which the host passes as
/// JSON text, `{}` when absent) into `T`.
///
/// Errors name the key path of the problem, e.g.
/// ``config.metrics.accuracy: unknown field `mn`, expected one of `min`, `max`, ...``.
/// Use `#[serde(deny_unknown_fields)]` on every struct of `T` so that a misspelt key is an error
/// rather than a silently ignored setting.
///
/// ```
/// #[derive(Debug, serde::Deserialize)]
/// #[serde(deny_unknown_fields)]
/// struct Config {
///     #[serde(default)]
///     dataset: Option<String>,
/// }
/// let c: Config = modelgate_sdk::config(r#"{"dataset": "current"}"#).unwrap();
/// assert_eq!(c.dataset.as_deref(), Some("current"));
/// let e = modelgate_sdk::config::<Config>(r#"{"datset": "current"}"#).unwrap_err();
/// assert!(e.contains("unknown field `datset`, expected `dataset`"), "{e}");
/// ```
pub fn config<T: DeserializeOwned>(json: &str) -> Result<T, String> {
    // An empty string is what a host that passes "no config" literally might send.
    let json = if json.trim().is_empty() { "{}" } else { json };
    // serde accepts a sequence for a struct; a config is always a table.
    if !json.trim_start().starts_with('{') {
        return Err("config: expected a table (a JSON object)".to_string());
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        // serde_json appends " at line L column C", which means nothing to the author of a TOML
        // policy; the key path says where the problem is.
        let message = strip_position(&inner.to_string());
        if path == "." || path.is_empty() {
            format!("config: {message}")
        } else {
            format!("config.{path}: {message}")
        }
    })?;
    de.end()
        .map_err(|e| format!("config: {}", strip_position(&e.to_string())))?;
    Ok(value)
}

/// Removes serde_json's " at line L column C" suffix.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) if message[i..].contains(" column ") => message[..i].to_string(),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        #[serde(default)]
        min: Option<f64>,
        #[serde(default)]
        max: Option<f64>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        metrics: BTreeMap<String, Inner>,
    }

    #[test]
    fn empty_config_is_an_empty_table() {
        let c: Outer = config("").unwrap();
        assert!(c.name.is_none() && c.metrics.is_empty());
        let c: Outer = config("{}").unwrap();
        assert!(c.metrics.is_empty());
    }

    #[test]
    fn errors_name_the_key_path() {
        let e = config::<Outer>(r#"{"metrics": {"accuracy": {"mn": 0.9}}}"#).unwrap_err();
        assert_eq!(
            e,
            "config.metrics.accuracy.mn: unknown field `mn`, expected `min` or `max`"
        );
        let e = config::<Outer>(r#"{"metrics": {"accuracy": {"min": "high"}}}"#).unwrap_err();
        assert!(
            e.starts_with("config.metrics.accuracy.min: invalid type: string \"high\""),
            "{e}"
        );
        let e = config::<Outer>(r#"{"nme": "x"}"#).unwrap_err();
        assert_eq!(
            e,
            "config.nme: unknown field `nme`, expected `name` or `metrics`"
        );
    }

    #[test]
    fn rejects_trailing_garbage_and_non_objects() {
        assert!(config::<Outer>("{} x").is_err());
        let e = config::<Outer>("[]").unwrap_err();
        assert_eq!(e, "config: expected a table (a JSON object)");
    }
}
