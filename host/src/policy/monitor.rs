//! `[monitor]`: how `modelgate monitor` splits the production log (`datasets.current`) into
//! windows, when it asks for retraining, and where the bounds come from.

use indexmap::IndexMap;
use serde::Deserialize;

use super::DatasetSpec;

/// `[monitor]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorSpec {
    /// The datetime column (or ISO-8601 text) that places each row in a window.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// Calendar-aligned windows in UTC: `Nm` (N divides 60), `Nh` (N divides 24), `Nd`, `Nw`
    /// (weeks start on Monday).
    #[serde(default)]
    pub period: Option<String>,
    /// Windows of this many consecutive rows, in file order (instead of `period`).
    #[serde(default)]
    pub chunk_size: Option<usize>,
    /// This many failing windows in a row, ending at the latest, ask for retraining (default 2).
    #[serde(default = "default_retrain_after")]
    pub retrain_after: usize,
    /// Where each metric's bounds come from: the checks' own config (`"policy"`, the default), or
    /// the reference split into windows of the same size (`"reference"`: mean ± 3σ).
    #[serde(default)]
    pub thresholds: Thresholds,
}

fn default_retrain_after() -> usize {
    2
}

/// `monitor.thresholds`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Thresholds {
    /// Each check decides with its own configured bounds.
    #[default]
    Policy,
    /// Each metric's bounds are its mean ± 3σ (population σ) over windows of the reference.
    Reference,
}

/// The longest period: ten years of days.
const MAX_PERIOD_S: i64 = 3_653 * 86_400;

/// A calendar period: a whole number of seconds, aligned to UTC midnight (minutes, hours, days)
/// or to Monday 00:00 UTC (weeks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// Its length in seconds.
    pub seconds: i64,
    /// Where windows start, as an offset from the Unix epoch in seconds (Monday 1970-01-05 for
    /// weeks, the epoch otherwise).
    pub origin: i64,
}

impl Period {
    /// Parses `1h`, `6h`, `1d`, `1w`, `15m`, ...
    pub fn parse(text: &str) -> Result<Period, String> {
        let hint =
            "write a whole number and a unit: `15m`, `1h`, `6h`, `1d` or `1w` (hours dividing \
                    a day, minutes dividing an hour)";
        let t = text.trim();
        let unit = t
            .chars()
            .last()
            .ok_or_else(|| format!("empty period; {hint}"))?;
        let n: i64 = t[..t.len() - unit.len_utf8()]
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("`{text}` is not a period; {hint}"))?;
        let (unit_s, divides) = match unit {
            'm' => (60, Some(60)),
            'h' => (3600, Some(24)),
            'd' => (86_400, None),
            'w' => (7 * 86_400, None),
            _ => return Err(format!("`{text}` has no known unit; {hint}")),
        };
        if let Some(d) = divides {
            if d % n != 0 {
                return Err(format!(
                    "`{text}` does not divide {} evenly, so its windows cannot be aligned to the clock; {hint}",
                    if unit == 'm' { "an hour" } else { "a day" }
                ));
            }
        }
        // At most ten years: longer is no monitoring window (and keeps the arithmetic in range).
        let seconds = n
            .checked_mul(unit_s)
            .filter(|s| *s <= MAX_PERIOD_S)
            .ok_or_else(|| format!("`{text}` is longer than ten years; {hint}"))?;
        Ok(Period {
            seconds,
            origin: if unit == 'w' { 4 * 86_400 } else { 0 },
        })
    }

    /// The start of the window holding `t` (seconds since the epoch).
    pub fn floor(self, t: i64) -> i64 {
        self.origin + (t - self.origin).div_euclid(self.seconds) * self.seconds
    }
}

impl MonitorSpec {
    /// What the type system cannot check.
    pub(super) fn validate(&self, datasets: &IndexMap<String, DatasetSpec>) -> Result<(), String> {
        if datasets.get("current").is_some_and(|d| d.profile.is_some()) {
            return Err(
                "at key `datasets.current.profile`: monitoring splits the production log into \
                 windows by its rows, and a profile keeps aggregates; give the log's `path`"
                    .into(),
            );
        }
        if !datasets.contains_key("current") {
            return Err(
                "at key `monitor`: monitoring splits the production log `datasets.current` into \
                 windows; name it `current` under [datasets]"
                    .into(),
            );
        }
        match (&self.period, self.chunk_size) {
            (Some(_), Some(_)) => {
                return Err(
                    "at key `monitor`: give either `period` (calendar windows of `timestamp`) or \
                     `chunk_size` (consecutive rows), not both"
                        .into(),
                )
            }
            (None, None) => {
                return Err(
                    "at key `monitor`: say how to split the log: `period = \"1d\"` (with \
                     `timestamp`) or `chunk_size = 10000`"
                        .into(),
                )
            }
            (Some(p), None) => {
                Period::parse(p).map_err(|e| format!("at key `monitor.period`: {e}"))?;
                if self.timestamp.is_none() {
                    return Err(
                        "at key `monitor.timestamp`: a `period` needs the datetime column that \
                         places each row in a window, e.g. `timestamp = \"ts\"`"
                            .into(),
                    );
                }
            }
            (None, Some(0)) => {
                return Err("at key `monitor.chunk_size`: a window needs at least 1 row".into())
            }
            (None, Some(_)) => {}
        }
        if self
            .timestamp
            .as_deref()
            .is_some_and(|t| t.trim().is_empty())
        {
            return Err("at key `monitor.timestamp`: name the datetime column".into());
        }
        if self.retrain_after == 0 {
            return Err(
                "at key `monitor.retrain_after`: at least 1 failing window must ask for retraining"
                    .into(),
            );
        }
        Ok(())
    }

    /// The parsed period, if windows are calendar periods.
    pub fn period(&self) -> Option<Period> {
        self.period.as_deref().and_then(|p| Period::parse(p).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_align_to_the_clock() {
        let d = Period::parse("1d").unwrap();
        assert_eq!(d.seconds, 86_400);
        assert_eq!(d.floor(86_400 * 3 + 5), 86_400 * 3);
        assert_eq!(d.floor(-1), -86_400);
        let h6 = Period::parse("6h").unwrap();
        assert_eq!(h6.floor(7 * 3600 + 59), 6 * 3600);
        // 2026-12-02 (a Wednesday) 13:00 UTC falls in the week of Monday 2026-11-30.
        let w = Period::parse("1w").unwrap();
        assert_eq!(w.floor(1_796_216_400), 1_795_996_800);
        assert_eq!(w.floor(1_795_996_800), 1_795_996_800);
        assert_eq!(Period::parse("15m").unwrap().seconds, 900);
        for bad in [
            "",
            "d",
            "0d",
            "-1h",
            "5h",
            "7m",
            "1y",
            "1.5h",
            "99999999999999999w",
            "600w",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
        assert!(Period::parse("5h").unwrap_err().contains("a day"));
    }
}
