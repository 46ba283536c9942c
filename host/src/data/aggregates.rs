//! The table API's aggregates, computed natively by the host: column statistics (cached),
//! quantiles, histograms, value counts, duplicate rows and the Wasserstein distance.

use std::sync::atomic::Ordering;

use polars::prelude::*;

use super::kernels::{from_order_key, mix, order_key, radix_sort};
use super::{once, Backend, CallError, CallErrorKind, ColumnStats, ColumnType, Dataset, Runs};
use super::{MAX_EDGES, MAX_QUANTILES, MAX_VALUE_COUNTS};

impl Dataset {
    /// The engine that computes aggregates of a numeric column, when the rows live on one; an
    /// error when the column is missing or not numeric.
    fn numeric_backend(&self, column: &str) -> Result<Option<&Arc<dyn Backend>>, CallError> {
        if !self.column_type(column)?.is_numeric() {
            let dtype = self
                .schema()
                .into_iter()
                .find(|c| c.name == column)
                .map(|c| c.dtype)
                .unwrap_or_default();
            return Err(CallError::new(
                CallErrorKind::UnsupportedType,
                format!(
                    "column `{column}` of dataset `{}` is {dtype}, not numeric",
                    self.name
                ),
            ));
        }
        Ok(self.backend())
    }

    pub(super) fn numeric(&self, column: &str) -> Result<Float64Chunked, CallError> {
        self.numeric_backend(column)?;
        let s = self.series(column)?;
        let s = s.cast(&DataType::Float64).map_err(CallError::failed)?;
        Ok(s.f64().map_err(CallError::failed)?.clone())
    }

    /// Finite values of a numeric column, sorted ascending (by radix sort on order-preserving
    /// keys: linear in the rows, where a comparison sort of 10M values is cache-bound).
    pub(super) fn sorted_finite(&self, column: &str) -> Result<Arc<Vec<f64>>, CallError> {
        if !self.shared.on.load(Ordering::Relaxed) {
            return self.sort_finite(column);
        }
        self.numeric_backend(column)?;
        once(&self.shared.sorted, column.to_string(), || {
            self.sort_finite(column)
        })
    }

    /// From the backend's value runs when it has them (a profile, or per-value counts on an
    /// engine), else from the rows.
    fn sort_finite(&self, column: &str) -> Result<Arc<Vec<f64>>, CallError> {
        if let Some(b) = self.numeric_backend(column)? {
            if let Some(runs) = b.value_runs(column) {
                return runs.map(|r| Arc::new(expand_runs(&r)));
            }
        }
        let ca = self.numeric(column)?;
        let mut keys: Vec<u64> = ca
            .iter()
            .flatten()
            .filter(|x| x.is_finite())
            .map(|x| order_key(x + 0.0))
            .collect();
        radix_sort(&mut keys);
        Ok(Arc::new(keys.into_iter().map(from_order_key).collect()))
    }

    /// Summary statistics of a column (computed once per column, then cached).
    pub fn stats(&self, column: &str) -> Result<ColumnStats, CallError> {
        // Only real columns get a cache entry: a plugin asking for made-up names grows nothing.
        self.column_type(column)?;
        once(&self.stats_cache, column.to_string(), || {
            match self.backend() {
                Some(b) => b.stats(column),
                None => self.compute_stats(column),
            }
        })
    }

    fn compute_stats(&self, column: &str) -> Result<ColumnStats, CallError> {
        let s = self.series(column)?;
        let numeric = ColumnType::of(s.dtype()).is_numeric();
        let mut st = ColumnStats {
            rows: s.len() as u64,
            null_count: s.null_count() as u64,
            unique_count: if numeric {
                0 // counted below, by hashing
            } else {
                let non_null = s.drop_nulls();
                non_null.n_unique().map_err(CallError::failed)? as u64
            },
            ..Default::default()
        };
        if !numeric {
            return Ok(st);
        }
        let ca = self.numeric(column)?;
        // Distinct values by their bits (-0.0 as 0.0, every NaN as one), as polars' n_unique
        // counts them, without sorting.
        // Distinct values: the canonical bits, radix-sorted, counted where they change.
        let mut bits: Vec<u64> = Vec::with_capacity(s.len() - s.null_count());
        let (mut n, mut mean, mut m2) = (0u64, 0.0f64, 0.0f64);
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for x in ca.iter().flatten() {
            bits.push(if x.is_nan() {
                f64::NAN.to_bits()
            } else {
                (x + 0.0).to_bits()
            });
            if x.is_nan() {
                st.nan_count += 1;
            } else if x.is_infinite() {
                st.inf_count += 1;
            } else {
                // Welford's update: numerically stable in one pass.
                n += 1;
                let d = x - mean;
                mean += d / n as f64;
                m2 += d * (x - mean);
                lo = lo.min(x);
                hi = hi.max(x);
            }
        }
        radix_sort(&mut bits);
        st.unique_count = (bits.windows(2).filter(|w| w[0] != w[1]).count()
            + usize::from(!bits.is_empty())) as u64;
        if n > 0 {
            st.min = Some(lo);
            st.max = Some(hi);
            st.mean = Some(mean);
            st.std_pop = Some((m2 / n as f64).sqrt());
            st.std = (n > 1).then(|| (m2 / (n - 1) as f64).sqrt());
        }
        Ok(st)
    }

