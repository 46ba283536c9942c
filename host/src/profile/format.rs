//! The profile file format, version 1 (documented in docs/profiles.md):
//!
//! ```text
//! "modelgate profile 1\n"      the magic line: the format and its version
//! u64 LE                        H, the length of the header
//! H bytes                       the header: UTF-8 JSON (`Header`)
//! data                          the blobs the header points into, by offset from the data's start
//! 32 bytes                      SHA-256 of every byte before it
//! ```
//!
//! A blob of value runs holds k, the number of distinct values (u64 LE), the k values (f64 LE,
//! ascending), then their k counts, each an unsigned LEB128 varint (one byte below 128). The rows, when kept, are an Arrow IPC file. Floats in the header are JSON numbers that
//! read back to the same bits, or the strings `"NaN"`, `"inf"` and `"-inf"`.

use serde::{Deserialize, Serialize};

use crate::data::{ColumnStats, Runs};
use sha2::{Digest, Sha256};

/// The magic line: the format's name and version.
pub const MAGIC: &[u8] = b"modelgate profile 1\n";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;

/// What a profile says about its dataset (the JSON header).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Always `modelgate-profile`.
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// `modelgate 0.1.0 (commit …)`.
    pub written_by: String,
    /// When, RFC 3339 UTC.
    pub written_at: String,
    /// The dataset's name in the policy it was written from.
    pub dataset: String,
    /// What was profiled.
    pub source: Source,
    /// Rows.
    pub rows: u64,
    /// Rows equal to an earlier row over all columns.
    pub duplicate_rows: u64,
    /// Columns in order.
    pub columns: Vec<Column>,
    /// The rows as an Arrow IPC file, when kept (`--max-rows`).
    pub rows_ipc: Option<Blob>,
}

/// The dataset a profile was written from, and its digest then.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// As the policy named it: a path, `table …` or `sql …`.
    pub source: String,
    /// The engine that read it (`spark sc://host:port`); absent: embedded.
    pub engine: Option<String>,
    /// For a file read embedded: its absolute path (a gate checks it when it is there).
    pub path: Option<String>,
    /// The digest, hex.
    pub digest: String,
    /// `sha256` (of the file's bytes, embedded) or `spark-fingerprint` (docs/scale.md).
    pub digest_kind: String,
}

/// One column.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// Name.
    pub name: String,
    /// `boolean`, `integer`, `float`, `utf8`, `temporal` or `other`.
    pub column_type: String,
    /// The dtype as polars names it.
    pub dtype: String,
    /// Summary statistics (as `table.stats` returns them).
    pub stats: Stats,
    /// The most frequent non-null values as text, most frequent first, ties by value.
    pub value_counts: Vec<(String, u64)>,
    /// Whether `value_counts` holds every distinct value.
    pub value_counts_complete: bool,
    /// Numeric columns: every distinct finite value and its count.
    pub runs: Option<Blob>,
}

/// `table.stats` of a column.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Stats {
    /// Rows.
    pub rows: u64,
    /// Nulls.
    pub null_count: u64,
    /// NaNs.
    pub nan_count: u64,
    /// ±inf.
    pub inf_count: u64,
    /// Distinct non-null values.
    pub unique_count: u64,
    /// Minimum of the finite values.
    pub min: Option<Float>,
    /// Maximum of the finite values.
    pub max: Option<Float>,
    /// Mean of the finite values.
    pub mean: Option<Float>,
    /// Sample standard deviation.
    pub std: Option<Float>,
    /// Population standard deviation.
    pub std_pop: Option<Float>,
}

impl From<&ColumnStats> for Stats {
    fn from(s: &ColumnStats) -> Stats {
        let f = |x: Option<f64>| x.map(Float);
        Stats {
            rows: s.rows,
            null_count: s.null_count,
            nan_count: s.nan_count,
            inf_count: s.inf_count,
            unique_count: s.unique_count,
            min: f(s.min),
            max: f(s.max),
            mean: f(s.mean),
            std: f(s.std),
            std_pop: f(s.std_pop),
        }
    }
}

impl From<&Stats> for ColumnStats {
    fn from(s: &Stats) -> ColumnStats {
        let f = |x: Option<Float>| x.map(|x| x.0);
        ColumnStats {
            rows: s.rows,
            null_count: s.null_count,
            nan_count: s.nan_count,
            inf_count: s.inf_count,
            unique_count: s.unique_count,
            min: f(s.min),
            max: f(s.max),
            mean: f(s.mean),
            std: f(s.std),
            std_pop: f(s.std_pop),
        }
    }
}

/// A float that keeps its bits through JSON, NaN and the infinities included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Float(pub f64);

impl Serialize for Float {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            x if x.is_finite() => s.serialize_f64(x),
            x if x.is_nan() => s.serialize_str("NaN"),
            x if x > 0.0 => s.serialize_str("inf"),
            _ => s.serialize_str("-inf"),
        }
    }
}

