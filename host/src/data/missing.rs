//! Missing values: null, NaN or infinite. Which rows have them, and views of a dataset without
//! them (`task.missing_features = "drop"`).

use polars::prelude::*;

use super::{CallError, Dataset};

/// The first kind of missing or non-finite value in a numeric column: (count, 1-based data row of
/// the first, "null" | "NaN" | "infinite").
pub fn incomplete(s: &Series) -> Option<(usize, usize, &'static str)> {
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
        .cast(&DataType::Float64)
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

/// Per row: whether the value is present and finite (nulls, NaN and ±inf are not).
pub fn present(s: &Series) -> Vec<bool> {
    let mut keep: Vec<bool> = s.is_not_null().iter().map(|v| v.unwrap_or(false)).collect();
    if s.dtype().is_float() {
        if let Ok(f) = s.cast(&DataType::Float64) {
            if let Ok(ca) = f.f64() {
                for (k, v) in keep.iter_mut().zip(ca.iter()) {
                    *k &= v.is_some_and(f64::is_finite);
                }
            }
        }
    }
    keep
}

impl Dataset {
    /// Per row: whether every one of `columns` that the dataset has is present and finite.
    pub fn complete_rows(&self, columns: &[String]) -> Vec<bool> {
        let mut keep = vec![true; self.rows()];
        for c in columns {
            if let Ok(s) = self.series(c) {
                for (k, p) in keep.iter_mut().zip(present(s)) {
                    *k &= p;
                }
            }
        }
        keep
    }

    /// The rows where `keep` is true, as a dataset of the same name, file and digest, marked as
    /// the view `view` (so that what is computed on it is never mistaken for the whole dataset's).
    pub fn view(&self, keep: &[bool], view: &str) -> Result<Dataset, CallError> {
        let mask = BooleanChunked::from_slice("keep".into(), keep);
        let df = self.frame()?.filter(&mask).map_err(CallError::failed)?;
        let mut d = Dataset::from_frame(self.name.clone(), df);
        d.path.clone_from(&self.path);
        d.sha256.clone_from(&self.sha256);
        d.view = Some(view.to_string());
        Ok(d)
    }

    /// The rows `rows` (ascending row numbers) as a dataset named `name`, with this dataset's file
    /// and digest, marked as the view `view` (`monitor`: one window of the log). Consecutive rows
    /// are a slice of the same buffers, not a copy.
    pub fn rows_view(
        &self,
        rows: &[IdxSize],
        name: &str,
        view: &str,
    ) -> Result<Dataset, CallError> {
        let frame = self.frame()?;
        let contiguous = rows
            .first()
            .zip(rows.last())
            .is_some_and(|(a, b)| (b - a) as usize + 1 == rows.len());
        let df = if contiguous {
            frame.slice(i64::from(rows[0]), rows.len())
        } else {
            frame
                .take(&IdxCa::from_vec("rows".into(), rows.to_vec()))
                .map_err(CallError::failed)?
        };
        let mut d = Dataset::from_frame(name.to_string(), df);
        d.path.clone_from(&self.path);
        d.sha256.clone_from(&self.sha256);
        d.view = Some(view.to_string());
        Ok(d)
    }

    /// A key naming this dataset, or this view of it, for caches of what is computed on it.
    pub fn cache_key(&self) -> String {
        match &self.view {
            Some(v) => format!("{}#{v}", self.name),
            None => self.name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn views_keep_complete_rows_under_their_own_cache_key() {
        let d = crate::data::tests::ds();
        let keep = d.complete_rows(&["x".into(), "s".into(), "nope".into()]);
        assert_eq!(keep, [true, true, false, false, true, false]);
        let v = d.view(&keep, "complete").unwrap();
        assert_eq!(
            (v.rows(), v.name.as_str(), v.cache_key().as_str()),
            (3, "t", "t#complete")
        );
        assert_eq!(d.cache_key(), "t");
        let w = d.rows_view(&[1, 2], "current", "window 1").unwrap();
        assert_eq!((w.rows(), w.cache_key().as_str()), (2, "current#window 1"));
        let w = d.rows_view(&[0, 2], "current", "window 2").unwrap();
        assert_eq!(w.rows(), 2);
        assert_eq!(
            present(&Series::new("i".into(), [Some(1i64), None])),
            [true, false]
        );
    }
}
