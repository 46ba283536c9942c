//! What the models need of the data, checked before any model loads: every dataset carries every
//! feature, ONNX features are numeric and complete, every labelled row has a label, and the target's
//! values (for the class labels).

use std::sync::Arc;

use anyhow::{anyhow, bail};

use crate::data::{ColumnType, Dataset};

/// Every dataset must carry every feature; ONNX models need them numeric and complete: no null,
/// NaN or infinite value (scikit-learn's `predict` refuses those too; ONNX Runtime would turn them
/// into meaningless scores without a word).
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
            let s = d.series(f).map_err(|e| match datasets.iter().find(|o| o.series(f).is_ok()) {
                Some(o) => anyhow!(
                    "feature `{f}` of dataset `{}` ({}) is missing from dataset `{}` ({file}); every dataset must have \
                     every feature — add it there, or list the model's inputs in `task.features`",
                    o.name,
                    file_of(o),
                    d.name
                ),
                None => anyhow!("{} ({file}); list the model's inputs in `task.features`", e.message),
            })?;
            if !numeric {
                continue;
            }
            if s.null_count() == s.len() {
                bail!(
                    "feature `{f}` of dataset `{}` ({file}) has no values: all {} rows are null; an ONNX model needs a \
                     value in every row — fill the column, or leave it out of `task.features`",
                    d.name,
                    s.len()
                );
            }
            if !ColumnType::of(s.dtype()).is_numeric() {
                let elsewhere = datasets
                    .iter()
                    .filter_map(|o| Some((o, o.series(f).ok()?)))
                    .find(|(_, o)| ColumnType::of(o.dtype()).is_numeric())
                    .map(|(o, c)| format!(" (in dataset `{}` it is {})", o.name, c.dtype()))
                    .unwrap_or_default();
                bail!(
                    "feature `{f}` of dataset `{}` ({file}) is {}{elsewhere}; ONNX models take numeric features — \
                     encode it, or list the model's inputs in `task.features`",
                    d.name,
                    s.dtype()
                );
            }
            if let Some((count, row, kind)) = incomplete(s) {
                bail!(
                    "feature `{f}` of dataset `{}` ({file}) has {count} {kind} value{} (the first in data row {row}); \
                     models get complete, finite inputs only — impute or drop those rows before the gate",
                    d.name,
                    if count == 1 { "" } else { "s" }
                );
            }
        }
    }
    Ok(())
}

/// The first kind of missing or non-finite value in a numeric column: (count, 1-based data row of
/// the first, "null" | "NaN" | "infinite").
fn incomplete(s: &polars::prelude::Series) -> Option<(usize, usize, &'static str)> {
    let first = |mask: Vec<bool>| -> Option<(usize, usize)> {
        let count = mask.iter().filter(|m| **m).count();
        mask.iter().position(|m| *m).map(|i| (count, i + 1))
    };
    if s.null_count() > 0 {
        let mask: Vec<bool> = s.is_null().iter().map(|v| v.unwrap_or(true)).collect();
        return first(mask).map(|(c, r)| (c, r, "null"));
    }
    if !s.dtype().is_float() {
        return None;
    }
    let values: Vec<f64> = s
        .cast(&polars::prelude::DataType::Float64)
        .ok()?
        .f64()
        .ok()?
        .into_no_null_iter()
        .collect();
    if let Some((c, r)) = first(values.iter().map(|v| v.is_nan()).collect()) {
        return Some((c, r, "NaN"));
    }
    first(values.iter().map(|v| v.is_infinite()).collect()).map(|(c, r)| (c, r, "infinite"))
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

/// Every labelled row must have a label: no null (or, for a float column, NaN or infinite) target.
pub(super) fn check_target(datasets: &[Arc<Dataset>], target: &str) -> anyhow::Result<()> {
    for d in datasets {
        let Ok(s) = d.series(target) else { continue };
        if let Some((count, row, kind)) = incomplete(s) {
            bail!(
                "target `{target}` of dataset `{}` ({}) has {count} {kind} label{} (the first in data row {row}); \
                 every row the gate evaluates needs a label — drop the unlabelled rows or fix the data",
                d.name,
                file_of(d),
                if count == 1 { "" } else { "s" }
            );
        }
    }
    Ok(())
}

pub(super) fn file_of(d: &Dataset) -> String {
    d.path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

pub(super) fn sorted_distinct(d: &Dataset, column: &str) -> anyhow::Result<Vec<String>> {
    let s = d.series(column).map_err(|e| anyhow!("{}", e.message))?;
    let mut values: Vec<(Option<f64>, String)> = d
        .value_counts(column, crate::data::MAX_VALUE_COUNTS)
        .map_err(|e| anyhow!("{}", e.message))?
        .into_iter()
        .map(|(v, _)| (v.parse::<f64>().ok(), v))
        .collect();
    // Numeric labels sort numerically (as scikit-learn's classes_ do), text labels lexically.
    if ColumnType::of(s.dtype()).is_numeric() {
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
    fn incomplete_values_are_counted_with_the_first_row() {
        let s = Series::new("x".into(), [Some(1.0), None, Some(f64::NAN), None]);
        assert_eq!(incomplete(&s), Some((2, 2, "null")));
        let s = Series::new("x".into(), [1.0, f64::NAN, f64::INFINITY, f64::NAN]);
        assert_eq!(incomplete(&s), Some((2, 2, "NaN")));
        let s = Series::new("x".into(), [1.0, 2.0, f64::NEG_INFINITY]);
        assert_eq!(incomplete(&s), Some((1, 3, "infinite")));
        assert_eq!(incomplete(&Series::new("x".into(), [1i64, 2])), None);
        assert_eq!(
            incomplete(&Series::new("x".into(), [Some("a"), None])),
            Some((1, 2, "null"))
        );
    }

    #[test]
    fn features_and_targets_must_be_complete_and_the_same_everywhere() {
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
        let e = check_target(&[a.clone(), b.clone()], "y")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("target `y` of dataset `b`")
                && e.contains("1 null label (the first in data row 2)"),
            "{e}"
        );
        let c = Arc::new(Dataset::from_frame(
            "c",
            df!("f" => [Some(1.0), None]).unwrap(),
        ));
        let e = check_features(&[a, c], &features, true)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("feature `f` of dataset `c`") && e.contains("1 null value"),
            "{e}"
        );
    }
}
