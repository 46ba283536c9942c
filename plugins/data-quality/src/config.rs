//! The check's `config` table: its types, their parsing, and how per-column settings combine
//! with the check-wide ones and the defaults. No host calls here.

use std::collections::BTreeMap;
use std::fmt;

use modelgate_sdk::Bounds;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// What a finding does to the check's status when its rule does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The check fails.
    Fail,
    /// The check warns (unless something else fails).
    Warn,
    /// The metric is reported without thresholds.
    Ignore,
}

impl Level {
    /// The level's name in a policy.
    pub fn name(self) -> &'static str {
        match self {
            Level::Fail => "fail",
            Level::Warn => "warn",
            Level::Ignore => "ignore",
        }
    }
}

/// A rule as written in a policy: either a level alone (`"warn"`, keeping the default limits)
/// or a table `{ min, max, level }` whose limits replace the defaults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleSpec {
    /// The limits, when the rule is a table (`None`: keep the limits it overrides).
    pub limits: Option<(Option<f64>, Option<f64>)>,
    /// The level, if given.
    pub level: Option<Level>,
}

/// The table form of a [`RuleSpec`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleTable {
    #[serde(default, deserialize_with = "finite")]
    min: Option<f64>,
    #[serde(default, deserialize_with = "finite")]
    max: Option<f64>,
    #[serde(default)]
    level: Option<Level>,
}

use modelgate_sdk::bounds::finite;

impl<'de> Deserialize<'de> for RuleSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RuleSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    r#"a level ("fail", "warn" or "ignore") or a table { min, max, level }"#,
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RuleSpec, E> {
                let level = match v {
                    "fail" => Level::Fail,
                    "warn" => Level::Warn,
                    "ignore" => Level::Ignore,
                    _ => {
                        return Err(E::unknown_variant(v, &["fail", "warn", "ignore"]));
                    }
                };
                Ok(RuleSpec {
                    limits: None,
                    level: Some(level),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RuleSpec, A::Error> {
                let t = RuleTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                if let (Some(min), Some(max)) = (t.min, t.max) {
                    if min > max {
                        return Err(de::Error::custom(format!(
                            "min {min} is greater than max {max}"
                        )));
                    }
                }
                Ok(RuleSpec {
                    limits: Some((t.min, t.max)),
                    level: t.level,
                })
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A rule after defaults, check-wide and per-column settings are combined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// Inclusive lower bound.
    pub min: Option<f64>,
    /// Inclusive upper bound.
    pub max: Option<f64>,
    /// What a violation does.
    pub level: Level,
}

impl Rule {
    /// A rule with an upper bound.
    pub const fn max(max: f64, level: Level) -> Self {
        Rule {
            min: None,
            max: Some(max),
            level,
        }
    }

    /// Applies a setting on top of this rule: a table replaces the limits (and turns an
    /// ignored rule on at level `fail` unless it names a level), a level replaces the level.
    pub fn with(mut self, spec: Option<&RuleSpec>) -> Self {
        if let Some(spec) = spec {
            if let Some((min, max)) = spec.limits {
                self.min = min;
                self.max = max;
                if self.level == Level::Ignore {
                    self.level = Level::Fail;
                }
            }
            if let Some(level) = spec.level {
                self.level = level;
            }
        }
        self
    }

    /// The bounds the metric is compared with: none when the level is `ignore`.
    pub fn bounds(&self) -> Bounds {
        if self.level == Level::Ignore {
            return Bounds::default();
        }
        Bounds {
            min: self.min,
            max: self.max,
            ..Bounds::default()
        }
    }
}

/// The logical type a column is expected to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TypeName {
    /// true / false.
    Boolean,
    /// Integers.
    Integer,
    /// Floating point.
    Float,
    /// Text.
    Utf8,
    /// Dates, times, durations.
    Temporal,
    /// Lists, structs, binary.
    Other,
    /// Integer or float.
    Numeric,
}

impl TypeName {
    /// The name in a policy.
    pub fn name(self) -> &'static str {
        match self {
            TypeName::Boolean => "boolean",
            TypeName::Integer => "integer",
            TypeName::Float => "float",
            TypeName::Utf8 => "utf8",
            TypeName::Temporal => "temporal",
            TypeName::Other => "other",
            TypeName::Numeric => "numeric",
        }
    }
}

/// `expected_columns`: a table column -> type, or `"reference"` / `"none"`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// The reference's columns and types (integer and float match each other).
    Reference,
    /// No schema check.
    None,
    /// These columns with these types.
    Columns(BTreeMap<String, TypeName>),
}

