//! Keeps the CI examples (`examples/ci`) honest: each file parses as YAML, has the structure its
//! CI system needs, calls `modelgate check` only with flags the real binary lists in its `--help`,
//! on policies that exist and load, publishes the very report files the gate writes, and runs
//! `modelgate verify` on the gate's JSON report before anything is deployed. No network, no gate
//! run: the whole module takes well under a second.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::root;

/// The placeholder image the examples name; a user replaces it with their own build.
pub(crate) const IMAGE_PLACEHOLDER: &str = "ghcr.io/OWNER/modelgate:TAG";

fn dir() -> PathBuf {
    root().join("examples/ci")
}

/// Parses `examples/ci/NAME` with serde_yaml_ng into a JSON value. YAML 1.2 core schema: `on:` is
/// the string key GitHub reads, not the boolean YAML 1.1 would make of it; duplicate keys are
/// errors, as they are for GitHub, GitLab and Kubernetes.
pub(crate) fn load(name: &str) -> Value {
    let path = dir().join(name);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{name} is not valid YAML: {e}"))
}

/// The long options of `modelgate check`, from the binary's own `--help`, with whether each takes
/// a value (`--json <PATH>`).
fn check_flags() -> &'static BTreeMap<String, bool> {
    static FLAGS: OnceLock<BTreeMap<String, bool>> = OnceLock::new();
    FLAGS.get_or_init(|| {
        let flags = subcommand_flags("check");
        for expected in ["json", "junit", "markdown", "quiet"] {
            assert!(
                flags.contains_key(expected),
                "`modelgate check --help` does not list --{expected}"
            );
        }
        flags
    })
}

/// The long options of `modelgate SUB`, from the binary's own `--help`, with whether each takes a
/// value.
pub(crate) fn subcommand_flags(sub: &str) -> BTreeMap<String, bool> {
    let _binary = crate::support::binary_in_use();
    let out = Command::new(env!("CARGO_BIN_EXE_modelgate"))
        .args([sub, "--help"])
        .output()
        .expect("run modelgate SUB --help");
    assert!(
        out.status.success(),
        "modelgate {sub} --help failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let help = String::from_utf8_lossy(&out.stdout);
    let mut flags = BTreeMap::new();
    for line in help.lines() {
        let mut words = line.split_whitespace().map(|w| w.trim_end_matches(','));
        while let Some(w) = words.next() {
            if w.starts_with('-') && !w.starts_with("--") {
                continue; // `-q,` before `--quiet`
            }
            if let Some(name) = w.strip_prefix("--").filter(|n| !n.is_empty()) {
                let takes_value = words.next().is_some_and(|v| v.starts_with('<'));
                flags.insert(name.to_string(), takes_value);
            }
            break; // only the option column: descriptions mention other flags
        }
    }
    flags
}

/// One `modelgate check` command line found in a script.
#[derive(Debug)]
pub(crate) struct GateCall {
    pub(crate) policy: String,
    /// Flag name -> value ("" for a switch).
    flags: BTreeMap<String, String>,
}

impl GateCall {
    pub(crate) fn report(&self, flag: &str) -> &str {
        self.flags
            .get(flag)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("the gate writes no --{flag} report: {self:?}"))
    }

    /// Every report file the gate writes.
    pub(crate) fn outputs(&self) -> Vec<&str> {
        ["json", "junit", "markdown", "html"]
            .iter()
            .filter_map(|f| self.flags.get(*f).map(String::as_str))
            .collect()
    }
}

/// Shell words of a script, with line continuations joined, quotes removed and the words of each
/// line kept together; good enough for the plain command lines the examples use.
pub(crate) fn script_lines(script: &str) -> Vec<Vec<String>> {
    let joined = script.replace("\\\n", " ");
    joined
        .lines()
        .map(|line| {
            let line = line.split(" #").next().unwrap_or(line); // trailing comments
            line.split_whitespace()
                .map(|w| w.trim_matches(|c| c == '"' || c == '\'').to_string())
                .collect()
        })
        .collect()
}

