//! The check's `config` table: its types, their parsing, and how per-column settings combine
//! with the check-wide ones and the defaults. No host calls here.

use std::collections::BTreeMap;
use std::fmt;

use modelgate_sdk::schema::{json_schema, Schema, SchemaGenerator};
use modelgate_sdk::{Bounds, JsonSchema};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// What a finding does to the check's status when its rule does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, JsonSchema)]
#[schemars(with = "RuleForm")]
pub struct RuleSpec {
    /// The limits, when the rule is a table (`None`: keep the limits it overrides).
    pub limits: Option<(Option<f64>, Option<f64>)>,
    /// The level, if given.
    pub level: Option<Level>,
}

/// The forms a [`RuleSpec`] is written in, for its schema.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Only its schema is used.
enum RuleForm {
    /// A level alone: keeps the default limits.
    Level(Level),
    /// Inclusive bounds on the metric with a level.
    Table(RuleTable),
}

/// The table form of a [`RuleSpec`].
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RuleTable {
    /// Inclusive lower bound.
    #[serde(default, deserialize_with = "finite")]
    min: Option<f64>,
    /// Inclusive upper bound.
    #[serde(default, deserialize_with = "finite")]
    max: Option<f64>,
    /// What a violation does (default: the level overridden, or fail if it was ignore).
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
    /// The upper bound comes from the reference: the largest share a clean window of this size
    /// reaches by chance (see [`crate::chance`]); without a reference the rule does not apply.
    pub from_reference: bool,
}

impl Rule {
    /// A rule with an upper bound.
    pub const fn max(max: f64, level: Level) -> Self {
        Rule {
            min: None,
            max: Some(max),
            level,
            from_reference: false,
        }
    }

    /// A rule with bounds (or none).
    pub const fn bounded(min: Option<f64>, max: Option<f64>, level: Level) -> Self {
        Rule {
            min,
            max,
            level,
            from_reference: false,
        }
    }

    /// A rule whose upper bound the reference gives (a share beyond what chance explains).
    pub const fn from_reference(level: Level) -> Self {
        Rule {
            min: None,
            max: None,
            level,
            from_reference: true,
        }
    }

    /// This rule with the bound the reference gave: `Some(max)` for a reference-derived rule
    /// with reference data, the rule as it is otherwise (a derived rule without reference data
    /// is reported without thresholds).
    pub fn resolved(self, derived_max: Option<f64>) -> Self {
        match (self.from_reference, derived_max) {
            (false, _) => self,
            (true, Some(max)) => Rule::bounded(None, Some(max), self.level),
            (true, None) => Rule::bounded(None, None, Level::Ignore),
        }
    }

