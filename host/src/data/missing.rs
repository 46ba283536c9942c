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
    let mut keep = Vec::with_capacity(s.len());
    match s.dtype() {
        DataType::Float64 => push_finite(&mut keep, s.f64().expect("a float64 column")),
        DataType::Float32 => push_finite(&mut keep, s.f32().expect("a float32 column")),
        dtype if dtype.is_float() => {
            keep.extend(s.is_not_null().iter().map(|v| v.unwrap_or(false)));
            if let Ok(f) = s.cast(&DataType::Float64) {
                if let Ok(ca) = f.f64() {
                    for (k, v) in keep.iter_mut().zip(ca.iter()) {
                        *k &= v.is_some_and(f64::is_finite);
                    }
                }
            }
        }
        _ if s.null_count() == 0 => keep.resize(s.len(), true),
        _ => {
            for a in s.is_not_null().downcast_iter() {
                keep.extend(a.values().iter());
            }
        }
    }
    keep
}

/// A float that can say whether it is finite.
trait Finite: Copy {
    fn finite(self) -> bool;
}

impl Finite for f32 {
    fn finite(self) -> bool {
        self.is_finite()
    }
}

impl Finite for f64 {
    fn finite(self) -> bool {
        self.is_finite()
    }
}

/// Appends, per value of `ca`, whether it is present and finite: chunk by chunk, from the value
/// slices (a chunk without nulls reads no validity).
fn push_finite<T>(keep: &mut Vec<bool>, ca: &ChunkedArray<T>)
where
    T: PolarsNumericType,
    T::Native: Finite,
{
    for a in ca.downcast_iter() {
        let values = a.values().as_slice();
        match a.validity().filter(|v| v.unset_bits() > 0) {
            None => keep.extend(values.iter().map(|v| v.finite())),
            Some(valid) => keep.extend(
                values
                    .iter()
                    .zip(valid.iter())
                    .map(|(v, ok)| ok && v.finite()),
            ),
        }
    }
}

/// Whether every value of `ca` is present and finite.
fn all_finite<T>(ca: &ChunkedArray<T>) -> bool
where
    T: PolarsNumericType,
    T::Native: Finite,
{
    ca.null_count() == 0
        && ca.downcast_iter().all(|a| {
            // A fold, not `all`: no early exit, so the compiler vectorises it.
            a.values().iter().fold(true, |all, v| all & v.finite())
        })
}

impl Dataset {
    /// Per row: whether every one of `columns` that the dataset has is present and finite.
    pub fn complete_rows(&self, columns: &[String]) -> Vec<bool> {
        let mut keep = vec![true; self.rows()];
        if self.is_complete(columns) {
            return keep;
        }
        for c in columns {
            if let Ok(s) = self.series(c) {
                for (k, p) in keep.iter_mut().zip(present(s)) {
                    *k &= p;
                }
            }
        }
        keep
    }

    /// Whether every row is complete in `columns` ([`Dataset::complete_rows`] all true), without
    /// a flag per row: one pass over each column's values, none for a column without nulls that
    /// cannot hold NaN.
    pub fn is_complete(&self, columns: &[String]) -> bool {
        columns.iter().all(|c| match self.series(c) {
            Err(_) => true,
            Ok(s) => match s.dtype() {
                DataType::Float64 => all_finite(s.f64().expect("a float64 column")),
                DataType::Float32 => all_finite(s.f32().expect("a float32 column")),
                dtype if dtype.is_float() => present(s).iter().all(|k| *k),
                _ => s.null_count() == 0,
            },
        })
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

    /// Columns of two chunks (nulls in one, NaN and infinities in both): `present` and
    /// `is_complete` agree with a row-by-row reading of the values.
    #[test]
    fn present_and_is_complete_read_every_chunk() {
        fn two_chunks(mut a: Series, b: Series) -> Series {
            a.append(&b).unwrap();
            assert_eq!(a.n_chunks(), 2);
            a
        }
        let f64s = two_chunks(
            Series::new("a".into(), [Some(1.0), None, Some(f64::NAN)]),
            Series::new(
                "a".into(),
                [Some(2.0), Some(f64::INFINITY), Some(3.0), Some(4.0)],
            ),
        );
        let f32s = two_chunks(
            Series::new("b".into(), [1.0f32, 2.0, 3.0]),
            Series::new(
                "b".into(),
                [Some(f32::NEG_INFINITY), None, Some(5.0), Some(6.0)],
            ),
        );
        let ints = two_chunks(
            Series::new("c".into(), [Some(1i64), Some(2), None]),
            Series::new("c".into(), [4i64, 5, 6, 7]),
        );
        let clean = two_chunks(
            Series::new("d".into(), [1.0, 2.0, 3.0]),
            Series::new("d".into(), [4.0, 5.0, 6.0, 7.0]),
        );
        for s in [&f64s, &f32s, &ints, &clean] {
            let expected: Vec<bool> = (0..s.len())
                .map(|i| match s.get(i).unwrap() {
                    AnyValue::Null => false,
                    v => v.extract::<f64>().is_some_and(f64::is_finite),
                })
                .collect();
            assert_eq!(present(s), expected, "{}", s.name());
            let d = Dataset::from_frame(
                "t",
                DataFrame::new_infer_height(vec![s.clone().into()]).unwrap(),
            );
            let name = vec![s.name().to_string()];
            assert_eq!(
                d.is_complete(&name),
                expected.iter().all(|k| *k),
                "{}",
                s.name()
            );
            assert_eq!(d.complete_rows(&name), expected, "{}", s.name());
        }
        assert_eq!(
            present(&f64s),
            [true, false, false, true, false, true, true]
        );
        let d = Dataset::from_frame(
            "t",
            DataFrame::new_infer_height(vec![clean.into(), ints.into()]).unwrap(),
        );
        assert!(d.is_complete(&["d".into(), "nope".into()]));
        assert!(!d.is_complete(&["d".into(), "c".into()]));
    }
}
