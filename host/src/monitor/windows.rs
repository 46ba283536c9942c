//! Splitting the production log into windows: calendar periods of the timestamp column (UTC), or
//! chunks of consecutive rows. Each window is the ascending row numbers it holds.

use anyhow::{bail, Context as _};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use polars::prelude::*;

pub use crate::decision::rfc3339_ms;
use crate::policy::Period;

/// The most windows one run may have (a longer log needs a longer period).
pub const MAX_WINDOWS: usize = 10_000;

/// One window of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Where it starts (Unix milliseconds): a period's start, or a chunk's first timestamp.
    pub start: Option<i64>,
    /// Where it ends: a period's end (exclusive), or a chunk's last timestamp.
    pub end: Option<i64>,
    /// Its rows (ascending row numbers in the log).
    pub rows: Vec<IdxSize>,
}

impl Window {
    /// A short name: its start in RFC 3339 (UTC), or its rows.
    pub fn label(&self, index: usize) -> String {
        match self.start {
            Some(s) => rfc3339_ms(s),
            None => format!(
                "window {} (rows {}–{})",
                index + 1,
                self.rows.first().map_or(0, |r| r + 1),
                self.rows.last().map_or(0, |r| r + 1)
            ),
        }
    }
}

/// The timestamp column as Unix milliseconds, one per row. A datetime or date column is read as
/// it is (time-zone-aware datetimes are stored in UTC); text must be ISO 8601 (RFC 3339 with an
/// offset, or a naive date-time or date, read as UTC). Errors name the column, the dataset and
/// what is wrong (nulls: how many and the first row).
pub fn timestamps_ms(s: &Series, dataset: &str) -> anyhow::Result<Vec<i64>> {
    let key = format!(
        "timestamp column `{}` of dataset `{dataset}` (monitor.timestamp)",
        s.name()
    );
    if s.null_count() > 0 {
        let first = s
            .is_null()
            .iter()
            .position(|v| v == Some(true))
            .unwrap_or(0)
            + 1;
        bail!(
            "{key} has {} null value{} (the first in data row {first}); every row of the log needs \
             its time to be placed in a window: fill them or leave those rows out",
            s.null_count(),
            if s.null_count() == 1 { "" } else { "s" }
        );
    }
    match s.dtype() {
        DataType::Datetime(unit, _) => {
            let per_ms: i64 = match unit {
                TimeUnit::Nanoseconds => 1_000_000,
                TimeUnit::Microseconds => 1_000,
                TimeUnit::Milliseconds => 1,
            };
            let phys = s.to_physical_repr();
            Ok(phys
                .i64()
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .into_no_null_iter()
                .map(|v| v.div_euclid(per_ms))
                .collect())
        }
        DataType::Date => {
            let phys = s.to_physical_repr();
            Ok(phys
                .i32()
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .into_no_null_iter()
                .map(|d| i64::from(d) * 86_400_000)
                .collect())
        }
        DataType::String => s
            .str()?
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let text = text.unwrap_or_default();
                parse_iso8601(text).with_context(|| {
                    format!(
                        "{key}: `{text}` in data row {} is not an ISO-8601 time; write e.g. \
                         `2026-11-01T13:45:00Z`, `2026-11-01 13:45:00` (read as UTC) or `2026-11-01`",
                        i + 1
                    )
                })
            })
            .collect(),
        other => bail!(
            "{key} is {other}, not a datetime: store it as a datetime (Parquet timestamp) or as \
             ISO-8601 text"
        ),
    }
}

/// One ISO-8601 time as Unix milliseconds: with an offset, or naive (UTC).
fn parse_iso8601(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.timestamp_millis());
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%#z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(t, f) {
            return Some(d.timestamp_millis());
        }
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
            return Some(d.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis())
}

/// Calendar windows: every period from the one holding the earliest time to the one holding the
/// latest, empty ones included. Rows may come in any order.
pub fn by_period(times_ms: &[i64], period: Period, spec: &str) -> anyhow::Result<Vec<Window>> {
    let Some((&lo, &hi)) = times_ms.iter().min().zip(times_ms.iter().max()) else {
        bail!("the log `datasets.current` has no rows, so it has no window");
    };
    let period_ms = period.seconds * 1000;
    let floor = |t: i64| period.floor(t.div_euclid(1000)) * 1000;
    let first = floor(lo);
    let count = ((floor(hi) - first) / period_ms) as usize + 1;
    if count > MAX_WINDOWS {
        bail!(
            "at key `monitor.period`: the log spans {} to {}, which is {count} windows of `{spec}` \
             (at most {MAX_WINDOWS}); use a longer period",
            rfc3339_ms(lo),
            rfc3339_ms(hi)
        );
    }
    // A counting sort of the rows by window keeps each window's rows ascending.
    let index: Vec<usize> = times_ms
        .iter()
        .map(|&t| ((floor(t) - first) / period_ms) as usize)
        .collect();
    let mut sizes = vec![0usize; count];
    for &w in &index {
        sizes[w] += 1;
    }
    let mut windows: Vec<Window> = sizes
        .iter()
        .enumerate()
        .map(|(w, &n)| {
            let start = first + w as i64 * period_ms;
            Window {
                start: Some(start),
                end: Some(start + period_ms),
                rows: Vec::with_capacity(n),
            }
        })
        .collect();
    for (row, &w) in index.iter().enumerate() {
        windows[w].rows.push(row as IdxSize);
    }
    Ok(windows)
}

