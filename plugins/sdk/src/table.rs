//! Reading the host's tables: whole columns, read in bounded chunks, with nulls decoded.
//!
//! The host serves columns in chunks of at most 1,048,576 rows ([`MAX_CHUNK_ROWS`]); the helpers
//! here read [`CHUNK_ROWS`] rows per call, decode the Arrow-style validity bitmaps (bit `i` of
//! byte `i / 8`, least significant bit first, 1 = valid) and the Arrow-style text layout (one
//! data buffer and `n + 1` offsets), and check that what the host returned is well-formed.
//!
//! For columns too large to hold decoded in guest memory, [`Table::for_each_f64`] and
//! [`Table::for_each_utf8`] visit the values chunk by chunk instead. Aggregates (statistics,
//! quantiles, histograms, value counts) are much cheaper computed by the host: prefer
//! [`Table::stats`], [`Table::quantiles`], [`Table::histogram`] and [`Table::value_counts`] where
//! they suffice.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, DefaultHasher, Hash};

use crate::context::list_names;
use crate::{ColumnInfo, ColumnStats, ErrorKind, F64Chunk, HostError, Table, Utf8Chunk};

/// Rows read per host call by the helpers in this module (64 Ki).
pub const CHUNK_ROWS: u32 = 65_536;

/// The most rows the host serves in one chunk (1 Mi).
pub const MAX_CHUNK_ROWS: u32 = 1_048_576;

/// Whether value `i` is valid (not null) according to an Arrow validity bitmap; `None` means
/// every value is valid. A bitmap too short to hold bit `i` reads as "null".
pub fn is_valid(validity: Option<&[u8]>, i: usize) -> bool {
    match validity {
        None => true,
        Some(bits) => bits.get(i / 8).is_some_and(|byte| byte >> (i % 8) & 1 == 1),
    }
}

/// Checks that a validity bitmap, if any, covers `n` values.
fn check_validity(validity: Option<&[u8]>, n: usize) -> Result<(), String> {
    match validity {
        Some(bits) if bits.len() < n.div_ceil(8) => Err(format!(
            "malformed chunk from the host: validity bitmap of {} bytes for {n} values",
            bits.len()
        )),
        _ => Ok(()),
    }
}

/// Decodes an [`F64Chunk`] of `expected` rows into values, `None` for nulls.
pub fn decode_f64_chunk(chunk: &F64Chunk, expected: usize) -> Result<Vec<Option<f64>>, String> {
    check_chunk(chunk.values.len(), chunk.validity.as_deref(), expected)?;
    let validity = chunk.validity.as_deref();
    Ok(chunk
        .values
        .iter()
        .enumerate()
        .map(|(i, &v)| is_valid(validity, i).then_some(v))
        .collect())
}

/// Checks that a chunk of `values` values and its validity cover `expected` rows.
fn check_chunk(values: usize, validity: Option<&[u8]>, expected: usize) -> Result<(), String> {
    if values != expected {
        return Err(format!(
            "malformed chunk from the host: {values} values for {expected} rows"
        ));
    }
    check_validity(validity, expected)
}

/// Decodes a [`Utf8Chunk`] of `expected` rows (Arrow layout: `data` holds the concatenated
/// values, value `i` is `data[offsets[i]..offsets[i + 1]]`) into strings, `None` for nulls.
pub fn decode_utf8_chunk(
    chunk: &Utf8Chunk,
    expected: usize,
) -> Result<Vec<Option<String>>, String> {
    let data = check_utf8_chunk(chunk, expected)?;
    let mut out = Vec::with_capacity(expected);
    visit_utf8_chunk(chunk, data, expected, |_, v| {
        out.push(v.map(str::to_string));
        Ok(())
    })?;
    Ok(out)
}

/// Calls `f(i, value)` for each of the `expected` values of a chunk that passed
/// [`check_utf8_chunk`], whose data is `data`.
fn visit_utf8_chunk(
    chunk: &Utf8Chunk,
    data: &str,
    expected: usize,
    mut f: impl FnMut(usize, Option<&str>) -> Result<(), String>,
) -> Result<(), String> {
    let validity = chunk.validity.as_deref();
    for i in 0..expected {
        let value = is_valid(validity, i).then(|| {
            let (start, end) = (chunk.offsets[i] as usize, chunk.offsets[i + 1] as usize);
            &data[start..end]
        });
        f(i, value)?;
    }
    Ok(())
}