    /// Quantiles over finite values with linear interpolation (numpy's default method).
    pub fn quantiles(&self, column: &str, probs: &[f64]) -> Result<Vec<Option<f64>>, CallError> {
        if probs.len() > MAX_QUANTILES {
            return Err(CallError::invalid(format!(
                "at most {MAX_QUANTILES} quantiles per call, got {}",
                probs.len()
            )));
        }
        if let Some(p) = probs.iter().find(|p| !(0.0..=1.0).contains(*p)) {
            return Err(CallError::invalid(format!(
                "quantile probability {p} is outside [0, 1]"
            )));
        }
        if let Some(b) = self.numeric_backend(column)? {
            return b.quantiles(column, probs);
        }
        let v = self.sorted_finite(column)?;
        Ok(probs.iter().map(|&p| quantile_sorted(&v, p)).collect())
    }

    /// The distinct finite values of a numeric column, ascending (-0.0 as 0.0), and how often
    /// each occurs: all a profile needs to answer quantiles, histograms and distances exactly.
    pub fn value_runs(&self, column: &str) -> Result<Runs, CallError> {
        if let Some(b) = self.numeric_backend(column)? {
            if let Some(runs) = b.value_runs(column) {
                return runs;
            }
        }
        Ok(runs_of(&self.sorted_finite(column)?))
    }

    /// numpy-style histogram of finite values over strictly increasing edges.
    pub fn histogram(&self, column: &str, edges: &[f64]) -> Result<Vec<u64>, CallError> {
        if edges.len() < 2 || edges.len() > MAX_EDGES {
            return Err(CallError::invalid(format!(
                "a histogram needs 2 to {MAX_EDGES} edges, got {}",
                edges.len()
            )));
        }
        if edges.iter().any(|e| !e.is_finite()) || edges.windows(2).any(|w| w[0] >= w[1]) {
            return Err(CallError::invalid(
                "histogram edges must be finite and strictly increasing",
            ));
        }
        if let Some(b) = self.numeric_backend(column)? {
            return b.histogram(column, edges);
        }
        let bins = edges.len() - 1;
        if self.shared.on.load(Ordering::Relaxed) {
            // A shared dataset keeps its sorted values: a bin is two binary searches instead
            // of a pass over every row (`monitor` bins the reference on each window's edges).
            return Ok(histogram_sorted(&self.sorted_finite(column)?, edges));
        }
        let ca = self.numeric(column)?;
        let mut counts = vec![0u64; bins];
        let last = edges[edges.len() - 1];
        for x in ca.iter().flatten().filter(|x| x.is_finite()) {
            if x < edges[0] || x > last {
                continue;
            }
            // Index of the last edge <= x; the last bin is closed on the right.
            let i = edges.partition_point(|e| *e <= x);
            counts[(i - 1).min(bins - 1)] += 1;
        }
        Ok(counts)
    }

    /// Most frequent non-null values (as text), most frequent first, ties by value.
    pub fn value_counts(&self, column: &str, limit: u32) -> Result<Vec<(String, u64)>, CallError> {
        self.column_type(column)?;
        if !self.shared.on.load(Ordering::Relaxed) {
            return self.count_values(column, limit);
        }
        once(&self.shared.counts, (column.to_string(), limit), || {
            self.count_values(column, limit)
        })
    }

