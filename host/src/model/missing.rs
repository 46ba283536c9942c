//! `task.missing_features` for ONNX models: rows with a null, NaN or infinite feature make the
//! model's checks error (`error`), are left out of its inputs (`drop`: their predictions are null),
//! or go in as NaN (`nan`, for graphs with an imputer; NaN or infinite outputs are then errors).

use polars::prelude::*;

use super::feed::Feed;
use super::{Model, OnnxModel};
use crate::data::{incomplete, CallError, CallErrorKind, Dataset};
use crate::policy::MissingFeatures;

/// A model's input tensors for one dataset.
pub(super) struct Inputs {
    /// One tensor per graph input.
    pub feed: Feed,
    /// Rows in the feed.
    pub rows: usize,
    /// Which of the dataset's rows the feed holds, when some were left out.
    pub kept: Option<Vec<bool>>,
}

/// The rows of `data` whose features are all present and finite, as a view.
pub(super) fn complete_view(data: &Dataset, features: &[String]) -> Result<Dataset, CallError> {
    data.view(&data.complete_rows(features), COMPLETE_VIEW)
}

/// The view name of a dataset's rows with complete model inputs.
const COMPLETE_VIEW: &str = "complete model inputs";

/// Full-length columns from columns computed on the kept rows: null where a row was left out.
pub(super) fn spread(columns: Vec<Column>, kept: &[bool]) -> PolarsResult<Vec<Column>> {
    let mut next: IdxSize = 0;
    let idx: IdxCa = kept
        .iter()
        .map(|k| {
            k.then(|| {
                next += 1;
                next - 1
            })
        })
        .collect();
    columns
        .into_iter()
        .map(|c| c.as_materialized_series().take(&idx).map(Column::from))
        .collect()
}

impl Model {
    /// The input tensors of `m` for `data` as `task.missing_features` says (only the columns the
    /// model takes count), the number of rows in them and, when rows were left out, which rows
    /// they hold.
    /// `complete`: whether every row's inputs are complete ([`Dataset::is_complete`] of
    /// `data` or of a dataset it is a batch of), which the caller has found out.
    pub(super) fn inputs(
        &self,
        m: &OnnxModel,
        data: &Dataset,
        complete: bool,
    ) -> Result<Inputs, CallError> {
        let feed = |d: &Dataset| {
            // Tensors are ONNX Runtime's: it must be loaded (the session opened) first.
            m.ready().map_err(|e| {
                CallError::new(
                    CallErrorKind::Failed,
                    format!("model `{}` cannot run: {e:#}", self.name),
                )
            })?;
            m.layout.feed(&self.name, d, &self.features, &m.null_text)
        };
        if complete {
            return Ok(Inputs {
                feed: feed(data)?,
                rows: data.rows(),
                kept: None,
            });
        }
        match self.missing {
            MissingFeatures::Error => Err(self.missing_error(data, false)),
            MissingFeatures::Nan => match self.missing_error_infinite(data) {
                Some(e) => Err(e),
                None => Ok(Inputs {
                    feed: feed(data)?,
                    rows: data.rows(),
                    kept: None,
                }),
            },
            MissingFeatures::Drop => {
                let keep = data.complete_rows(&self.features);
                let view = data.view(&keep, COMPLETE_VIEW)?;
                if view.rows() == 0 {
                    return Err(self.missing_error(data, true));
                }
                Ok(Inputs {
                    feed: feed(&view)?,
                    rows: view.rows(),
                    kept: Some(keep),
                })
            }
        }
    }

    /// The first feature of `data` with a missing value, as an error that says what to do.
    fn missing_error(&self, data: &Dataset, all_rows: bool) -> CallError {
        let file = data
            .path
            .as_ref()
            .map(|p| format!(" ({})", p.display()))
            .unwrap_or_default();
        let found = self.features.iter().find_map(|f| {
            let s = data.series(f).ok()?;
            incomplete(s).map(|m| (f, s.len(), m))
        });
        let message = match found {
            _ if all_rows => format!(
                "every row of dataset `{}`{file} has a missing feature value, so no row is left for \
                 model `{}` (task.missing_features = \"drop\"); fix the data",
                data.name, self.name
            ),
            Some((f, n, (count, _, "null"))) if count == n => format!(
                "feature `{f}` of dataset `{}`{file} has no values: all {n} rows are null; model `{}` \
                 needs it — fill the column, or leave it out of `task.features`",
                data.name, self.name
            ),
            Some((f, _, (count, row, kind))) => format!(
                "feature `{f}` of dataset `{}`{file} has {count} {kind} value{} (the first in data row \
                 {row}); model `{}` needs complete, finite inputs — set `task.missing_features = \"drop\"` \
                 to leave such rows out, `\"nan\"` for a model that imputes, or fix the data",
                data.name,
                if count == 1 { "" } else { "s" },
                self.name
            ),
            None => format!("dataset `{}`{file} has a missing feature value", data.name),
        };
        CallError::new(CallErrorKind::InvalidArgument, message)
    }

    /// With `nan`, infinite feature values are still errors: no imputer treats them as missing.
    fn missing_error_infinite(&self, data: &Dataset) -> Option<CallError> {
        self.features.iter().find_map(|f| {
            let s = data.series(f).ok()?;
            let values = s.cast(&DataType::Float64).ok()?;
            let values = values.f64().ok()?;
            let rows: Vec<usize> =
                values.iter().enumerate().filter(|(_, v)| v.is_some_and(f64::is_infinite)).map(|(i, _)| i + 1).collect();
            let first = *rows.first()?;
            Some(CallError::new(
                CallErrorKind::InvalidArgument,
                format!(
                    "feature `{f}` of dataset `{}` has {} infinite value{} (the first in data row {first}); \
                     task.missing_features = \"nan\" passes nulls as NaN, but infinite values are not missing \
                     — fix the data or use \"drop\"",
                    data.name,
                    rows.len(),
                    if rows.len() == 1 { "" } else { "s" }
                ),
            ))
        })
    }

    /// With `nan`, a NaN or infinite output means the graph did not impute: an error naming rows.
    pub(super) fn check_finite_outputs(
        &self,
        data: &Dataset,
        columns: &[Column],
    ) -> Result<(), CallError> {
        let mut bad: Vec<usize> = Vec::new();
        for c in columns {
            let Ok(f) = c.as_materialized_series().cast(&DataType::Float64) else {
                continue;
            };
            let Ok(f) = f.f64() else { continue };
            bad.extend(
                f.iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_some_and(|v| !v.is_finite()))
                    .map(|(i, _)| i + 1),
            );
        }
        if bad.is_empty() {
            return Ok(());
        }
        bad.sort_unstable();
        bad.dedup();
        let shown: Vec<String> = bad.iter().take(5).map(usize::to_string).collect();
        Err(CallError::new(
            CallErrorKind::Failed,
            format!(
                "model `{}` returned NaN or infinite outputs for {} row{} of dataset `{}` (data rows {}{}) with \
                 task.missing_features = \"nan\": its graph does not impute every missing feature — use \
                 \"drop\", or export the model with an imputer",
                self.name,
                bad.len(),
                if bad.len() == 1 { "" } else { "s" },
                data.name,
                shown.join(", "),
                if bad.len() > 5 { ", …" } else { "" }
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_puts_nulls_where_rows_were_left_out() {
        let cols = vec![Column::from(Series::new("p".into(), [1.0, 2.0]))];
        let out = spread(cols, &[false, true, false, true]).unwrap();
        let v: Vec<Option<f64>> = out[0]
            .as_materialized_series()
            .f64()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(v, [None, Some(1.0), None, Some(2.0)]);
    }
}