/// Checks a [`Utf8Chunk`] of `expected` rows: `expected + 1` offsets, UTF-8 data, and every
/// valid value inside the data on character boundaries. Returns the data as text.
fn check_utf8_chunk(chunk: &Utf8Chunk, expected: usize) -> Result<&str, String> {
    let malformed = |what: String| format!("malformed text chunk from the host: {what}");
    if chunk.offsets.len() != expected + 1 {
        return Err(malformed(format!(
            "{} offsets for {expected} rows (expected {})",
            chunk.offsets.len(),
            expected + 1
        )));
    }
    check_validity(chunk.validity.as_deref(), expected)?;
    let data = std::str::from_utf8(&chunk.data)
        .map_err(|e| malformed(format!("data is not UTF-8: {e}")))?;
    let validity = chunk.validity.as_deref();
    for i in (0..expected).filter(|&i| is_valid(validity, i)) {
        let (start, end) = (chunk.offsets[i] as usize, chunk.offsets[i + 1] as usize);
        if data.get(start..end).is_none() {
            return Err(malformed(format!(
                "value {i} spans bytes {start}..{end} of {} (or splits a character)",
                data.len()
            )));
        }
    }
    Ok(data)
}

/// A text column encoded as a dictionary: each distinct value once, and a code per row.
///
/// Far smaller than `Vec<Option<String>>` for the low-cardinality columns (class labels,
/// categories) it is meant for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dictionary {
    /// The distinct non-null values, in order of first appearance.
    pub values: Vec<String>,
    /// Per row, the index of its value in `values`, or `None` for a null.
    pub codes: Vec<Option<u32>>,
}

impl Dictionary {
    /// The value of row `row`, `None` for a null (or a row past the end).
    pub fn get(&self, row: usize) -> Option<&str> {
        let code = (*self.codes.get(row)?)?;
        Some(self.values[code as usize].as_str())
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// Number of null rows.
    pub fn null_count(&self) -> usize {
        self.codes.iter().filter(|c| c.is_none()).count()
    }

    /// The first null row, if any.
    pub fn first_null(&self) -> Option<usize> {
        self.codes.iter().position(Option::is_none)
    }
}

/// Keys in the order first seen, each coded by its position (as [`Dictionary`] codes its
/// values): found by a linear scan while there are few (up to 16, as class labels are), which
/// beats hashing, and through a hash map after.
///
/// The map hashes with fixed keys: std's randomly seeded `RandomState` would make the component
/// import `wasi:random/insecure-seed` for nothing.
#[derive(Debug, Clone)]
pub struct FirstSeen<K> {
    keys: Vec<K>,
    /// Codes by key, once there are more than `SCAN_LIMIT` keys.
    index: HashMap<K, u32, BuildHasherDefault<DefaultHasher>>,
}

impl<K> Default for FirstSeen<K> {
    fn default() -> Self {
        FirstSeen {
            keys: Vec::new(),
            index: HashMap::default(),
        }
    }
}

impl<K: Eq + Hash + Clone> FirstSeen<K> {
    const SCAN_LIMIT: usize = 16;

    /// The keys, in the order first seen.
    pub fn keys(&self) -> &[K] {
        &self.keys
    }

    /// The keys, in the order first seen.
    pub fn into_keys(self) -> Vec<K> {
        self.keys
    }

    /// The code of `key`, if it is known.
    pub fn find<Q>(&self, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        if self.keys.len() <= Self::SCAN_LIMIT {
            self.keys
                .iter()
                .position(|k| k.borrow() == key)
                .map(|c| c as u32)
        } else {
            self.index.get(key).copied()
        }
    }

    /// Adds `key`, which [`Self::find`] does not know; its code.
    pub fn push(&mut self, key: K) -> u32 {
        let c = self.keys.len() as u32;
        self.keys.push(key);
        if self.keys.len() == Self::SCAN_LIMIT + 1 {
            self.index = (0..).zip(&self.keys).map(|(i, k)| (k.clone(), i)).collect();
        } else if self.keys.len() > Self::SCAN_LIMIT + 1 {
            self.index.insert(self.keys[c as usize].clone(), c);
        }
        c
    }
}

/// Builds a [`Dictionary`] value by value.
#[derive(Default)]
struct DictionaryBuilder {
    values: FirstSeen<String>,
    codes: Vec<Option<u32>>,
}

impl DictionaryBuilder {
    fn push(&mut self, value: Option<&str>) -> Result<(), String> {
        let code = match value {
            None => None,
            Some(v) => Some(match self.values.find(v) {
                Some(code) => code,
                None => {
                    u32::try_from(self.values.keys().len())
                        .map_err(|_| "more than 2^32 distinct values in a column".to_string())?;
                    self.values.push(v.to_string())
                }
            }),
        };
        self.codes.push(code);
        Ok(())
    }

