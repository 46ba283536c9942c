//! Grouped moments (the table API's `grouped-moments`): per distinct value of a grouping
//! column, the count, means and centered co-moments of numeric columns, computed natively so
//! that an A/B test of 10M units moves no rows into the sandbox.
//!
//! Summation, documented because checks compare the results with numpy and scipy: two passes
//! over the rows in row order. The first sums each column per group, the second sums the
//! products of the centered values `(x − mean x)(y − mean y)`; every sum is a Neumaier
//! (compensated Kahan) sum, whose error is a few units in the last place of the result
//! whatever the number of rows, so the means and variances agree with numpy's (pairwise) ones
//! to ~1e-15 relative. Centering before multiplying avoids the cancellation of the textbook
//! `Σx² − n·mean²`.

use std::sync::Arc;

use polars::prelude::*;
use polars_arrow::array::{Array, Utf8ViewArray};
use polars_arrow::bitmap::Bitmap;

use super::{once, CallError, CallErrorKind, ColumnType, Dataset};

/// Most columns one `grouped-moments` call may ask for.
pub const MAX_MOMENT_COLUMNS: usize = 16;
/// Most groups one `grouped-moments` call may return.
pub const MAX_GROUPS: usize = 1_000;

/// The moments of one group (see the WIT `group-moments`).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupMoments {
    /// The group's key rendered as text (`None` for nulls).
    pub key: Option<String>,
    /// Rows in the group.
    pub rows: u64,
    /// Per column, its nulls in the group.
    pub nulls: Vec<u64>,
    /// Per column, its NaN and ±inf values in the group.
    pub non_finite: Vec<u64>,
    /// Rows where every column is finite.
    pub n: u64,
    /// Per column, its mean over those rows (NaN when `n` is 0).
    pub means: Vec<f64>,
    /// Centered co-moments of every pair (i ≤ j), row-major upper triangle.
    pub comoments: Vec<f64>,
}

/// A Neumaier-compensated sum.
#[derive(Debug, Clone, Copy, Default)]
struct Sum {
    sum: f64,
    compensation: f64,
}

impl Sum {
    #[inline]
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        self.compensation += if self.sum.abs() >= x.abs() {
            (self.sum - t) + x
        } else {
            (x - t) + self.sum
        };
        self.sum = t;
    }

    fn value(self) -> f64 {
        self.sum + self.compensation
    }
}

/// Each row's group and the groups' keys, for one grouping column.
#[derive(Debug)]
pub(super) struct Groups {
    /// Per row, the index of its group in `keys` (below [`MAX_GROUPS`], so 16 bits).
    codes: Vec<u16>,
    /// Each group's key rendered as text (`None` for nulls), in order of first appearance.
    keys: Vec<Option<String>>,
}

/// Finds the index of `key` in `keys`, adding it if new (at most [`MAX_GROUPS`]).
fn code_of<K: PartialEq>(keys: &mut Vec<K>, last: &mut usize, key: K) -> Result<u16, CallError> {
    if keys.get(*last) == Some(&key) {
        return Ok(*last as u16);
    }
    let i = match keys.iter().position(|k| *k == key) {
        Some(i) => i,
        None => {
            if keys.len() == MAX_GROUPS {
                return Err(CallError::invalid(format!(
                    "the grouping column has more than {MAX_GROUPS} distinct values"
                )));
            }
            keys.push(key);
            keys.len() - 1
        }
    };
    *last = i;
    Ok(i as u16)
}

/// Codes every value of one Arrow text array, appending to `codes`. A value of at most 12
/// bytes sits inside its 16-byte view, so equal views are equal values: a short key (an arm
/// name) is found by comparing one `u128` instead of its bytes. A view not seen before falls
/// back to the text, so views that differ only in padding still get the same group.
fn code_text(
    arr: &Utf8ViewArray,
    keys: &mut Vec<Option<String>>,
    inline: &mut Vec<(u128, u16)>,
    codes: &mut Vec<u16>,
) -> Result<(), CallError> {
    const INLINE: u32 = 12;
    let mut last = 0usize;
    let validity = arr.validity();
    for (i, view) in arr.views().iter().enumerate() {
        if validity.is_some_and(|b| !b.get_bit(i)) {
            codes.push(code_of(keys, &mut last, None)?);
            continue;
        }
        let bits = view.as_u128();
        if view.length <= INLINE {
            if let Some(&(_, code)) = inline.iter().find(|(b, _)| *b == bits) {
                codes.push(code);
                continue;
            }
        }
        let value = arr.value(i);
        let code = match keys.iter().position(|k| k.as_deref() == Some(value)) {
            Some(code) => code as u16,
            None => code_of(keys, &mut last, Some(value.to_string()))?,
        };
        if view.length <= INLINE && inline.len() < MAX_GROUPS {
            inline.push((bits, code));
        }
        codes.push(code);
    }
    Ok(())
}

