//! JSON Schemas of config types, derived from the types with [`schemars`].
//!
//! A plugin publishes the JSON Schema of its `config` through `describe()`, and the host checks
//! every check's config against it before the check runs (so a policy with a misspelt key or a
//! string where a number belongs fails with the key path, before any data is read). Deriving the
//! schema from the type that parses the config keeps the two from drifting apart:
//!
//! ```
//! use modelgate_sdk::{config_schema, JsonSchema};
//! use serde::Deserialize;
//!
//! /// My check's config.
//! #[derive(Deserialize, JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! #[schemars(title = "my-check config")]
//! struct Config {
//!     /// The dataset to check.
//!     #[serde(default)]
//!     dataset: Option<String>,
//!     /// Largest allowed share, in [0, 1].
//!     #[schemars(range(min = 0, max = 1))]
//!     max_share: f64,
//! }
//!
//! let schema: serde_json::Value = serde_json::from_str(&config_schema::<Config>()).unwrap();
//! assert_eq!(schema["additionalProperties"], false);
//! assert_eq!(schema["properties"]["dataset"]["type"], "string");
//! assert_eq!(schema["properties"]["max_share"]["maximum"], 1);
//! assert_eq!(schema["required"], serde_json::json!(["max_share"]));
//! ```
//!
//! How serde's attributes map to the schema (schemars' deserialize contract):
//! `#[serde(deny_unknown_fields)]` becomes `additionalProperties: false`; a field with
//! `#[serde(default)]` or of type `Option<T>` is optional, any other is `required`; `rename`,
//! `rename_all` and `untagged` are followed; a doc comment becomes the `description`.
//! `deserialize_with` is not seen (the field's type gives the schema), nor is `alias` (add the
//! alias to the schema with a `#[schemars(transform = ...)]`), nor is a hand-written
//! `Deserialize` impl: give such a type a `JsonSchema` that describes what it accepts, e.g.
//! derived on an `#[serde(untagged)]` enum of the forms it accepts, with
//! `#[schemars(with = "ThatEnum")]`.
//!
//! An enum of unit variants is `{"type": "string", "enum": [...]}` even when its variants have
//! doc comments (schemars would make it a `oneOf` of `const`s): the variants' docs join the
//! enum's description, and a wrong value's message lists the valid ones.
//!
//! Policies are TOML, which has no null: an optional key is left out, never `null`. So the
//! schema does not offer `null` for `Option<T>` (schemars would): a config value is never null,
//! and the host's messages then say `"high" is not of type "number"` rather than listing `null`.

use schemars::generate::SchemaSettings;
use schemars::transform::{transform_subschemas, Transform};
use serde_json::Value;

pub use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

/// The JSON Schema (draft 2020-12) of `C`, as the JSON text `describe()` publishes, without
/// `null` (see the [module documentation](self)).
pub fn config_schema<C: JsonSchema>() -> String {
    let schema = config_schema_value::<C>();
    serde_json::to_string_pretty(&schema).expect("a schema is JSON")
}

/// [`config_schema`] as a [`Schema`] value, e.g. for a test that looks into it.
pub fn config_schema_value<C: JsonSchema>() -> Schema {
    SchemaSettings::draft2020_12()
        .with_transform(NoNull)
        .with_transform(NamesAsEnum)
        .into_generator()
        .into_root_schema_for::<C>()
}

/// Removes `null` from every subschema: from `type` lists, `enum` lists and `anyOf` branches
/// (an `anyOf` left with one branch is replaced by it), and a `default` of `null`.
#[derive(Debug, Clone, Copy)]
struct NoNull;

impl Transform for NoNull {
    fn transform(&mut self, schema: &mut Schema) {
        transform_subschemas(self, schema);
        let Some(obj) = schema.as_object_mut() else {
            return;
        };
        if let Some(Value::Array(types)) = obj.get_mut("type") {
            types.retain(|t| t != "null");
            if types.len() == 1 {
                let only = types.remove(0);
                obj.insert("type".into(), only);
            }
        }
        if let Some(Value::Array(values)) = obj.get_mut("enum") {
            values.retain(|v| !v.is_null());
        }
        if obj.get("default").is_some_and(Value::is_null) {
            obj.remove("default");
        }
        if let Some(Value::Array(branches)) = obj.get_mut("anyOf") {
            branches.retain(|b| b.get("type").and_then(Value::as_str) != Some("null"));
            if branches.len() == 1 {
                let Some(Value::Object(only)) = branches.pop() else {
                    return;
                };
                obj.remove("anyOf");
                for (k, v) in only {
                    // The outer description or default (from the field) wins.
                    obj.entry(k).or_insert(v);
                }
            }
        }
    }
}

/// Turns the schema schemars derives for an enum of documented unit variants, `oneOf` of
/// `{type: string, const, description}`, into `{type: string, enum: [...]}` with the variants'
/// descriptions appended to the enum's: it accepts the same values, and a validator's message
/// for a wrong one then lists them (`"kss" is not one of ["auto", "ks", ...]`) instead of
/// saying that no branch of a `oneOf` matched.
#[derive(Debug, Clone, Copy)]
struct NamesAsEnum;

