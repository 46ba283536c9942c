//! `[engine]`: where the datasets are read and aggregated. Without it, everything runs embedded
//! (polars, in this process); with `spark`, on a Spark cluster through Spark Connect.

use indexmap::IndexMap;
use serde::Deserialize;

use super::{DatasetSpec, Query};

/// `[engine]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSpec {
    /// The Spark Connect endpoint, `sc://host:port` (parameters after `/;` as Spark Connect
    /// defines them); default: the `SPARK_REMOTE` environment variable.
    #[serde(default)]
    pub spark: Option<String>,
    /// The most rows a dataset on the engine may have for a check or a model to read its rows
    /// (they are then fetched whole, once); larger datasets answer aggregates only. Default
    /// 1,000,000.
    #[serde(default = "default_max_local_rows")]
    pub max_local_rows: u64,
    /// Seconds to wait for the engine to answer the first request (default 60: a cluster's
    /// first query may start executors).
    #[serde(default = "default_connect_timeout_s")]
    pub connect_timeout_s: f64,
}

fn default_max_local_rows() -> u64 {
    1_000_000
}

fn default_connect_timeout_s() -> f64 {
    60.0
}

/// The environment variable that names the Spark Connect endpoint when `engine.spark` is absent
/// (as pyspark reads it).
pub const SPARK_REMOTE_ENV: &str = "SPARK_REMOTE";

impl EngineSpec {
    /// Checks the endpoint's form and the limits.
    fn validate(&self) -> Result<(), String> {
        if let Some(url) = &self.spark {
            check_spark_url(url).map_err(|e| format!("at key `engine.spark`: {e}"))?;
        }
        if self.max_local_rows == 0 {
            return Err("at key `engine.max_local_rows`: must be at least 1".into());
        }
        if !(self.connect_timeout_s.is_finite() && self.connect_timeout_s > 0.0) {
            return Err(format!(
                "at key `engine.connect_timeout_s`: must be a positive number of seconds, not {}",
                self.connect_timeout_s
            ));
        }
        Ok(())
    }

    /// The Spark Connect endpoint: `engine.spark`, else `$SPARK_REMOTE`.
    pub fn spark_url(&self) -> Result<String, String> {
        if let Some(url) = &self.spark {
            return Ok(url.clone());
        }
        match std::env::var(SPARK_REMOTE_ENV) {
            Ok(url) if !url.trim().is_empty() => {
                check_spark_url(&url).map_err(|e| format!("${SPARK_REMOTE_ENV}: {e}"))?;
                Ok(url)
            }
            _ => Err(format!(
                "`[engine]` names no Spark endpoint: set `engine.spark = \"sc://host:15002\"` in the \
                 policy, or the environment variable {SPARK_REMOTE_ENV}"
            )),
        }
    }
}

/// `[engine]` and the datasets it reads: `table` and `sql` datasets need an engine.
pub(super) fn validate(
    engine: Option<&EngineSpec>,
    datasets: &IndexMap<String, DatasetSpec>,
) -> Result<(), String> {
    if let Some(e) = engine {
        e.validate()?;
    }
    for (name, d) in datasets {
        if let (Some(q), None) = (&d.query, engine) {
            let key = match q {
                Query::Table(_) => "table",
                Query::Sql(_) => "sql",
            };
            return Err(format!(
                "at key `datasets.{name}.{key}`: `{key}` datasets are read by a Spark engine; add \
                 `[engine]` with `spark = \"sc://host:15002\"` (or set {SPARK_REMOTE_ENV}), or give \
                 the dataset's `path`"
            ));
        }
    }
    Ok(())
}

/// `sc://host[:port][/;param=value;...]`.
fn check_spark_url(url: &str) -> Result<(), String> {
    let Some(rest) = url.strip_prefix("sc://") else {
        return Err(format!(
            "{url:?} is not a Spark Connect URL; write it as `sc://host:15002`"
        ));
    };
    let host = rest.split(['/', ':']).next().unwrap_or("");
    if host.is_empty() {
        return Err(format!(
            "{url:?} names no host; write it as `sc://host:15002`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_urls_need_the_scheme_and_a_host() {
        assert!(check_spark_url("sc://127.0.0.1:15002").is_ok());
        assert!(check_spark_url("sc://spark.example.com:443/;use_ssl=true").is_ok());
        assert!(check_spark_url("http://x:15002")
            .unwrap_err()
            .contains("sc://host"));
        assert!(check_spark_url("sc://:15002")
            .unwrap_err()
            .contains("no host"));
    }
}
