//! The check's `config` table.

use std::collections::BTreeMap;
use std::fmt;

use modelgate_sdk::schema::{add_aliases, Schema};
use modelgate_sdk::{Bounds, JsonSchema};
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// A drift method. `auto` chooses as Evidently does: reference <= 1000 rows: ks for numerical
/// columns with > 5 distinct values, else chi2 (> 2 categories) or z; reference > 1000 rows:
/// wasserstein for numerical columns with > 5 distinct values, else jensen_shannon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(transform = method_aliases)]
pub enum Method {
    /// Evidently's default choice by column type, reference size and number of distinct values.
    #[default]
    Auto,
    /// Two-sample Kolmogorov–Smirnov test (numerical columns).
    Ks,
    /// Chi-square goodness of fit of current counts vs reference shares.
    #[serde(alias = "chisquare")]
    Chi2,
    /// Two-proportion z-test (the first category vs the rest).
    Z,
    /// Wasserstein distance normed by the reference's standard deviation (numerical columns).
    Wasserstein,
    /// Jensen–Shannon distance of binned frequencies.
    #[serde(alias = "jensenshannon")]
    JensenShannon,
    /// Population stability index of binned frequencies.
    Psi,
}

/// The `alias`es of [`Method`]'s variants (`(alias, name)`), which schemars does not see.
fn method_aliases(schema: &mut Schema) {
    add_aliases(
        schema,
        &[("chisquare", "chi2"), ("jensenshannon", "jensen_shannon")],
    );
}

impl Method {
    /// The name in a policy.
    pub fn name(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::Ks => "ks",
            Method::Chi2 => "chi2",
            Method::Z => "z",
            Method::Wasserstein => "wasserstein",
            Method::JensenShannon => "jensen_shannon",
            Method::Psi => "psi",
        }
    }

    /// Whether the method's score is a p-value (drift when small) rather than a distance
    /// (drift when large).
    pub fn is_test(self) -> bool {
        matches!(self, Method::Ks | Method::Chi2 | Method::Z)
    }

    /// Evidently's default threshold: the significance level of a test, or the distance at
    /// which drift starts.
    pub fn default_threshold(self) -> f64 {
        if self.is_test() {
            0.05
        } else {
            0.1
        }
    }
}

/// How a column's values are compared: as numbers or as categories (overrides the inferred
/// column type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Numbers (KS, Wasserstein; binned for Jensen–Shannon and PSI).
    Numerical,
    /// Categories (chi-square, z-test; frequencies per category for Jensen–Shannon and PSI).
    Categorical,
}

impl Kind {
    /// The name in a policy.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Numerical => "numerical",
            Kind::Categorical => "categorical",
        }
    }
}

/// Multiple-testing correction of the p-values of the columns tested with ks / chi2 / z; the
/// drift decision uses the adjusted p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// Each column's p-value is compared with its threshold as is.
    #[default]
    None,
    /// p × m (at most 1), m = number of columns tested with a p-value method.
    Bonferroni,
    /// Benjamini–Hochberg adjusted p-values (false discovery rate).
    BenjaminiHochberg,
}

impl Correction {
    /// The name in a policy.
    pub fn name(self) -> &'static str {
        match self {
            Correction::None => "none",
            Correction::Bonferroni => "bonferroni",
            Correction::BenjaminiHochberg => "benjamini_hochberg",
        }
    }
}

/// When the check fails (rather than warns) on drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailOn {
    /// Fail on dataset drift (drifted share >= `drift_share`); drifted columns alone warn.
    #[default]
    DatasetDrift,
    /// Fail as soon as one column drifts.
    AnyColumn,
    /// Never fail on data drift: warn instead (monitoring).
    Never,
}

/// Settings of one column.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnConfig {
    /// The method for this column.
    #[serde(default)]
    pub method: Option<Method>,
    /// The threshold for this column.
    #[serde(default, deserialize_with = "finite")]
    #[schemars(range(min = 0))]
    pub threshold: Option<f64>,
    /// Compare as numbers or as categories (default: inferred as Evidently does).
    #[serde(default, rename = "type")]
    pub kind: Option<Kind>,
}

/// `columns`: either a list of column names or a table of per-column settings.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(with = "ColumnsForm")]
pub struct Columns {
    /// The names given as a list (`columns = [...]`), if so.
    pub list: Option<Vec<String>>,
    /// Per-column settings (`[checks.config.columns.NAME]`).
    pub settings: BTreeMap<String, ColumnConfig>,
}

/// The forms [`Columns`] is written in, for its schema.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Only its schema is used.
enum ColumnsForm {
    /// The columns to test.
    List(Vec<String>),
    /// Per-column settings (then `include` lists the columns).
    Settings(BTreeMap<String, ColumnConfig>),
}