    fn finish(self) -> Dictionary {
        Dictionary {
            values: self.values.into_keys(),
            codes: self.codes,
        }
    }
}

impl Table {
    /// Number of rows as a `usize` (an error if it does not fit guest memory's address space).
    pub fn row_count(&self) -> Result<usize, String> {
        let rows = self.num_rows();
        usize::try_from(rows).map_err(|_| {
            format!(
                "table `{}` has {rows} rows, too many to address",
                self.name()
            )
        })
    }

    /// The names of the columns, in file order.
    pub fn column_names(&self) -> Vec<String> {
        self.schema().into_iter().map(|c| c.name).collect()
    }

    /// Whether the table has a column called `name`.
    pub fn has_column(&self, name: &str) -> bool {
        self.schema().iter().any(|c| c.name == name)
    }

    /// The column called `name`, or an error that lists the available columns.
    pub fn column(&self, name: &str) -> Result<ColumnInfo, String> {
        let schema = self.schema();
        match schema.iter().position(|c| c.name == name) {
            Some(i) => Ok(schema.into_iter().nth(i).expect("index from position")),
            None => Err(format!(
                "no column `{name}` in `{}`; columns: {}",
                self.name(),
                list_names(schema.iter().map(|c| c.name.as_str()))
            )),
        }
    }

    /// [`Table::stats`] with an error message that names the table and column.
    pub fn column_stats(&self, column: &str) -> Result<ColumnStats, String> {
        self.stats(column)
            .map_err(|e| self.host_error("computing statistics of", column, e))
    }

    /// Whether the column's rows can be read here: `false` when the host keeps only aggregates
    /// of the table (a dataset on an engine larger than it fetches, a profile without rows),
    /// where [`Table::sorted_finite`] still gives the values.
    pub fn has_rows(&self, column: &str) -> bool {
        !matches!(
            self.read_f64(column, 0, 0),
            Err(HostError {
                kind: ErrorKind::UnsupportedType,
                ..
            })
        )
    }

    /// The finite values of a numeric or boolean column, sorted ascending, from the host's
    /// value runs (WIT 0.1.4): also where the rows cannot be read. Without their row order.
    pub fn sorted_finite(&self, column: &str) -> Result<Vec<f64>, String> {
        let runs = self
            .value_runs(column)
            .map_err(|e| self.host_error("counting the values of", column, e))?;
        if runs.values.len() != runs.counts.len()
            || runs.values.windows(2).any(|w| w[0] >= w[1])
            || runs.values.iter().any(|v| !v.is_finite())
        {
            return Err(self.context(
                "counting the values of",
                column,
                "malformed value runs from the host".to_string(),
            ));
        }
        let total: u64 = runs.counts.iter().sum();
        let mut out = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
        for (v, n) in runs.values.iter().zip(&runs.counts) {
            out.extend(std::iter::repeat_n(*v, *n as usize));
        }
        Ok(out)
    }

    /// Calls `f(row, value)` for every row of a numeric or boolean column, in order, with `None`
    /// for nulls, reading [`CHUNK_ROWS`] rows per host call. Stops at the first error `f`
    /// returns.
    pub fn for_each_f64(
        &self,
        column: &str,
        f: impl FnMut(usize, Option<f64>) -> Result<(), String>,
    ) -> Result<(), String> {
        self.for_each_value(
            column,
            |offset, len| {
                let chunk = self.read_f64(column, offset, len)?;
                Ok((chunk.values, chunk.validity))
            },
            f,
        )
    }

    /// Calls `f(row, value)` for every row of an integer or boolean column, in order, with `None`
    /// for nulls, reading [`CHUNK_ROWS`] rows per host call. Stops at the first error `f`
    /// returns. The host reads unsigned 64-bit values above `i64::MAX` as nulls: read such a
    /// column as text.
    pub fn for_each_i64(
        &self,
        column: &str,
        f: impl FnMut(usize, Option<i64>) -> Result<(), String>,
    ) -> Result<(), String> {
        self.for_each_value(
            column,
            |offset, len| {
                let chunk = self.read_i64(column, offset, len)?;
                Ok((chunk.values, chunk.validity))
            },
            f,
        )
    }

