//! What the models need of the data: every dataset carries every feature (checked before any model
//! loads), the features are numeric for graphs that take one float matrix (checked once the graphs
//! are loaded: a graph with one input per column takes text too), every labelled row has a label,
//! and the target's values (for the class labels).

use std::sync::Arc;

use anyhow::{anyhow, bail};

use crate::data::{ColumnType, Dataset};

/// Every dataset must carry every feature; with `numeric`, every feature must be numeric (for a
/// graph that takes one float matrix). Missing values are reported by the models' checks
/// (`task.missing_features`).
pub(super) fn check_features(
    datasets: &[Arc<Dataset>],
    features: &[String],
    numeric: bool,
) -> anyhow::Result<()> {
    if features.is_empty() {
        bail!(
            "no feature columns: dataset `{}` has only the target column",
            datasets[0].name
        );
    }
    for d in datasets {
        let file = file_of(d);
        for f in features {
            let kind = d.column_type(f).map_err(|e| {
                match datasets.iter().find(|o| o.column_type(f).is_ok()) {
                    Some(o) => anyhow!(
                        "feature `{f}` of dataset `{}` ({}) is missing from dataset `{}` ({file}); every dataset must have \
                         every feature — add it there, or list the model's inputs in `task.features`",
                        o.name,
                        file_of(o),
                        d.name
                    ),
                    None => anyhow!("{} ({file}); list the model's inputs in `task.features`", e.message),
                }
            })?;
            if !numeric {
                continue;
            }
            // A column with no values has no telling type (a CSV reader calls it text): the model's
            // checks report it when they ask for predictions (task.missing_features).
            if all_null(d, f) {
                continue;
            }
            if !kind.is_numeric() {
                let elsewhere = datasets
                    .iter()
                    .find(|o| o.column_type(f).is_ok_and(ColumnType::is_numeric))
                    .map(|o| format!(" (in dataset `{}` it is {})", o.name, dtype_of(o, f)))
                    .unwrap_or_default();
                bail!(
                    "feature `{f}` of dataset `{}` ({file}) is {}{elsewhere}; ONNX models take numeric features — \
                     encode it, or list the model's inputs in `task.features`",
                    d.name,
                    dtype_of(d, f)
                );
            }
        }
    }
    Ok(())
}

/// With default features, every dataset must have the same feature columns: a column one dataset
/// has and another lacks would otherwise shift the model's inputs or be ignored without a word.
pub(super) fn same_feature_columns(
    datasets: &[Arc<Dataset>],
    features: &[String],
    target: &str,
    outputs: &[String],
) -> anyhow::Result<()> {
    let first = &datasets[0];
    for d in &datasets[1..] {
        for c in d.column_names() {
            if c != target && !outputs.contains(&c) && !features.contains(&c) {
                bail!(
                    "column `{c}` of dataset `{}` ({}) is missing from dataset `{}` ({}); every dataset must have the \
                     same feature columns — add it there, or list the model's inputs in `task.features`",
                    d.name,
                    file_of(d),
                    first.name,
                    file_of(first)
                );
            }
        }
    }
    Ok(())
}

/// Where a dataset came from, for messages: its file, or its source on the engine.
pub(super) fn file_of(d: &Dataset) -> String {
    match d.backend() {
        Some(b) => b.source(),
        None => d
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    }
}

/// Whether every value of an existing column is null (on an engine whose rows cannot be fetched:
/// from its statistics).
fn all_null(d: &Dataset, column: &str) -> bool {
    // A model needs the rows: on an engine they are fetched for it anyway, when allowed.
    match d.series(column) {
        Ok(s) => s.null_count() == s.len(),
        Err(_) => d.stats(column).is_ok_and(|s| s.null_count == s.rows),
    }
}

/// A column's dtype as the loader named it.
fn dtype_of(d: &Dataset, column: &str) -> String {
    d.schema()
        .into_iter()
        .find(|c| c.name == column)
        .map(|c| c.dtype)
        .unwrap_or_default()
}

pub(super) fn sorted_distinct(d: &Dataset, column: &str) -> anyhow::Result<Vec<String>> {
    let kind = d
        .column_type(column)
        .map_err(|e| anyhow!("{}", e.message))?;
    let mut values: Vec<(Option<f64>, String)> = d
        .value_counts(column, crate::data::MAX_VALUE_COUNTS)
        .map_err(|e| anyhow!("{}", e.message))?
        .into_iter()
        .map(|(v, _)| (v.parse::<f64>().ok(), v))
        .collect();
    // Numeric labels sort numerically (as scikit-learn's classes_ do), text labels lexically.
    if kind.is_numeric() {
        values.sort_by(|a, b| a.0.unwrap_or(f64::NAN).total_cmp(&b.0.unwrap_or(f64::NAN)));
    } else {
        values.sort_by(|a, b| a.1.cmp(&b.1));
    }
    Ok(values.into_iter().map(|(_, v)| v).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn features_must_be_there_numeric_and_the_same_everywhere() {
        let a = Arc::new(Dataset::from_frame(
            "a",
            df!("f" => [1.0, 2.0], "y" => [0i64, 1]).unwrap(),
        ));
        let b = Arc::new(Dataset::from_frame(
            "b",
            df!("f" => [1.0, 2.0], "g" => [3.0, 4.0], "y" => [Some(0i64), None]).unwrap(),
        ));
        let features = vec!["f".to_string()];
        let e = same_feature_columns(&[a.clone(), b.clone()], &features, "y", &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("column `g` of dataset `b`") && e.contains("missing from dataset `a`"),
            "{e}"
        );
        assert!(
            same_feature_columns(&[a.clone(), b.clone()], &features, "y", &["g".to_string()])
                .is_ok()
        );
        // Missing values are not the gate's to refuse: the model's checks report them
        // (task.missing_features), and data checks still run.
        let c = Arc::new(Dataset::from_frame(
            "c",
            df!("f" => [Some(1.0), None]).unwrap(),
        ));
        assert!(check_features(&[a.clone(), c], &features, true).is_ok());
        let text = Arc::new(Dataset::from_frame("t", df!("f" => ["x", "y"]).unwrap()));
        let e = check_features(&[a, text], &features, true)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("feature `f` of dataset `t`") && e.contains("numeric"),
            "{e}"
        );
    }
}
