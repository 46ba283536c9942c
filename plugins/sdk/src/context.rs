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

/// Renders names as "`a`, `b`" or "(none)".
pub(crate) fn list_names<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.into_iter().map(|n| format!("`{n}`")).collect();
    if names.is_empty() {
        "(none)".to_string()
    } else {
        names.join(", ")
    }
}