    /// [`Table::for_each_f64`] and [`Table::for_each_i64`]: `read(offset, len)` returns a chunk's
    /// values and validity, checked here to cover the chunk.
    fn for_each_value<T: Copy>(
        &self,
        column: &str,
        read: impl Fn(u64, u32) -> Result<(Vec<T>, Option<Vec<u8>>), HostError>,
        mut f: impl FnMut(usize, Option<T>) -> Result<(), String>,
    ) -> Result<(), String> {
        self.for_each_chunk(|offset, len| {
            let (values, validity) = read(offset as u64, len as u32)
                .map_err(|e| self.host_error("reading", column, e))?;
            check_chunk(values.len(), validity.as_deref(), len)
                .map_err(|e| self.context("reading", column, e))?;
            for (i, &v) in values.iter().enumerate() {
                f(offset + i, is_valid(validity.as_deref(), i).then_some(v))?;
            }
            Ok(())
        })
    }

    /// Calls `f(row, value)` for every row of a column rendered as text, in order, with `None`
    /// for nulls, reading up to [`CHUNK_ROWS`] rows per host call. Stops at the first error `f`
    /// returns.
    ///
    /// The host also bounds the bytes of text in one chunk; when it refuses a chunk as too
    /// large (`invalid-argument`), the read is retried with half as many rows.
    pub fn for_each_utf8(
        &self,
        column: &str,
        mut f: impl FnMut(usize, Option<&str>) -> Result<(), String>,
    ) -> Result<(), String> {
        let rows = self.row_count()?;
        let mut offset = 0;
        let mut chunk_rows = CHUNK_ROWS as usize;
        while offset < rows {
            let len = (rows - offset).min(chunk_rows);
            let chunk = match self.read_utf8(column, offset as u64, len as u32) {
                Ok(chunk) => chunk,
                Err(e) if matches!(e.kind, ErrorKind::InvalidArgument) && len > 1 => {
                    chunk_rows = len / 2;
                    continue;
                }
                Err(e) => return Err(self.host_error("reading", column, e)),
            };
            let data =
                check_utf8_chunk(&chunk, len).map_err(|e| self.context("reading", column, e))?;
            visit_utf8_chunk(&chunk, data, len, |i, v| f(offset + i, v))?;
            offset += len;
        }
        Ok(())
    }

    /// A whole numeric or boolean column as `f64`; an error if it holds a null (naming the
    /// first null row).
    pub fn read_column_f64(&self, column: &str) -> Result<Vec<f64>, String> {
        let mut out = Vec::with_capacity(self.row_count()?);
        self.for_each_f64(column, |row, v| match v {
            Some(v) => {
                out.push(v);
                Ok(())
            }
            None => Err(format!(
                "column `{column}` of `{}` has a null at row {row}",
                self.name()
            )),
        })?;
        Ok(out)
    }

    /// A whole numeric or boolean column as `f64`, `None` for nulls.
    pub fn read_column_f64_nullable(&self, column: &str) -> Result<Vec<Option<f64>>, String> {
        let mut out = Vec::with_capacity(self.row_count()?);
        self.for_each_f64(column, |_, v| {
            out.push(v);
            Ok(())
        })?;
        Ok(out)
    }

    /// A whole column rendered as text, `None` for nulls.
    pub fn read_column_utf8(&self, column: &str) -> Result<Vec<Option<String>>, String> {
        let mut out = Vec::with_capacity(self.row_count()?);
        self.for_each_utf8(column, |_, v| {
            out.push(v.map(str::to_string));
            Ok(())
        })?;
        Ok(out)
    }

    /// A whole column rendered as text and dictionary-encoded (see [`Dictionary`]).
    pub fn read_column_dictionary(&self, column: &str) -> Result<Dictionary, String> {
        let mut builder = DictionaryBuilder::default();
        builder.codes.reserve(self.row_count()?);
        self.for_each_utf8(column, |_, v| builder.push(v))?;
        Ok(builder.finish())
    }

    /// Calls `read(offset, len)` for consecutive chunks covering every row.
    fn for_each_chunk(
        &self,
        mut read: impl FnMut(usize, usize) -> Result<(), String>,
    ) -> Result<(), String> {
        let rows = self.row_count()?;
        let mut offset = 0;
        while offset < rows {
            let len = (rows - offset).min(CHUNK_ROWS as usize);
            read(offset, len)?;
            offset += len;
        }
        Ok(())
    }

    fn host_error(&self, doing: &str, column: &str, e: HostError) -> String {
        self.context(doing, column, e.message)
    }

