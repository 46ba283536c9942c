//! Keeps the monitoring examples (`examples/ci/monitor-*`, `retrain-github-actions.yml`) honest:
//! each parses, calls `modelgate monitor` only with flags its `--help` lists on a policy with a
//! `[monitor]` table, uploads what it writes, and starts training exactly on `retrain` through the
//! output the binary really writes. The Argo step's extraction of `action` and `window` runs on a
//! real decision file.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use crate::ci_examples::{
    as_str, assert_policy_exists, container_script, covers, invocations, load, pinned_onnxruntime,
    resolve, script_lines, strings, subcommand_flags, IMAGE_PLACEHOLDER,
};
use crate::support::*;

/// One `modelgate monitor` call of a script: its policy and flags, checked against `--help`.
fn monitor_call(script: &str, context: &str) -> (String, BTreeMap<String, String>) {
    let calls = invocations(&script_lines(script), "monitor");
    assert_eq!(
        calls.len(),
        1,
        "{context}: expected one `modelgate monitor`, found {calls:?}"
    );
    let known = subcommand_flags("monitor");
    for f in ["json", "html", "markdown", "prometheus", "notify", "quiet"] {
        assert!(
            known.contains_key(f),
            "`modelgate monitor --help` lists --{f}"
        );
    }
    let (mut flags, mut positional) = (BTreeMap::new(), Vec::new());
    let mut it = calls[0].iter();
    while let Some(a) = it.next() {
        match a.strip_prefix("--") {
            Some(name) => {
                let takes = *known.get(name).unwrap_or_else(|| {
                    panic!("{context}: `modelgate monitor` has no flag --{name}")
                });
                let value = if takes {
                    it.next().cloned().expect("a value")
                } else {
                    String::new()
                };
                flags.insert(name.to_string(), value);
            }
            None => positional.push(a.clone()),
        }
    }
    assert_eq!(
        positional.len(),
        1,
        "{context}: one policy, got {positional:?}"
    );
    let policy = positional.remove(0);
    assert_policy_exists(&policy, context);
    let loaded = modelgate::policy::Policy::load(&root().join(&policy)).unwrap();
    assert!(
        loaded.spec.monitor.is_some(),
        "{context}: {policy} has a [monitor] table"
    );
    (policy, flags)
}