/// Windows of `size` consecutive rows in file order (the last may be smaller); with timestamps,
/// each window spans its first to its last time.
pub fn by_chunks(
    rows: usize,
    size: usize,
    times_ms: Option<&[i64]>,
) -> anyhow::Result<Vec<Window>> {
    if rows == 0 {
        bail!("the log `datasets.current` has no rows, so it has no window");
    }
    let count = rows.div_ceil(size);
    if count > MAX_WINDOWS {
        bail!(
            "at key `monitor.chunk_size`: {rows} rows make {count} chunks of {size} (at most \
             {MAX_WINDOWS}); use a larger chunk_size"
        );
    }
    Ok((0..count)
        .map(|c| {
            let range = c * size..((c + 1) * size).min(rows);
            let span = times_ms.map(|t| {
                let t = &t[range.clone()];
                (*t.iter().min().unwrap_or(&0), *t.iter().max().unwrap_or(&0))
            });
            Window {
                start: span.map(|s| s.0),
                end: span.map(|s| s.1),
                rows: range.map(|r| r as IdxSize).collect(),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_8601_text_in_its_common_forms() {
        let t = 1_794_312_000_000; // 2026-11-10T12:00:00Z
        for text in [
            "2026-11-10T12:00:00Z",
            "2026-11-10T13:00:00+01:00",
            "2026-11-10T12:00:00.000Z",
            "2026-11-10T12:00:00",
            "2026-11-10 12:00:00",
            "2026-11-10 12:00",
            "2026-11-10 14:00:00+02:00",
        ] {
            assert_eq!(parse_iso8601(text), Some(t), "{text}");
        }
        assert_eq!(parse_iso8601("2026-11-10"), Some(t - 12 * 3_600_000));
        assert_eq!(parse_iso8601("10/11/2026"), None);
        assert_eq!(rfc3339_ms(t), "2026-11-10T12:00:00Z");
        assert_eq!(rfc3339_ms(t + 250), "2026-11-10T12:00:00.250Z");
    }

    #[test]
    fn timestamp_columns_of_each_kind() {
        let text = Series::new("ts".into(), ["2026-11-10T00:00:00Z", "2026-11-11"]);
        assert_eq!(
            timestamps_ms(&text, "current").unwrap(),
            [1_794_268_800_000, 1_794_355_200_000]
        );
        let us = Series::new("ts".into(), [1_794_268_800_000_123i64])
            .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
            .unwrap();
        assert_eq!(timestamps_ms(&us, "current").unwrap(), [1_794_268_800_000]);
        let e = timestamps_ms(
            &Series::new("ts".into(), [Some("2026-11-10"), None]),
            "current",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("1 null value (the first in data row 2)"), "{e}");
        let e = timestamps_ms(&Series::new("ts".into(), [3i64]), "current")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`ts`") && e.contains("not a datetime"), "{e}");
        let e = format!(
            "{:#}",
            timestamps_ms(&Series::new("ts".into(), ["2026-11-10", "soon"]), "log").unwrap_err()
        );
        assert!(e.contains("`soon` in data row 2"), "{e}");
    }

    #[test]
    fn periods_hold_unsorted_rows_and_empty_windows() {
        let day = 86_400_000;
        // Rows on days 2, 0, 0 and 3 (day 1 empty), out of order.
        let times = [2 * day + 5, 7, day - 1, 3 * day];
        let w = by_period(&times, Period::parse("1d").unwrap(), "1d").unwrap();
        let rows: Vec<&[IdxSize]> = w.iter().map(|w| w.rows.as_slice()).collect();
        assert_eq!(rows, [&[1, 2][..], &[], &[0], &[3]]);
        assert_eq!((w[1].start, w[1].end), (Some(day), Some(2 * day)));
        let many = by_period(&[0, 20_000 * 3_600_000], Period::parse("1h").unwrap(), "1h");
        assert!(many
            .unwrap_err()
            .to_string()
            .contains("use a longer period"));
    }

    #[test]
    fn chunks_are_consecutive_rows() {
        let w = by_chunks(5, 2, Some(&[9, 3, 4, 8, 1])).unwrap();
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].rows, [0, 1]);
        assert_eq!((w[0].start, w[0].end), (Some(3), Some(9)));
        assert_eq!(w[2].rows, [4]);
        assert_eq!(
            by_chunks(4, 2, None).unwrap()[1].label(1),
            "window 2 (rows 3–4)"
        );
    }
}