impl<'de> Deserialize<'de> for Float {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum F {
            Number(f64),
            Text(String),
        }
        match F::deserialize(d)? {
            F::Number(x) => Ok(Float(x)),
            F::Text(t) => match t.as_str() {
                "NaN" => Ok(Float(f64::NAN)),
                "inf" => Ok(Float(f64::INFINITY)),
                "-inf" => Ok(Float(f64::NEG_INFINITY)),
                _ => Err(serde::de::Error::custom(format!("{t:?} is not a number"))),
            },
        }
    }
}

/// Where a blob is in the data: bytes [offset, offset + bytes).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Blob {
    /// From the start of the data.
    pub offset: u64,
    /// Length in bytes.
    pub bytes: u64,
}

/// Builds a profile file: blobs first, then [`Writer::finish`] with the header.
#[derive(Default)]
pub struct Writer {
    data: Vec<u8>,
}

impl Writer {
    /// Appends bytes; returns where they are.
    pub fn blob(&mut self, bytes: &[u8]) -> Blob {
        let b = Blob {
            offset: self.data.len() as u64,
            bytes: bytes.len() as u64,
        };
        self.data.extend_from_slice(bytes);
        b
    }

    /// Appends value runs (k, values, counts as varints).
    pub fn runs(&mut self, values: &[f64], counts: &[u64]) -> Blob {
        let mut bytes = Vec::with_capacity(8 + 9 * values.len());
        bytes.extend((values.len() as u64).to_le_bytes());
        bytes.extend(values.iter().flat_map(|v| v.to_le_bytes()));
        for &n in counts {
            let mut n = n;
            while n >= 0x80 {
                bytes.push((n as u8) | 0x80);
                n >>= 7;
            }
            bytes.push(n as u8);
        }
        self.blob(&bytes)
    }

    /// The whole file.
    pub fn finish(self, header: &Header) -> Vec<u8> {
        let json = serde_json::to_vec(header).expect("a header serializes");
        let mut out = Vec::with_capacity(MAGIC.len() + 8 + json.len() + self.data.len() + 32);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(json.len() as u64).to_le_bytes());
        out.extend_from_slice(&json);
        out.extend_from_slice(&self.data);
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        out
    }
}

/// A profile file read back: its header and data, checked.
#[derive(Debug)]
pub struct Parsed {
    /// The header.
    pub header: Header,
    data: Vec<u8>,
}