    fn count_values(&self, column: &str, limit: u32) -> Result<Vec<(String, u64)>, CallError> {
        if let Some(b) = self.backend() {
            return b.value_counts(column, limit.min(MAX_VALUE_COUNTS));
        }
        let limit = limit.min(MAX_VALUE_COUNTS) as usize;
        let s = self.series(column)?;
        let s = s.cast(&DataType::String).map_err(CallError::failed)?;
        let mut counts: std::collections::HashMap<&str, u64, xxhash_rust::xxh3::Xxh3Builder> =
            Default::default();
        for v in s.str().map_err(CallError::failed)?.iter().flatten() {
            *counts.entry(v).or_default() += 1;
        }
        let mut out: Vec<(String, u64)> = counts
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        out.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out.truncate(limit);
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
        let rows = self.rows();
        let (mut h1, mut h2) = (
            vec![0x243f_6a88_85a3_08d3u64; rows],
            vec![0x1319_8a2e_0370_7344u64; rows],
        );
        let mut absorb = |i: usize, tag: u64, bits: u64| {
            h1[i] = mix(mix(h1[i] ^ tag) ^ bits);
            h2[i] = mix(mix(h2[i] ^ tag.rotate_left(17) ^ 0xa409_3822_299f_31d0)
                ^ bits.rotate_left(29)
                ^ 0x082e_fa98_ec4e_6c89);
        };
        for n in &names {
            let s = self.series(n)?;
            let kind = ColumnType::of(s.dtype());
            match kind {
                ColumnType::Float => {
                    let s = s.cast(&DataType::Float64).map_err(CallError::failed)?;
                    for (i, v) in s.f64().map_err(CallError::failed)?.iter().enumerate() {
                        match v {
                            None => absorb(i, 0, 0),
                            Some(x) if x.is_nan() => absorb(i, 2, 0),
                            Some(x) => absorb(i, 1, (x + 0.0).to_bits()), // -0.0 + 0.0 is 0.0
                        }
                    }
                }
                ColumnType::Integer | ColumnType::Boolean => {
                    let s = s.cast(&DataType::Int64).map_err(CallError::failed)?;
                    for (i, v) in s.i64().map_err(CallError::failed)?.iter().enumerate() {
                        match v {
                            None => absorb(i, 0, 0),
                            Some(x) => absorb(i, 1, x as u64),
                        }
                    }
                }
                _ => {
                    let s = s.cast(&DataType::String).map_err(CallError::failed)?;
                    for (i, v) in s.str().map_err(CallError::failed)?.iter().enumerate() {
                        match v {
                            None => absorb(i, 0, 0),
                            Some(t) => absorb(
                                i,
                                3 ^ (t.len() as u64) << 8,
                                xxhash_rust::xxh3::xxh3_64(t.as_bytes()),
                            ),
                        }
                    }
                }
            }
        }
        let mut keys: Vec<u128> = h1
            .into_iter()
            .zip(h2)
            .map(|(a, b)| (u128::from(a) << 64) | u128::from(b))
            .collect();
        keys.sort_unstable();
        Ok(keys.windows(2).filter(|w| w[0] == w[1]).count() as u64)
    }

    /// `scipy.stats.wasserstein_distance` between the finite values of `column` here and of
    /// `other_column` in `other`: Σ |F_u − F_v| Δ over the sorted union of the values (scipy's
    /// `_cdf_distance(1, u, v)`), streamed over the two sorted samples with a compensated sum
    /// (numpy sums the terms pairwise; both are accurate to a few units in the last place).
    pub fn wasserstein(
        &self,
        column: &str,
        other: &Dataset,
        other_column: &str,
    ) -> Result<f64, CallError> {
        if let (Some(a), Some(b)) = (
            self.numeric_backend(column)?,
            other.numeric_backend(other_column)?,
        ) {
            if let Some(distance) = a.wasserstein(column, b.as_ref(), other_column) {
                return distance;
            }
        }
        let (u, v) = std::thread::scope(|s| {
            let u = s.spawn(|| self.sorted_finite(column));
            let v = other.sorted_finite(other_column);
            (
                u.join().unwrap_or_else(|_| {
                    Err(CallError::new(CallErrorKind::Failed, "sorting failed"))
                }),
                v,
            )
        });
        let (u, v) = (u?, v?);
        for (d, c, values) in [(self, column, &u), (other, other_column, &v)] {
            if values.is_empty() {
                return Err(CallError::invalid(format!(
                    "column `{c}` of dataset `{}` has no finite value",
                    d.name
                )));
            }
        }
        let (nu, nv) = (u.len() as f64, v.len() as f64);
        let (mut i, mut j) = (0usize, 0usize);
        let (mut sum, mut compensation) = (0.0f64, 0.0f64);
        let mut prev: Option<f64> = None;
        while i < u.len() || j < v.len() {
            let x = if j >= v.len() || (i < u.len() && u[i] <= v[j]) {
                u[i]
            } else {
                v[j]
            };
            if let Some(p) = prev {
                // The term of the interval [p, x): the CDFs are those at p.
                let term = (i as f64 / nu - j as f64 / nv).abs() * (x - p);
                let t = sum + term;
                compensation += if sum.abs() >= term.abs() {
                    (sum - t) + term
                } else {
                    (term - t) + sum
                };
                sum = t;
            }
            while i < u.len() && u[i] <= x {
                i += 1;
            }
            while j < v.len() && v[j] <= x {
                j += 1;
            }
            prev = Some(x);
        }
        Ok(sum + compensation)
    }
}

