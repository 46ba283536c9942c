//! The table API's counts, computed natively by the host: how often each value occurs, and how
//! many rows repeat an earlier one.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use polars::prelude::*;
use polars_arrow::array::Array;
use xxhash_rust::xxh3::Xxh3Builder;

use super::kernels::mix;
use super::{once, CallError, ColumnType, Dataset, MAX_VALUE_COUNTS};

impl Dataset {
    /// Most frequent non-null values (as text), most frequent first, ties by value.
    ///
    /// Rows in memory are counted once per column (the first [`MAX_VALUE_COUNTS`] values, cut
    /// to each caller's limit): a gate's data quality and drift count the same columns.
    pub fn value_counts(&self, column: &str, limit: u32) -> Result<Vec<(String, u64)>, CallError> {
        self.column_type(column)?;
        let limit = limit.min(MAX_VALUE_COUNTS);
        if let Some(b) = self.backend() {
            if !self.shared.on.load(Ordering::Relaxed) {
                return b.value_counts(column, limit);
            }
            let counts = once(&self.shared.counts, (column.to_string(), limit), || {
                b.value_counts(column, limit).map(Arc::new)
            })?;
            return Ok(counts.to_vec());
        }
        let counts = once(
            &self.shared.counts,
            (column.to_string(), MAX_VALUE_COUNTS),
            || self.count_values(column).map(Arc::new),
        )?;
        Ok(counts[..counts.len().min(limit as usize)].to_vec())
    }

    /// The first [`MAX_VALUE_COUNTS`] of [`Dataset::value_counts`], from the rows.
    fn count_values(&self, column: &str) -> Result<Vec<(String, u64)>, CallError> {
        let s = self.series(column)?;
        let mut out: Vec<(String, u64)> = if matches!(
            s.dtype(),
            DataType::Int32 | DataType::Int64 | DataType::UInt32
        ) {
            // Counted as numbers, then written as the cast to text writes them: no text per row.
            let s = s.cast(&DataType::Int64).map_err(CallError::failed)?;
            let mut counts: HashMap<i64, u64, Xxh3Builder> = Default::default();
            for v in s.i64().map_err(CallError::failed)?.iter().flatten() {
                *counts.entry(v).or_default() += 1;
            }
            counts
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect()
        } else {
            let s = s.cast(&DataType::String).map_err(CallError::failed)?;
            count_texts(s.str().map_err(CallError::failed)?)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect()
        };
        out.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out.truncate(MAX_VALUE_COUNTS as usize);
        Ok(out)
    }

    /// Rows equal to an earlier row over `columns` (all when empty), as pandas' `duplicated().sum()`:
    /// null equals null, NaN equals NaN, -0.0 equals 0.0. Each row gets a 128-bit hash of its
    /// values, built column by column (native values, no text rendering); a false match needs a
    /// 128-bit collision.
    pub fn duplicate_rows(&self, columns: &[String]) -> Result<u64, CallError> {
        for c in columns {
            self.column_type(c)?;
        }
        if !self.shared.on.load(Ordering::Relaxed) {
            return self.count_duplicates(columns);
        }
        once(&self.shared.duplicates, columns.to_vec(), || {
            self.count_duplicates(columns)
        })
    }

