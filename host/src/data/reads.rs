//! Bounded chunked reads of a column (f64, i64, text) with Arrow validity bitmaps.

use polars::prelude::*;

use super::kernels::values_or;
use super::{CallError, CallErrorKind, Chunk, ColumnType, Dataset, Utf8Chunk};
use super::{MAX_CHUNK_BYTES, MAX_CHUNK_ROWS};

impl Dataset {
    fn slice(&self, column: &str, offset: u64, len: u32) -> Result<Series, CallError> {
        let s = self.series(column)?;
        if len > MAX_CHUNK_ROWS {
            return Err(CallError::invalid(format!(
                "a chunk holds at most {MAX_CHUNK_ROWS} rows, asked for {len}"
            )));
        }
        let rows = s.len() as u64;
        if offset > rows {
            return Err(CallError::invalid(format!(
                "offset {offset} is past the end of dataset `{}` ({rows} rows)",
                self.name
            )));
        }
        let len = (len as u64).min(rows - offset) as usize;
        Ok(s.slice(offset as i64, len))
    }

    /// Rows [offset, offset+len) of a numeric column as f64 (nulls are NaN and cleared in validity).
    pub fn read_f64(
        &self,
        column: &str,
        offset: u64,
        len: u32,
    ) -> Result<Chunk<Vec<f64>>, CallError> {
        let s = self.slice(column, offset, len)?;
        if !ColumnType::of(s.dtype()).is_numeric() {
            return Err(CallError::new(
                CallErrorKind::UnsupportedType,
                format!(
                    "column `{column}` of dataset `{}` is {}; read it with read-utf8",
                    self.name,
                    s.dtype()
                ),
            ));
        }
        let s = s.cast(&DataType::Float64).map_err(CallError::failed)?;
        let ca = s.f64().map_err(CallError::failed)?;
        let values = values_or(ca, f64::NAN);
        Ok(Chunk {
            values,
            validity: validity(ca.iter().map(|v| v.is_some()), s.null_count()),
        })
    }

    /// Rows [offset, offset+len) of an integer or boolean column as i64.
    pub fn read_i64(
        &self,
        column: &str,
        offset: u64,
        len: u32,
    ) -> Result<Chunk<Vec<i64>>, CallError> {
        let s = self.slice(column, offset, len)?;
        if !matches!(
            ColumnType::of(s.dtype()),
            ColumnType::Integer | ColumnType::Boolean
        ) {
            return Err(CallError::new(
                CallErrorKind::UnsupportedType,
                format!(
                    "column `{column}` of dataset `{}` is {}, not integer",
                    self.name,
                    s.dtype()
                ),
            ));
        }
        let s = s.cast(&DataType::Int64).map_err(CallError::failed)?;
        let ca = s.i64().map_err(CallError::failed)?;
        let values = values_or(ca, 0);
        Ok(Chunk {
            values,
            validity: validity(ca.iter().map(|v| v.is_some()), s.null_count()),
        })
    }

    /// Rows [offset, offset+len) of any column rendered as text.
    pub fn read_utf8(&self, column: &str, offset: u64, len: u32) -> Result<Utf8Chunk, CallError> {
        let s = self.slice(column, offset, len)?;
        let s = s.cast(&DataType::String).map_err(|e| {
            CallError::new(
                CallErrorKind::UnsupportedType,
                format!("column `{column}` cannot be read as text: {e}"),
            )
        })?;
        let ca = s.str().map_err(CallError::failed)?;
        let mut data = Vec::new();
        let mut offsets = Vec::with_capacity(ca.len() + 1);
        offsets.push(0u32);
        for v in ca.iter() {
            let v = v.unwrap_or("");
            if data.len() + v.len() > MAX_CHUNK_BYTES {
                return Err(CallError::invalid(format!(
                    "the chunk's text exceeds {MAX_CHUNK_BYTES} bytes; read fewer rows at a time"
                )));
            }
            data.extend_from_slice(v.as_bytes());
            offsets.push(data.len() as u32);
        }
        Ok(Utf8Chunk {
            data,
            offsets,
            validity: validity(ca.iter().map(|v| v.is_some()), s.null_count()),
        })
    }
}

/// Arrow validity bitmap from per-row flags, or None when nothing is null.
fn validity(valid: impl Iterator<Item = bool>, null_count: usize) -> Option<Vec<u8>> {
    if null_count == 0 {
        return None;
    }
    let mut bits = Vec::new();
    for (i, v) in valid.enumerate() {
        if i % 8 == 0 {
            bits.push(0u8);
        }
        if v {
            *bits.last_mut().expect("pushed above") |= 1 << (i % 8);
        }
    }
    Some(bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::tests::ds;

    #[test]
    fn reads_are_bounded_and_carry_validity() {
        let d = ds();
        let c = d.read_f64("x", 1, 3).unwrap();
        assert_eq!(c.values.len(), 3);
        assert_eq!(c.validity, Some(vec![0b101]));
        let t = d.read_utf8("s", 0, 100).unwrap();
        assert_eq!(t.offsets.len(), 7);
        assert_eq!(t.data, b"abaca".to_vec());
        assert_eq!(t.validity, Some(vec![0b110111]));
        assert_eq!(
            d.read_f64("x", 7, 1).unwrap_err().kind,
            CallErrorKind::InvalidArgument
        );
        assert_eq!(
            d.read_f64("x", 0, MAX_CHUNK_ROWS + 1).unwrap_err().kind,
            CallErrorKind::InvalidArgument
        );
        assert_eq!(
            d.read_f64("s", 0, 1).unwrap_err().kind,
            CallErrorKind::UnsupportedType
        );
        let e = d.read_f64("xx", 0, 1).unwrap_err();
        assert_eq!(e.kind, CallErrorKind::NoSuchColumn);
        assert!(e.message.contains("did you mean `x`"), "{}", e.message);
    }
}
