//! Latency statistics over timed runs.

use modelgate_sdk::numeric::percentile_sorted;

/// Percentiles and throughput of a set of timed runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Median, ms.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Mean, ms.
    pub mean_ms: f64,
    /// Rows per second over the mean run.
    pub throughput: f64,
}

impl Summary {
    /// Summarises run durations in nanoseconds, each run on `rows` rows; None without samples.
    pub fn of(samples_ns: &[u64], rows: u64) -> Option<Summary> {
        if samples_ns.is_empty() {
            return None;
        }
        let mut ms: Vec<f64> = samples_ns.iter().map(|&ns| ns as f64 / 1e6).collect();
        ms.sort_by(f64::total_cmp);
        let mean_ms = ms.iter().sum::<f64>() / ms.len() as f64;
        Some(Summary {
            p50_ms: percentile_sorted(&ms, 50.0),
            p95_ms: percentile_sorted(&ms, 95.0),
            p99_ms: percentile_sorted(&ms, 99.0),
            mean_ms,
            throughput: if mean_ms > 0.0 {
                rows as f64 / (mean_ms / 1e3)
            } else {
                0.0
            },
        })
    }

    /// A metric by name (see [`crate::METRICS`]).
    pub fn get(&self, name: &str) -> f64 {
        match name {
            "latency_p50_ms" => self.p50_ms,
            "latency_p95_ms" => self.p95_ms,
            "latency_p99_ms" => self.p99_ms,
            "latency_mean_ms" => self.mean_ms,
            "throughput_rows_per_s" => self.throughput,
            _ => unreachable!("metric names are validated against METRICS"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_match_numpy_linear() {
        // numpy.percentile([1, 2, 3, 4, 10], [50, 95, 99]) == [3.0, 8.8, 9.76]
        let s = Summary::of(&[4_000_000, 1_000_000, 10_000_000, 2_000_000, 3_000_000], 8).unwrap();
        assert_eq!(s.p50_ms, 3.0);
        assert!((s.p95_ms - 8.8).abs() < 1e-12);
        assert!((s.p99_ms - 9.76).abs() < 1e-12);
        assert_eq!(s.mean_ms, 4.0);
        assert_eq!(s.throughput, 2000.0, "8 rows per 4 ms");
        assert_eq!(Summary::of(&[], 1), None);
        assert_eq!(Summary::of(&[5_000_000], 1).unwrap().p99_ms, 5.0);
    }

    #[test]
    fn every_metric_name_resolves() {
        let s = Summary::of(&[1_000_000, 3_000_000], 1).unwrap();
        for (name, _) in crate::METRICS {
            assert!(s.get(name).is_finite(), "{name}");
        }
    }
}
