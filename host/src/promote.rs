//! `modelgate check --promote ALIAS`: promotion happens in the registry, and only for a verdict
//! that still holds. After the gate:
//!
//! 1. every input of the report is re-hashed (`verify`; the candidate is downloaded from the
//!    registry again) — a promote verdict on inputs that changed meanwhile promotes nothing;
//! 2. the verdict (tags), the candidate's metrics and the rendered reports (artifacts under
//!    `modelgate/`) are logged to the candidate version's run, whatever the verdict;
//! 3. on `promote` only, ALIAS is pointed at the candidate's version and read back.
//!
//! Any failure is an error (exit 2) that says what was and was not done.

use anyhow::{bail, Context as _};

use crate::policy::Policy;
use crate::registry::{self, Client};
use crate::report::Done;
use crate::verdict::Verdict;

/// Before the gate runs: the candidate (the policy's first model) must come from the registry,
/// and the alias must be one MLflow accepts. Returns the candidate's name.
pub fn check_candidate(policy: &Policy, alias: &str) -> anyhow::Result<String> {
    if !registry::valid_alias(alias)
        || alias.eq_ignore_ascii_case("latest")
        || (alias.starts_with('v')
            && alias.len() > 1
            && alias[1..].bytes().all(|b| b.is_ascii_digit()))
    {
        bail!("--promote {alias}: not an alias MLflow accepts (letters, digits, `_` and `-`; `latest` and `v<number>` are reserved)");
    }
    let Some((name, model)) = policy.spec.models.first() else {
        bail!("--promote sets an alias on the candidate model in the MLflow registry, but the policy has no models");
    };
    let from_registry = model
        .onnx
        .as_ref()
        .and_then(|p| p.to_str())
        .is_some_and(registry::is_registry_uri);
    if !from_registry {
        bail!(
            "--promote sets an alias in the MLflow registry, but the candidate (the first model, `{name}`) is not from the \
             registry: write `onnx = \"models:/NAME@ALIAS\"` or `\"models:/NAME/VERSION\"` at models.{name}"
        );
    }
    Ok(name.clone())
}

/// The candidate's metrics as MLflow metric keys: `modelgate.<check>.<metric>[.<column>][.<slice>]`.
fn metrics(done: &Done, candidate: &str) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for c in &done.run.checks {
        for m in &c.outcome.metrics {
            if m.model.as_deref().is_some_and(|model| model != candidate) {
                continue;
            }
            let mut key = format!("modelgate.{}.{}", c.id, m.name);
            for part in [&m.column, &m.slice].into_iter().flatten() {
                key.push('.');
                key.push_str(part);
            }
            // MLflow keys: alphanumerics, `_ - . space : /`, at most 250 characters.
            let key: String = key
                .chars()
                .map(|ch| {
                    if ch.is_ascii_alphanumeric() || "_-. :/".contains(ch) {
                        ch
                    } else {
                        '_'
                    }
                })
                .take(250)
                .collect();
            out.push((key, m.value));
        }
    }
    out
}

/// Verifies, logs to the candidate's run, and on promote sets the alias.
pub fn promote(done: &Done, candidate: &str, alias: &str) -> anyhow::Result<()> {
    let model = done
        .run
        .models
        .iter()
        .find(|(n, _)| n == candidate)
        .and_then(|(_, f)| f.as_ref());
    let Some(info) = model.and_then(|f| f.registry.as_ref()) else {
        bail!("--promote: the candidate `{candidate}` was not loaded from the registry");
    };
    let pinned = info.pinned_uri();
    let report: serde_json::Value = serde_json::from_slice(&done.json)?;

    // 1. The inputs must be the ones the verdict was given for.
    let findings = crate::verify::findings(&report)?;
    let changed: Vec<String> = findings
        .iter()
        .filter(|f| !f.matches())
        .map(|f| format!("{} ({})", f.what, f.path))
        .collect();
    if !changed.is_empty() {
        bail!("not promoting {pinned}: these inputs changed while the gate ran: {}; run the gate again", changed.join(", "));
    }

    let client = Client::new(Some(&info.tracking_uri))?;
    // 2. The verdict, metrics and reports go to the candidate's run.
    match &info.run_id {
        Some(run) => {
            let mut tags = vec![
                (
                    "modelgate.verdict".to_string(),
                    done.verdict.as_str().to_string(),
                ),
                ("modelgate.gate".to_string(), done.run.name.clone()),
                (
                    "modelgate.policy_sha256".to_string(),
                    done.run.policy.sha256.clone(),
                ),
                ("modelgate.model_version".to_string(), info.version.clone()),
            ];
            if done.verdict == Verdict::Promote {
                tags.push(("modelgate.promoted_alias".to_string(), alias.to_string()));
            }
            client
                .log_to_run(run, &metrics(done, candidate), &tags)
                .with_context(|| format!("nothing was promoted ({pinned})"))?;
            client
                .upload(run, "modelgate/report.json", &done.json, "application/json")
                .with_context(|| format!("nothing was promoted ({pinned})"))?;
            for (file, bytes) in &done.others {
                client
                    .upload(
                        run,
                        &format!("modelgate/{file}"),
                        bytes,
                        "application/octet-stream",
                    )
                    .with_context(|| format!("nothing was promoted ({pinned})"))?;
            }
            println!(
                "logged the `{}` verdict, metrics and reports to run {run} of {pinned}",
                done.verdict.as_str()
            );
        }
        None => println!(
            "warning: {pinned} was registered without a run: the verdict is not logged to MLflow"
        ),
    }

    // 3. Only a promote verdict moves the alias.
    if done.verdict != Verdict::Promote {
        println!(
            "not promoted: the verdict is `{}`; alias `{alias}` of `{}` is unchanged",
            done.verdict.as_str(),
            info.name
        );
        return Ok(());
    }
    let before = client.alias_version(&info.name, alias).ok();
    client.set_alias(&info.name, alias, &info.version)?;
    let now = client
        .alias_version(&info.name, alias)
        .context("the alias was set, but reading it back failed")?;
    if now != info.version {
        bail!("alias `{alias}` of `{}` points at version {now} after setting it to {}: another promotion raced this one", info.name, info.version);
    }
    match before {
        Some(b) if b != now => println!("promoted: {pinned} is now `{alias}` (was version {b})"),
        Some(_) => println!("promoted: {pinned} already was `{alias}`"),
        None => println!("promoted: {pinned} is now `{alias}`"),
    }
    Ok(())
}