impl Transform for NamesAsEnum {
    fn transform(&mut self, schema: &mut Schema) {
        transform_subschemas(self, schema);
        let Some(obj) = schema.as_object_mut() else {
            return;
        };
        let Some(Value::Array(branches)) = obj.get("oneOf") else {
            return;
        };
        let names: Option<Vec<(Value, Option<String>)>> = branches
            .iter()
            .map(|b| {
                let b = b.as_object()?;
                let name = b.get("const").filter(|c| c.is_string())?;
                let plain = b
                    .keys()
                    .all(|k| matches!(k.as_str(), "const" | "type" | "description"));
                let description = b.get("description").and_then(Value::as_str);
                plain.then(|| (name.clone(), description.map(str::to_string)))
            })
            .collect();
        let Some(names) = names else {
            return;
        };
        let listed: Vec<String> = names
            .iter()
            .filter_map(|(name, d)| Some(format!("`{}`: {}", name.as_str()?, d.as_deref()?)))
            .collect();
        obj.remove("oneOf");
        obj.insert("type".into(), "string".into());
        obj.insert(
            "enum".into(),
            names.into_iter().map(|(name, _)| name).collect(),
        );
        if !listed.is_empty() {
            let own = obj.get("description").and_then(Value::as_str);
            let text = own
                .into_iter()
                .map(str::to_string)
                .chain(listed)
                .collect::<Vec<_>>()
                .join("\n");
            obj.insert("description".into(), text.into());
        }
    }
}

/// Restricts the keys of a map's schema to `names` (`propertyNames: { enum: [...] }`), e.g. to
/// the metrics a check knows. Call it from a function named in `#[schemars(transform = ...)]`
/// (the attribute takes a path, not a call):
///
/// ```
/// # use modelgate_sdk::{config_schema, schema::only_keys, Bounds, JsonSchema};
/// # use std::collections::BTreeMap;
/// #[derive(serde::Deserialize, JsonSchema)]
/// struct Config {
///     #[schemars(transform = metric_names)]
///     metrics: BTreeMap<String, Bounds>,
/// }
/// fn metric_names(schema: &mut schemars::Schema) {
///     only_keys(schema, ["accuracy", "f1"]);
/// }
/// let schema: serde_json::Value = serde_json::from_str(&config_schema::<Config>()).unwrap();
/// assert_eq!(
///     schema["properties"]["metrics"]["propertyNames"]["enum"],
///     serde_json::json!(["accuracy", "f1"])
/// );
/// ```
pub fn only_keys<S: AsRef<str>>(schema: &mut Schema, names: impl IntoIterator<Item = S>) {
    let names: Vec<Value> = names.into_iter().map(|n| n.as_ref().into()).collect();
    schema.insert("propertyNames".into(), serde_json::json!({ "enum": names }));
}

/// Adds serde `alias`es, which schemars does not see, to the schema of an enum of names:
/// `aliases` are `(alias, name)` pairs. Call it from a function named in
/// `#[schemars(transform = ...)]` on the enum.
///
/// Handles both forms schemars derives: `enum: [...]`, and `oneOf` of `const` branches (unit
/// variants with doc comments), where the alias gets a copy of its name's branch.
pub fn add_aliases(schema: &mut Schema, aliases: &[(&str, &str)]) {
    if let Some(Value::Array(values)) = schema.get_mut("enum") {
        values.extend(aliases.iter().map(|(alias, _)| Value::from(*alias)));
        return;
    }
    if let Some(Value::Array(branches)) = schema.get_mut("oneOf") {
        let extra: Vec<Value> = aliases
            .iter()
            .filter_map(|(alias, name)| {
                let mut branch = branches
                    .iter()
                    .find(|b| b.get("const").and_then(Value::as_str) == Some(name))?
                    .clone();
                branch["const"] = Value::from(*alias);
                Some(branch)
            })
            .collect();
        branches.extend(extra);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;
    use crate::Bounds;

    #[derive(Deserialize, JsonSchema)]
    #[serde(rename_all = "snake_case")]
    #[schemars(transform = mode_aliases)]
    #[allow(dead_code)]
    enum Mode {
        /// Fast.
        Fast,
        /// Exact.
        #[serde(alias = "precise")]
        Exact,
    }

    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Config {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        level: Option<f64>,
        #[serde(default)]
        bounds: Option<Bounds>,
        mode: Mode,
        #[serde(default)]
        #[schemars(transform = metric_names)]
        metrics: BTreeMap<String, Bounds>,
    }

    fn mode_aliases(schema: &mut Schema) {
        add_aliases(schema, &[("precise", "exact")]);
    }

    fn metric_names(schema: &mut Schema) {
        only_keys(schema, ["a"]);
    }

    #[test]
    fn options_are_never_null_and_unknown_keys_are_refused() {
        let s: Value = serde_json::to_value(config_schema_value::<Config>()).unwrap();
        assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["properties"]["name"]["type"], "string");
        assert_eq!(s["properties"]["level"]["type"], "number");
        assert_eq!(s["properties"]["bounds"]["$ref"], "#/$defs/Bounds");
        assert_eq!(s["$defs"]["Bounds"]["additionalProperties"], false);
        assert_eq!(
            s["$defs"]["Bounds"]["properties"]["min"]["type"], "number",
            "{s:#}"
        );
        assert_eq!(s["required"], serde_json::json!(["mode"]));
        assert_eq!(s["properties"]["metrics"]["propertyNames"]["enum"][0], "a");
        assert!(!s.to_string().contains("null"), "{s:#}");
        assert_eq!(
            s["$defs"]["Mode"]["enum"],
            serde_json::json!(["fast", "exact", "precise"]),
            "{s:#}"
        );
        assert_eq!(s["$defs"]["Mode"]["type"], "string");
        assert!(s["$defs"]["Mode"]["description"]
            .as_str()
            .unwrap()
            .contains("`precise`: Exact."));
    }
}