impl<'de> Deserialize<'de> for Expected {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Expected;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#""reference", "none", or a table column = type"#)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Expected, E> {
                match v {
                    "reference" => Ok(Expected::Reference),
                    "none" => Ok(Expected::None),
                    _ => Err(E::unknown_variant(v, &["reference", "none"])),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Expected, A::Error> {
                BTreeMap::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Expected::Columns)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// `reference`: a dataset name, or `false` for none.
#[derive(Debug, Clone, PartialEq)]
pub enum ReferenceSpec {
    /// Use this dataset.
    Named(String),
    /// Use no reference.
    Off,
}

impl<'de> Deserialize<'de> for ReferenceSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ReferenceSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a dataset name, or false for no reference")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ReferenceSpec, E> {
                Ok(ReferenceSpec::Named(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ReferenceSpec, E> {
                if v {
                    Err(E::custom(
                        "`reference = true` is ambiguous: name the dataset, or write false",
                    ))
                } else {
                    Ok(ReferenceSpec::Off)
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// How a column's values are compared with the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Decided from the type (see the crate documentation).
    Auto,
    /// Range vs the reference (`out_of_range_share`).
    Numeric,
    /// Categories vs the reference (`unseen_categories`, `unseen_share`).
    Categorical,
    /// Neither.
    None,
}

/// An allowed value: text, number or boolean.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum AllowedValue {
    /// Compared with the value rendered as text.
    Bool(bool),
    /// Compared numerically with values that parse as numbers.
    Number(f64),
    /// Compared with the value rendered as text.
    Text(String),
}

/// Per-column settings (`[checks.config.columns.<name>]`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnConfig {
    /// How to compare with the reference.
    #[serde(default)]
    pub kind: Option<Kind>,
    /// Inclusive lower bound on the column's minimum (finite values).
    #[serde(default, deserialize_with = "finite")]
    pub min: Option<f64>,
    /// Inclusive upper bound on the column's maximum (finite values).
    #[serde(default, deserialize_with = "finite")]
    pub max: Option<f64>,
    /// The only values the column may hold (besides nulls).
    #[serde(default)]
    pub allowed_values: Option<Vec<AllowedValue>>,
    /// Rule on `null_fraction`.
    #[serde(default)]
    pub null_fraction: Option<RuleSpec>,
    /// Rule on `nan_count`.
    #[serde(default)]
    pub nan_count: Option<RuleSpec>,
    /// Rule on `inf_count`.
    #[serde(default)]
    pub inf_count: Option<RuleSpec>,
    /// Rule on `out_of_range_share`.
    #[serde(default)]
    pub out_of_range_share: Option<RuleSpec>,
    /// Rule on `unseen_categories`.
    #[serde(default)]
    pub unseen_categories: Option<RuleSpec>,
    /// Rule on `unseen_share`.
    #[serde(default)]
    pub unseen_share: Option<RuleSpec>,
    /// Rule on `constant_column`.
    #[serde(default)]
    pub constant_column: Option<RuleSpec>,
    /// Rule on `not_allowed_values`.
    #[serde(default)]
    pub not_allowed_values: Option<RuleSpec>,
}

/// The check's `config`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The dataset to check (default `current`).
    #[serde(default)]
    pub dataset: Option<String>,
    /// The dataset to learn schema, ranges and categories from.
    #[serde(default)]
    pub reference: Option<ReferenceSpec>,
    /// Columns to check (default: all).
    #[serde(default)]
    pub include: Option<Vec<String>>,
    /// Columns not to check.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Expected schema.
    #[serde(default)]
    pub expected_columns: Option<Expected>,
    /// Integer columns with at most this many distinct reference values are categorical.
    #[serde(default)]
    pub categorical_max_unique: Option<u64>,
    /// Columns over which rows are compared for duplicates (default: all).
    #[serde(default)]
    pub duplicate_columns: Option<Vec<String>>,
    /// Rule on `row_count`.
    #[serde(default)]
    pub row_count: Option<RuleSpec>,
    /// Rule on `column_count`.
    #[serde(default)]
    pub column_count: Option<RuleSpec>,
    /// Rule on `missing_columns`.
    #[serde(default)]
    pub missing_columns: Option<RuleSpec>,
    /// Rule on `unexpected_columns`.
    #[serde(default)]
    pub unexpected_columns: Option<RuleSpec>,
    /// Rule on `dtype_mismatch`.
    #[serde(default)]
    pub dtype_mismatch: Option<RuleSpec>,
    /// Rule on `duplicate_rows`.
    #[serde(default)]
    pub duplicate_rows: Option<RuleSpec>,
    /// Rule on `duplicate_share`.
    #[serde(default)]
    pub duplicate_share: Option<RuleSpec>,
    /// Default rule on `null_fraction`.
    #[serde(default)]
    pub null_fraction: Option<RuleSpec>,
    /// Default rule on `nan_count`.
    #[serde(default)]
    pub nan_count: Option<RuleSpec>,
    /// Default rule on `inf_count`.
    #[serde(default)]
    pub inf_count: Option<RuleSpec>,
    /// Default rule on `out_of_range_share`.
    #[serde(default)]
    pub out_of_range_share: Option<RuleSpec>,
    /// Default rule on `unseen_categories`.
    #[serde(default)]
    pub unseen_categories: Option<RuleSpec>,
    /// Default rule on `unseen_share`.
    #[serde(default)]
    pub unseen_share: Option<RuleSpec>,
    /// Default rule on `constant_column`.
    #[serde(default)]
    pub constant_column: Option<RuleSpec>,
    /// Default rule on `not_allowed_values` (for columns with `allowed_values`).
    #[serde(default)]
    pub not_allowed_values: Option<RuleSpec>,
    /// Per-column settings.
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnConfig>,
}

/// Default integer categorical limit.
pub const CATEGORICAL_MAX_UNIQUE: u64 = 20;

use Level::{Fail, Ignore, Warn};

/// The defaults of every rule, by metric name.
pub mod defaults {
    use super::*;
    /// `row_count`: at least one row.
    pub const ROW_COUNT: Rule = Rule {
        min: Some(1.0),
        max: None,
        level: Fail,
    };
    /// `column_count`: informational.
    pub const COLUMN_COUNT: Rule = Rule {
        min: None,
        max: None,
        level: Fail,
    };
    /// `missing_columns`.
    pub const MISSING_COLUMNS: Rule = Rule::max(0.0, Fail);
    /// `unexpected_columns`.
    pub const UNEXPECTED_COLUMNS: Rule = Rule::max(0.0, Ignore);
    /// `dtype_mismatch`.
    pub const DTYPE_MISMATCH: Rule = Rule::max(0.0, Fail);
    /// `duplicate_rows`.
    pub const DUPLICATE_ROWS: Rule = Rule::max(0.0, Ignore);
    /// `duplicate_share`.
    pub const DUPLICATE_SHARE: Rule = Rule::max(0.0, Ignore);
    /// `null_fraction`.
    pub const NULL_FRACTION: Rule = Rule::max(0.0, Ignore);
    /// `nan_count`.
    pub const NAN_COUNT: Rule = Rule::max(0.0, Fail);
    /// `inf_count`.
    pub const INF_COUNT: Rule = Rule::max(0.0, Fail);
    /// `out_of_range_share`.
    pub const OUT_OF_RANGE_SHARE: Rule = Rule::max(0.0, Ignore);
    /// `unseen_categories`.
    pub const UNSEEN_CATEGORIES: Rule = Rule::max(0.0, Ignore);
    /// `unseen_share`.
    pub const UNSEEN_SHARE: Rule = Rule::max(0.0, Ignore);
    /// `constant_column`.
    pub const CONSTANT_COLUMN: Rule = Rule::max(0.0, Warn);
    /// `not_allowed_values`.
    pub const NOT_ALLOWED_VALUES: Rule = Rule::max(0.0, Fail);
}

/// The rules of one column after combining defaults, check-wide and per-column settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnRules {
    /// `null_fraction`.
    pub null_fraction: Rule,
    /// `nan_count`.
    pub nan_count: Rule,
    /// `inf_count`.
    pub inf_count: Rule,
    /// `out_of_range_share`.
    pub out_of_range_share: Rule,
    /// `unseen_categories`.
    pub unseen_categories: Rule,
    /// `unseen_share`.
    pub unseen_share: Rule,
    /// `constant_column`.
    pub constant_column: Rule,
    /// `not_allowed_values`.
    pub not_allowed_values: Rule,
    /// Bound on `min` (fail level).
    pub min: Option<f64>,
    /// Bound on `max` (fail level).
    pub max: Option<f64>,
    /// Allowed values, if restricted.
    pub allowed_values: Option<Vec<AllowedValue>>,
    /// Comparison kind as configured.
    pub kind: Kind,
    /// The rules needing the reference that the user turned on (check-wide or on the
    /// column), as opposed to the informational defaults.
    pub explicit_reference_rules: Vec<ExplicitRule>,
}

/// A rule that compares with the reference, turned on in the config.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplicitRule {
    /// The metric it bounds.
    pub metric: &'static str,
    /// Whether it is set on the column itself (else check-wide).
    pub per_column: bool,
    /// Its key path, e.g. `config.columns.age.unseen_share`.
    pub path: String,
}