#[test]
fn github_monitor_workflow_dispatches_retrain_from_the_binarys_output() {
    let wf = load("monitor-github-actions.yml");
    let cron = as_str(&wf["on"]["schedule"][0]["cron"]);
    assert_eq!(
        cron.split_whitespace().count(),
        5,
        "a cron schedule: {cron}"
    );
    let job = &wf["jobs"]["monitor"];
    let steps = job["steps"].as_array().unwrap();
    let find = |what: &str, pred: &dyn Fn(&Value) -> bool| {
        steps
            .iter()
            .position(pred)
            .unwrap_or_else(|| panic!("monitor-github-actions.yml: no step that {what}"))
    };
    let run = |s: &Value| as_str(&s["run"]).to_string();
    let ort = find("installs onnxruntime", &|s| {
        run(s).contains("onnxruntime==")
    });
    assert!(run(&steps[ort]).contains(&pinned_onnxruntime()));
    let mon = find("runs modelgate monitor", &|s| {
        run(s).contains("modelgate monitor")
    });
    assert!(ort < mon);
    let script = run(&steps[mon]);
    let (_, flags) = monitor_call(&script, "monitor-github-actions.yml");
    // Exit 1 is an answer, exit 2 fails the step.
    assert!(
        script.contains("set +e") && script.contains("test \"$code\" -le 1"),
        "{script}"
    );
    let id = as_str(&steps[mon]["id"]);
    let upload = find("uploads the reports", &|s| {
        as_str(&s["uses"]).starts_with("actions/upload-artifact@")
    });
    assert_eq!(steps[upload]["if"], "always()");
    let path = as_str(&steps[upload]["with"]["path"]);
    for f in ["json", "html", "markdown", "prometheus"] {
        assert!(
            covers(path, &flags[f]),
            "the artifact holds --{f} {}",
            flags[f]
        );
    }
    // The dispatch step reads the output `action` that `modelgate monitor` appends to
    // $GITHUB_OUTPUT (tests/e2e/monitor.rs checks the binary writes exactly `action=retrain`).
    let dispatch = find("fires repository_dispatch", &|s| {
        run(s).contains("/dispatches")
    });
    assert_eq!(
        as_str(&steps[dispatch]["if"]),
        format!("steps.{id}.outputs.action == 'retrain'")
    );
    assert_eq!(
        job["outputs"]["action"],
        format!("${{{{ steps.{id}.outputs.action }}}}")
    );
    assert_eq!(job["permissions"]["contents"], "write");
    let body = run(&steps[dispatch]);
    assert!(body.contains("event_type: \"retrain\""), "{body}");
    let payload = &body[body.find("client_payload: {").unwrap()..];
    let payload = &payload[..payload.find('}').unwrap()];
    let keys: Vec<&str> = payload["client_payload: {".len()..]
        .split(',')
        .map(|kv| kv.split(':').next().unwrap().trim())
        .collect();
    assert!(
        keys.len() <= 10,
        "GitHub allows 10 client_payload keys: {keys:?}"
    );
    // The jq filters run on a real decision.
    let dir = tempfile::tempdir().unwrap();
    let decision = dir.path().join("decision.json");
    let policy = root().join("examples/production-monitor/gate.toml");
    modelgate(&[
        "monitor",
        policy.to_str().unwrap(),
        "--json",
        decision.to_str().unwrap(),
        "--quiet",
    ])
    .expect_code(1);
    let d: Value = serde_json::from_str(&std::fs::read_to_string(&decision).unwrap()).unwrap();
    let last = d["chunks"].as_array().unwrap().len() - 1;
    assert_eq!(d["chunks"][last]["start"], "2026-11-29T00:00:00Z");
    assert!(body.contains(
        "(.chunks | length - 1) as $last | [.reasons[] | select(.window == $last) | .check]"
    ));
    assert!(d["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["window"] == last));

    // The training workflow listens for that event and reads keys the dispatch sends.
    let train = load("retrain-github-actions.yml");
    assert_eq!(
        strings(&train["on"]["repository_dispatch"]["types"]),
        ["retrain"]
    );
    let text =
        std::fs::read_to_string(root().join("examples/ci/retrain-github-actions.yml")).unwrap();
    for used in text.match_indices("client_payload.").map(|(i, _)| {
        text[i + "client_payload.".len()..]
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()
            .unwrap()
    }) {
        assert!(
            keys.contains(&used),
            "the training workflow reads `{used}`, which is not sent ({keys:?})"
        );
    }
}

#[test]
fn argo_cronworkflow_starts_training_on_retrain() {
    let text =
        std::fs::read_to_string(root().join("examples/ci/monitor-argo-cronworkflow.yaml")).unwrap();
    let docs: Vec<Value> = serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).expect("YAML"))
        .collect();
    let (cron, train) = (&docs[0], &docs[1]);
    assert_eq!(
        (as_str(&cron["kind"]), as_str(&train["kind"])),
        ("CronWorkflow", "WorkflowTemplate")
    );
    assert_eq!(strings(&cron["spec"]["schedules"]).len(), 1);
    let spec = &cron["spec"]["workflowSpec"];
    let params: BTreeMap<String, String> = spec["arguments"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                as_str(&p["name"]).to_string(),
                as_str(&p["value"]).to_string(),
            )
        })
        .collect();
    let templates: BTreeMap<&str, &Value> = spec["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (as_str(&t["name"]), t))
        .collect();
    let entry = templates[as_str(&spec["entrypoint"])];
    let steps: Vec<&Value> = entry["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g.as_array().unwrap())
        .collect();
    let monitor_step = steps
        .iter()
        .find(|s| s["template"] == "monitor")
        .expect("a monitor step");
    let monitor = templates[as_str(&monitor_step["template"])];
    assert_eq!(monitor["container"]["image"], IMAGE_PLACEHOLDER);
    let script = container_script(&monitor["container"], &params);
    let (_, flags) = monitor_call(&script, "monitor-argo-cronworkflow.yaml");
    assert!(
        script.contains("test \"$code\" -le 1"),
        "only exit 2 fails the step: {script}"
    );
    let outputs = &monitor["outputs"];
    let art = outputs["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "reports")
        .unwrap();
    for f in ["json", "html", "markdown"] {
        assert!(covers(as_str(&art["path"]), &flags[f]));
    }
    let out_param = |name: &str| {
        as_str(
            &outputs["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap()["valueFrom"]["path"],
        )
        .to_string()
    };
    let retrain = steps
        .iter()
        .find(|s| s["templateRef"]["name"] == train["metadata"]["name"])
        .expect("a step starts train-model");
    let monitor_name = as_str(&monitor_step["name"]);
    assert_eq!(
        as_str(&retrain["when"]),
        format!("{{{{steps.{monitor_name}.outputs.parameters.action}}}} == retrain")
    );
    let train_tpl = train["spec"]["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == retrain["templateRef"]["template"])
        .expect("the template exists");
    for p in retrain["arguments"]["parameters"].as_array().unwrap() {
        assert!(train_tpl["inputs"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["name"] == p["name"]));
    }

    // The lines that extract `action` and `window` run on a real decision and give what it says.
    let dir = tempfile::tempdir().unwrap();
    let decision = dir.path().join("decision.json");
    let policy = root().join("examples/production-monitor/gate.toml");
    modelgate(&[
        "monitor",
        policy.to_str().unwrap(),
        "--json",
        decision.to_str().unwrap(),
        "--quiet",
    ])
    .expect_code(1);
    let reports = std::path::Path::new(&flags["json"])
        .parent()
        .unwrap()
        .display()
        .to_string();
    let extract: String = script
        .lines()
        .filter(|l| l.trim_start().starts_with("sed "))
        .map(|l| l.replace(&reports, &dir.path().display().to_string()) + "\n")
        .collect();
    let status = Command::new("sh")
        .args(["-euc", &extract])
        .status()
        .unwrap();
    assert!(status.success());
    let read = |p: &str| {
        let p = p.replace(&reports, &dir.path().display().to_string());
        std::fs::read_to_string(p).unwrap().trim().to_string()
    };
    assert_eq!(read(&out_param("action")), "retrain");
    assert_eq!(read(&out_param("window")), "2026-11-29T00:00:00Z");
    assert_eq!(
        resolve("{{workflow.parameters.policy}}", &params),
        "examples/production-monitor/gate.toml"
    );
}

#[test]
fn argo_events_sensor_filters_the_webhook_body_modelgate_sends() {
    let text =
        std::fs::read_to_string(root().join("examples/ci/monitor-argo-events.yaml")).unwrap();
    let docs: Vec<Value> = serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).expect("YAML"))
        .collect();
    let (source, sensor) = (&docs[0], &docs[1]);
    assert_eq!(
        (as_str(&source["kind"]), as_str(&sensor["kind"])),
        ("EventSource", "Sensor")
    );
    let hook = &source["spec"]["webhook"]["modelgate"];
    let url = format!(
        "http://modelgate-eventsource-svc.argo-events:{}{}",
        as_str(&hook["port"]),
        as_str(&hook["endpoint"])
    );
    let command = text
        .lines()
        .map(|l| l.trim_start_matches(['#', ' ']))
        .find(|l| l.starts_with("modelgate monitor"))
        .expect("the documented command line");
    let (_, flags) = monitor_call(command, "monitor-argo-events.yaml");
    assert_eq!(
        flags["notify"], url,
        "the documented --notify URL is the event source's"
    );
    let dep = &sensor["spec"]["dependencies"][0];
    assert_eq!(dep["eventSourceName"], source["metadata"]["name"]);
    let filter = &dep["filters"]["data"][0];
    assert_eq!(filter["path"], "body.action");
    assert_eq!(strings(&filter["value"]), ["retrain"]);
    let key = as_str(
        &sensor["spec"]["triggers"][0]["template"]["argoWorkflow"]["parameters"][0]["src"]
            ["dataKey"],
    );
    // The payload modelgate POSTs has the keys the sensor reads (body.window.start).
    let payload_keys = ["action", "gate", "window", "reasons", "text"];
    let path: Vec<&str> = key.split('.').collect();
    assert_eq!(path[0], "body");
    assert!(payload_keys.contains(&path[1]), "{key}");
    assert_eq!(path.get(2), Some(&"start"));
}
