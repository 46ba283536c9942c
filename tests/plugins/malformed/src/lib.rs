//! Returns a result that breaks the contract, by `config.mode`: `nan` (a NaN metric), `inf-threshold`
//! (an infinite threshold), `name` (a metric name that is not snake_case), `details` (details that are
//! not JSON). The check must error with "malformed result", never pass.
use fixture::bindings::modelgate::plugin::types::{Metric, Status, Threshold};
use fixture::{CheckResult, Context};

fixture::plugin!("malformed", validate);

fn metric(name: &str, value: f64, thresholds: Vec<Threshold>) -> Metric {
    Metric {
        name: name.into(),
        value,
        column: None,
        model: None,
        slice: None,
        thresholds,
        passed: Some(true),
    }
}

fn validate(_ctx: Context, config: String) -> Result<CheckResult, String> {
    let mode = config.split('"').nth(3).unwrap_or("").to_string();
    let (metrics, details) = match mode.as_str() {
        "nan" => (vec![metric("accuracy", f64::NAN, vec![])], None),
        "inf-threshold" => (
            vec![metric(
                "accuracy",
                0.5,
                vec![Threshold {
                    kind: "min".into(),
                    value: f64::NEG_INFINITY,
                }],
            )],
            None,
        ),
        "name" => (vec![metric("Accuracy Score!", 0.5, vec![])], None),
        "details" => (
            vec![metric("accuracy", 0.5, vec![])],
            Some("{not json".to_string()),
        ),
        other => return Err(format!("unknown mode {other:?}")),
    };
    Ok(CheckResult {
        status: Status::Pass,
        summary: format!("looks fine ({mode})"),
        metrics,
        details,
    })
}
