//! Numeric helpers that reproduce numpy's results, for plugins whose metrics are checked against
//! numpy, scipy or scikit-learn.
//!
//! * [`pairwise_sum`] and [`pairwise_sum_by`]: numpy's summation order, so that sums and means
//!   agree with `np.sum` / `np.mean` to the last bit rather than to ~1e-13 (a naive left-to-right
//!   loop rounds differently once there are more than 8 values).
//! * [`mean`] and [`mean_by`]: `np.mean`, i.e. the pairwise sum divided by the count.
//! * [`percentile`] and [`percentile_sorted`]: linear-interpolation percentiles (numpy's default
//!   `method="linear"`).
//!
//! Everything is plain Rust over `f64` and runs the same natively and in the WebAssembly sandbox.
//!
//! ```
//! use modelgate_sdk::numeric::{mean, pairwise_sum, percentile};
//!
//! // np.sum(np.arange(1, 3001) * 0.01) == 45015.0; a left-to-right loop gives 45015.00000000001.
//! let a: Vec<f64> = (1..=3000).map(|i| i as f64 * 0.01).collect();
//! assert_eq!(pairwise_sum(&a), 45015.0);
//! assert_eq!(mean(&a), 15.005);
//! assert_eq!(percentile(&[7.0, 1.0, 3.0, 9.0, 5.0, 2.0], 25.0), 2.25);
//! ```

/// numpy's block size for pairwise summation (`PW_BLOCKSIZE`).
const PW_BLOCKSIZE: usize = 128;

/// Sums `a` exactly as `np.sum` does for a contiguous `f64` array: pairwise summation with
/// 8-way unrolled leaves of at most 128 values. 0 for an empty slice.
///
/// The order of the values matters in the last bits, as it does for numpy: pass them in the
/// order numpy would see them.
pub fn pairwise_sum(a: &[f64]) -> f64 {
    pairwise_sum_by(a.len(), |i| a[i])
}

/// [`pairwise_sum`] of the virtual array `f(0), ..., f(n - 1)`, without materialising it: the
/// same additions in the same order, so `pairwise_sum_by(a.len(), |i| a[i]) ==
/// pairwise_sum(a)` bit for bit. `f` is called once per index.
pub fn pairwise_sum_by(n: usize, f: impl Fn(usize) -> f64) -> f64 {
    pairwise_range(&f, 0, n)
}

