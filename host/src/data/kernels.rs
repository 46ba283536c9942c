//! Sort and hash kernels: order-preserving keys for floats, an LSD radix sort, a 64-bit mixer.

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

/// LSD radix sort of u64 keys, 8 bits a pass; a pass where every key has the same byte is skipped.
pub(super) fn radix_sort(keys: &mut Vec<u64>) {
    if keys.len() < 256 {
        keys.sort_unstable();
        return;
    }
    let mut counts = vec![[0usize; 256]; 8];
    for &k in keys.iter() {
        for (pass, c) in counts.iter_mut().enumerate() {
            c[((k >> (pass * 8)) & 0xff) as usize] += 1;
        }
    }
    let mut buffer = vec![0u64; keys.len()];
    for (pass, c) in counts.iter().enumerate() {
        if c.contains(&keys.len()) {
            continue;
        }
        let mut offsets = [0usize; 256];
        let mut total = 0;
        for (o, n) in offsets.iter_mut().zip(c) {
            *o = total;
            total += n;
        }
        for &k in keys.iter() {
            let d = ((k >> (pass * 8)) & 0xff) as usize;
            buffer[offsets[d]] = k;
            offsets[d] += 1;
        }
        std::mem::swap(keys, &mut buffer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;
    use polars::prelude::*;

    #[test]
    fn radix_sort_orders_floats_like_total_cmp() {
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
        radix_sort(&mut keys);
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
}
