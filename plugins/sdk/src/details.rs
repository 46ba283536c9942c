//! Typed parts of a check's `details` that modelgate's reports draw.
//!
//! `details` is a free JSON document (see [`CheckResult::details`]); the HTML report looks for
//! a few keys in it and draws what it finds, whichever plugin wrote them:
//!
//! | key | type | drawn as |
//! |-----|------|----------|
//! | `findings` | list of [`Finding`] | a list of findings with their levels (data-quality) |
//! | `columns`, `predictions` | lists of [`ColumnHistogram`] | reference vs current distribution per column, drifted columns first (drift) |
//! | `models` | map model name → [`ModelPlots`] | a confusion matrix per model (performance) |
//! | `lifts` | list of [`LiftInterval`] | a forest plot: each metric's relative lift with its interval, against 0 and the bound that decided (ab-test) |
//! | `arms` | [`ArmSizes`] | units per arm against the planned split, with the sample-ratio test (ab-test) |
//!
//! Any other key is kept in the JSON report and ignored by the plots. Build the document from
//! these types (and your own) and serialize it with [`details_json`]:
//!
//! ```
//! use modelgate_sdk::details::{details_json, ColumnHistogram, Finding, Histogram};
//! use modelgate_sdk::{CheckResult, Status};
//!
//! #[derive(serde::Serialize)]
//! struct Details {
//!     columns: Vec<ColumnHistogram>,
//!     findings: Vec<Finding>,
//!     rows: u64, // not drawn, but in the JSON report
//! }
//! let details = Details {
//!     columns: vec![ColumnHistogram {
//!         column: "age".into(),
//!         model: None,
//!         drifted: Some(true),
//!         histogram: Histogram::Numeric {
//!             edges: vec![0.0, 50.0, 100.0],
//!             reference: vec![40, 60],
//!             current: vec![70, 30],
//!         },
//!     }],
//!     findings: vec![Finding { level: "warn".into(), message: "age drifted".into() }],
//!     rows: 100,
//! };
//! let result = CheckResult::new(Status::Warn, "age drifted").details(details_json(&details));
//! assert!(result.details.unwrap().starts_with(r#"{"columns":[{"column":"age","drifted":true,"#));
//! ```

use serde::Serialize;

use crate::CheckResult;

/// The JSON text of a details document, with the keys of every object in sorted order (what
/// `serde_json::Value` gives), so that a document's bytes do not depend on field order.
pub fn details_json<T: Serialize + ?Sized>(details: &T) -> String {
    serde_json::to_value(details)
        .expect("details serialize to JSON")
        .to_string()
}

/// One entry of `details.findings`: `{ "level": "fail" | "warn" | ..., "message": "..." }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What the finding does to the status: `fail`, `warn` (drawn with that colour), or any
    /// other word (e.g. `info`).
    pub level: String,
    /// One line for people.
    pub message: String,
}

/// One entry of `details.columns` (or `details.predictions`): a column's distribution in the
/// reference and the current data. Drawn as grouped bars of the *share* of rows per bin or
/// category in each dataset (counts are normalised by the report).
///
/// `{ "column": "age", "model": null, "drifted": true, "histogram": {...} }`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnHistogram {
    /// The column's name (for prediction drift, `prediction`).
    pub column: String,
    /// The model whose predictions the column holds, if any (`null` otherwise).
    pub model: Option<String>,
    /// Whether the column drifted (drifted columns are drawn first and captioned so; `null`
    /// when the check does not decide).
    pub drifted: Option<bool>,
    /// The two distributions.
    pub histogram: Histogram,
}

/// The distribution of a column in two datasets, as counts.
///
/// Numeric: `{ "type": "numeric", "edges": [e0, ..., en], "reference": [c1, ..., cn],
/// "current": [...] }`, where bin `i` is `[edges[i], edges[i+1])` (`n + 1` edges for `n`
/// counts). Categorical: `{ "type": "categorical", "categories": ["a", ...], "reference":
/// [...], "current": [...] }`, one count per category, and optionally `"other"` (see
/// [`OtherCategories`]) summing the categories left out. The report draws at most 60 bars.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Histogram {
    /// Counts per bin.
    Numeric {
        /// Bin edges, ascending: `counts + 1` of them.
        edges: Vec<f64>,
        /// Reference rows per bin.
        reference: Vec<u64>,
        /// Current rows per bin.
        current: Vec<u64>,
    },
    /// Counts per category.
    Categorical {
        /// The categories, as text.
        categories: Vec<String>,
        /// Reference rows per category.
        reference: Vec<u64>,
        /// Current rows per category.
        current: Vec<u64>,
        /// The categories not listed, summed into one bar (left out when none are).
        #[serde(skip_serializing_if = "Option::is_none")]
        other: Option<OtherCategories>,
    },
}

