//! The result contract: what a plugin returns is checked before anything uses it (fail closed):
//! bounded sizes, snake_case metric names, finite values, JSON details, a config that matches the
//! plugin's own schema, a compatible WIT version.

use anyhow::{anyhow, bail};
use wasmtime::component::Component;
use wasmtime::Engine;

use super::bindings;
use super::bindings::modelgate::plugin::types;
use super::{HostState, WIT_VERSION};
use crate::outcome::{Metric, Outcome, PluginInfo, Status};

/// Most metrics one result may carry.
pub const MAX_METRICS: usize = 100_000;
/// Most bytes of `details` JSON one result may carry.
pub const MAX_DETAILS_BYTES: usize = 4 << 20;
/// Most bytes of a result's summary.
pub const MAX_SUMMARY_BYTES: usize = 4096;

/// Fills an outcome from a plugin's result, refusing malformed results (fail closed).
pub(super) fn apply_result(outcome: &mut Outcome, r: types::CheckResult) -> anyhow::Result<()> {
    if r.metrics.len() > MAX_METRICS {
        bail!(
            "malformed result: {} metrics (at most {MAX_METRICS})",
            r.metrics.len()
        );
    }
    let details = match r.details {
        Some(d) if d.len() > MAX_DETAILS_BYTES => bail!(
            "malformed result: details are {} bytes (at most {MAX_DETAILS_BYTES})",
            d.len()
        ),
        Some(d) => Some(
            serde_json::from_str(&d)
                .map_err(|e| anyhow!("malformed result: details are not JSON: {e}"))?,
        ),
        None => None,
    };
    let mut metrics = Vec::with_capacity(r.metrics.len());
    for m in r.metrics {
        let snake = m.name.len() <= 64
            && m.name.starts_with(|c: char| c.is_ascii_lowercase())
            && m.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !snake {
            bail!("malformed result: metric name {:?} is not snake_case (a-z, 0-9, _; at most 64 bytes)", truncate(&m.name, 80));
        }
        if !m.value.is_finite() {
            bail!(
                "malformed result: metric `{}` has value {} (metrics must be finite)",
                m.name,
                m.value
            );
        }
        let mut threshold = serde_json::Map::new();
        for t in &m.thresholds {
            if !t.value.is_finite() {
                bail!(
                    "malformed result: threshold `{}` of metric `{}` is {}",
                    t.kind,
                    m.name,
                    t.value
                );
            }
            threshold.insert(t.kind.clone(), serde_json::json!(t.value));
        }
        metrics.push(Metric {
            name: m.name,
            value: m.value,
            column: m.column,
            model: m.model,
            slice: m.slice,
            threshold: (!threshold.is_empty()).then_some(threshold),
            passed: m.passed,
        });
    }
    outcome.status = match r.status {
        types::Status::Pass => Status::Pass,
        types::Status::Warn => Status::Warn,
        types::Status::Fail => Status::Fail,
    };
    // Fail closed: a result that says pass while one of its metrics failed is a failure. (A `warn`
    // result may carry failed metrics: the plugin rates those misses as warnings.)
    if outcome.status == Status::Pass && metrics.iter().any(|m| m.passed == Some(false)) {
        outcome.status = Status::Fail;
    }
    outcome.summary = truncate(r.summary.lines().next().unwrap_or(""), MAX_SUMMARY_BYTES);
    outcome.metrics = metrics;
    outcome.details = details;
    Ok(())
}

/// At most `max` bytes of `s` (cut at a character boundary), with an ellipsis when cut.
pub(super) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

pub(super) fn plugin_info(i: types::PluginInfo, wit_version: String) -> anyhow::Result<PluginInfo> {
    let config_schema = serde_json::from_str(&i.config_schema).map_err(|e| {
        anyhow!(
            "plugin `{}` describes a config schema that is not JSON: {e}",
            i.name
        )
    })?;
    Ok(PluginInfo {
        name: truncate(&i.name, 256),
        version: truncate(&i.version, 64),
        description: truncate(&i.description, 4096),
        config_schema,
        wit_version,
        needs_datasets: i.needs.datasets,
        needs_models: i.needs.models,
        needs_labels: i.needs.labels,
    })
}

/// Validates a check's config against the plugin's JSON Schema; the error names the key path
/// (`config.metrics.accuracy.min`) and the rule broken.
pub fn check_config(info: &PluginInfo, config_json: &str) -> anyhow::Result<()> {
    let config: serde_json::Value = serde_json::from_str(config_json)?;
    let validator = jsonschema::validator_for(&info.config_schema).map_err(|e| {
        anyhow!(
            "plugin `{}` publishes a config schema that is not a valid JSON Schema: {e}",
            info.name
        )
    })?;
    let errors: Vec<String> = validator
        .iter_errors(&config)
        .take(5)
        .map(|e| {
            let path: String = e
                .instance_path
                .to_string()
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| format!(".{s}"))
                .collect();
            format!("config{path}: {e}")
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        bail!(
            "the check's config does not match the schema of plugin `{}` ({}); fix the policy's [checks.config] (see `modelgate plugin inspect {}`)",
            info.name,
            errors.join("; "),
            info.name
        )
    }
}