impl<'de> Deserialize<'de> for Columns {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Columns;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of column names or a table of per-column settings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Columns, A::Error> {
                let mut list = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    list.push(name);
                }
                Ok(Columns {
                    list: Some(list),
                    settings: BTreeMap::new(),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Columns, A::Error> {
                let mut settings = BTreeMap::new();
                while let Some(name) = map.next_key::<String>()? {
                    let c: ColumnConfig = map.next_value()?;
                    settings.insert(name, c);
                }
                Ok(Columns {
                    list: None,
                    settings,
                })
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Drift of the models' predictions between the two datasets, and the confidence of
/// classifiers on the current dataset.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PredictionConfig {
    /// The models whose predictions are compared (default: `candidate` if the gate has it,
    /// else its first model).
    #[serde(default)]
    pub models: Option<Vec<String>>,
    /// The method (default auto: categorical for classifiers, numerical for regressors).
    #[serde(default)]
    pub method: Method,
    /// The threshold (default: the method's).
    #[serde(default, deserialize_with = "finite")]
    #[schemars(range(min = 0))]
    pub threshold: Option<f64>,
    /// Whether prediction drift fails the check (default: it warns).
    #[serde(default)]
    pub fail_on_drift: bool,
    /// A row is low-confidence when its top class probability is below this (default 0.6).
    #[serde(default = "default_low_confidence", deserialize_with = "finite_req")]
    #[schemars(range(max = 1), extend("exclusiveMinimum" = 0))]
    pub low_confidence: f64,
    /// Bounds on the mean top-class probability on the current dataset (`max_drop` etc.
    /// compare with the same model on the reference dataset).
    #[serde(default)]
    pub mean_confidence: Bounds,
    /// Bounds on the share of low-confidence rows on the current dataset (relative bounds
    /// compare with the reference dataset).
    #[serde(default)]
    pub low_confidence_share: Bounds,
}

fn default_low_confidence() -> f64 {
    0.6
}

fn default_drift_share() -> f64 {
    0.5
}

/// The check's `config`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "drift check config")]
pub struct Config {
    /// The baseline dataset (default `reference`).
    #[serde(default)]
    #[schemars(extend("default" = "reference"))]
    pub reference: Option<String>,
    /// The dataset compared with it (default `current`).
    #[serde(default)]
    #[schemars(extend("default" = "current"))]
    pub dataset: Option<String>,
    /// Column list or per-column settings.
    #[serde(default)]
    pub columns: Columns,
    /// The columns to test (default: the task's features, else every column both datasets have).
    #[serde(default)]
    pub include: Option<Vec<String>>,
    /// Columns not to test.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// The method of every column without its own (default auto).
    #[serde(default)]
    pub method: Method,
    /// Threshold of every column without its own: the significance level of ks / chi2 / z
    /// (drift when p < threshold; p <= threshold for ks), or the distance at which wasserstein /
    /// jensen_shannon / psi drift. Default: 0.05 for tests, 0.1 for distances.
    #[serde(default, deserialize_with = "finite")]
    #[schemars(range(min = 0))]
    pub threshold: Option<f64>,
    /// Dataset drift when the share of drifted columns is at least this (default 0.5).
    #[serde(default = "default_drift_share", deserialize_with = "finite_req")]
    #[schemars(range(max = 1), extend("exclusiveMinimum" = 0))]
    pub drift_share: f64,
    /// Multiple-testing correction (default none).
    #[serde(default)]
    pub correction: Correction,
    /// When drift fails the check (default `dataset_drift`).
    #[serde(default)]
    pub fail_on: FailOn,
    /// Prediction drift and confidence (off unless present).
    #[serde(default)]
    pub prediction: Option<PredictionConfig>,
}

use modelgate_sdk::bounds::{finite, finite_number as finite_req};

impl Config {
    /// Checks values serde cannot: ranges and contradictions.
    pub fn check(&self) -> Result<(), String> {
        if !(self.drift_share > 0.0 && self.drift_share <= 1.0) {
            return Err(format!(
                "config.drift_share: {} is not in (0, 1]",
                self.drift_share
            ));
        }
        if self.reference.as_deref().unwrap_or("reference")
            == self.dataset.as_deref().unwrap_or("current")
        {
            return Err(
                "config: `reference` and `dataset` name the same dataset; drift compares two"
                    .to_string(),
            );
        }
        if self.columns.list.is_some() && self.include.is_some() {
            return Err(
                "config: `columns` (as a list) and `include` both name the columns to test; \
                 use one of them"
                    .to_string(),
            );
        }
        check_threshold("config.threshold", self.method, self.threshold)?;
        for (name, c) in &self.columns.settings {
            let method = c.method.unwrap_or(self.method);
            check_threshold(
                &format!("config.columns.{name}.threshold"),
                method,
                c.threshold.or(self.threshold),
            )?;
        }
        if let Some(p) = &self.prediction {
            check_threshold("config.prediction.threshold", p.method, p.threshold)?;
            if !(p.low_confidence > 0.0 && p.low_confidence <= 1.0) {
                return Err(format!(
                    "config.prediction.low_confidence: {} is not in (0, 1]",
                    p.low_confidence
                ));
            }
        }
        Ok(())
    }

    /// The columns to test, if the config names them.
    pub fn listed_columns(&self) -> Option<&[String]> {
        self.columns.list.as_deref().or(self.include.as_deref())
    }
}

/// A p-value threshold must be a probability; a distance threshold must not be negative.
fn check_threshold(key: &str, method: Method, threshold: Option<f64>) -> Result<(), String> {
    let Some(t) = threshold else { return Ok(()) };
    if method.is_test() && !(t > 0.0 && t <= 1.0) {
        return Err(format!(
            "{key}: {t} is not a significance level in (0, 1] for method {}",
            method.name()
        ));
    }
    if t < 0.0 {
        return Err(format!("{key}: {t} is negative"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Config, String> {
        let c: Config = modelgate_sdk::config(json)?;
        c.check()?;
        Ok(c)
    }

    #[test]
    fn defaults() {
        let c = parse("{}").unwrap();
        assert_eq!(c.method, Method::Auto);
        assert_eq!(c.drift_share, 0.5);
        assert_eq!(c.correction, Correction::None);
        assert_eq!(c.fail_on, FailOn::DatasetDrift);
        assert!(c.prediction.is_none() && c.listed_columns().is_none());
    }

    #[test]
    fn columns_as_list_or_table() {
        let c = parse(r#"{"columns": ["a", "b"]}"#).unwrap();
        assert_eq!(c.listed_columns().unwrap(), ["a", "b"]);
        let c = parse(
            r#"{"include": ["age"], "columns": {"age": {"method": "psi", "threshold": 0.2, "type": "numerical"}}}"#,
        )
        .unwrap();
        let age = &c.columns.settings["age"];
        assert_eq!(age.method, Some(Method::Psi));
        assert_eq!(age.threshold, Some(0.2));
        assert_eq!(age.kind, Some(Kind::Numerical));
        let e = parse(r#"{"columns": {"age": {"methd": "psi"}}}"#).unwrap_err();
        assert!(e.contains("unknown field `methd`"), "{e}");
        let e = parse(r#"{"columns": ["a"], "include": ["b"]}"#).unwrap_err();
        assert!(e.contains("use one of them"), "{e}");
    }

    #[test]
    fn rejects_bad_values() {
        assert!(parse(r#"{"method": "kss"}"#)
            .unwrap_err()
            .contains("config.method"));
        assert!(parse(r#"{"drift_share": 0}"#).is_err());
        assert!(parse(r#"{"method": "ks", "threshold": 2}"#)
            .unwrap_err()
            .contains("significance level"));
        assert!(parse(r#"{"method": "psi", "threshold": 2}"#).is_ok());
        assert!(parse(r#"{"prediction": {"low_confidence": 0}}"#).is_err());
        assert!(parse(r#"{"dataset": "reference"}"#)
            .unwrap_err()
            .contains("same dataset"));
        assert_eq!(
            parse(r#"{"method": "chisquare"}"#).unwrap().method,
            Method::Chi2
        );
    }

    #[test]
    fn schema_is_derived_from_the_config() {
        let s: serde_json::Value =
            serde_json::from_str(&modelgate_sdk::config_schema::<Config>()).unwrap();
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["$defs"]["Bounds"]["additionalProperties"], false);
        assert_eq!(s["$defs"]["ColumnConfig"]["additionalProperties"], false);
        assert_eq!(s["properties"]["drift_share"]["exclusiveMinimum"], 0);
        assert_eq!(s["properties"]["method"]["default"], "auto");
        assert_eq!(s["properties"]["fail_on"]["default"], "dataset_drift");
        assert_eq!(s["properties"]["reference"]["default"], "reference");
        let method = s["$defs"]["Method"].to_string();
        for name in [
            "auto",
            "chi2",
            "chisquare",
            "jensen_shannon",
            "jensenshannon",
            "psi",
        ] {
            assert!(method.contains(&format!("\"{name}\"")), "{name}: {method}");
        }
    }
}