/// One numeric column of a `grouped-moments` call: its values and validity, in one piece.
struct Values<'a> {
    values: &'a [f64],
    validity: Option<&'a Bitmap>,
}

impl Values<'_> {
    /// Row `i`: `Ok(value)` if finite, else whether it is null (`Err(true)`) or NaN/±inf.
    #[inline(always)]
    fn get(&self, i: usize) -> Result<f64, bool> {
        if self.validity.is_some_and(|b| !b.get_bit(i)) {
            return Err(true);
        }
        let x = self.values[i];
        if x.is_finite() {
            Ok(x)
        } else {
            Err(false)
        }
    }
}

impl Dataset {
    /// Per row, the index of its group, and each group's key as text (`None` for nulls);
    /// computed once per column.
    fn groups(&self, column: &str) -> Result<Arc<Groups>, CallError> {
        self.series(column)?;
        once(&self.groups_cache, column.to_string(), || {
            self.group_codes(column)
                .map(Arc::new)
                .map_err(|e| CallError {
                    message: format!(
                        "column `{column}` of dataset `{}`: {}",
                        self.name, e.message
                    ),
                    ..e
                })
        })
    }

    fn group_codes(&self, column: &str) -> Result<Groups, CallError> {
        let s = self.series(column)?;
        let mut codes = Vec::with_capacity(s.len());
        let mut last = 0usize;
        let keys = match ColumnType::of(s.dtype()) {
            ColumnType::Integer => {
                let s = s.cast(&DataType::Int64).map_err(CallError::failed)?;
                let mut keys: Vec<Option<i64>> = Vec::new();
                for v in s.i64().map_err(CallError::failed)?.iter() {
                    codes.push(code_of(&mut keys, &mut last, v)?);
                }
                keys.into_iter().map(|k| k.map(|k| k.to_string())).collect()
            }
            ColumnType::Boolean => {
                let mut keys: Vec<Option<bool>> = Vec::new();
                for v in s.bool().map_err(CallError::failed)?.iter() {
                    codes.push(code_of(&mut keys, &mut last, v)?);
                }
                keys.into_iter().map(|k| k.map(|k| k.to_string())).collect()
            }
            _ => {
                let s = s.cast(&DataType::String).map_err(|e| {
                    CallError::new(
                        CallErrorKind::UnsupportedType,
                        format!("it cannot be read as text: {e}"),
                    )
                })?;
                let mut keys = Vec::new();
                let mut inline = Vec::new();
                for arr in s.str().map_err(CallError::failed)?.downcast_iter() {
                    code_text(arr, &mut keys, &mut inline, &mut codes)?;
                }
                keys
            }
        };
        Ok(Groups { codes, keys })
    }