pub(super) fn wit_version_of(pre: &bindings::PluginPre<HostState>) -> String {
    let component = pre.instance_pre().component();
    exported_validator_version(pre.engine(), component).unwrap_or_else(|| WIT_VERSION.to_string())
}

fn exported_validator_version(engine: &Engine, component: &Component) -> Option<String> {
    component
        .component_type()
        .exports(engine)
        .find_map(|(name, _)| {
            name.strip_prefix("modelgate:plugin/validator@")
                .map(str::to_string)
        })
}

/// Accepts components built against any 0.1.x of the contract; names both versions otherwise.
pub(super) fn check_wit_version(
    engine: &Engine,
    component: &Component,
    what: &str,
) -> anyhow::Result<()> {
    let exports: Vec<String> = component
        .component_type()
        .exports(engine)
        .map(|(n, _)| n.to_string())
        .collect();
    match exported_validator_version(engine, component) {
        Some(v) if v.starts_with("0.1.") => Ok(()),
        Some(v) => bail!(
            "{what} was built against modelgate:plugin@{v}; this modelgate implements @{WIT_VERSION} and accepts 0.1.x — \
             rebuild the plugin against wit/ of this release"
        ),
        None => bail!(
            "{what} is not a modelgate plugin: it does not export `modelgate:plugin/validator` (exports: {})",
            if exports.is_empty() { "none".to_string() } else { exports.join(", ") }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(name: &str, value: f64, passed: Option<bool>) -> types::Metric {
        types::Metric {
            name: name.into(),
            value,
            column: Some("age".into()),
            model: None,
            slice: None,
            thresholds: vec![types::Threshold {
                kind: "min".into(),
                value: 0.5,
            }],
            passed,
        }
    }

    fn result(status: types::Status, metrics: Vec<types::Metric>) -> types::CheckResult {
        types::CheckResult {
            status,
            summary: "first line\nsecond line".into(),
            metrics,
            details: Some(r#"{"findings": []}"#.into()),
        }
    }

    fn apply(r: types::CheckResult) -> anyhow::Result<Outcome> {
        let mut o = Outcome::errored("not yet");
        apply_result(&mut o, r).map(|()| o)
    }

    #[test]
    fn a_well_formed_result_fills_the_outcome() {
        let o = apply(result(
            types::Status::Warn,
            vec![metric("null_fraction", 0.25, Some(false))],
        ))
        .unwrap();
        assert_eq!(o.status, Status::Warn, "a warning may carry failed metrics");
        assert_eq!(o.summary, "first line");
        assert_eq!(o.metrics[0].column.as_deref(), Some("age"));
        assert_eq!(o.metrics[0].threshold.as_ref().unwrap()["min"], 0.5);
        assert_eq!(o.details, Some(serde_json::json!({"findings": []})));
    }

    #[test]
    fn a_pass_with_a_failed_metric_is_a_failure() {
        let o = apply(result(
            types::Status::Pass,
            vec![metric("accuracy", 0.4, Some(false))],
        ))
        .unwrap();
        assert_eq!(o.status, Status::Fail);
    }

    #[test]
    fn malformed_results_are_refused() {
        let bad = |m: types::Metric| {
            apply(result(types::Status::Pass, vec![m]))
                .unwrap_err()
                .to_string()
        };
        assert!(bad(metric("Accuracy", 1.0, None)).contains("is not snake_case"));
        assert!(bad(metric(&"a".repeat(65), 1.0, None)).contains("is not snake_case"));
        assert!(bad(metric("nan_metric", f64::NAN, None)).contains("must be finite"));
        let mut m = metric("ok", 1.0, None);
        m.thresholds[0].value = f64::INFINITY;
        assert!(bad(m).contains("threshold `min` of metric `ok` is inf"));
        let mut r = result(types::Status::Pass, vec![]);
        r.details = Some("{not json".into());
        assert!(apply(r)
            .unwrap_err()
            .to_string()
            .contains("details are not JSON"));
        let mut r = result(types::Status::Pass, vec![]);
        r.details = Some(" ".repeat(MAX_DETAILS_BYTES + 1));
        assert!(apply(r).unwrap_err().to_string().contains("details are"));
        let r = result(
            types::Status::Pass,
            (0..=MAX_METRICS).map(|_| metric("m", 1.0, None)).collect(),
        );
        assert!(apply(r).unwrap_err().to_string().contains("at most 100000"));
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate("héllo", 2), "h…");
        assert_eq!(truncate("abc", 3), "abc");
    }

    #[test]
    fn configs_are_checked_against_the_plugins_schema_naming_the_key() {
        let info = PluginInfo {
            name: "p".into(),
            version: "1".into(),
            description: String::new(),
            config_schema: serde_json::json!({
                "type": "object",
                "properties": {"metrics": {"type": "object", "properties": {"min": {"type": "number"}}}},
                "additionalProperties": false
            }),
            wit_version: WIT_VERSION.into(),
            needs_datasets: vec![],
            needs_models: false,
            needs_labels: false,
        };
        assert!(check_config(&info, r#"{"metrics": {"min": 1}}"#).is_ok());
        let e = check_config(&info, r#"{"metrics": {"min": "x"}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("config.metrics.min:"), "{e}");
        let e = check_config(&info, r#"{"metric": {}}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("plugin `p`") && e.contains("modelgate plugin inspect p"),
            "{e}"
        );
    }
}