/// The categories a [`Histogram::Categorical`] leaves out, summed:
/// `{ "categories": k, "reference": rows, "current": rows }` (drawn as a bar "k others").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OtherCategories {
    /// How many categories are left out.
    pub categories: u64,
    /// Their reference rows.
    pub reference: u64,
    /// Their current rows.
    pub current: u64,
}

/// One value of `details.models` (keyed by model name): what is drawn for a model.
///
/// `{ "confusion_matrix": { "labels": [...], "matrix": [[...], ...] } }`, or
/// `{ "confusion_matrix": null, "note": "why not" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelPlots {
    /// The model's confusion matrix (`null` when there is none to draw).
    pub confusion_matrix: Option<ConfusionMatrix>,
    /// Why there is no matrix, or anything else to say (left out when `None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A confusion matrix: `matrix[i][j]` rows with true label `labels[i]` predicted as
/// `labels[j]` (scikit-learn's layout). Drawn for up to 30 labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfusionMatrix {
    /// The labels, in display order.
    pub labels: Vec<String>,
    /// Counts, `labels.len()` rows of `labels.len()` columns.
    pub matrix: Vec<Vec<u64>>,
}

/// One entry of `details.lifts`: a metric's relative lift (`0.03` = +3%) with its interval,
/// and the bound on the interval that decided whether it passed. Drawn as one row of a forest
/// plot: the interval as a bar, the lift as a dot, a line at 0 and a mark at `bound`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiftInterval {
    /// The metric's name.
    pub metric: String,
    /// What it decides, e.g. `success` or `guardrail`.
    pub role: String,
    /// The relative lift.
    pub lift: f64,
    /// The interval's lower end.
    pub lower: f64,
    /// The interval's upper end.
    pub upper: f64,
    /// Which end is compared with `bound`, and how: `above` / `min` (the lower end must be
    /// above / at least `bound`), `below` / `max` (the upper end must be below / at most it).
    pub bound_kind: String,
    /// The bound.
    pub bound: f64,
    /// Whether the interval met it.
    pub passed: bool,
}

/// `details.arms`: the units per arm against the planned split, and the sample-ratio-mismatch
/// test of the counts. Drawn as bars of the observed and expected shares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmSizes {
    /// The arms, control first.
    pub arms: Vec<ArmSize>,
    /// The chi-square test's p-value.
    pub srm_p_value: f64,
    /// The level below which the counts are a mismatch.
    pub srm_alpha: f64,
}

/// One arm of [`ArmSizes`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmSize {
    /// The arm's value in the data.
    pub arm: String,
    /// Its role, e.g. `control` or `treatment`.
    pub role: String,
    /// Units observed.
    pub units: u64,
    /// The planned share of units (0 to 1).
    pub expected_share: f64,
}

impl CheckResult {
    /// Sets the details from a serializable document (see [`details_json`]).
    pub fn details_of<T: Serialize + ?Sized>(self, details: &T) -> Self {
        self.details(details_json(details))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_what_the_report_reads() {
        let h = Histogram::Categorical {
            categories: vec!["a".into()],
            reference: vec![1],
            current: vec![2],
            other: Some(OtherCategories {
                categories: 3,
                reference: 4,
                current: 5,
            }),
        };
        assert_eq!(
            details_json(&h),
            r#"{"categories":["a"],"current":[2],"other":{"categories":3,"current":5,"reference":4},"reference":[1],"type":"categorical"}"#
        );
        let m = ModelPlots {
            confusion_matrix: None,
            note: Some("n".into()),
        };
        assert_eq!(details_json(&m), r#"{"confusion_matrix":null,"note":"n"}"#);
        let c = ColumnHistogram {
            column: "x".into(),
            model: None,
            drifted: None,
            histogram: Histogram::Numeric {
                edges: vec![0.0, 1.5],
                reference: vec![1],
                current: vec![0],
            },
        };
        assert_eq!(
            details_json(&c),
            r#"{"column":"x","drifted":null,"histogram":{"current":[0],"edges":[0.0,1.5],"reference":[1],"type":"numeric"},"model":null}"#
        );
    }
}
