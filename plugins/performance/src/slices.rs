//! Slices: the same metrics on groups of rows (per value of a column, named groups of values, or
//! numeric ranges), so that a model good on average but bad for one group is caught.
//!
//! ```toml
//! [checks.config]
//! slices = ["sex", { column = "region", groups = { north = ["NO", "SE"], south = ["IT", "ES"] } },
//!           { column = "age", edges = [0, 30, 60, 120] }]
//! min_slice_size = 30          # smaller slices are reported (slice_rows) but not evaluated
//! [checks.config.slice_metrics]  # bounds for every slice (default: the same as `metrics`)
//! accuracy = { min = 0.85 }
//! ```
//!
//! Slice names: `sex=F`, `region=north`, `age=[30, 60)` (the last range is closed: `[60, 120]`).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use modelgate_sdk::Dictionary;
use modelgate_sdk::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::evaluate::{self, sort_labels, ModelMetrics, Probabilities, Task};

/// Default smallest slice that is evaluated.
pub const DEFAULT_MIN_SLICE_SIZE: usize = 30;

/// How to cut the dataset into slices.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(with = "SliceForm")]
pub enum SliceSpec {
    /// One slice per distinct value of the column.
    Column(String),
    /// One slice per named group of values of the column.
    Groups {
        column: String,
        groups: BTreeMap<String, Vec<String>>,
    },
    /// One slice per numeric range `[e_i, e_i+1)` of the column (the last closed).
    Edges { column: String, edges: Vec<f64> },
}

impl SliceSpec {
    /// The column it reads.
    pub fn column(&self) -> &str {
        match self {
            SliceSpec::Column(c)
            | SliceSpec::Groups { column: c, .. }
            | SliceSpec::Edges { column: c, .. } => c,
        }
    }
}

/// The forms a [`SliceSpec`] is written in, for its schema.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Only its schema is used.
enum SliceForm {
    /// A column name: one slice per value.
    Column(String),
    /// A table.
    Table(SliceTable),
}

/// The table form of a [`SliceSpec`].
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SliceTable {
    /// The column to cut by.
    column: String,
    /// Named groups of values: one slice per group.
    #[serde(default)]
    #[schemars(extend("minProperties" = 1))]
    groups: Option<BTreeMap<String, Vec<String>>>,
    /// Range edges: one slice per `[e_i, e_i+1)` (the last closed).
    #[serde(default)]
    #[schemars(length(min = 2))]
    edges: Option<Vec<f64>>,
}

