//! The values a plugin can send through the `table` resource (column names, offsets, lengths,
//! probabilities, edges, limits), in any order: every call returns a value or a host error; none
//! panics or allocates without bound.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use modelgate::data::Dataset;
use polars::prelude::*;

#[derive(Arbitrary, Debug)]
enum Call {
    Stats(String),
    Quantiles(String, Vec<f64>),
    Histogram(String, Vec<f64>),
    ValueCounts(String, u32),
    ReadF64(String, u64, u32),
    ReadI64(String, u64, u32),
    ReadUtf8(String, u64, u32),
    DuplicateRows(Vec<String>),
    ValueRuns(String),
}

/// Column names the fuzzer picks from most of the time (others are arbitrary strings).
const NAMES: [&str; 5] = ["x", "i", "s", "b", "n"];

fn dataset() -> &'static Dataset {
    static D: OnceLock<Dataset> = OnceLock::new();
    D.get_or_init(|| {
        let df = df!(
            "x" => [Some(1.5), None, Some(f64::NAN), Some(f64::INFINITY), Some(-2.0), Some(1.5)],
            "i" => [Some(1i64), Some(i64::MAX), None, Some(i64::MIN), Some(0), Some(1)],
            "s" => [Some("a"), Some(""), None, Some("ü😀"), Some("a"), Some("a")],
            "b" => [Some(true), Some(false), None, Some(true), Some(true), Some(true)],
            "n" => [None::<f64>, None, None, None, None, None],
        )
        .expect("a valid frame");
        Dataset::from_frame("fuzz", df)
    })
}

fn column(s: &str) -> &str {
    match s.as_bytes().first() {
        Some(&b) if (b as usize) < NAMES.len() * 40 => NAMES[b as usize % NAMES.len()],
        _ => s,
    }
}

fuzz_target!(|calls: Vec<Call>| {
    let d = dataset();
    for call in calls.iter().take(64) {
        match call {
            Call::Stats(c) => drop(d.stats(column(c))),
            Call::Quantiles(c, p) => drop(d.quantiles(column(c), p)),
            Call::Histogram(c, e) => drop(d.histogram(column(c), e)),
            Call::ValueCounts(c, n) => drop(d.value_counts(column(c), *n)),
            Call::ReadF64(c, o, n) => drop(d.read_f64(column(c), *o, *n)),
            Call::ReadI64(c, o, n) => drop(d.read_i64(column(c), *o, *n)),
            Call::ReadUtf8(c, o, n) => drop(d.read_utf8(column(c), *o, *n)),
            Call::ValueRuns(c) => drop(d.value_runs(column(c))),
            Call::DuplicateRows(cs) => {
                let cs: Vec<String> = cs.iter().take(8).map(|c| column(c).to_string()).collect();
                drop(d.duplicate_rows(&cs))
            }
        }
    }
});