    fn count_duplicates(&self, columns: &[String]) -> Result<u64, CallError> {
        let names: Vec<String> = if columns.is_empty() {
            self.column_names()
        } else {
            columns.to_vec()
        };
        if let Some(b) = self.backend() {
            return b.duplicate_rows(&names);
        }
        let columns = names
            .iter()
            .map(|n| {
                let s = self.series(n)?;
                Ok(match ColumnType::of(s.dtype()) {
                    ColumnType::Float => RowValues::Float(self.numeric(n)?),
                    ColumnType::Integer | ColumnType::Boolean => RowValues::Integer(
                        s.cast(&DataType::Int64)
                            .map_err(CallError::failed)?
                            .i64()
                            .map_err(CallError::failed)?
                            .clone(),
                    ),
                    _ => RowValues::Text(
                        s.cast(&DataType::String)
                            .map_err(CallError::failed)?
                            .str()
                            .map_err(CallError::failed)?
                            .clone(),
                    ),
                })
            })
            .collect::<Result<Vec<_>, CallError>>()?;
        let rows = self.rows();
        // Each row's key: two 64-bit hashes, the high and low halves.
        let mut keys = vec![0x243f_6a88_85a3_08d3_1319_8a2e_0370_7344u128; rows];
        // Blocks of rows through every column (a block's hashes stay in cache), the two halves
        // of the rows on two threads.
        let hash_rows = |first: usize, hashes: &mut [u128]| {
            for (b, block) in hashes.chunks_mut(DUPLICATE_BLOCK).enumerate() {
                let offset = (first + b * DUPLICATE_BLOCK) as i64;
                for c in &columns {
                    c.absorb(offset, block);
                }
            }
        };
        let half = rows.div_ceil(2 * DUPLICATE_BLOCK) * DUPLICATE_BLOCK;
        if half >= rows {
            hash_rows(0, &mut keys);
        } else {
            std::thread::scope(|s| {
                let (low, high) = keys.split_at_mut(half);
                let low_half = s.spawn(|| hash_rows(0, low));
                hash_rows(half, high);
                low_half
                    .join()
                    .map_err(|_| CallError::failed("hashing rows failed"))
            })?;
        }
        Ok(duplicates_of_keys(&mut keys))
    }
}

/// Rows per block of [`Dataset::duplicate_rows`]' hashing: 256 KiB of keys.
const DUPLICATE_BLOCK: usize = 1 << 14;

/// One column's values for [`Dataset::duplicate_rows`], natively typed.
enum RowValues {
    Float(Float64Chunked),
    Integer(Int64Chunked),
    Text(StringChunked),
}

impl RowValues {
    /// Mixes rows `offset..offset + hashes.len()` of the column into their hashes: a tag (null,
    /// value, NaN, text of a length) and the value's bits.
    fn absorb(&self, offset: i64, hashes: &mut [u128]) {
        fn absorb(h: &mut u128, tag: u64, bits: u64) {
            let (high, low) = ((*h >> 64) as u64, *h as u64);
            let high = mix(mix(high ^ tag) ^ bits);
            let low = mix(mix(low ^ tag.rotate_left(17) ^ 0xa409_3822_299f_31d0)
                ^ bits.rotate_left(29)
                ^ 0x082e_fa98_ec4e_6c89);
            *h = (u128::from(high) << 64) | u128::from(low);
        }
        let float = |x: f64| match x {
            x if x.is_nan() => (2, 0),
            x => (1, (x + 0.0).to_bits()), // -0.0 + 0.0 is 0.0
        };
        let text = |t: &str| {
            (
                3 ^ (t.len() as u64) << 8,
                xxhash_rust::xxh3::xxh3_64(t.as_bytes()),
            )
        };
        let len = hashes.len();
        let mut rows = hashes.iter_mut();
        macro_rules! each {
            ($ca:expr, $of:expr) => {
                for arr in $ca.slice(offset, len).downcast_iter() {
                    if arr.null_count() == 0 {
                        // The chunk's values first: `zip` takes no row past its end.
                        for (v, h) in arr.values_iter().zip(rows.by_ref()) {
                            let (tag, bits) = $of(v);
                            absorb(h, tag, bits);
                        }
                    } else {
                        for (v, h) in arr.iter().zip(rows.by_ref()) {
                            let (tag, bits) = v.map_or((0, 0), $of);
                            absorb(h, tag, bits);
                        }
                    }
                }
            };
        }
        match self {
            RowValues::Float(ca) => each!(ca, |x: &f64| float(*x)),
            RowValues::Integer(ca) => each!(ca, |x: &i64| (1, *x as u64)),
            RowValues::Text(ca) => each!(ca, text),
        }
    }
}

/// How many of the keys equal another one before them in sorted order; sorted in two halves
/// on two threads when there are many.
fn duplicates_of_keys(keys: &mut [u128]) -> u64 {
    if keys.len() >= 1 << 16 {
        // Every key of the lower half is <= every key of the upper one: sorted apart, they
        // make one sorted run.
        let middle = keys.len() / 2;
        keys.select_nth_unstable(middle);
        let (low, high) = keys.split_at_mut(middle);
        std::thread::scope(|s| {
            s.spawn(|| low.sort_unstable());
            high.sort_unstable();
        });
    } else {
        keys.sort_unstable();
    }
    keys.windows(2).filter(|w| w[0] == w[1]).count() as u64
}

