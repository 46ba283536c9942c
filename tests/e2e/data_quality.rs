//! The `data-quality` plugin, compared with pandas on a reference case (tests/reference).

use crate::support::*;

#[test]
fn data_quality_metrics_match_pandas() {
    let refdir = root().join("tests/reference");
    let gate = Gate::new(
        r#"
version = 1
name = "quality"
[datasets]
reference = "{reference}/data/quality_reference.csv"
current = "{reference}/data/quality_current.parquet"
[[checks]]
id = "dq"
plugin = "data-quality"
[checks.config]
unexpected_columns = "warn"
[checks.config.columns.plan]
allowed_values = ["basic", "plus", "pro", "enterprise"]
"#,
    );
    gate.check(&[]).expect_code(1);
    let report = gate.report();
    let dq = check(&report, "dq");
    let exp: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(refdir.join("expected/quality.json")).unwrap(),
    )
    .unwrap();
    let got = |name: &str, column: Option<&str>| -> Option<f64> {
        dq["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| {
                m["name"] == name
                    && m["model"].is_null()
                    && m["slice"].is_null()
                    && m["column"].as_str() == column
            })
            .map(|m| m["value"].as_f64().unwrap())
    };
    let mut compared = 0;
    let ds = &exp["dataset"];
    for k in [
        "row_count",
        "column_count",
        "duplicate_rows",
        "duplicate_share",
    ] {
        assert_close(
            k,
            got(k, None).unwrap_or_else(|| panic!("{k}")),
            ds[k].as_f64().unwrap(),
        );
        compared += 1;
    }
    for k in ["missing_columns", "unexpected_columns"] {
        assert_eq!(
            got(k, None),
            Some(ds[k].as_array().unwrap().len() as f64),
            "{k}"
        );
        compared += 1;
    }
    for (column, col) in exp["columns"].as_object().unwrap() {
        let numeric = matches!(col["dtype"].as_str(), Some("int64" | "float64"));
        for k in [
            "null_fraction",
            "nan_count",
            "inf_count",
            "min",
            "max",
            "constant_column",
            "out_of_range_share",
            "unseen_categories",
            "unseen_share",
            "not_allowed_values",
            "dtype_mismatch",
        ] {
            let Some(want) = col.get(k).and_then(|v| v.as_f64()) else {
                continue;
            };
            match got(k, Some(column)) {
                Some(v) => {
                    assert_close(&format!("{column} {k}"), v, want);
                    compared += 1;
                }
                // Counts of NaN/inf exist only for numeric columns; a schema match is not a finding.
                None if (!numeric && matches!(k, "nan_count" | "inf_count"))
                    || (k == "dtype_mismatch" && want == 0.0) => {}
                None => {
                    panic!("the plugin did not report {k} for column {column} (pandas: {want})")
                }
            }
        }
    }
    assert!(compared >= 60, "compared {compared} metrics");
    assert_eq!(
        dq["status"], "fail",
        "missing and retyped columns fail by default: {}",
        dq["summary"]
    );
}