    fn context(&self, doing: &str, column: &str, message: String) -> String {
        format!("{doing} column `{column}` of `{}`: {message}", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_bits_are_lsb_first() {
        let bits = [0b0000_0101u8, 0b1000_0000];
        let valid: Vec<bool> = (0..16).map(|i| is_valid(Some(&bits), i)).collect();
        assert!(valid[0] && !valid[1] && valid[2] && !valid[3]);
        assert!(valid[15] && !valid[14] && !valid[8]);
        assert!(is_valid(None, 123));
        assert!(!is_valid(Some(&bits), 16), "past the bitmap reads as null");
    }

    #[test]
    fn decodes_f64_chunk_with_nulls() {
        let chunk = F64Chunk {
            values: vec![1.0, f64::NAN, 3.0],
            validity: Some(vec![0b101]),
        };
        assert_eq!(
            decode_f64_chunk(&chunk, 3).unwrap(),
            vec![Some(1.0), None, Some(3.0)]
        );
        let all_valid = F64Chunk {
            values: vec![1.0, 2.0],
            validity: None,
        };
        assert_eq!(
            decode_f64_chunk(&all_valid, 2).unwrap(),
            vec![Some(1.0), Some(2.0)]
        );
        assert!(decode_f64_chunk(&all_valid, 3)
            .unwrap_err()
            .contains("2 values for 3 rows"));
        let short = F64Chunk {
            values: vec![0.0; 9],
            validity: Some(vec![0xff]),
        };
        assert!(decode_f64_chunk(&short, 9).unwrap_err().contains("bitmap"));
    }

    #[test]
    fn decodes_utf8_chunk() {
        let chunk = Utf8Chunk {
            data: "abcdé".as_bytes().to_vec(),
            offsets: vec![0, 2, 2, 3, 6],
            validity: Some(vec![0b1101]),
        };
        assert_eq!(
            decode_utf8_chunk(&chunk, 4).unwrap(),
            vec![
                Some("ab".to_string()),
                None,
                Some("c".to_string()),
                Some("dé".to_string())
            ]
        );
        let no_nulls = Utf8Chunk {
            data: b"xy".to_vec(),
            offsets: vec![0, 1, 2],
            validity: None,
        };
        assert_eq!(
            decode_utf8_chunk(&no_nulls, 2).unwrap(),
            vec![Some("x".to_string()), Some("y".to_string())]
        );
    }

    #[test]
    fn rejects_malformed_utf8_chunks() {
        let bad_count = Utf8Chunk {
            data: b"ab".to_vec(),
            offsets: vec![0, 2],
            validity: None,
        };
        assert!(decode_utf8_chunk(&bad_count, 2)
            .unwrap_err()
            .contains("offsets"));
        let past_end = Utf8Chunk {
            data: b"ab".to_vec(),
            offsets: vec![0, 3],
            validity: None,
        };
        assert!(decode_utf8_chunk(&past_end, 1)
            .unwrap_err()
            .contains("spans"));
        let split = Utf8Chunk {
            data: "é".as_bytes().to_vec(),
            offsets: vec![0, 1],
            validity: None,
        };
        assert!(decode_utf8_chunk(&split, 1).unwrap_err().contains("splits"));
        let not_utf8 = Utf8Chunk {
            data: vec![0xff],
            offsets: vec![0, 1],
            validity: None,
        };
        assert!(decode_utf8_chunk(&not_utf8, 1)
            .unwrap_err()
            .contains("UTF-8"));
        let decreasing = Utf8Chunk {
            data: b"ab".to_vec(),
            offsets: vec![0, 2, 1],
            validity: None,
        };
        assert!(decode_utf8_chunk(&decreasing, 2).is_err());
    }

    #[test]
    fn dictionary_switches_to_hashing_past_the_scan_limit() {
        let mut b = DictionaryBuilder::default();
        let values: Vec<String> = (0..40).map(|i| format!("v{i}")).collect();
        for round in 0..2 {
            for v in &values {
                b.push(Some(v)).unwrap();
            }
            assert_eq!(b.values.keys().len(), 40, "round {round}");
        }
        let expected: Vec<Option<u32>> = (0..80).map(|i| Some(i % 40)).collect();
        assert_eq!(b.codes, expected);
        assert_eq!(b.values.index.len(), 40);
    }

    #[test]
    fn dictionary_codes_in_first_appearance_order() {
        let mut b = DictionaryBuilder::default();
        for v in [Some("b"), Some("a"), None, Some("b")] {
            b.push(v).unwrap();
        }
        let d = b.finish();
        assert_eq!(d.values, vec!["b", "a"]);
        assert_eq!(d.codes, vec![Some(0), Some(1), None, Some(0)]);
        assert_eq!(d.get(1), Some("a"));
        assert_eq!(d.get(2), None);
        assert_eq!(d.null_count(), 1);
        assert_eq!(d.first_null(), Some(2));
    }
}