/// How often each non-null text occurs. A text of at most 12 bytes sits inside its 16-byte view,
/// so such rows are counted by view (one `u128`, no bytes compared) and their texts looked up
/// once per distinct view; views of one text that differ in their padding are added up there.
fn count_texts(ca: &StringChunked) -> HashMap<&str, u64, Xxh3Builder> {
    const INLINE: u32 = 12;
    let mut by_view: HashMap<u128, (u64, &str), Xxh3Builder> = Default::default();
    let mut counts: HashMap<&str, u64, Xxh3Builder> = Default::default();
    for arr in ca.downcast_iter() {
        let validity = arr.validity();
        for (i, view) in arr.views().iter().enumerate() {
            if validity.is_some_and(|b| !b.get_bit(i)) {
                continue;
            }
            if view.length <= INLINE {
                by_view
                    .entry(view.as_u128())
                    .or_insert_with(|| (0, arr.value(i)))
                    .0 += 1;
            } else {
                *counts.entry(arr.value(i)).or_default() += 1;
            }
        }
    }
    for (n, text) in by_view.into_values() {
        *counts.entry(text).or_default() += n;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::tests::ds;
    use crate::data::CallErrorKind;

    #[test]
    fn texts_are_counted_by_view_and_by_bytes_alike() {
        let words = [
            "a",
            "",
            "twelve bytes",
            "thirteen byte",
            "a",
            "a much longer text than that",
        ];
        let mut ca = StringChunked::new("s".into(), words.map(Some));
        // A second chunk, with nulls: the same texts in other buffers.
        ca.append(&StringChunked::new(
            "s".into(),
            [None, Some("a"), Some("thirteen byte"), None, Some("")],
        ))
        .unwrap();
        assert_eq!(ca.chunks().len(), 2);
        let mut expected: Vec<(&str, u64)> = Vec::new();
        for v in ca.iter().flatten() {
            match expected.iter_mut().find(|(k, _)| *k == v) {
                Some((_, n)) => *n += 1,
                None => expected.push((v, 1)),
            }
        }
        let mut counted: Vec<(&str, u64)> = count_texts(&ca).into_iter().collect();
        counted.sort_unstable();
        expected.sort_unstable();
        assert_eq!(counted, expected);
    }

    #[test]
    fn duplicate_rows_count_later_occurrences_like_pandas() {
        let df = df!(
            "a" => [Some(1i64), Some(1), None, None, Some(2), Some(1)],
            "b" => [Some("x"), Some("x"), None, None, Some("x"), Some("y")],
        )
        .unwrap();
        let d = Dataset::from_frame("t", df);
        // pandas: DataFrame({"a": [1, 1, None, None, 2, 1], "b": [...]}).duplicated().sum() == 2
        assert_eq!(d.duplicate_rows(&[]).unwrap(), 2);
        assert_eq!(d.duplicate_rows(&["a".to_string()]).unwrap(), 3);
        assert_eq!(
            d.duplicate_rows(&["nope".to_string()]).unwrap_err().kind,
            CallErrorKind::NoSuchColumn
        );
        // pandas: DataFrame({"f": [0.0, -0.0, nan, nan, None, 1.5], "s": ["", "", "a", "a", None, None]})
        // .duplicated().sum() == 2 (-0.0 == 0.0, NaN == NaN); a null is neither 0, NaN nor "".
        let df = df!(
            "f" => [Some(0.0f64), Some(-0.0), Some(f64::NAN), Some(f64::NAN), None, Some(1.5)],
            "s" => [Some(""), Some(""), Some("a"), Some("a"), None, None],
        )
        .unwrap();
        let d = Dataset::from_frame("t", df);
        assert_eq!(d.duplicate_rows(&[]).unwrap(), 2);
        assert_eq!(d.duplicate_rows(&["s".to_string()]).unwrap(), 3);
        // Equal text in different columns is not an equal row: ("ab", "c") vs ("a", "bc").
        let df = df!("x" => ["ab", "a"], "y" => ["c", "bc"]).unwrap();
        assert_eq!(Dataset::from_frame("t", df).duplicate_rows(&[]).unwrap(), 0);
    }

    #[test]
    fn duplicate_rows_of_many_blocks_and_chunks_equal_a_set_of_rows() {
        // Three blocks of rows, split over both threads, in two chunks of different lengths,
        // with nulls, NaN and -0.0; counted against a set of the rows' values.
        let n = 2 * DUPLICATE_BLOCK + 5_000;
        let f = |i: usize| match i % 11 {
            0 => None,
            1 => Some(f64::NAN),
            2 => Some(-0.0),
            3 => Some(0.0),
            _ => Some((i % 97) as f64 / 4.0),
        };
        let k = |i: usize| (!i.is_multiple_of(5)).then_some((i % 13) as i64);
        let t = |i: usize| (!i.is_multiple_of(7)).then(|| format!("text-{}", i % 3));
        let part = |rows: std::ops::Range<usize>| {
            df!(
                "f" => rows.clone().map(f).collect::<Vec<_>>(),
                "k" => rows.clone().map(k).collect::<Vec<_>>(),
                "t" => rows.map(t).collect::<Vec<_>>(),
            )
            .unwrap()
        };
        let mut df = part(0..10_007);
        df.vstack_mut(&part(10_007..n)).unwrap();
        assert_eq!(df.columns()[0].as_materialized_series().n_chunks(), 2);
        let d = Dataset::from_frame("t", df);
        let key = |i: usize| {
            let f = f(i).map(|x| {
                if x.is_nan() {
                    u64::MAX
                } else {
                    (x + 0.0).to_bits()
                }
            });
            (f, k(i), t(i))
        };
        let distinct = (0..n).map(key).collect::<std::collections::HashSet<_>>();
        assert_eq!(d.duplicate_rows(&[]).unwrap(), (n - distinct.len()) as u64);
        let distinct = (0..n).map(t).collect::<std::collections::HashSet<_>>();
        assert_eq!(
            d.duplicate_rows(&["t".to_string()]).unwrap(),
            (n - distinct.len()) as u64
        );
    }

    #[test]
    fn duplicate_keys_sorted_in_halves_count_like_one_sort() {
        let mut state = 7u64;
        let mut keys: Vec<u128> = (0..100_000)
            .map(|_| {
                state = mix(state);
                u128::from(state % 60_000) << 100 // many equal keys, some across the middle
            })
            .collect();
        let mut one = keys.clone();
        one.sort_unstable();
        let expected = one.windows(2).filter(|w| w[0] == w[1]).count() as u64;
        assert_eq!(duplicates_of_keys(&mut keys), expected);
        assert_eq!(keys, one);
    }

    #[test]
    fn value_counts_sorted_by_count_then_value() {
        let vc = ds().value_counts("s", 2).unwrap();
        assert_eq!(vc, vec![("a".to_string(), 3), ("b".to_string(), 1)]);
        // Integers are counted as numbers and written as the cast to text writes them; each
        // limit cuts the same list.
        let ints = [
            Some(-3i64),
            Some(10),
            None,
            Some(-3),
            Some(7),
            Some(10),
            Some(i64::MIN),
            Some(7),
        ];
        let big = [
            Some(u64::MAX),
            Some(1),
            Some(u64::MAX),
            None,
            Some(0),
            Some(1),
            Some(1),
            Some(5),
        ];
        let d = Dataset::from_frame(
            "t",
            df!("i" => ints, "u" => big, "i32" => ints.map(|v| v.map(|v| v as i32))).unwrap(),
        );
        for column in ["i", "u", "i32"] {
            let text = d.series(column).unwrap().cast(&DataType::String).unwrap();
            let mut expected: Vec<(String, u64)> = Vec::new();
            for v in text.str().unwrap().iter().flatten() {
                match expected.iter_mut().find(|(k, _)| k == v) {
                    Some((_, n)) => *n += 1,
                    None => expected.push((v.to_string(), 1)),
                }
            }
            expected.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            for limit in [1, 3, 100] {
                let cut = &expected[..expected.len().min(limit as usize)];
                assert_eq!(
                    d.value_counts(column, limit).unwrap(),
                    cut,
                    "{column} {limit}"
                );
            }
        }
    }
}