/// `np.histogram(values, edges)[0]` of sorted finite values: each bin by two binary searches,
/// the last bin closed on the right. `edges` are checked (at least two, strictly increasing).
pub fn histogram_sorted(sorted: &[f64], edges: &[f64]) -> Vec<u64> {
    let bins = edges.len() - 1;
    let below = |e: f64| sorted.partition_point(|x| *x < e) as u64;
    let mut counts: Vec<u64> = edges
        .windows(2)
        .map(|w| below(w[1]) - below(w[0]))
        .collect();
    let last = edges[bins];
    counts[bins - 1] += sorted.partition_point(|x| *x <= last) as u64 - below(last);
    counts
}

/// The distinct values of sorted values and how often each occurs.
pub fn runs_of(sorted: &[f64]) -> Runs {
    let (mut values, mut counts) = (Vec::new(), Vec::<u64>::new());
    for &x in sorted {
        if values.last() == Some(&x) {
            *counts.last_mut().expect("a count per value") += 1;
        } else {
            values.push(x);
            counts.push(1);
        }
    }
    (values, counts)
}

/// The sorted values of value runs: each value repeated as often as it occurs.
pub fn expand_runs((values, counts): &Runs) -> Vec<f64> {
    let mut sorted = Vec::with_capacity(counts.iter().sum::<u64>() as usize);
    for (&v, &n) in values.iter().zip(counts) {
        sorted.extend(std::iter::repeat_n(v, n as usize));
    }
    sorted
}

