//! Sort and hash kernels: order-preserving keys for floats, a 64-bit mixer, a pass over values
//! and a dense copy of them.

/// A 64-bit finaliser (SplitMix64's): every input bit affects every output bit.
pub(super) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A key whose unsigned order is the order of finite floats (and -0.0 < 0.0).
pub(super) fn order_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

pub(super) fn from_order_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Calls `f` with each non-null value of `ca`: from the values themselves where a chunk has no
/// null (no per-row `Option`), else through its validity.
pub(super) fn for_each_value(ca: &polars::prelude::Float64Chunked, mut f: impl FnMut(f64)) {
    use polars_arrow::array::Array;
    for arr in ca.downcast_iter() {
        if arr.null_count() == 0 {
            arr.values().iter().for_each(|&x| f(x));
        } else {
            arr.iter().flatten().for_each(|&x| f(x));
        }
    }
}

/// The values of `ca`, `null` where a row is null: each chunk without nulls copied from its
/// values, the others through their validity.
pub(super) fn values_or<T>(ca: &polars::prelude::ChunkedArray<T>, null: T::Native) -> Vec<T::Native>
where
    T: polars::prelude::PolarsNumericType,
{
    use polars_arrow::array::Array;
    let mut out = Vec::with_capacity(ca.len());
    for arr in ca.downcast_iter() {
        if arr.null_count() == 0 {
            out.extend_from_slice(arr.values());
        } else {
            out.extend(arr.iter().map(|v| v.copied().unwrap_or(null)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;
    use polars::prelude::*;

    #[test]
    fn order_keys_sort_floats_like_total_cmp() {
        let mut state = 0x1234_5678u64;
        let mut values: Vec<f64> = (0..5000)
            .map(|i| {
                state = mix(state);
                match i % 7 {
                    0 => -((state >> 11) as f64),
                    1 => 0.0,
                    2 => -0.0,
                    3 => f64::MIN_POSITIVE,
                    _ => (state >> 11) as f64 * 1e-9 - 4e6,
                }
            })
            .collect();
        let mut keys: Vec<u64> = values.iter().map(|&x| order_key(x)).collect();
        keys.sort_unstable();
        let sorted: Vec<f64> = keys.into_iter().map(from_order_key).collect();
        values.sort_unstable_by(f64::total_cmp);
        assert_eq!(
            sorted.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            values.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        let st = Dataset::from_frame("t", df!("x" => [Some(1.0), Some(-0.0), Some(0.0), None, Some(f64::NAN), Some(f64::NAN), Some(1.0)]).unwrap())
            .stats("x")
            .unwrap();
        assert_eq!(st.unique_count, 3, "1, 0 (either sign) and NaN");
    }

    #[test]
    fn each_value_of_chunks_with_and_without_nulls() {
        let mut ca = Float64Chunked::from_slice("x".into(), &[1.0, f64::NAN, -0.0]);
        ca.append(&Float64Chunked::from_iter_options(
            "x".into(),
            [None, Some(2.0), None, Some(f64::INFINITY)].into_iter(),
        ))
        .unwrap();
        ca.append(&Float64Chunked::from_slice("x".into(), &[3.0]))
            .unwrap();
        assert_eq!(ca.chunks().len(), 3);
        let mut seen = Vec::new();
        for_each_value(&ca, |x| seen.push(x.to_bits()));
        let expected: Vec<u64> = ca.iter().flatten().map(f64::to_bits).collect();
        assert_eq!(seen, expected);
        assert_eq!(seen.len(), 6);
        let dense: Vec<u64> = values_or(&ca, 7.5).into_iter().map(f64::to_bits).collect();
        let expected: Vec<u64> = ca.iter().map(|v| v.unwrap_or(7.5).to_bits()).collect();
        assert_eq!(dense, expected);
        assert_eq!(dense.len(), 8);
    }
}
