//! What the checks see of one window of a dataset (`monitor`): the window in the slot of
//! `current`, the rows of it that models can take, and the rows of it that have a label. Labels
//! that have not arrived are normal in a production log: a window without any skips the checks
//! that need them.

use std::sync::Arc;

use anyhow::Context as _;
use polars::prelude::{IdxSize, Series};

use super::inputs::missing_label;
use super::{CheckInputs, Labels, Prepared};
use crate::data::{present, Dataset};
use crate::policy::{MissingFeatures, Policy};

/// Per row of a dataset: whether models can take it (every feature present, under
/// `task.missing_features = "drop"`; always otherwise) and whether it has a label.
pub struct RowFlags {
    complete: Vec<bool>,
    labelled: Vec<bool>,
}

/// One window as the checks see it.
pub struct WindowInputs {
    /// What every check sees.
    pub inputs: CheckInputs,
    /// The window's rows with a label (what checks that need labels evaluate); `None` without
    /// a task.
    pub labelled_rows: Option<usize>,
}

impl Prepared {
    /// `monitor.timestamp` of the dataset at `index`, as it was before the gate took it out.
    pub fn timestamps(&self, index: usize) -> Option<&Series> {
        self.data.timestamps.get(index).and_then(Option::as_ref)
    }

    /// Which rows of the dataset at `index` models can take and which have a label.
    pub fn row_flags(&self, policy: &Policy, index: usize) -> RowFlags {
        let d = &self.data.datasets[index];
        let rows = d.rows();
        let Some(task) = &policy.spec.task else {
            return RowFlags {
                complete: vec![true; rows],
                labelled: vec![false; rows],
            };
        };
        let complete = if task.missing_features == MissingFeatures::Drop {
            d.complete_rows(&self.models.features)
        } else {
            vec![true; rows]
        };
        let labelled = match d.series(&task.target) {
            Ok(s) => present(s)
                .into_iter()
                .zip(&complete)
                .map(|(p, c)| p && *c)
                .collect(),
            Err(_) => vec![false; rows],
        };
        RowFlags { complete, labelled }
    }

    /// What the checks see when the rows `rows` of the dataset at `source` stand in for the
    /// dataset at `slot` (a window of the log, or of the reference), named `view`.
    pub fn window_inputs(
        &self,
        policy: &Policy,
        (slot, source): (usize, usize),
        rows: &[IdxSize],
        flags: &RowFlags,
        view: &str,
    ) -> anyhow::Result<WindowInputs> {
        let base = &self.data.datasets[source];
        let name = self.data.datasets[slot].name.clone();
        let sub = |keep: &[bool], what: &str| -> anyhow::Result<Arc<Dataset>> {
            let kept: Vec<IdxSize> = rows.iter().copied().filter(|r| keep[*r as usize]).collect();
            let v = base
                .rows_view(&kept, &name, &format!("{view}, {what}"))
                .with_context(|| format!("cannot take {view} of dataset `{}`", base.name))?;
            Ok(Arc::new(v))
        };
        let window = Arc::new(
            base.rows_view(rows, &name, view)
                .with_context(|| format!("cannot take {view} of dataset `{}`", base.name))?,
        );
        let all = |keep: &[bool]| rows.iter().all(|r| keep[*r as usize]);
        let model_view = if all(&flags.complete) {
            window.clone()
        } else {
            sub(&flags.complete, "rows with complete model inputs")?
        };
        let label_view = if all(&flags.labelled) {
            window.clone()
        } else {
            sub(&flags.labelled, "rows with a label")?
        };
        let labelled_rows = label_view.rows();
        let replace = |mut v: Vec<Arc<Dataset>>, with: Arc<Dataset>| {
            v[slot] = with;
            v
        };
        let data = &self.data.datasets;
        let drop = !self.models.model_views.is_empty();
        let others = if drop { &self.models.label_views } else { data };
        let labels = match policy.spec.task.as_ref() {
            None => Labels::Ready,
            Some(_) if labelled_rows == 0 => Labels::Skip(format!(
                "no labels yet: none of the {} rows of {view} has a label",
                window.rows()
            )),
            Some(task) if !drop => {
                let rest: Vec<Arc<Dataset>> = data
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != slot)
                    .map(|(_, d)| d.clone())
                    .collect();
                missing_label(&rest, &task.target).map_or(Labels::Ready, Labels::Error)
            }
            _ => Labels::Ready,
        };
        Ok(WindowInputs {
            inputs: CheckInputs {
                features: self.models.features.clone(),
                datasets: replace(data.clone(), window),
                model_datasets: if drop {
                    replace(self.models.model_views.clone(), model_view)
                } else {
                    Vec::new()
                },
                label_datasets: replace(others.clone(), label_view),
                models: self.models.models.clone(),
                labels,
            },
            labelled_rows: policy.spec.task.as_ref().map(|_| labelled_rows),
        })
    }
}
