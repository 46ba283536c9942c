// The plugin shared by the WIT-version fixtures; each crate generates its own bindings first.
use exports::modelgate::plugin::validator::{Context, Guest};
use modelgate::plugin::types::{CheckResult, Metric, Needs, PluginInfo, Status};

struct Fixture;

/// The component's exports: the glue wit-bindgen generates is unsafe code, expanded here.
#[allow(unsafe_code, reason = "wit-bindgen's generated export glue")]
mod glue {
    use super::Fixture;
    crate::export!(Fixture with_types_in crate);
}

impl Guest for Fixture {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "a plugin built against another version of modelgate:plugin".into(),
            config_schema: "{}".into(),
            needs: Needs { datasets: vec!["current".into()], models: false, labels: false },
        }
    }
    fn validate(ctx: Context, _config: String) -> Result<CheckResult, String> {
        let current = ctx.datasets.iter().find(|d| d.name == "current").ok_or("no `current` dataset")?;
        let rows = current.table.num_rows() as f64;
        let metric = Metric { name: "rows".into(), value: rows, column: None, model: None, slice: None, thresholds: vec![], passed: None };
        Ok(CheckResult { status: Status::Pass, summary: "ran".into(), metrics: vec![metric], details: None })
    }
}