    /// Applies a setting on top of this rule: a table replaces the limits (and turns an
    /// ignored rule on at level `fail` unless it names a level), a level replaces the level.
    pub fn with(mut self, spec: Option<&RuleSpec>) -> Self {
        if let Some(spec) = spec {
            if let Some((min, max)) = spec.limits {
                self.min = min;
                self.max = max;
                self.from_reference = false;
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

    /// The bounds the metric is compared with: none when the level is `ignore` (or the bound is
    /// still to be derived from the reference: see [`Rule::resolved`]).
    pub fn bounds(&self) -> Bounds {
        if self.level == Level::Ignore || self.from_reference {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(with = "ExpectedForm")]
pub enum Expected {
    /// The reference's columns and types (integer and float match each other).
    Reference,
    /// No schema check.
    None,
    /// These columns with these types.
    Columns(BTreeMap<String, TypeName>),
}

/// The forms [`Expected`] is written in, for its schema.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Only its schema is used.
enum ExpectedForm {
    /// `reference` or `none`.
    Named(ExpectedName),
    /// Column -> type.
    Columns(BTreeMap<String, TypeName>),
}

/// The names [`Expected`] accepts.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // Only its schema is used.
enum ExpectedName {
    Reference,
    None,
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

impl JsonSchema for ReferenceSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ReferenceSpec".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A dataset name, or false for no reference.",
            "anyOf": [{"type": "string"}, {"const": false}]
        })
    }
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum AllowedValue {
    /// Compared with the value rendered as text.
    Bool(bool),
    /// Compared numerically with values that parse as numbers.
    Number(f64),
    /// Compared with the value rendered as text.
    Text(String),
}

/// Declares every rule once, with its metric name (which is also its config key, check-wide and
/// per column), its doc (the schema's description), its default, and which columns it checks;
/// and from that list, the config structs, the defaults, the combined rules and [`RULES`].
///
/// `dataset` rules are check-wide only; `column` rules are check-wide defaults that
/// `columns.<name>` overrides. A column rule's scope says which columns it checks:
/// `any` column, `numeric` ones (integer and float), the columns of `kind` numeric or
/// categorical compared `vs_reference`, or the columns with `allowed_values`.
macro_rules! declare_rules {
    (
        dataset {
            $( $(#[doc = $ddoc:literal])* $dname:ident: $ddefault:expr, )*
        }
        column {
            $( $(#[doc = $cdoc:literal])* $cname:ident ($scope:expr): $cdefault:expr, )*
        }
    ) => {
        /// The check's `config`.
        #[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        #[schemars(title = "data-quality check config")]
        pub struct Config {
            /// The dataset to check (default `current`).
            #[serde(default)]
            #[schemars(extend("default" = "current"))]
            pub dataset: Option<String>,
            /// The dataset to learn the schema, ranges and categories from; false for none.
            /// Default: `reference` if the gate has it (and it is not the checked dataset).
            #[serde(default)]
            pub reference: Option<ReferenceSpec>,
            /// Columns to check (default: every column). Columns with a `columns.<name>` section
            /// are checked too.
            #[serde(default)]
            pub include: Option<Vec<String>>,
            /// Columns not to check.
            #[serde(default)]
            pub exclude: Vec<String>,
            /// The expected schema: column -> type, or `reference` (its columns and types,
            /// integer and float matching each other; the default when there is a reference), or
            /// `none`.
            #[serde(default)]
            pub expected_columns: Option<Expected>,
            /// Integer columns with at most this many distinct values in the reference are
            /// categorical (default 20).
            #[serde(default)]
            #[schemars(extend("default" = CATEGORICAL_MAX_UNIQUE))]
            pub categorical_max_unique: Option<u64>,
            /// Columns over which rows are compared for duplicates (default: every column).
            #[serde(default)]
            pub duplicate_columns: Option<Vec<String>>,
            $(
                $(#[doc = $ddoc])*
                #[serde(default)]
                pub $dname: Option<RuleSpec>,
            )*
            $(
                $(#[doc = $cdoc])*
                /// (Check-wide default; `columns.<name>` overrides it.)
                #[serde(default)]
                pub $cname: Option<RuleSpec>,
            )*
            /// Per-column settings, by column name.
            #[serde(default)]
            pub columns: BTreeMap<String, ColumnConfig>,
        }

        /// Per-column settings (`[checks.config.columns.<name>]`).
        #[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct ColumnConfig {
            /// How to compare with the reference (default auto).
            #[serde(default)]
            #[schemars(extend("default" = "auto"))]
            pub kind: Option<Kind>,
            /// Inclusive lower bound on the column's smallest finite value (fail).
            #[serde(default, deserialize_with = "finite")]
            pub min: Option<f64>,
            /// Inclusive upper bound on the column's largest finite value (fail).
            #[serde(default, deserialize_with = "finite")]
            pub max: Option<f64>,
            /// The only values allowed (nulls aside): text compared as text, numbers
            /// numerically.
            #[serde(default)]
            pub allowed_values: Option<Vec<AllowedValue>>,
            $(
                $(#[doc = $cdoc])*
                #[serde(default)]
                pub $cname: Option<RuleSpec>,
            )*
        }

        /// The dataset rules after the config is applied to the defaults.
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub struct DatasetRules {
            $( $(#[doc = $ddoc])* pub $dname: Rule, )*
        }

        /// The defaults of the dataset rules.
        pub const DATASET_DEFAULTS: DatasetRules = DatasetRules {
            $( $dname: $ddefault, )*
        };

        /// The rules of one column after combining defaults, check-wide and per-column settings.
        #[derive(Debug, Clone, PartialEq)]
        pub struct ColumnRules {
            $( $(#[doc = $cdoc])* pub $cname: Rule, )*
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

        /// Every rule, in report order: dataset rules, then column rules.
        pub const RULES: &[RuleDef] = &[
            $( RuleDef { name: stringify!($dname), scope: Scope::Dataset, default: $ddefault }, )*
            $( RuleDef { name: stringify!($cname), scope: $scope, default: $cdefault }, )*
        ];

        impl Config {
            /// The dataset rules: the defaults with the config applied.
            pub fn dataset_rules(&self) -> DatasetRules {
                DatasetRules {
                    $( $dname: DATASET_DEFAULTS.$dname.with(self.$dname.as_ref()), )*
                }
            }

            /// The combined rules of `column`.
            pub fn column_rules(&self, column: &str) -> ColumnRules {
                let c = self.columns.get(column).cloned().unwrap_or_default();
                let mut explicit = Vec::new();
                $(
                    let rule = $cdefault.with(self.$cname.as_ref()).with(c.$cname.as_ref());
                    if matches!($scope, Scope::VsReference(_))
                        && rule.level != Level::Ignore
                        && (self.$cname.is_some() || c.$cname.is_some())
                    {
                        let name = stringify!($cname);
                        explicit.push(ExplicitRule {
                            metric: name,
                            per_column: c.$cname.is_some(),
                            path: if c.$cname.is_some() {
                                format!("config.columns.{column}.{name}")
                            } else {
                                format!("config.{name}")
                            },
                        });
                    }
                    let $cname = rule;
                )*
                ColumnRules {
                    $( $cname, )*
                    min: c.min,
                    max: c.max,
                    allowed_values: c.allowed_values,
                    kind: c.kind.unwrap_or(Kind::Auto),
                    explicit_reference_rules: explicit,
                }
            }
        }
    };
}

/// Which columns a rule checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The dataset as a whole (one metric, no column).
    Dataset,
    /// Every checked column.
    AnyColumn,
    /// Every checked integer or float column.
    Numeric,
    /// The checked columns of this kind, compared with the reference.
    VsReference(Kind),
    /// The checked columns with `allowed_values`.
    AllowedValues,
}

/// One rule: the metric it bounds (also its config key), which columns it checks, its default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleDef {
    /// The metric's name and the rule's config key.
    pub name: &'static str,
    /// Which columns it checks.
    pub scope: Scope,
    /// Its limits and level when the config does not set it.
    pub default: Rule,
}

use Level::{Fail, Ignore, Warn};

declare_rules! {
    dataset {
        /// Rule on row_count (the dataset's rows). Default { min = 1 }, fail.
        row_count: Rule::bounded(Some(1.0), None, Fail),
        /// Rule on column_count (every column of the dataset). Default: none.
        column_count: Rule::bounded(None, None, Fail),
        /// Rule on missing_columns (expected columns absent). Default { max = 0 }, fail.
        missing_columns: Rule::max(0.0, Fail),
        /// Rule on unexpected_columns (columns not expected). Default { max = 0 }, ignore.
        unexpected_columns: Rule::max(0.0, Ignore),
        /// Rule on dtype_mismatch (1 per expected column of another type). Default { max = 0 },
        /// fail.
        dtype_mismatch: Rule::max(0.0, Fail),
        /// Rule on duplicate_rows (rows equal to an earlier row). Default { max = 0 }, ignore.
        duplicate_rows: Rule::max(0.0, Ignore),
        /// Rule on duplicate_share (duplicate_rows / row_count). Default: from the reference,
        /// fail.
        duplicate_share: Rule::from_reference(Fail),
    }
    column {
        /// Rule on null_fraction (NaN is not null). Default: from the reference, fail.
        null_fraction (Scope::AnyColumn): Rule::from_reference(Fail),
        /// Rule on nan_count (numeric columns). Default { max = 0 }, fail.
        nan_count (Scope::Numeric): Rule::max(0.0, Fail),
        /// Rule on inf_count (±inf values of numeric columns). Default { max = 0 }, fail.
        inf_count (Scope::Numeric): Rule::max(0.0, Fail),
        /// Rule on out_of_range_share (share of finite values outside the reference's
        /// [min, max]). Default: from the reference, fail.
        out_of_range_share (Scope::VsReference(Kind::Numeric)): Rule::from_reference(Fail),
        /// Rule on unseen_categories (distinct values absent from the reference). Default
        /// { max = 0 }, ignore.
        unseen_categories (Scope::VsReference(Kind::Categorical)): Rule::max(0.0, Ignore),
        /// Rule on unseen_share (share of rows with a value absent from the reference). Default:
        /// from the reference, fail.
        unseen_share (Scope::VsReference(Kind::Categorical)): Rule::from_reference(Fail),
        /// Rule on constant_column (1 when a column has at most one distinct non-null value).
        /// Default { max = 0 }, warn.
        constant_column (Scope::AnyColumn): Rule::max(0.0, Warn),
        /// Rule on not_allowed_values (rows with a value outside allowed_values). Default
        /// { max = 0 }, fail.
        not_allowed_values (Scope::AllowedValues): Rule::max(0.0, Fail),
    }
}

/// Default integer categorical limit.
pub const CATEGORICAL_MAX_UNIQUE: u64 = 20;

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
        assert_eq!(c.dataset_rules().duplicate_rows, Rule::max(3.0, Fail));
        // A rule that is on keeps its level.
        assert_eq!(c.column_rules("b").constant_column.level, Warn);
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
