//! Running the checks: each in a fresh sandbox on a blocking thread, at most `jobs` at a time,
//! collected in policy order.

use std::sync::Arc;
use std::time::Instant;

use anyhow::anyhow;

use super::plugins::PreparedCheck;
use super::plural;
use crate::data::Dataset;
use crate::model::Model;
use crate::outcome::Outcome;
use crate::policy::{Policy, TaskType};
use crate::progress::Progress;
use crate::record::{CheckReport, Timing};
use crate::runtime::{self, CheckContext, Labels, Runtime};

/// What every check may look at.
#[derive(Clone)]
pub struct CheckInputs {
    /// The task's feature columns.
    pub features: Vec<String>,
    /// Datasets in policy order.
    pub datasets: Vec<Arc<Dataset>>,
    /// What checks that need a model see instead (empty: the same datasets).
    pub model_datasets: Vec<Arc<Dataset>>,
    /// What checks that need labels see instead (empty: the same datasets).
    pub label_datasets: Vec<Arc<Dataset>>,
    /// Models in policy order.
    pub models: Vec<Arc<Model>>,
    /// Whether checks that need labels can run.
    pub labels: Labels,
}

/// Runs the prepared checks, `jobs` at a time; returns their reports in policy order.
pub(super) async fn run(
    policy: &Policy,
    rt: &Arc<Runtime>,
    prepared: &[PreparedCheck],
    shared: CheckInputs,
    jobs: usize,
    progress: &Progress,
    timings: Option<&mut Vec<Timing>>,
) -> anyhow::Result<Vec<CheckReport>> {
    let spec = &policy.spec;
    let phase_started = Instant::now();
    progress.step(format!("running {}", plural(spec.checks.len(), "check")));
    let sem = Arc::new(tokio::sync::Semaphore::new(jobs));
    let mut handles = Vec::new();
    for p in prepared.iter().cloned() {
        let ctx = context(policy, &spec.checks[p.index].id, &shared);
        let (rt, sem) = (rt.clone(), sem.clone());
        handles.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await;
            let started = Instant::now();
            let outcome = tokio::task::spawn_blocking(move || {
                rt.run_check(&p.pre, &p.sha256, &ctx, &p.config_json, &p.limits)
            })
            .await
            .unwrap_or_else(|e| Outcome::errored(format!("the check runner crashed: {e}")));
            (p.index, outcome, started.elapsed())
        }));
    }
    let mut checks = Vec::new();
    let total = handles.len();
    for h in handles {
        let (index, outcome, duration) =
            h.await.map_err(|e| anyhow!("check runner crashed: {e}"))?;
        progress.tick(total);
        let c = &spec.checks[index];
        checks.push(CheckReport {
            id: c.id.clone(),
            plugin: c.plugin.clone(),
            severity: c.severity,
            outcome,
            duration,
        });
    }
    progress.finish();
    let Some(timings) = timings else {
        return Ok(checks);
    };
    timings.push(Timing::phase(
        format!("run checks ({jobs} at a time)"),
        phase_started.elapsed(),
    ));
    for c in &checks {
        timings.push(Timing::item(format!("check `{}`", c.id), c.duration));
    }
    for m in &shared.models {
        for (dataset, took, cached) in m.predict_times() {
            let how = if cached {
                "from the cache"
            } else {
                "inside the checks"
            };
            timings.push(Timing::item(
                format!("predictions of `{}` on `{dataset}` ({how})", m.name),
                took,
            ));
        }
    }
    Ok(checks)
}

/// What one check sees: the task (a binary task's positive label defaults to `1`), the features,
/// every dataset and model.
fn context(policy: &Policy, check_id: &str, shared: &CheckInputs) -> CheckContext {
    let task = policy.spec.task.as_ref();
    CheckContext {
        check_id: check_id.to_string(),
        task: task.map(|t| runtime::task_kind(t.kind)),
        target: task.map(|t| t.target.clone()).unwrap_or_default(),
        positive_label: task.and_then(|t| match t.kind {
            TaskType::Binary => Some(
                t.positive_label
                    .as_ref()
                    .map_or_else(|| "1".to_string(), |l| l.0.clone()),
            ),
            _ => None,
        }),
        features: shared.features.to_vec(),
        datasets: shared.datasets.to_vec(),
        model_datasets: shared.model_datasets.to_vec(),
        label_datasets: shared.label_datasets.to_vec(),
        models: shared.models.to_vec(),
        labels: shared.labels.clone(),
    }
}