impl Config {
    /// The combined rules of `column`.
    pub fn column_rules(&self, column: &str) -> ColumnRules {
        let c = self.columns.get(column).cloned().unwrap_or_default();
        let rule = |default: Rule, global: &Option<RuleSpec>, local: &Option<RuleSpec>| {
            default.with(global.as_ref()).with(local.as_ref())
        };
        let mut explicit = Vec::new();
        for (name, g, l) in [
            (
                "out_of_range_share",
                &self.out_of_range_share,
                &c.out_of_range_share,
            ),
            (
                "unseen_categories",
                &self.unseen_categories,
                &c.unseen_categories,
            ),
            ("unseen_share", &self.unseen_share, &c.unseen_share),
        ] {
            let r = rule(Rule::max(0.0, Ignore), g, l);
            if r.level != Ignore && (g.is_some() || l.is_some()) {
                explicit.push(ExplicitRule {
                    metric: name,
                    per_column: l.is_some(),
                    path: if l.is_some() {
                        format!("config.columns.{column}.{name}")
                    } else {
                        format!("config.{name}")
                    },
                });
            }
        }
        ColumnRules {
            null_fraction: rule(
                defaults::NULL_FRACTION,
                &self.null_fraction,
                &c.null_fraction,
            ),
            nan_count: rule(defaults::NAN_COUNT, &self.nan_count, &c.nan_count),
            inf_count: rule(defaults::INF_COUNT, &self.inf_count, &c.inf_count),
            out_of_range_share: rule(
                defaults::OUT_OF_RANGE_SHARE,
                &self.out_of_range_share,
                &c.out_of_range_share,
            ),
            unseen_categories: rule(
                defaults::UNSEEN_CATEGORIES,
                &self.unseen_categories,
                &c.unseen_categories,
            ),
            unseen_share: rule(defaults::UNSEEN_SHARE, &self.unseen_share, &c.unseen_share),
            constant_column: rule(
                defaults::CONSTANT_COLUMN,
                &self.constant_column,
                &c.constant_column,
            ),
            not_allowed_values: rule(
                defaults::NOT_ALLOWED_VALUES,
                &self.not_allowed_values,
                &c.not_allowed_values,
            ),
            min: c.min,
            max: c.max,
            allowed_values: c.allowed_values,
            kind: c.kind.unwrap_or(Kind::Auto),
            explicit_reference_rules: explicit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Config, String> {
        modelgate_sdk::config(json)
    }

    #[test]
    fn rules_take_a_level_or_a_table() {
        let c = parse(
            r#"{"nan_count": "warn", "null_fraction": {"max": 0.05},
                "columns": {"age": {"null_fraction": {"max": 0.0, "level": "warn"}, "nan_count": "ignore"}}}"#,
        )
        .unwrap();
        let age = c.column_rules("age");
        assert_eq!(age.null_fraction, Rule::max(0.0, Warn));
        assert_eq!(age.nan_count, Rule::max(0.0, Ignore));
        assert!(age.nan_count.bounds().is_empty());
        let other = c.column_rules("other");
        assert_eq!(other.null_fraction, Rule::max(0.05, Fail));
        assert_eq!(other.nan_count, Rule::max(0.0, Warn));
        assert_eq!(other.constant_column, Rule::max(0.0, Warn));
    }

    #[test]
    fn a_table_turns_an_ignored_rule_on() {
        let c = parse(
            r#"{"duplicate_rows": {"max": 3}, "constant_column": {"max": 0},
                          "null_fraction": {"max": 0.1, "level": "warn"},
                          "columns": {"a": {"null_fraction": {"max": 0.2}}}}"#,
        )
        .unwrap();
        let r = defaults::DUPLICATE_ROWS.with(c.duplicate_rows.as_ref());
        assert_eq!(r, Rule::max(3.0, Fail));
        // A rule that is on keeps its level.
        let r = defaults::CONSTANT_COLUMN.with(c.constant_column.as_ref());
        assert_eq!(r.level, Warn);
        assert_eq!(c.column_rules("a").null_fraction, Rule::max(0.2, Warn));
    }