/// numpy's `pairwise_sum` (`numpy/_core/src/umath/loops_utils.h.src`) over `f(start..start + n)`.
fn pairwise_range(f: &impl Fn(usize) -> f64, start: usize, n: usize) -> f64 {
    if n < 8 {
        let mut res = 0.0;
        for i in start..start + n {
            res += f(i);
        }
        res
    } else if n <= PW_BLOCKSIZE {
        let mut r = [0.0f64; 8];
        for (j, r) in r.iter_mut().enumerate() {
            *r = f(start + j);
        }
        let mut i = 8;
        while i < n - n % 8 {
            for (j, r) in r.iter_mut().enumerate() {
                *r += f(start + i + j);
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += f(start + i);
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_range(f, start, n2) + pairwise_range(f, start + n2, n - n2)
    }
}

/// [`try_pairwise_sums`] of terms that cannot fail.
pub fn pairwise_sums<const K: usize>(
    n: usize,
    mut next: impl FnMut(usize) -> [f64; K],
) -> [f64; K] {
    match try_pairwise_sums(n, |i| Ok::<_, std::convert::Infallible>(next(i))) {
        Ok(sums) => sums,
        Err(never) => match never {},
    }
}

/// [`pairwise_sum_by`] of `K` virtual arrays at once, streamed: `next(i)` gives the `i`-th value
/// of every lane and is called exactly once per index, in increasing order, so it may read its
/// values from a source it advances (chunks of a column). Each lane gets the same additions in
/// the same order as [`pairwise_sum_by`] of that lane alone, so the sums are bit-identical to
/// it. Stops at the first error of `next`.
pub fn try_pairwise_sums<const K: usize, E>(
    n: usize,
    mut next: impl FnMut(usize) -> Result<[f64; K], E>,
) -> Result<[f64; K], E> {
    lanes_range(&mut next, 0, n)
}

/// [`pairwise_range`], lane by lane.
fn lanes_range<const K: usize, E>(
    next: &mut impl FnMut(usize) -> Result<[f64; K], E>,
    start: usize,
    n: usize,
) -> Result<[f64; K], E> {
    let add = |a: &mut [f64; K], b: [f64; K]| a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
    if n < 8 {
        let mut res = [0.0; K];
        for i in start..start + n {
            add(&mut res, next(i)?);
        }
        Ok(res)
    } else if n <= PW_BLOCKSIZE {
        let mut r = [[0.0f64; K]; 8];
        for (j, r) in r.iter_mut().enumerate() {
            *r = next(start + j)?;
        }
        let mut i = 8;
        while i < n - n % 8 {
            for (j, r) in r.iter_mut().enumerate() {
                add(r, next(start + i + j)?);
            }
            i += 8;
        }
        let mut res = [0.0; K];
        for (k, res) in res.iter_mut().enumerate() {
            *res = ((r[0][k] + r[1][k]) + (r[2][k] + r[3][k]))
                + ((r[4][k] + r[5][k]) + (r[6][k] + r[7][k]));
        }
        while i < n {
            add(&mut res, next(start + i)?);
            i += 1;
        }
        Ok(res)
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        let mut left = lanes_range(next, start, n2)?;
        add(&mut left, lanes_range(next, start + n2, n - n2)?);
        Ok(left)
    }
}

/// `np.mean` of `a`: its [`pairwise_sum`] divided by its length. NaN for an empty slice.
pub fn mean(a: &[f64]) -> f64 {
    pairwise_sum(a) / a.len() as f64
}

/// `np.mean` of the virtual array `f(0), ..., f(n - 1)` (see [`pairwise_sum_by`]). NaN when `n`
/// is 0.
pub fn mean_by(n: usize, f: impl Fn(usize) -> f64) -> f64 {
    pairwise_sum_by(n, f) / n as f64
}

/// The linear-interpolation percentile `q` (in `[0, 100]`) of values sorted in ascending order.
///
/// With `h = (n − 1) · q / 100`, the result is `s[⌊h⌋] + (h − ⌊h⌋) · (s[⌊h⌋ + 1] − s[⌊h⌋])`:
/// the formula of numpy's default `np.percentile(a, q)` (`method="linear"`). numpy orders the
/// floating-point steps differently (it computes the index from `q / 100`, and interpolates down
/// from the upper neighbour when the fraction is ≥ 0.5), so a result can differ from numpy's in
/// the last bit.
///
/// # Panics
///
/// If `sorted` is empty. Neither NaN nor the order of `sorted` is checked: unsorted input gives
/// a meaningless result (use [`percentile`]).
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q / 100.0;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// [`percentile_sorted`] of values in any order: sorts a copy by [`f64::total_cmp`] and
/// interpolates. To take several percentiles of the same values, sort them once and call
/// [`percentile_sorted`].
///
/// # Panics
///
/// If `values` is empty.
pub fn percentile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    percentile_sorted(&sorted, q)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Left-to-right from 0.0 (`Iterator::sum` starts from -0.0), to show where pairwise
    /// summation differs.
    fn left_to_right(a: &[f64]) -> f64 {
        a.iter().fold(0.0, |s, x| s + x)
    }

    #[test]
    fn sums_and_means_match_numpy_bit_for_bit() {
        // np.sum(np.arange(1, 3001) * 0.01) == 45015.0; a left-to-right loop: 45015.00000000001.
        let a: Vec<f64> = (1..=3000).map(|i| i as f64 * 0.01).collect();
        assert_eq!(pairwise_sum(&a), 45015.0);
        assert_eq!(left_to_right(&a), 45015.00000000001);
        // b = np.sqrt(np.arange(1, 1001.0)): np.sum(b), np.mean(b)
        let b: Vec<f64> = (1..=1000).map(|i| (i as f64).sqrt()).collect();
        assert_eq!(pairwise_sum(&b), 21097.455887480734);
        assert_eq!(mean(&b), 21.097455887480734);
        assert_eq!(mean_by(b.len(), |i| b[i]), 21.097455887480734);
    }

    #[test]
    fn short_inputs_sum_left_to_right() {
        // Below 8 values numpy adds in order, starting from 0.0.
        assert_eq!(pairwise_sum(&[]).to_bits(), 0.0f64.to_bits());
        for n in 1..8 {
            let v: Vec<f64> = (0..n).map(|i| 0.1 * (i as f64 + 1.0) / 3.0).collect();
            assert_eq!(
                pairwise_sum(&v).to_bits(),
                left_to_right(&v).to_bits(),
                "n = {n}"
            );
        }
    }

    #[test]
    fn streamed_lanes_match_the_scalar_sum_bit_for_bit() {
        let value = |lane: usize, i: usize| ((i * 7 + lane * 3) as f64).sqrt() * 0.1 - lane as f64;
        for n in (0..600).chain([1024, 1031, 65_536 + 9, 300_001]) {
            let mut expected_index = 0;
            let sums = try_pairwise_sums(n, |i| {
                assert_eq!(i, expected_index, "indices come in order, once each");
                expected_index += 1;
                Ok::<_, ()>([value(0, i), value(1, i), value(2, i)])
            })
            .unwrap();
            assert_eq!(expected_index, n);
            for (lane, sum) in sums.iter().enumerate() {
                let scalar = pairwise_sum_by(n, |i| value(lane, i));
                assert_eq!(sum.to_bits(), scalar.to_bits(), "n = {n}, lane {lane}");
            }
        }
        let stopped = try_pairwise_sums(200, |i| if i == 150 { Err(i) } else { Ok([1.0]) });
        assert_eq!(stopped, Err(150));
    }

    #[test]
    fn by_index_matches_the_slice_form_bit_for_bit() {
        // Sizes around every branch: the leaf loop, the unrolled block (with and without a
        // remainder), and the recursive split.
        for n in [
            0, 1, 7, 8, 9, 15, 16, 17, 127, 128, 129, 255, 256, 257, 1000, 4099,
        ] {
            let v: Vec<f64> = (0..n)
                .map(|i| ((i * 7919) % 1013) as f64 / 3.7 - 100.0)
                .collect();
            let by = pairwise_sum_by(n, |i| v[i]);
            assert_eq!(by.to_bits(), pairwise_sum(&v).to_bits(), "n = {n}");
            assert_eq!(
                mean_by(n, |i| v[i]).to_bits(),
                mean(&v).to_bits(),
                "n = {n}"
            );
        }
    }

    #[test]
    fn means_of_nothing_are_nan() {
        assert!(mean(&[]).is_nan());
        assert!(mean_by(0, |_| 1.0).is_nan());
        assert_eq!(mean_by(4, |i| i as f64), 1.5);
    }

    #[test]
    fn percentiles_match_numpy_linear() {
        // np.percentile([1, 2, 4, 8, 16, 32], [10, 25, 50, 75, 90]) == [1.5, 2.5, 6, 14, 24]
        let s = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0];
        let got: Vec<f64> = [10.0, 25.0, 50.0, 75.0, 90.0]
            .iter()
            .map(|&q| percentile_sorted(&s, q))
            .collect();
        assert_eq!(got, [1.5, 2.5, 6.0, 14.0, 24.0]);
        assert_eq!(percentile_sorted(&[-2.5], 37.0), -2.5);
        // np.percentile([7, 1, 3, 9, 5, 2], [0, 10, 25, 50, 75, 90, 100])
        //     == [1, 1.5, 2.25, 4, 6.5, 8, 9]
        let v = [7.0, 1.0, 3.0, 9.0, 5.0, 2.0];
        let got: Vec<f64> = [0.0, 10.0, 25.0, 50.0, 75.0, 90.0, 100.0]
            .iter()
            .map(|&q| percentile(&v, q))
            .collect();
        assert_eq!(got, [1.0, 1.5, 2.25, 4.0, 6.5, 8.0, 9.0]);
    }

    #[test]
    fn percentile_sorts_a_copy() {
        let v = [4.0, -1.0, 10.0, 2.0, 3.0];
        let mut s = v;
        s.sort_by(f64::total_cmp);
        for q in [0.0, 2.5, 33.3, 50.0, 97.5, 100.0] {
            assert_eq!(
                percentile(&v, q).to_bits(),
                percentile_sorted(&s, q).to_bits(),
                "q = {q}"
            );
        }
        assert_eq!(v, [4.0, -1.0, 10.0, 2.0, 3.0]);
    }

    #[test]
    #[should_panic]
    fn percentile_of_nothing_panics() {
        percentile(&[], 50.0);
    }
}