/// numpy's default ("linear") quantile of sorted values.
pub fn quantile_sorted(v: &[f64], p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    Some(v[lo] + (h - lo as f64) * (v[hi] - v[lo]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::tests::ds;

    #[test]
    fn stats_separate_nulls_nans_and_infs() {
        let s = ds().stats("x").unwrap();
        assert_eq!(
            (s.rows, s.null_count, s.nan_count, s.inf_count),
            (6, 1, 1, 1)
        );
        assert_eq!((s.min, s.max), (Some(1.0), Some(4.0)));
        let mean = 7.0 / 3.0;
        assert!((s.mean.unwrap() - mean).abs() < 1e-15);
        let var_pop = [1.0f64, 2.0, 4.0]
            .iter()
            .map(|x| (x - mean).powi(2))
            .sum::<f64>()
            / 3.0;
        assert!((s.std_pop.unwrap() - var_pop.sqrt()).abs() < 1e-15);
        assert!((s.std.unwrap() - (var_pop * 1.5).sqrt()).abs() < 1e-15);
        assert_eq!(ds().stats("s").unwrap().unique_count, 3);
    }

    #[test]
    fn quantiles_match_numpy_linear() {
        // numpy.quantile([1, 2, 4], [0, 0.25, 0.5, 1]) == [1, 1.5, 2, 4]
        let q = ds().quantiles("x", &[0.0, 0.25, 0.5, 1.0]).unwrap();
        assert_eq!(q, vec![Some(1.0), Some(1.5), Some(2.0), Some(4.0)]);
        assert!(ds().quantiles("x", &[1.5]).is_err());
    }

    #[test]
    fn histogram_matches_numpy_edges() {
        // numpy.histogram([1, 2, 4], bins=[1, 2, 4]) == [1, 2]: last bin closed.
        assert_eq!(ds().histogram("x", &[1.0, 2.0, 4.0]).unwrap(), vec![1, 2]);
        assert_eq!(ds().histogram("i", &[0.0, 3.0, 5.5]).unwrap(), vec![2, 3]);
        assert!(ds().histogram("x", &[2.0, 1.0]).is_err());
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
    fn wasserstein_matches_scipy_and_skips_non_finite_values() {
        let t = |u: Vec<Option<f64>>, v: Vec<Option<f64>>| {
            let a = Dataset::from_frame("a", df!("x" => u).unwrap());
            let b = Dataset::from_frame("b", df!("y" => v).unwrap());
            a.wasserstein("x", &b, "y")
        };
        // scipy.stats.wasserstein_distance([0, 1, 3], [5, 6, 8]) == 5.0, and the others likewise.
        assert_eq!(
            t(
                vec![Some(0.0), Some(1.0), Some(3.0)],
                vec![Some(5.0), Some(6.0), Some(8.0)]
            )
            .unwrap(),
            5.0
        );
        let w = t(
            vec![Some(3.4), Some(3.9), Some(7.5), Some(7.8)],
            vec![
                Some(4.5),
                Some(1.4),
                None,
                Some(f64::NAN),
                Some(f64::INFINITY),
            ],
        )
        .unwrap();
        assert!((w - 2.7).abs() < 1e-15, "{w}");
        let w = t(
            vec![Some(1.0), Some(1.0), Some(1.0), Some(2.0)],
            vec![Some(1.0), Some(2.0), Some(2.0), Some(2.0), Some(3.5)],
        )
        .unwrap();
        assert!((w - 0.85).abs() < 1e-15, "{w}");
        let e = t(vec![Some(1.0)], vec![None, Some(f64::NAN)]).unwrap_err();
        assert!(
            e.message
                .contains("column `y` of dataset `b` has no finite value"),
            "{}",
            e.message
        );
        let text = Dataset::from_frame("c", df!("s" => ["a"]).unwrap());
        assert_eq!(
            text.wasserstein("s", &text, "s").unwrap_err().kind,
            CallErrorKind::UnsupportedType
        );
    }

    #[test]
    fn value_counts_sorted_by_count_then_value() {
        let vc = ds().value_counts("s", 2).unwrap();
        assert_eq!(vc, vec![("a".to_string(), 3), ("b".to_string(), 1)]);
    }

    #[test]
    fn a_shared_dataset_keeps_what_it_computed_and_answers_the_same() {
        let (plain, shared) = (ds(), ds());
        shared.share();
        for _ in 0..2 {
            assert_eq!(
                shared.value_counts("s", 2).unwrap(),
                plain.value_counts("s", 2).unwrap()
            );
            assert_eq!(
                shared.quantiles("x", &[0.1, 0.5]).unwrap(),
                plain.quantiles("x", &[0.1, 0.5]).unwrap()
            );
        }
        for _ in 0..2 {
            assert_eq!(
                shared.duplicate_rows(&[]).unwrap(),
                plain.duplicate_rows(&[]).unwrap()
            );
        }
        assert_eq!(shared.shared.duplicates.lock().unwrap().len(), 1);
        assert_eq!(shared.shared.sorted.lock().unwrap().len(), 1);
        assert_eq!(shared.shared.counts.lock().unwrap().len(), 1);
        assert!(plain.shared.sorted.lock().unwrap().is_empty());
        // Made-up columns get no entry.
        assert!(shared.value_counts("nope", 2).is_err());
        assert_eq!(shared.shared.counts.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_shared_dataset_bins_its_sorted_values_as_the_row_pass_does() {
        // Values on edges, below and above them, -0.0, NaN, ±inf and nulls.
        let x: Vec<Option<f64>> = [
            -3.0,
            -0.0,
            0.0,
            0.5,
            1.0,
            1.0,
            2.0,
            2.5,
            3.0,
            3.0,
            7.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-300,
            -1e-300,
        ]
        .into_iter()
        .map(Some)
        .chain([None, None])
        .collect();
        let frame = || df!("x" => x.clone()).unwrap();
        let (plain, shared) = (
            Dataset::from_frame("p", frame()),
            Dataset::from_frame("s", frame()),
        );
        shared.share();
        for edges in [
            vec![0.0, 1.0, 2.0, 3.0],
            vec![-0.0, 3.0],
            vec![-5.0, -1.0, 0.0, 10.0],
            vec![1.0, 2.0],
            vec![4.0, 5.0, 6.0],
            vec![-1e-300, 1e-300],
            vec![f64::MIN, -3.0, 7.0, f64::MAX],
        ] {
            let want = plain.histogram("x", &edges).unwrap();
            assert_eq!(
                shared.histogram("x", &edges).unwrap(),
                want,
                "edges {edges:?}"
            );
        }
        assert_eq!(
            shared.histogram("x", &[0.0, 1.0, 2.0, 3.0]).unwrap(),
            [4, 2, 4]
        );
        assert_eq!(
            shared.shared.sorted.lock().unwrap().len(),
            1,
            "binned from the kept sort"
        );
    }
}