    #[test]
    fn config_errors_name_the_path() {
        let e = parse(r#"{"columns": {"age": {"nul_fraction": {}}}}"#).unwrap_err();
        assert!(
            e.starts_with("config.columns.age.nul_fraction: unknown field"),
            "{e}"
        );
        let e = parse(r#"{"null_fraction": {"maximum": 1}}"#).unwrap_err();
        assert!(e.starts_with("config.null_fraction"), "{e}");
        assert!(e.contains("unknown field `maximum`"), "{e}");
        let e = parse(r#"{"nan_count": "loud"}"#).unwrap_err();
        assert!(e.contains("unknown variant `loud`"), "{e}");
        let e = parse(r#"{"row_count": {"min": 10, "max": 1}}"#).unwrap_err();
        assert!(e.contains("min 10 is greater than max 1"), "{e}");
        let e = parse(r#"{"expected_columns": {"age": "int"}}"#).unwrap_err();
        assert!(
            e.starts_with("config.expected_columns.age: unknown variant `int`"),
            "{e}"
        );
        let e = parse(r#"{"reference": true}"#).unwrap_err();
        assert!(e.contains("ambiguous"), "{e}");
    }

    #[test]
    fn parses_the_other_forms() {
        let c = parse(
            r#"{"reference": false, "expected_columns": "none",
                "columns": {"c": {"allowed_values": ["a", 1, true], "kind": "categorical", "min": 0}}}"#,
        )
        .unwrap();
        assert_eq!(c.reference, Some(ReferenceSpec::Off));
        assert_eq!(c.expected_columns, Some(Expected::None));
        let r = c.column_rules("c");
        assert_eq!(
            r.allowed_values.unwrap(),
            vec![
                AllowedValue::Text("a".into()),
                AllowedValue::Number(1.0),
                AllowedValue::Bool(true)
            ]
        );
        assert_eq!(r.kind, Kind::Categorical);
        assert_eq!(r.min, Some(0.0));
        let c = parse(r#"{"expected_columns": {"a": "numeric"}, "reference": "train"}"#).unwrap();
        assert_eq!(c.reference, Some(ReferenceSpec::Named("train".into())));
        assert!(
            matches!(c.expected_columns, Some(Expected::Columns(m)) if m["a"] == TypeName::Numeric)
        );
    }

    #[test]
    fn explicit_reference_rules_are_tracked() {
        let c = parse(
            r#"{"out_of_range_share": "warn", "columns": {"a": {"unseen_share": {"max": 0.1}}}}"#,
        )
        .unwrap();
        let a = c.column_rules("a").explicit_reference_rules;
        assert_eq!(a.len(), 2);
        assert_eq!(
            (a[0].metric, a[0].per_column, a[0].path.as_str()),
            ("out_of_range_share", false, "config.out_of_range_share")
        );
        assert_eq!(
            (a[1].metric, a[1].per_column, a[1].path.as_str()),
            ("unseen_share", true, "config.columns.a.unseen_share")
        );
        assert_eq!(c.column_rules("b").explicit_reference_rules.len(), 1);
        let c = parse(r#"{"unseen_share": "ignore"}"#).unwrap();
        assert!(c.column_rules("b").explicit_reference_rules.is_empty());
    }
}
