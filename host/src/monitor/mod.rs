//! `modelgate monitor`: the gate's checks on each window of a production log
//! (`datasets.current`), and what the windows call for ([`crate::decision`]). The inputs are
//! loaded and the plugins compiled once; the reference's statistics are computed once and shared
//! by every window.

pub mod notify;
pub mod windows;

use anyhow::{bail, Context as _};

use crate::decision::{
    apply_reference_bounds, decide, latest_with_checks, reference_bounds, window_status,
    MonitorRun, ReferenceBound, WindowRecord, Windowing,
};
use crate::gate::{self, GateOptions, Prepared};
use crate::policy::{MonitorSpec, Policy, Thresholds};
use crate::progress::Progress;
use crate::record::{CheckReport, Timing};
use windows::Window;

/// Runs every check of the policy on each window of its log and decides.
pub async fn run(
    policy: &Policy,
    opts: &GateOptions,
    progress: &Progress,
) -> anyhow::Result<MonitorRun> {
    let Some(spec) = &policy.spec.monitor else {
        bail!(
            "{}: the policy has no [monitor] table; add one that says how to split the log, e.g.\n\
             [monitor]\ntimestamp = \"ts\"\nperiod = \"1d\"",
            policy.path.display()
        );
    };
    let prepared = gate::prepare(policy, opts, progress).await?;
    let current = dataset_index(policy, "current").context("no dataset `current`")?;
    // Every window is compared with the same reference: what is computed on it is kept.
    for (i, d) in prepared.datasets().iter().enumerate() {
        if i != current {
            d.share();
        }
    }
    let phase = std::time::Instant::now();
    let windows = split(policy, spec, &prepared, current)?;
    let mut timings = prepared.timings.clone();
    timings.push(Timing::phase(
        format!("split the log into {} windows", windows.len()),
        phase.elapsed(),
    ));
    let phase = std::time::Instant::now();
    let bounds = match spec.thresholds {
        Thresholds::Policy => Vec::new(),
        Thresholds::Reference => {
            learn_bounds(policy, spec, &prepared, current, &windows, progress).await?
        }
    };
    if spec.thresholds == Thresholds::Reference {
        timings.push(Timing::phase(
            "learn the bounds from the reference's windows",
            phase.elapsed(),
        ));
    }
    let phase = std::time::Instant::now();
    let flags = prepared.row_flags(policy, current);
    let mut records = Vec::with_capacity(windows.len());
    let quiet = Progress::hidden();
    for (i, w) in windows.iter().enumerate() {
        progress.step(format!("window {} of {}", i + 1, windows.len()));
        if w.rows.is_empty() {
            records.push(WindowRecord {
                start: w.start,
                end: w.end,
                rows: 0,
                labelled_rows: None,
                status: window_status(&[]),
                checks: Vec::new(),
            });
            continue;
        }
        let view = format!("window {}", w.label(i));
        let win = prepared.window_inputs(policy, (current, current), &w.rows, &flags, &view)?;
        let mut checks = gate::run_checks(policy, &prepared, win.inputs, &quiet, None).await?;
        apply_reference_bounds(&mut checks, &bounds);
        records.push(WindowRecord {
            start: w.start,
            end: w.end,
            rows: w.rows.len(),
            labelled_rows: win.labelled_rows,
            status: window_status(&checks),
            checks,
        });
    }
    progress.finish();
    timings.extend(window_timings(&records, prepared.jobs, phase.elapsed()));
    let (action, reasons) = decide(&records, spec.retrain_after);
    let latest = latest_with_checks(&records)
        .map(|(_, w)| w.checks.clone())
        .unwrap_or_default();
    Ok(MonitorRun {
        gate: gate::record(policy, &prepared, latest, timings),
        windowing: Windowing {
            timestamp: spec.timestamp.clone(),
            period: spec.period.clone(),
            chunk_size: spec.chunk_size,
        },
        retrain_after: spec.retrain_after,
        thresholds: spec.thresholds,
        reference_bounds: bounds,
        windows: records,
        action,
        reasons,
        notifications: Vec::new(),
    })
}

