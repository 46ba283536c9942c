//! Spark SQL text: quoted names, exact number literals, and values read back from results.

use polars::prelude::{DataFrame, DataType};

/// A column name as a Spark SQL identifier: in backquotes, a backquote doubled.
pub fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A finite double as a Spark SQL literal that parses back to the same bits (Rust prints the
/// shortest text that round-trips; Spark parses `…D` literals with Java's correctly rounded
/// `Double.parseDouble`).
pub fn double(x: f64) -> String {
    debug_assert!(x.is_finite());
    format!("{x:?}D")
}

/// The column `x` cast to double, and its finite values (null otherwise).
pub fn finite(column: &str) -> (String, String) {
    let x = format!("CAST({} AS DOUBLE)", ident(column));
    let fin = format!("CASE WHEN NOT isnan({x}) AND abs({x}) != {INF} THEN {x} END");
    (x, fin)
}

/// Positive infinity in Spark SQL.
pub const INF: &str = "CAST('Infinity' AS DOUBLE)";

/// A non-negative count in row 0 of column `name`.
pub fn count(df: &DataFrame, name: &str) -> Result<u64, String> {
    count_at(df, name, 0)
}

/// A non-negative count in row `row` of column `name`.
pub fn count_at(df: &DataFrame, name: &str, row: usize) -> Result<u64, String> {
    let s = df
        .column(name)
        .and_then(|c| c.cast(&DataType::Int64))
        .map_err(|e| format!("the engine's answer lacks `{name}`: {e}"))?;
    let v = s.i64().map_err(|e| e.to_string())?.get(row).unwrap_or(0);
    u64::try_from(v).map_err(|_| format!("the engine counted {v} for `{name}`"))
}

/// A value in row 0 of column `name` as text ("null" when null).
pub fn text(df: &DataFrame, name: &str) -> Result<String, String> {
    let s = df
        .column(name)
        .and_then(|c| c.cast(&DataType::String))
        .map_err(|e| format!("the engine's answer lacks `{name}`: {e}"))?;
    Ok(s.str()
        .map_err(|e| e.to_string())?
        .get(0)
        .unwrap_or("null")
        .to_string())
}

/// A double (or null) in row `row` of column `name`.
pub fn float_at(df: &DataFrame, name: &str, row: usize) -> Result<Option<f64>, String> {
    let s = df
        .column(name)
        .and_then(|c| c.cast(&DataType::Float64))
        .map_err(|e| format!("the engine's answer lacks `{name}`: {e}"))?;
    Ok(s.f64().map_err(|e| e.to_string())?.get(row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_and_literals_round_trip() {
        assert_eq!(ident("a`b c"), "`a``b c`");
        assert_eq!(double(0.1), "0.1D");
        assert_eq!(double(-1e-300), "-1e-300D");
        assert_eq!(double(3.0), "3.0D");
        for x in [0.1, 1.0 / 3.0, 5e-324, f64::MAX, -2.5e17] {
            let text = double(x);
            let back: f64 = text.trim_end_matches('D').parse().unwrap();
            assert_eq!(back.to_bits(), x.to_bits(), "{text}");
        }
    }
}