    /// The table API's `grouped-moments` (see the module docs for the summation).
    pub fn grouped_moments(
        &self,
        group_column: &str,
        columns: &[String],
    ) -> Result<Vec<GroupMoments>, CallError> {
        if columns.is_empty() || columns.len() > MAX_MOMENT_COLUMNS {
            return Err(CallError::invalid(format!(
                "grouped-moments takes 1 to {MAX_MOMENT_COLUMNS} columns, got {}",
                columns.len()
            )));
        }
        // Each column as one contiguous slice of values and its validity bitmap.
        let values: Vec<Float64Chunked> = columns
            .iter()
            .map(|c| Ok(self.numeric(c)?.rechunk().into_owned()))
            .collect::<Result<_, CallError>>()?;
        let groups = self.groups(group_column)?;
        let cols: Vec<Values> = values
            .iter()
            .map(|ca| match ca.downcast_iter().next() {
                Some(arr) => Values {
                    values: arr.values().as_slice(),
                    validity: arr.validity(),
                },
                None => Values {
                    values: &[],
                    validity: None,
                },
            })
            .collect();
        let k = columns.len();
        let pairs = k * (k + 1) / 2;
        let g_count = groups.keys.len();
        let mut rows = vec![0u64; g_count];
        let mut n = vec![0u64; g_count];
        let mut nulls = vec![0u64; g_count * k];
        let mut non_finite = vec![0u64; g_count * k];
        let mut sums = vec![Sum::default(); g_count * k];
        // Pass 1: counts and sums; rows with a null or non-finite value are left out of the
        // moments (their group becomes `SKIP`, so the second pass need not look again).
        const SKIP: u16 = u16::MAX;
        let mut complete = Vec::with_capacity(groups.codes.len());
        let mut row = vec![0.0f64; k];
        for (i, &g) in groups.codes.iter().enumerate() {
            let g = g as usize;
            rows[g] += 1;
            let mut ok = true;
            for (j, col) in cols.iter().enumerate() {
                match col.get(i) {
                    Ok(x) => row[j] = x,
                    Err(null) => {
                        ok = false;
                        if null {
                            nulls[g * k + j] += 1;
                        } else {
                            non_finite[g * k + j] += 1;
                        }
                    }
                }
            }
            if ok {
                n[g] += 1;
                for (s, &x) in sums[g * k..(g + 1) * k].iter_mut().zip(&row) {
                    s.add(x);
                }
            }
            complete.push(if ok { g as u16 } else { SKIP });
        }
        let means: Vec<f64> = (0..g_count * k)
            .map(|gj| sums[gj].value() / n[gj / k] as f64)
            .collect();
        // Pass 2: the centered co-moments over the complete rows.
        let mut comoments = vec![Sum::default(); g_count * pairs];
        let mut centered = vec![0.0f64; k];
        for (i, &g) in complete.iter().enumerate() {
            if g == SKIP {
                continue;
            }
            let g = g as usize;
            for (j, col) in cols.iter().enumerate() {
                centered[j] = col.values[i] - means[g * k + j];
            }
            let mut p = g * pairs;
            for a in 0..k {
                for b in a..k {
                    comoments[p].add(centered[a] * centered[b]);
                    p += 1;
                }
            }
        }
        let mut out: Vec<GroupMoments> = groups
            .keys
            .iter()
            .enumerate()
            .map(|(g, key)| GroupMoments {
                key: key.clone(),
                rows: rows[g],
                nulls: nulls[g * k..(g + 1) * k].to_vec(),
                non_finite: non_finite[g * k..(g + 1) * k].to_vec(),
                n: n[g],
                means: means[g * k..(g + 1) * k].to_vec(),
                comoments: comoments[g * pairs..(g + 1) * pairs]
                    .iter()
                    .map(|s| s.value())
                    .collect(),
            })
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(df: DataFrame) -> Dataset {
        Dataset::from_frame("units", df)
    }

    /// numpy: np.mean, and np.cov(..., ddof=0) * n for the co-moments.
    fn direct(x: &[f64], y: &[f64]) -> (f64, f64, f64, f64, f64) {
        let n = x.len() as f64;
        let mx = x.iter().sum::<f64>() / n;
        let my = y.iter().sum::<f64>() / n;
        let c = |a: &[f64], ma: f64, b: &[f64], mb: f64| {
            a.iter()
                .zip(b)
                .map(|(a, b)| (a - ma) * (b - mb))
                .sum::<f64>()
        };
        (mx, my, c(x, mx, x, mx), c(x, mx, y, my), c(y, my, y, my))
    }

    #[test]
    fn moments_per_group_match_a_direct_computation() {
        let arm = ["b", "a", "a", "b", "a", "b", "a"];
        let x = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];
        let y = [0.5, 1.5, -2.0, 3.0, 0.25, 7.0, 1.0];
        let d = dataset(df!("arm" => arm, "x" => x, "y" => y).unwrap());
        let m = d.grouped_moments("arm", &["x".into(), "y".into()]).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].key.as_deref(), Some("a"), "sorted by key");
        for g in &m {
            let idx: Vec<usize> = (0..arm.len())
                .filter(|&i| Some(arm[i]) == g.key.as_deref())
                .collect();
            let gx: Vec<f64> = idx.iter().map(|&i| x[i]).collect();
            let gy: Vec<f64> = idx.iter().map(|&i| y[i]).collect();
            let (mx, my, cxx, cxy, cyy) = direct(&gx, &gy);
            assert_eq!(g.rows, idx.len() as u64);
            assert_eq!(g.n, idx.len() as u64);
            assert_eq!(
                (g.nulls.clone(), g.non_finite.clone()),
                (vec![0, 0], vec![0, 0])
            );
            for (got, want) in g.means.iter().zip([mx, my]) {
                assert!((got - want).abs() <= 1e-15 * want.abs(), "{got} {want}");
            }
            for (got, want) in g.comoments.iter().zip([cxx, cxy, cyy]) {
                assert!((got - want).abs() <= 1e-13 * want.abs(), "{got} {want}");
            }
        }
    }

    #[test]
    fn incomplete_rows_are_counted_and_left_out() {
        let d = dataset(
            df!(
                "arm" => [Some(1i64), Some(1), Some(2), None, Some(2), Some(1)],
                "x" => [Some(1.0), None, Some(f64::NAN), Some(3.0), Some(5.0), Some(2.0)],
                "b" => [true, false, true, true, false, true],
            )
            .unwrap(),
        );
        let m = d.grouped_moments("arm", &["x".into(), "b".into()]).unwrap();
        let keys: Vec<Option<&str>> = m.iter().map(|g| g.key.as_deref()).collect();
        assert_eq!(keys, [None, Some("1"), Some("2")], "null group first");
        let one = &m[1];
        assert_eq!((one.rows, one.n), (3, 2));
        assert_eq!(one.nulls, [1, 0]);
        assert_eq!(one.means, [1.5, 1.0]);
        assert_eq!(one.comoments, [0.5, 0.0, 0.0]);
        let two = &m[2];
        assert_eq!(
            (two.rows, two.n, two.non_finite.clone()),
            (2, 1, vec![1, 0])
        );
        assert_eq!(two.means, [5.0, 0.0]);
        let bools = d.grouped_moments("b", &["x".into()]).unwrap();
        let keys: Vec<Option<&str>> = bools.iter().map(|g| g.key.as_deref()).collect();
        assert_eq!(
            keys,
            [Some("false"), Some("true")],
            "booleans as read-utf8 renders them"
        );
    }

    #[test]
    fn compensated_sums_keep_the_digits_of_large_offsets() {
        // 1e9 + small noise: the textbook Σx² − n·mean² would lose every digit of the variance.
        let n = 100_000;
        let x: Vec<f64> = (0..n)
            .map(|i| 1e9 + ((i * 7919) % 1000) as f64 * 1e-3)
            .collect();
        let arm: Vec<&str> = (0..n).map(|_| "a").collect();
        let d = dataset(df!("arm" => arm, "x" => x.clone()).unwrap());
        let m = d.grouped_moments("arm", &["x".into()]).unwrap();
        let offsets: Vec<f64> = x.iter().map(|v| v - 1e9).collect();
        let mean_offset = offsets.iter().sum::<f64>() / n as f64;
        let m2: f64 = offsets.iter().map(|v| (v - mean_offset).powi(2)).sum();
        assert!((m[0].means[0] - (1e9 + mean_offset)).abs() < 1e-6);
        assert!(
            (m[0].comoments[0] - m2).abs() <= 1e-6 * m2,
            "{} {m2}",
            m[0].comoments[0]
        );
    }

    #[test]
    fn text_keys_short_long_and_null_across_chunks_are_grouped_once() {
        // Keys of at most 12 bytes are matched by their views, longer ones by their bytes.
        let long = "a-much-longer-arm-name";
        let first =
            df!("arm" => [Some("b"), Some(long), None, Some("b")], "x" => [1.0, 2.0, 3.0, 4.0])
                .unwrap();
        let second = df!("arm" => [Some(long), Some("twelve-bytes"), Some("b"), None], "x" => [5.0, 6.0, 7.0, 8.0]).unwrap();
        let mut df = first.vstack(&second).unwrap();
        assert_eq!(df.first_col_n_chunks(), 2, "two chunks");
        let d = dataset(std::mem::take(&mut df));
        let m = d.grouped_moments("arm", &["x".into()]).unwrap();
        let got: Vec<(Option<&str>, u64, f64)> = m
            .iter()
            .map(|g| (g.key.as_deref(), g.rows, g.means[0]))
            .collect();
        assert_eq!(
            got,
            [
                (None, 2, 5.5),
                (Some(long), 2, 3.5),
                (Some("b"), 3, 4.0),
                (Some("twelve-bytes"), 1, 6.0)
            ]
        );
        let again = d.groups("arm").unwrap();
        assert!(
            Arc::ptr_eq(&again, &d.groups("arm").unwrap()),
            "computed once"
        );
        assert_eq!(again.codes, [0, 1, 2, 0, 1, 3, 0, 2]);
    }

    #[test]
    fn bad_calls_are_refused() {
        let d = dataset(df!("arm" => ["a", "b"], "s" => ["x", "y"], "x" => [1.0, 2.0]).unwrap());
        let e = d.grouped_moments("arm", &["s".into()]).unwrap_err();
        assert_eq!(e.kind, CallErrorKind::UnsupportedType);
        let e = d.grouped_moments("arm", &[]).unwrap_err();
        assert_eq!(e.kind, CallErrorKind::InvalidArgument);
        let e = d.grouped_moments("nope", &["x".into()]).unwrap_err();
        assert_eq!(e.kind, CallErrorKind::NoSuchColumn);
        let many: Vec<String> = (0..=MAX_GROUPS).map(|i| i.to_string()).collect();
        let x: Vec<f64> = (0..=MAX_GROUPS).map(|i| i as f64).collect();
        let d = dataset(df!("id" => many, "x" => x).unwrap());
        let e = d.grouped_moments("id", &["x".into()]).unwrap_err();
        assert!(
            e.message.contains("more than 1000 distinct values"),
            "{}",
            e.message
        );
        assert!(e.message.contains("column `id`"), "{}", e.message);
    }
}