/// `--timings` of the windows: the phase, then each check's time summed over the windows.
fn window_timings(records: &[WindowRecord], jobs: usize, took: std::time::Duration) -> Vec<Timing> {
    let ran = records.iter().filter(|w| !w.checks.is_empty()).count();
    let mut out = vec![Timing::phase(
        format!("run the checks on {ran} windows ({jobs} at a time)"),
        took,
    )];
    for w in records {
        for c in &w.checks {
            let what = format!("check `{}` (summed over the windows)", c.id);
            match out.iter_mut().find(|t| t.what == what) {
                Some(t) => t.took += c.duration,
                None => out.push(Timing::item(what, c.duration)),
            }
        }
    }
    out
}

fn dataset_index(policy: &Policy, name: &str) -> Option<usize> {
    policy.spec.datasets.keys().position(|k| k == name)
}

/// The log's windows: calendar periods of the timestamp, or chunks of rows.
fn split(
    policy: &Policy,
    spec: &MonitorSpec,
    prepared: &Prepared,
    current: usize,
) -> anyhow::Result<Vec<Window>> {
    let log = &prepared.datasets()[current];
    let times = match &spec.timestamp {
        Some(column) => {
            let Some(ts) = prepared.timestamps(current) else {
                bail!(
                    "at key `monitor.timestamp`: dataset `current` ({}) has no column `{column}`; its \
                     columns are {}",
                    policy.spec.datasets["current"].path.display(),
                    log.column_names().join(", ")
                );
            };
            Some(windows::timestamps_ms(ts, "current")?)
        }
        None => None,
    };
    match (spec.period(), spec.chunk_size, &times) {
        (Some(period), _, Some(t)) => {
            windows::by_period(t, period, spec.period.as_deref().unwrap_or_default())
        }
        (_, Some(size), _) => windows::by_chunks(log.rows(), size, times.as_deref()),
        _ => bail!("at key `monitor`: give `period` (with `timestamp`) or `chunk_size`"),
    }
}

/// `thresholds = "reference"`: the checks on windows of the reference (consecutive rows, as many
/// per window as `chunk_size`, or the median rows of the log's non-empty windows), each in the
/// place of `current`; each deciding metric's mean ± 3σ across them.
async fn learn_bounds(
    policy: &Policy,
    spec: &MonitorSpec,
    prepared: &Prepared,
    current: usize,
    windows: &[Window],
    progress: &Progress,
) -> anyhow::Result<Vec<ReferenceBound>> {
    let Some(reference) = dataset_index(policy, "reference") else {
        bail!(
            "at key `monitor.thresholds`: \"reference\" learns each metric's bounds from windows of \
             `datasets.reference`, and the policy has none; add it, or remove `thresholds`"
        );
    };
    let size = spec.chunk_size.unwrap_or_else(|| {
        let mut sizes: Vec<usize> = windows
            .iter()
            .map(|w| w.rows.len())
            .filter(|n| *n > 0)
            .collect();
        sizes.sort_unstable();
        sizes[sizes.len() / 2]
    });
    let rows = prepared.datasets()[reference].rows();
    let chunks = windows::by_chunks(rows, size, None)?;
    // A short last chunk would widen the bounds with its noise: only whole windows count.
    let whole: Vec<&Window> = chunks.iter().filter(|c| c.rows.len() == size).collect();
    if whole.len() < 2 {
        bail!(
            "at key `monitor.thresholds`: the reference has {rows} rows, which is {} window{} of \
             {size} rows (the size of the log's windows); mean ± 3σ needs at least 2 — use a larger \
             reference or smaller windows",
            whole.len(),
            if whole.len() == 1 { "" } else { "s" }
        );
    }
    let flags = prepared.row_flags(policy, reference);
    let quiet = Progress::hidden();
    let mut results: Vec<Vec<CheckReport>> = Vec::new();
    for (i, w) in whole.iter().enumerate() {
        progress.step(format!("reference window {} of {}", i + 1, whole.len()));
        let view = format!("reference window {}", i + 1);
        let win = prepared.window_inputs(policy, (current, reference), &w.rows, &flags, &view)?;
        results.push(gate::run_checks(policy, prepared, win.inputs, &quiet, None).await?);
    }
    Ok(reference_bounds(&results))
}