impl<'de> Deserialize<'de> for SliceSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SliceSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a column name, or { column = \"...\", groups = {...} } or { column = \"...\", edges = [...] }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SliceSpec, E> {
                Ok(SliceSpec::Column(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<SliceSpec, A::Error> {
                let t = SliceTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                match (t.groups, t.edges) {
                    (Some(_), Some(_)) => Err(de::Error::custom(
                        "give either `groups` or `edges`, not both",
                    )),
                    (Some(groups), None) => {
                        if groups.is_empty() {
                            return Err(de::Error::custom("`groups` is empty"));
                        }
                        Ok(SliceSpec::Groups {
                            column: t.column,
                            groups,
                        })
                    }
                    (None, Some(edges)) => {
                        if edges.len() < 2
                            || edges.iter().any(|e| !e.is_finite())
                            || edges.windows(2).any(|w| w[0] >= w[1])
                        {
                            return Err(de::Error::custom(
                                "`edges` needs at least 2 finite, strictly increasing numbers",
                            ));
                        }
                        Ok(SliceSpec::Edges {
                            column: t.column,
                            edges,
                        })
                    }
                    (None, None) => Ok(SliceSpec::Column(t.column)),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A named set of rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    /// e.g. `region=north`.
    pub name: String,
    /// Row indices, ascending.
    pub rows: Vec<usize>,
}

/// Cuts rows by the text values of a column (one slice per value, or per named group). Nulls
/// belong to no slice. A configured group with no rows is kept (empty) so that the caller can
/// fail closed on it.
pub fn by_values(spec: &SliceSpec, values: &Dictionary) -> Vec<Slice> {
    let column = spec.column();
    match spec {
        SliceSpec::Groups { groups, .. } => groups
            .iter()
            .map(|(group, members)| Slice {
                name: format!("{column}={group}"),
                rows: (0..values.len())
                    .filter(|&i| {
                        values
                            .get(i)
                            .is_some_and(|v| members.iter().any(|m| m == v))
                    })
                    .collect(),
            })
            .collect(),
        _ => {
            let mut labels = values.values.clone();
            sort_labels(&mut labels);
            let mut by_code: HashMap<u32, Vec<usize>> = HashMap::new();
            for (i, c) in values.codes.iter().enumerate() {
                if let Some(c) = c {
                    by_code.entry(*c).or_default().push(i);
                }
            }
            labels
                .iter()
                .map(|l| {
                    let code = values
                        .values
                        .iter()
                        .position(|v| v == l)
                        .expect("a value of the dictionary") as u32;
                    Slice {
                        name: format!("{column}={l}"),
                        rows: by_code.remove(&code).unwrap_or_default(),
                    }
                })
                .collect()
        }
    }
}

/// Cuts rows by numeric ranges; NaN and nulls belong to no slice, values outside the edges neither.
pub fn by_edges(column: &str, edges: &[f64], values: &[Option<f64>]) -> Vec<Slice> {
    let bins = edges.len() - 1;
    let mut slices: Vec<Slice> = (0..bins)
        .map(|b| {
            let close = if b + 1 == bins { "]" } else { ")" };
            Slice {
                name: format!("{column}=[{}, {}{close}", edges[b], edges[b + 1]),
                rows: Vec::new(),
            }
        })
        .collect();
    for (i, v) in values.iter().enumerate() {
        let Some(x) = v.filter(|x| x.is_finite()) else {
            continue;
        };
        if x < edges[0] || x > edges[bins] {
            continue;
        }
        let b = (edges.partition_point(|e| *e <= x) - 1).min(bins - 1);
        slices[b].rows.push(i);
    }
    slices
}

/// The target of the evaluated dataset.
pub enum Truth {
    /// Class labels.
    Labels(Dictionary),
    /// Numeric values.
    Values(Vec<f64>),
}

/// One model's predictions on the evaluated dataset.
pub struct Predictions {
    /// The model's name.
    pub name: String,
    /// Predicted labels or values (same kind as the truth).
    pub predicted: Truth,
    /// Class probabilities, if any.
    pub proba: Option<Probabilities>,
}

/// The metrics of a model on a subset of rows (`None`: all rows).
pub fn metrics_on(
    task: &Task,
    truth: &Truth,
    p: &Predictions,
    rows: Option<&[usize]>,
) -> Result<ModelMetrics, String> {
    match (truth, &p.predicted) {
        (Truth::Values(y), Truth::Values(pred)) => Ok(match rows {
            None => evaluate::regression(y, pred),
            Some(r) => evaluate::regression(&pick(y, r), &pick(pred, r)),
        }),
        (Truth::Labels(y), Truth::Labels(pred)) => match rows {
            None => evaluate::classification(task, y, pred, &p.name, p.proba.as_ref()),
            Some(r) => {
                let proba = p.proba.as_ref().map(|pr| Probabilities {
                    p_true: pick(&pr.p_true, r),
                    p_positive: pr.p_positive.as_ref().map(|v| pick(v, r)),
                });
                evaluate::classification(
                    task,
                    &subset_dict(y, r),
                    &subset_dict(pred, r),
                    &p.name,
                    proba.as_ref(),
                )
            }
        },
        _ => Err("internal error: labels and values mixed".into()),
    }
}

fn pick(v: &[f64], rows: &[usize]) -> Vec<f64> {
    rows.iter().map(|&i| v[i]).collect()
}

/// The rows of a dictionary, re-encoded so that only the values present remain.
pub fn subset_dict(d: &Dictionary, rows: &[usize]) -> Dictionary {
    let mut remap: HashMap<u32, u32> = HashMap::new();
    let mut values = Vec::new();
    let codes = rows
        .iter()
        .map(|&i| {
            d.codes[i].map(|c| {
                *remap.entry(c).or_insert_with(|| {
                    values.push(d.values[c as usize].clone());
                    (values.len() - 1) as u32
                })
            })
        })
        .collect();
    Dictionary { values, codes }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict(v: &[Option<&str>]) -> Dictionary {
        let mut values: Vec<String> = Vec::new();
        let codes = v
            .iter()
            .map(|x| {
                x.map(|s| match values.iter().position(|v| v == s) {
                    Some(p) => p as u32,
                    None => {
                        values.push(s.to_string());
                        (values.len() - 1) as u32
                    }
                })
            })
            .collect();
        Dictionary { values, codes }
    }

    #[test]
    fn slices_by_value_are_sorted_and_skip_nulls() {
        let d = dict(&[Some("b"), Some("a"), None, Some("b"), Some("10"), Some("9")]);
        let s = by_values(&SliceSpec::Column("c".into()), &d);
        let names: Vec<&str> = s.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["c=10", "c=9", "c=a", "c=b"],
            "mixed labels sort as text"
        );
        assert_eq!(s[3].rows, vec![0, 3]);
        let g = SliceSpec::Groups {
            column: "c".into(),
            groups: BTreeMap::from([
                ("ab".into(), vec!["a".into(), "b".into()]),
                ("none".into(), vec!["z".into()]),
            ]),
        };
        let s = by_values(&g, &d);
        assert_eq!(
            s[0],
            Slice {
                name: "c=ab".into(),
                rows: vec![0, 1, 3]
            }
        );
        assert_eq!(
            s[1].rows,
            Vec::<usize>::new(),
            "an empty configured group is kept"
        );
    }

    #[test]
    fn slices_by_edges_close_the_last_range() {
        let v = [
            Some(0.0),
            Some(29.9),
            Some(30.0),
            Some(120.0),
            Some(121.0),
            None,
            Some(f64::NAN),
        ];
        let s = by_edges("age", &[0.0, 30.0, 120.0], &v);
        assert_eq!(
            s[0],
            Slice {
                name: "age=[0, 30)".into(),
                rows: vec![0, 1]
            }
        );
        assert_eq!(
            s[1],
            Slice {
                name: "age=[30, 120]".into(),
                rows: vec![2, 3]
            }
        );
    }

    #[test]
    fn subset_keeps_only_present_values() {
        let d = dict(&[Some("x"), Some("y"), Some("z"), None]);
        let s = subset_dict(&d, &[2, 3, 2]);
        assert_eq!(s.values, vec!["z".to_string()]);
        assert_eq!(s.codes, vec![Some(0), None, Some(0)]);
    }

    #[test]
    fn slice_specs_parse_from_config_forms() {
        let specs: Vec<SliceSpec> = serde_json::from_str(
            r#"["sex", {"column": "region", "groups": {"n": ["NO"]}}, {"column": "age", "edges": [0, 30]}]"#,
        )
        .unwrap();
        assert_eq!(specs[0], SliceSpec::Column("sex".into()));
        assert!(matches!(&specs[1], SliceSpec::Groups { column, .. } if column == "region"));
        assert!(matches!(&specs[2], SliceSpec::Edges { edges, .. } if edges == &[0.0, 30.0]));
        assert!(serde_json::from_str::<SliceSpec>(r#"{"column": "a", "edges": [1, 1]}"#).is_err());
        assert!(serde_json::from_str::<SliceSpec>(r#"{"column": "a", "bins": 3}"#).is_err());
    }

    #[test]
    fn metrics_on_a_subset_equal_metrics_of_the_subset() {
        let truth = Truth::Labels(dict(&[
            Some("1"),
            Some("0"),
            Some("1"),
            Some("0"),
            Some("1"),
        ]));
        let p = Predictions {
            name: "m".into(),
            predicted: Truth::Labels(dict(&[
                Some("1"),
                Some("1"),
                Some("0"),
                Some("0"),
                Some("1"),
            ])),
            proba: None,
        };
        let task = Task::Binary {
            positive: "1".into(),
        };
        let sub = metrics_on(&task, &truth, &p, Some(&[0, 1, 4])).unwrap();
        // rows 0, 1, 4: truth 1 0 1, predicted 1 1 1: accuracy 2/3, precision 2/3, recall 1.
        assert_eq!(
            sub.get("accuracy"),
            Some(&evaluate::Outcome::Value(2.0 / 3.0))
        );
        assert_eq!(sub.get("recall"), Some(&evaluate::Outcome::Value(1.0)));
        let all = metrics_on(&task, &truth, &p, None).unwrap();
        assert_eq!(all.get("accuracy"), Some(&evaluate::Outcome::Value(0.6)));
    }
}
