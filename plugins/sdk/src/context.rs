//! Look-ups in the [`Context`] a check receives.

use crate::{Context, Model, Table, TaskInfo};

impl Context {
    /// The gate's task, or an error saying that this check needs one (gates with only data
    /// checks have no `[task]`).
    pub fn require_task(&self) -> Result<&TaskInfo, String> {
        self.task.as_ref().ok_or_else(|| {
            format!(
                "check `{}` needs a [task] in the policy (type and target), but the gate has none",
                self.check_id
            )
        })
    }

    /// The dataset called `name` in the policy, or an error that lists the available names.
    pub fn dataset(&self, name: &str) -> Result<&Table, String> {
        self.datasets
            .iter()
            .find(|d| d.name == name)
            .map(|d| &d.table)
            .ok_or_else(|| {
                format!(
                    "no dataset `{name}` in the gate; available: {}",
                    list_names(self.dataset_names())
                )
            })
    }

    /// The model called `name` in the policy, or an error that lists the available names.
    pub fn model(&self, name: &str) -> Result<&Model, String> {
        self.models
            .iter()
            .find(|m| m.name == name)
            .map(|m| &m.model)
            .ok_or_else(|| {
                format!(
                    "no model `{name}` in the gate; available: {}",
                    list_names(self.model_names())
                )
            })
    }

    /// The candidate model a check gates: the configured one (the check's `candidate` key),
    /// else the model called `candidate` if the gate has one, else the gate's first model.
    ///
    /// Errors: the configured model is not in the gate (`config.candidate: no model ...`, with
    /// the available names), or the gate has no model at all.
    pub fn candidate_model(&self, configured: Option<&str>) -> Result<ModelRef<'_>, String> {
        let name = match configured {
            Some(name) => name,
            None if self.has_model("candidate") => "candidate",
            None => self
                .models
                .first()
                .map(|m| m.name.as_str())
                .ok_or_else(|| {
                    format!(
                        "check `{}` needs a model, but the gate defines none",
                        self.check_id
                    )
                })?,
        };
        self.named_model(name, "candidate")
    }

    /// The baseline model a check compares `candidate` with: the configured one (the check's
    /// `baseline` key), else the model called `baseline` if the gate has one and it is not the
    /// candidate, else none.
    ///
    /// One rule for every check: a default baseline that is the candidate itself (a gate whose
    /// candidate is configured as `baseline`) is no baseline, so bounds relative to a baseline
    /// then fail closed with "no baseline"; a *configured* baseline that is the candidate is an
    /// error (`config.baseline: ...`), as is a configured baseline the gate does not have.
    pub fn baseline_model(
        &self,
        configured: Option<&str>,
        candidate: &str,
    ) -> Result<Option<ModelRef<'_>>, String> {
        let name = match configured {
            Some(name) if name == candidate => {
                return Err(format!(
                    "config.baseline: the baseline model is the candidate model (`{name}`)"
                ))
            }
            Some(name) => name,
            None if candidate != "baseline" && self.has_model("baseline") => "baseline",
            None => return Ok(None),
        };
        self.named_model(name, "baseline").map(Some)
    }

    /// The model called `name`, for the config key `key`.
    fn named_model(&self, name: &str, key: &str) -> Result<ModelRef<'_>, String> {
        self.models
            .iter()
            .find(|m| m.name == name)
            .map(|m| ModelRef {
                name: &m.name,
                model: &m.model,
            })
            .ok_or_else(|| {
                format!(
                    "config.{key}: no model `{name}` in the gate; available: {}",
                    list_names(self.model_names())
                )
            })
    }

    /// Whether the gate has a dataset called `name`.
    pub fn has_dataset(&self, name: &str) -> bool {
        self.datasets.iter().any(|d| d.name == name)
    }

    /// Whether the gate has a model called `name`.
    pub fn has_model(&self, name: &str) -> bool {
        self.models.iter().any(|m| m.name == name)
    }

    /// The names of the gate's datasets, in policy order.
    pub fn dataset_names(&self) -> Vec<&str> {
        self.datasets.iter().map(|d| d.name.as_str()).collect()
    }

    /// The names of the gate's models, in policy order (candidate first).
    pub fn model_names(&self) -> Vec<&str> {
        self.models.iter().map(|m| m.name.as_str()).collect()
    }
}

/// A model of the gate, chosen by [`Context::candidate_model`] or [`Context::baseline_model`],
/// with its name.
#[derive(Clone, Copy)]
pub struct ModelRef<'a> {
    /// The model's name in the policy.
    pub name: &'a str,
    /// The model.
    pub model: &'a Model,
}

impl ModelRef<'_> {
    /// The model's predictions on `table` (the dataset `dataset` of the policy), checked to have
    /// one row per row of the table; an error names the model and the dataset.
    pub fn predictions(&self, table: &Table, dataset: &str) -> Result<Table, String> {
        let preds = self.model.predict(table).map_err(|e| {
            format!(
                "predictions of model `{}` on `{dataset}`: {}",
                self.name, e.message
            )
        })?;
        let (n, rows) = (preds.row_count()?, table.row_count()?);
        if n != rows {
            return Err(format!(
                "predictions of model `{}` on `{dataset}` have {n} rows, the dataset {rows}",
                self.name
            ));
        }
        Ok(preds)
    }
}

/// Renders names as "`a`, `b`" or "(none)".
pub(crate) fn list_names<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.into_iter().map(|n| format!("`{n}`")).collect();
    if names.is_empty() {
        "(none)".to_string()
    } else {
        names.join(", ")
    }
}