/// The words following `modelgate SUB` on each line that runs it, up to a shell operator.
pub(crate) fn invocations(words: &[Vec<String>], sub: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for line in words {
        if line.first().is_some_and(|w| w.starts_with('#')) {
            continue;
        }
        for i in 0..line.len().saturating_sub(1) {
            if line[i].ends_with("modelgate") && line[i + 1] == sub {
                let args = line[i + 2..]
                    .iter()
                    .take_while(|w| !matches!(w.as_str(), "||" | "&&" | ";" | "|" | ">"))
                    .cloned()
                    .collect();
                found.push(args);
            }
        }
    }
    found
}

/// Parses the arguments of `modelgate check` against the binary's real flags.
fn parse_check(args: &[String], context: &str) -> GateCall {
    let known = check_flags();
    let mut flags = BTreeMap::new();
    let mut positional = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if let Some(name) = a.strip_prefix("--") {
            let (name, inline) = match name.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (name, None),
            };
            let Some(&takes_value) = known.get(name) else {
                panic!(
                    "{context}: `modelgate check` has no flag --{name} (its --help lists: {})",
                    known
                        .keys()
                        .map(|k| format!("--{k}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            };
            let value = if takes_value {
                inline
                    .or_else(|| it.next().cloned())
                    .unwrap_or_else(|| panic!("{context}: --{name} needs a value"))
            } else {
                String::new()
            };
            flags.insert(name.to_string(), value);
        } else if a.starts_with('-') && a != "-q" {
            panic!("{context}: unexpected option {a}");
        } else if a != "-q" {
            positional.push(a.clone());
        }
    }
    assert_eq!(
        positional.len(),
        1,
        "{context}: `modelgate check` takes exactly one policy, got {positional:?}"
    );
    GateCall {
        policy: positional.remove(0),
        flags,
    }
}

/// The policy must be a file of this repository that modelgate accepts.
pub(crate) fn assert_policy_exists(policy: &str, context: &str) {
    let path = root().join(policy);
    assert!(
        path.is_file(),
        "{context}: the policy {policy} does not exist in the repository"
    );
    if let Err(e) = modelgate::policy::Policy::load(&path) {
        panic!("{context}: the policy {policy} does not load: {e}");
    }
}

/// The single `modelgate check` of a script, parsed and checked.
pub(crate) fn gate_call(script: &str, context: &str) -> GateCall {
    let calls = invocations(&script_lines(script), "check");
    assert_eq!(
        calls.len(),
        1,
        "{context}: expected one `modelgate check`, found {calls:?}"
    );
    let call = parse_check(&calls[0], context);
    assert_policy_exists(&call.policy, context);
    for flag in ["json", "junit", "markdown"] {
        call.report(flag);
    }
    call
}

/// The argument of `modelgate verify` in a script, if it runs it.
fn verify_arg(script: &str) -> Option<String> {
    let calls = invocations(&script_lines(script), "verify");
    assert!(
        calls.len() <= 1,
        "more than one `modelgate verify` in one script: {calls:?}"
    );
    calls.first().map(|args| {
        assert_eq!(
            args.len(),
            1,
            "`modelgate verify` takes exactly the report: {args:?}"
        );
        let line = script
            .lines()
            .find(|l| l.contains("modelgate verify"))
            .unwrap_or_default();
        assert!(
            !line.contains("||") && !line.contains(';'),
            "`modelgate verify` must be able to fail the step on its own: {line}"
        );
        args[0].clone()
    })
}

/// The onnxruntime version tests/requirements.txt pins, which the examples must install too.
pub(crate) fn pinned_onnxruntime() -> String {
    let req = std::fs::read_to_string(root().join("tests/requirements.txt"))
        .expect("tests/requirements.txt");
    let line = req
        .lines()
        .find(|l| l.starts_with("onnxruntime=="))
        .expect("onnxruntime is pinned in tests/requirements.txt");
    line.trim().to_string()
}

pub(crate) fn as_str(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// A string or a list of strings, as a list.
pub(crate) fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().map(|x| as_str(x).to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Whether a path is `dir` itself or inside it (`reports/` covers `reports/report.json`).
pub(crate) fn covers(dir: &str, path: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    path == dir || path.starts_with(&format!("{dir}/"))
}

// ---------------------------------------------------------------- GitHub Actions

fn step_index(steps: &[Value], what: &str, pred: impl Fn(&Value) -> bool) -> usize {
    steps
        .iter()
        .position(pred)
        .unwrap_or_else(|| panic!("github-actions.yml: no step that {what}"))
}

fn run_of(step: &Value) -> &str {
    as_str(&step["run"])
}

fn uses_of(step: &Value) -> &str {
    as_str(&step["uses"])
}

#[test]
fn github_actions_workflow_gates_publishes_and_verifies_before_deploying() {
    let wf = load("github-actions.yml");
    let on = wf["on"].as_object().expect("github-actions.yml: `on:` is a mapping of events (a YAML 1.1 reader would turn it into true)");
    assert!(
        on.contains_key("pull_request") && on.contains_key("workflow_dispatch"),
        "triggers: {on:?}"
    );

    let jobs = wf["jobs"].as_object().expect("jobs");
    let gate = &jobs.get("gate").expect("a `gate` job")["steps"];
    let gate: &[Value] = gate.as_array().expect("gate steps");
    for (i, step) in gate.iter().enumerate() {
        assert!(
            step.get("run").is_some() ^ step.get("uses").is_some(),
            "gate step {i} needs exactly one of run/uses: {step}"
        );
    }
    // Every action is pinned to a major version (or a commit).
    for job in jobs.values() {
        for step in job["steps"].as_array().expect("steps") {
            if let Some(uses) = step["uses"].as_str() {
                let (_, version) = uses
                    .rsplit_once('@')
                    .unwrap_or_else(|| panic!("{uses} is not pinned to a version"));
                let major = version.strip_prefix('v').is_some_and(|v| {
                    !v.is_empty() && v.split('.').all(|p| p.parse::<u32>().is_ok())
                });
                let sha = version.len() == 40 && version.chars().all(|c| c.is_ascii_hexdigit());
                assert!(
                    major || sha,
                    "{uses} is pinned to neither a version nor a commit"
                );
            }
        }
    }

    let checkout = step_index(gate, "checks out the repository", |s| {
        uses_of(s).starts_with("actions/checkout@")
    });
    // The gate runs through modelgate's own action (action.yml at the repo root): no build.
    assert!(
        !gate.iter().any(|s| run_of(s).contains("cargo ")),
        "the gate job builds nothing: it installs the wheel through the action"
    );
    let run = step_index(gate, "uses the modelgate action", |s| {
        uses_of(s).contains("/modelgate@")
    });
    assert!(checkout < run, "the checkout comes before the gate");
    let gate_step = &gate[run];
    assert_eq!(
        gate_step["id"], "gate",
        "the gate step has id `gate` (the verdict step reads its outputs)"
    );
    let with = gate_step["with"].as_object().expect("the action's inputs");
    let action: Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(root().join("action.yml")).expect("action.yml"),
    )
    .expect("action.yml is YAML");
    let inputs = action["inputs"].as_object().expect("action inputs");
    for (k, _) in with {
        assert!(inputs.contains_key(k), "the action has no input {k}");
    }
    for (k, v) in inputs {
        if v["required"] == true {
            assert!(with.contains_key(k), "the required input {k} is missing");
        }
    }
    assert_eq!(
        with["only-report"], "true",
        "the action only reports: the last step fails the job after publishing"
    );
    assert_eq!(
        with["version"], "${{ env.MODELGATE_VERSION }}",
        "the gate installs the release the deploy job verifies with"
    );
    assert_eq!(
        as_str(&wf["env"]["MODELGATE_VERSION"]),
        env!("CARGO_PKG_VERSION"),
        "the workflow pins this modelgate version"
    );
    // The action's inputs as the `modelgate check` command line its script builds.
    let mut line = format!("modelgate check {}", as_str(&with["policy"]));
    for flag in ["json", "junit", "markdown", "html"] {
        if let Some(v) = with.get(flag) {
            line.push_str(&format!(" --{flag} {}", as_str(v)));
        }
    }
    let call = gate_call(&line, "github-actions.yml gate step");

    let upload = step_index(gate, "uploads the reports", |s| {
        uses_of(s).starts_with("actions/upload-artifact@")
            && call
                .outputs()
                .iter()
                .all(|o| covers(as_str(&s["with"]["path"]), o))
    });
    assert!(
        as_str(&gate[upload]["if"]).contains("always()"),
        "the reports are uploaded whatever the verdict"
    );
    let junit = step_index(gate, "publishes the JUnit report", |s| {
        s["with"]["path"] == call.report("junit") && s["with"]["reporter"] == "java-junit"
    });
    let comment = step_index(gate, "comments on the pull request", |s| {
        run_of(s).contains("gh pr comment") && run_of(s).contains(call.report("markdown"))
    });
    assert!(
        run_of(&gate[comment]).contains("--edit-last"),
        "the PR comment is updated, not repeated"
    );
    let verdict = gate.len() - 1;
    let last = run_of(&gate[verdict]);
    assert!(
        last.contains("steps.gate.outputs.exit-code")
            || gate[verdict]["env"]
                .to_string()
                .contains("steps.gate.outputs.exit-code"),
        "the last step fails the job on the gate's exit code"
    );
    assert!(
        last.contains("exit 1") && as_str(&gate[verdict]["if"]).contains("always()"),
        "the last step fails the job unless promote:\n{last}"
    );
    assert!(
        run < upload && upload < verdict && junit < verdict && comment < verdict,
        "the reports are published before the job fails"
    );

    let deploy = jobs.get("deploy").expect("a `deploy` job");
    assert!(
        strings(&deploy["needs"]).contains(&"gate".to_string()),
        "deploy needs the gate"
    );
    let steps = deploy["steps"].as_array().expect("deploy steps");
    let download = step_index(steps, "downloads the reports", |s| {
        uses_of(s).starts_with("actions/download-artifact@")
            && s["with"]["name"] == gate[upload]["with"]["name"]
    });
    let install = step_index(steps, "installs the gate's modelgate release", |s| {
        run_of(s).contains("pip install") && run_of(s).contains("modelgate==$MODELGATE_VERSION")
    });
    let verify = step_index(steps, "runs modelgate verify", |s| {
        verify_arg(run_of(s)).is_some()
    });
    assert_eq!(
        verify_arg(run_of(&steps[verify])).unwrap(),
        call.report("json"),
        "deploy verifies the report the gate wrote"
    );
    let ship = step_index(steps, "deploys", |s| {
        as_str(&s["name"]).to_lowercase().starts_with("deploy")
    });
    assert!(
        download < verify && install < verify && verify < ship && ship == steps.len() - 1,
        "verify runs before the deploy step"
    );
}

// ---------------------------------------------------------------- GitLab CI

fn gitlab_script(job: &Value) -> String {
    ["before_script", "script"]
        .iter()
        .flat_map(|k| strings(&job[*k]))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn gitlab_pipeline_keeps_reports_and_verifies_before_the_manual_deploy() {
    let ci = load("gitlab-ci.yml");
    let stages = strings(&ci["stages"]);
    let (jobs, gate_name) = {
        let all = ci.as_object().expect("mapping");
        let jobs: BTreeMap<&String, &Value> = all
            .iter()
            .filter(|(_, v)| v.get("script").is_some())
            .collect();
        let gate = jobs
            .iter()
            .find(|(_, j)| gitlab_script(j).contains("modelgate check"))
            .map(|(n, _)| (*n).clone())
            .expect("a job runs modelgate check");
        (jobs, gate)
    };
    let gate = jobs[&gate_name];
    let script = gitlab_script(gate);
    assert!(
        script.contains("cargo install --path host --locked"),
        "the gate job builds modelgate"
    );
    assert!(
        script.contains("ORT_DYLIB_PATH") && script.contains(&pinned_onnxruntime()),
        "the gate job installs the pinned onnxruntime and sets ORT_DYLIB_PATH"
    );
    assert!(
        script.contains("|| code=$?"),
        "the gate job keeps the exit code"
    );
    let call = gate_call(&script, "gitlab-ci.yml gate job");
    let cache = strings(&gate["cache"]["paths"]);
    assert!(
        cache.iter().any(|p| p.starts_with("target"))
            && cache.iter().any(|p| p.starts_with(".cargo")),
        "the build is cached: {cache:?}"
    );

    let artifacts = &gate["artifacts"];
    assert_eq!(
        artifacts["when"], "always",
        "the reports are kept whatever the verdict"
    );
    assert_eq!(
        as_str(&artifacts["reports"]["junit"]),
        call.report("junit"),
        "artifacts:reports:junit is the file the gate writes"
    );
    let paths = strings(&artifacts["paths"]);
    for out in call.outputs() {
        assert!(
            paths.iter().any(|p| covers(p, out)),
            "artifacts:paths keeps {out}: {paths:?}"
        );
    }

    let (deploy_name, deploy) = jobs
        .iter()
        .find(|(_, j)| verify_arg(&gitlab_script(j)).is_some())
        .expect("a job runs modelgate verify");
    let stage_of = |j: &Value| {
        stages
            .iter()
            .position(|s| j["stage"] == *s.as_str())
            .unwrap_or_else(|| panic!("stage {} is not in stages {stages:?}", j["stage"]))
    };
    assert!(
        stage_of(gate) < stage_of(deploy),
        "the deploy stage comes after the gate stage"
    );
    let needs: Vec<String> = deploy["needs"].as_array().map_or_else(Vec::new, |a| {
        a.iter()
            .map(|n| n["job"].as_str().or(n.as_str()).unwrap_or("").to_string())
            .collect()
    });
    assert!(
        needs.contains(&gate_name),
        "{deploy_name} needs {gate_name}: {needs:?}"
    );
    let manual = deploy["when"] == "manual"
        || deploy["rules"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["when"] == "manual"));
    assert!(manual, "{deploy_name} is a manual job");
    let lines = strings(&deploy["script"]);
    let verify = lines
        .iter()
        .position(|l| verify_arg(l).is_some())
        .expect("verify line");
    assert_eq!(
        verify_arg(&lines[verify]).unwrap(),
        call.report("json"),
        "deploy verifies the report the gate wrote"
    );
    let ship = lines
        .iter()
        .position(|l| l.contains("deploy"))
        .expect("a deploy line");
    assert!(verify < ship, "verify runs before the deployment");
    assert!(
        paths.iter().any(|p| p.ends_with("bin/modelgate")),
        "the gate's binary is passed to the deploy job"
    );
}

// ---------------------------------------------------------------- Argo Workflows

/// `{{workflow.parameters.NAME}}` replaced by the template's default values.
pub(crate) fn resolve(s: &str, params: &BTreeMap<String, String>) -> String {
    let mut out = s.to_string();
    for (k, v) in params {
        out = out.replace(&format!("{{{{workflow.parameters.{k}}}}}"), v);
    }
    assert!(
        !out.contains("{{workflow.parameters."),
        "unknown workflow parameter in {s}"
    );
    out
}

/// A container's command and args as one shell-ish script.
pub(crate) fn container_script(c: &Value, params: &BTreeMap<String, String>) -> String {
    let words: Vec<String> = strings(&c["command"])
        .into_iter()
        .chain(strings(&c["args"]))
        .collect();
    let script = if words.first().is_some_and(|w| w == "sh" || w == "bash") {
        words.last().cloned().unwrap_or_default() // sh -c SCRIPT
    } else {
        words.join(" ")
    };
    resolve(&script, params)
}

#[test]
fn argo_workflow_template_gates_then_promotes_only_a_verified_success() {
    let wf = load("argo-workflow.yaml");
    assert_eq!(wf["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(wf["kind"], "WorkflowTemplate");
    let spec = &wf["spec"];
    let params: BTreeMap<String, String> = spec["arguments"]["parameters"]
        .as_array()
        .map_or_else(Vec::new, |a| {
            a.iter()
                .map(|p| {
                    (
                        as_str(&p["name"]).to_string(),
                        as_str(&p["value"]).to_string(),
                    )
                })
                .collect()
        })
        .into_iter()
        .collect();
    let templates: BTreeMap<&str, &Value> = spec["templates"]
        .as_array()
        .expect("templates")
        .iter()
        .map(|t| (as_str(&t["name"]), t))
        .collect();
    let entry = templates
        .get(as_str(&spec["entrypoint"]))
        .expect("the entrypoint names a template");
    let tasks = entry["dag"]["tasks"]
        .as_array()
        .or(entry["steps"].as_array())
        .expect("the entrypoint is a DAG (or steps)");
    for t in tasks {
        assert!(
            templates.contains_key(as_str(&t["template"])),
            "task {} names an unknown template",
            t["name"]
        );
    }

    let (gate_task, gate) = tasks
        .iter()
        .map(|t| (t, templates[as_str(&t["template"])]))
        .find(|(_, tpl)| container_script(&tpl["container"], &params).contains("modelgate check"))
        .expect("a task runs modelgate check");
    let gate_name = as_str(&gate_task["name"]);
    let script = container_script(&gate["container"], &params);
    let call = gate_call(&script, "argo-workflow.yaml gate");
    let out_art = gate["outputs"]["artifacts"]
        .as_array()
        .and_then(|a| {
            a.iter().find(|art| {
                call.outputs()
                    .iter()
                    .all(|o| covers(as_str(&art["path"]), o))
            })
        })
        .expect("an output artifact holds every report the gate writes");

    let (promote_task, promote) = tasks
        .iter()
        .map(|t| (t, templates[as_str(&t["template"])]))
        .find(|(_, tpl)| verify_arg(&container_script(&tpl["container"], &params)).is_some())
        .expect("a task runs modelgate verify");
    let depends = as_str(&promote_task["depends"]);
    let when = as_str(&promote_task["when"]);
    assert!(
        depends.contains(&format!("{gate_name}.Succeeded"))
            || when.contains(&format!("tasks.{gate_name}.status}}}} == Succeeded")),
        "promote runs only when the gate succeeded: depends {depends:?}, when {when:?}"
    );
    let from = format!(
        "{{{{tasks.{gate_name}.outputs.artifacts.{}}}}}",
        as_str(&out_art["name"])
    );
    let arg = promote_task["arguments"]["artifacts"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["from"] == *from.as_str()))
        .expect("promote receives the gate's reports");
    let input = promote["inputs"]["artifacts"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == arg["name"]))
        .expect("promote declares the reports input");
    assert_eq!(
        input["path"], out_art["path"],
        "the reports land where the gate wrote them"
    );

    let promote_script = container_script(&promote["container"], &params);
    assert_eq!(
        verify_arg(&promote_script).unwrap(),
        call.report("json"),
        "promote verifies the report the gate wrote"
    );
    let lines: Vec<&str> = promote_script
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    let verify = lines
        .iter()
        .position(|l| l.contains("modelgate verify"))
        .unwrap();
    assert!(
        verify == 0,
        "promote runs modelgate verify before anything else:\n{promote_script}"
    );
    assert!(
        promote["container"]["command"].to_string().contains("-e"),
        "the promote script stops at the first failure (sh -e)"
    );
    // Report paths are relative to where check ran: verify must run from the same directory.
    assert_eq!(
        gate["container"]["workingDir"],
        promote["container"]["workingDir"]
    );
    for tpl in [gate, promote] {
        assert_eq!(
            tpl["container"]["image"], IMAGE_PLACEHOLDER,
            "the image is the marked placeholder"
        );
    }
}

#[test]
fn ci_readme_explains_every_example() {
    let readme = std::fs::read_to_string(dir().join("README.md")).expect("examples/ci/README.md");
    for name in [
        "github-actions.yml",
        "gitlab-ci.yml",
        "argo-workflow.yaml",
        "modelgate verify",
        IMAGE_PLACEHOLDER,
    ] {
        assert!(
            readme.contains(name),
            "examples/ci/README.md does not mention {name}"
        );
    }
    for code in ["0", "1", "2"] {
        assert!(
            readme.contains(&format!("| {code}")) || readme.contains(&format!("exit {code}")),
            "README explains exit code {code}"
        );
    }
}