impl Parsed {
    /// Checks the magic line, the checksum, the header and every blob's bounds. Errors say what
    /// is wrong (not a profile, another version, damaged).
    pub fn from_bytes(mut bytes: Vec<u8>) -> Result<Parsed, String> {
        let prefix = b"modelgate profile ";
        if !bytes.starts_with(prefix) {
            return Err(
                "not a modelgate profile (it does not start with `modelgate profile`)".into(),
            );
        }
        if !bytes.starts_with(MAGIC) {
            let line = bytes
                .split(|b| *b == b'\n')
                .next()
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .unwrap_or_default();
            return Err(format!(
                "`{}` is a profile format this modelgate does not read (it reads format {VERSION}); \
                 write the profile again with this modelgate",
                super::super::data::shorten(&line, 40)
            ));
        }
        let damaged = |what: &str| format!("the file is damaged ({what}); write the profile again");
        if bytes.len() < MAGIC.len() + 8 + 32 {
            return Err(damaged("too short"));
        }
        let body = bytes.len() - 32;
        if Sha256::digest(&bytes[..body]).as_slice() != &bytes[body..] {
            return Err(damaged("its checksum does not match: truncated or changed"));
        }
        bytes.truncate(body);
        let at = MAGIC.len();
        let len = u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        let start = at + 8;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| start.checked_add(l))
            .filter(|e| *e <= bytes.len())
            .ok_or_else(|| damaged("the header's length is past the end"))?;
        let header: Header = serde_json::from_slice(&bytes[start..end])
            .map_err(|e| damaged(&format!("its header: {e}")))?;
        if header.format != "modelgate-profile" || header.version != VERSION {
            return Err(damaged("its header names another format"));
        }
        let data = bytes.split_off(end);
        let parsed = Parsed { header, data };
        for c in &parsed.header.columns {
            if let Some(b) = c.runs {
                parsed.blob(b)?;
            }
        }
        if let Some(b) = parsed.header.rows_ipc {
            parsed.blob(b)?;
        }
        Ok(parsed)
    }

    /// A blob's bytes.
    pub fn blob(&self, b: Blob) -> Result<&[u8], String> {
        usize::try_from(b.offset)
            .ok()
            .zip(usize::try_from(b.bytes).ok())
            .and_then(|(o, n)| self.data.get(o..o.checked_add(n)?))
            .ok_or_else(|| {
                "the file is damaged (a blob is past the end); write the profile again".into()
            })
    }

    /// Value runs: values (ascending, finite) and counts (positive).
    pub fn runs(&self, column: &str, b: Blob) -> Result<Runs, String> {
        let damaged = || {
            format!(
                "the file is damaged (the value runs of `{column}` are cut short or too long); \
                 write the profile again"
            )
        };
        let bytes = self.blob(b)?;
        let word = |i: usize| -> Option<[u8; 8]> { bytes.get(8 * i..8 * i + 8)?.try_into().ok() };
        let k = word(0).map(u64::from_le_bytes).ok_or_else(damaged)?;
        let k = usize::try_from(k)
            .ok()
            .filter(|k| k.checked_mul(9).is_some_and(|n| n < bytes.len()))
            .ok_or_else(damaged)?;
        let values: Vec<f64> = (1..=k)
            .map(|i| word(i).map(f64::from_le_bytes).ok_or_else(damaged))
            .collect::<Result<_, _>>()?;
        let mut counts = Vec::with_capacity(k);
        let mut rest = bytes[8 * (k + 1)..].iter();
        for _ in 0..k {
            let (mut n, mut shift) = (0u64, 0u32);
            loop {
                let b = *rest.next().ok_or_else(damaged)?;
                if shift > 63 || (shift == 63 && b > 1) {
                    return Err(damaged());
                }
                n |= u64::from(b & 0x7f) << shift;
                if b < 0x80 {
                    break;
                }
                shift += 7;
            }
            counts.push(n);
        }
        if rest.next().is_some() {
            return Err(damaged());
        }
        if values.iter().any(|v| !v.is_finite())
            || values.windows(2).any(|w| w[0] >= w[1])
            || counts.contains(&0)
        {
            return Err(format!(
                "the file is damaged (the value runs of `{column}` are not ascending finite values \
                 with positive counts); write the profile again"
            ));
        }
        Ok((values, counts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            format: "modelgate-profile".into(),
            version: VERSION,
            written_by: "modelgate test".into(),
            written_at: "2026-12-07T00:00:00Z".into(),
            dataset: "reference".into(),
            source: Source {
                source: "data/ref.csv".into(),
                engine: None,
                path: Some("/tmp/data/ref.csv".into()),
                digest: "ab".repeat(32),
                digest_kind: "sha256".into(),
            },
            rows: 3,
            duplicate_rows: 0,
            columns: vec![Column {
                name: "x".into(),
                column_type: "float".into(),
                dtype: "f64".into(),
                stats: Stats {
                    rows: 3,
                    null_count: 0,
                    nan_count: 0,
                    inf_count: 1,
                    unique_count: 3,
                    min: Some(Float(0.1)),
                    max: Some(Float(1.0 / 3.0)),
                    mean: Some(Float(f64::NAN)),
                    std: Some(Float(f64::INFINITY)),
                    std_pop: None,
                },
                value_counts: vec![("0.1".into(), 1)],
                value_counts_complete: false,
                runs: None,
            }],
            rows_ipc: None,
        }
    }

    #[test]
    fn a_profile_reads_back_bit_for_bit() {
        let mut w = Writer::default();
        let mut h = header();
        h.columns[0].runs = Some(w.runs(&[0.1, 1.0 / 3.0, 7.0], &[1, 300, u64::MAX]));
        let bytes = w.finish(&h);
        let p = Parsed::from_bytes(bytes.clone()).unwrap();
        let s = &p.header.columns[0].stats;
        assert_eq!(s.max.unwrap().0.to_bits(), (1.0f64 / 3.0).to_bits());
        assert!(s.mean.unwrap().0.is_nan());
        assert_eq!(s.std.unwrap().0, f64::INFINITY);
        let (v, n) = p.runs("x", h.columns[0].runs.unwrap()).unwrap();
        assert_eq!((v, n), (vec![0.1, 1.0 / 3.0, 7.0], vec![1, 300, u64::MAX]));
        assert_eq!(
            format!("{:?}", p.header.columns),
            format!("{:?}", h.columns)
        );

        // Any changed byte, a cut, another version or another file is refused with a reason.
        let mut flipped = bytes.clone();
        flipped[MAGIC.len() + 20] ^= 1;
        let err = Parsed::from_bytes(flipped).unwrap_err();
        assert!(err.contains("checksum"), "{err}");
        let err = Parsed::from_bytes(bytes[..bytes.len() - 5].to_vec()).unwrap_err();
        assert!(err.contains("checksum"), "{err}");
        let mut v2 = bytes.clone();
        v2[MAGIC.len() - 2] = b'2';
        let err = Parsed::from_bytes(v2).unwrap_err();
        assert!(err.contains("format 1"), "{err}");
        let err = Parsed::from_bytes(b"a,b\n1,2\n".to_vec()).unwrap_err();
        assert!(err.contains("not a modelgate profile"), "{err}");
    }

    #[test]
    fn runs_that_are_not_ascending_are_damage() {
        let mut w = Writer::default();
        let b = w.runs(&[1.0, 0.5], &[1, 1]);
        let p = Parsed::from_bytes(w.finish(&header())).unwrap();
        assert!(p.runs("x", b).unwrap_err().contains("not ascending"));
    }
}
