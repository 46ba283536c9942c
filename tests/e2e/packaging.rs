//! The ways a user installs modelgate (packaging/): the wheel, installed by the GitHub Action's own
//! script into a fresh venv and used from outside the repository with nothing but that venv's
//! `bin/` on the PATH; the action's `run` step on a promoting and a rejecting gate; the container
//! image's staging script, whose root then runs a gate.
//!
//! The test wheel is packaged from the debug profile the tests already built (`maturin build
//! --profile dev`: cargo finds it up to date), so no release build runs here; `tests/run.sh wheel`
//! builds the release wheel users get with the same `packaging/pyproject.toml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::ci_examples::{as_str, subcommand_flags};
use crate::support::root;

/// A command with the cargo, Python and ONNX Runtime variables of the test's own environment
/// removed: what runs must find everything by itself. `OUT_DIR` too: cargo sets it for the test,
/// and build scripts (ring's) fingerprint it, so a cargo run with it rebuilds half the tree.
fn clean(program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("CARGO_")
            || matches!(
                k.as_str(),
                "RUSTFLAGS"
                    | "OUT_DIR"
                    | "VIRTUAL_ENV"
                    | "ORT_DYLIB_PATH"
                    | "LD_LIBRARY_PATH"
                    | "GITHUB_ACTIONS"
            )
        {
            cmd.env_remove(&k);
        }
    }
    cmd
}

fn run(mut cmd: Command, what: &str) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    if !out.status.success() {
        panic!(
            "{what} failed ({})\n--- stdout\n{}\n--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn head_commit() -> String {
    let out = run(
        {
            let mut c = Command::new("git");
            c.current_dir(root()).args(["rev-parse", "HEAD"]);
            c
        },
        "git rev-parse HEAD",
    );
    text(&out.stdout).trim().to_string()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// `action.yml`, parsed.
fn action() -> Value {
    let path = root().join("action.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_yaml_ng::from_str(&text).expect("action.yml is YAML")
}

/// The `env:` of the action's step NAME (`install` or `run`) with `${{ inputs.X }}` replaced by
/// `inputs[X]` or the input's declared default: what GitHub gives packaging/action.sh.
fn step_env(action: &Value, step: &str, inputs: &BTreeMap<&str, &str>) -> Vec<(String, String)> {
    let steps = action["runs"]["steps"].as_array().unwrap();
    let s = steps
        .iter()
        .find(|s| as_str(&s["run"]).ends_with(&format!("packaging/action.sh\" {step}")))
        .unwrap_or_else(|| panic!("no step of action.yml runs packaging/action.sh {step}"));
    let declared = action["inputs"].as_object().unwrap();
    s["env"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let v = as_str(v);
            let name = v
                .strip_prefix("${{ inputs.")
                .and_then(|r| r.strip_suffix(" }}"))
                .unwrap_or_else(|| panic!("{k}: {v} is not an input"));
            let input = declared
                .get(name)
                .unwrap_or_else(|| panic!("{k} uses the undeclared input {name}"));
            let value = inputs
                .get(name)
                .copied()
                .unwrap_or_else(|| input["default"].as_str().unwrap_or(""));
            (k.clone(), value.to_string())
        })
        .collect()
}

/// Reads a GitHub Actions output file (`name=value` lines) into a map.
fn outputs(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_action_declares_what_its_script_reads_and_writes() {
    let action = action();
    assert_eq!(action["runs"]["using"], "composite");
    let script = std::fs::read_to_string(root().join("packaging/action.sh")).unwrap();
    for step in ["install", "run"] {
        for (k, _) in step_env(&action, step, &BTreeMap::new()) {
            assert!(script.contains(&k), "packaging/action.sh never reads {k}");
        }
    }
    // Every output comes from the run step, under a name the script (or monitor) writes.
    for (name, o) in action["outputs"].as_object().unwrap() {
        assert_eq!(
            as_str(&o["value"]),
            format!("${{{{ steps.run.outputs.{name} }}}}")
        );
        let written = script.contains(&format!("out {name} "))
            || script.contains(&format!("({name} "))
            || script.contains(&format!(" {name} \""))
            || name == "action";
        assert!(
            written,
            "packaging/action.sh never writes the output {name}"
        );
    }
    // The report flags the script passes exist on the real binary.
    let check = subcommand_flags("check");
    for f in ["json", "junit", "markdown", "html"] {
        assert!(check.get(f) == Some(&true), "check --{f} PATH");
    }
    let monitor = subcommand_flags("monitor");
    for f in ["json", "prometheus", "markdown", "html"] {
        assert!(monitor.get(f) == Some(&true), "monitor --{f} PATH");
    }
}

/// Builds the test wheel from the debug profile into `out` (maturin from the repo's pinned venv).
fn build_wheel(out: &Path) -> PathBuf {
    let r = root();
    run(
        {
            let mut c = clean(r.join("tests/venv.sh"), &r);
            c.args([".venv-maturin", "packaging/requirements.txt"]);
            c
        },
        "tests/venv.sh .venv-maturin",
    );
    // maturin runs `cargo` from the PATH: the very cargo that built the tests comes first, so that
    // it finds the debug build up to date (another cargo version would rebuild everything).
    let cargo = PathBuf::from(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    let path = std::env::join_paths(cargo.parent().map(Path::to_path_buf).into_iter().chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    // maturin's cargo relinks the debug binary the other tests run: none may start meanwhile.
    let _rebuilding = crate::support::binary_rebuilt();
    run(
        {
            let mut c = clean(r.join(".venv-maturin/bin/maturin"), &r.join("packaging"));
            c.args(["build", "--profile", "dev", "--locked", "--out"])
                .arg(out)
                .env("PATH", path);
            c
        },
        "maturin build --profile dev",
    );
    let wheels: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "whl"))
        .collect();
    assert_eq!(wheels.len(), 1, "{wheels:?}");
    wheels.into_iter().next().unwrap()
}

#[test]
fn the_wheel_installs_with_the_action_and_gates_outside_the_repository() {
    // Everything under /tmp, not under the repository: its .venv must not be what is found.
    let tmp = tempfile::Builder::new()
        .prefix("modelgate-wheel-")
        .tempdir()
        .unwrap();
    let t = tmp.path();
    let wheel = build_wheel(&t.join("wheels"));
    let name = wheel.file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.starts_with(&format!(
            "modelgate-{}-py3-none-manylinux_",
            env!("CARGO_PKG_VERSION")
        )) && name.ends_with("_x86_64.whl"),
        "{name}"
    );

    let action = action();
    let work = t.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let github_path = t.join("github_path");
    let inputs = BTreeMap::from([("wheel", wheel.to_str().unwrap())]);
    let out = run(
        {
            let mut c = clean(root().join("packaging/action.sh"), &work);
            c.arg("install")
                .envs(step_env(&action, "install", &inputs))
                .env("RUNNER_TEMP", t)
                .env("GITHUB_PATH", &github_path);
            c
        },
        "packaging/action.sh install",
    );
    let bin = t.join("modelgate-venv/bin");
    assert_eq!(
        std::fs::read_to_string(&github_path).unwrap().trim(),
        bin.to_str().unwrap()
    );
    let commit = head_commit();
    assert!(
        text(&out.stdout).contains(&format!(
            "modelgate {} (commit {commit})",
            env!("CARGO_PKG_VERSION")
        )),
        "--version: {}",
        text(&out.stdout)
    );

    // The installed binary with nothing but the venv's bin/ on the PATH: no VIRTUAL_ENV, no
    // ORT_DYLIB_PATH, no flag. ONNX Runtime comes from the onnxruntime the wheel depends on.
    let installed = |args: &[&str], dir: &Path| {
        let mut c = Command::new(bin.join("modelgate"));
        c.current_dir(dir)
            .env_clear()
            .env("PATH", &bin)
            .env("HOME", t)
            .env("NO_COLOR", "1")
            .args(args);
        c
    };
    let demo = run(installed(&["demo"], &work), "modelgate demo (installed)");
    assert!(
        text(&demo.stdout).contains("verdict: PROMOTE"),
        "{}",
        text(&demo.stdout)
    );

    let example = work.join("breast-cancer");
    copy_dir(&crate::support::example(), &example);
    run(
        installed(
            &["check", "breast-cancer/gate.toml", "--json", "direct.json"],
            &work,
        ),
        "modelgate check (installed)",
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(work.join("direct.json")).unwrap()).unwrap();
    assert_eq!(report["verdict"], "promote");
    assert_eq!(report["tool"]["commit"], commit.as_str());

    // The action's run step, as GitHub runs it (coreutils on the PATH for the script itself).
    let gate = |policy: &str, only_report: &str, tag: &str| {
        let github_output = t.join(format!("output-{tag}"));
        let summary = t.join(format!("summary-{tag}"));
        let json = format!("reports-{tag}/report.json");
        let junit = format!("reports-{tag}/junit.xml");
        let inputs = BTreeMap::from([
            ("policy", policy),
            ("json", json.as_str()),
            ("junit", junit.as_str()),
            ("only-report", only_report),
        ]);
        let mut c = clean(root().join("packaging/action.sh"), &work);
        c.arg("run")
            .envs(step_env(&action, "run", &inputs))
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("RUNNER_TEMP", t)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", &github_output)
            .env("GITHUB_STEP_SUMMARY", &summary);
        let o = c.output().unwrap();
        let summary = std::fs::read_to_string(&summary).unwrap_or_default();
        (o, outputs(&github_output), summary)
    };
    let (o, outs, summary) = gate("breast-cancer/gate.toml", "false", "promote");
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(outs["verdict"], "promote", "{outs:?}");
    assert_eq!(outs["exit-code"], "0");
    assert_eq!(outs["json"], "reports-promote/report.json");
    assert!(work.join(&outs["junit"]).is_file());
    assert!(!outs.contains_key("html"), "no HTML asked for: {outs:?}");
    assert!(
        summary.to_lowercase().contains("promote"),
        "step summary: {summary}"
    );

    // A stricter policy rejects: the step fails with exit 1, unless it only reports.
    let strict = example.join("strict.toml");
    let policy = std::fs::read_to_string(example.join("gate.toml")).unwrap();
    assert!(policy.contains("accuracy = { min = 0.95 }"));
    std::fs::write(
        &strict,
        policy.replace("accuracy = { min = 0.95 }", "accuracy = { min = 0.9999 }"),
    )
    .unwrap();
    let (o, outs, _) = gate("breast-cancer/strict.toml", "false", "reject");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert_eq!(outs["verdict"], "reject");
    assert_eq!(outs["exit-code"], "1");
    assert!(text(&o.stdout).contains("::error title=modelgate REJECT::"));
    let (o, outs, _) = gate("breast-cancer/strict.toml", "true", "report-only");
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(outs["verdict"], "reject");

    // A plugin project from the installed binary builds with cargo (the SDK is vendored into it).
    run(
        installed(&["plugin", "new", "wheel-probe"], &work),
        "modelgate plugin new (installed)",
    );
    let cargo = PathBuf::from(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("third-party-target");
    let path = std::env::join_paths(
        [bin.clone()]
            .into_iter()
            .chain(cargo.parent().map(Path::to_path_buf))
            .chain(std::env::split_paths(
                &std::env::var_os("PATH").unwrap_or_default(),
            )),
    )
    .unwrap();
    run(
        {
            let mut c = clean(&cargo, &work.join("wheel-probe"));
            c.args(["build", "-q", "--release", "--target", "wasm32-wasip2"])
                .env("CARGO_TARGET_DIR", &target)
                .env("PATH", path);
            c
        },
        "cargo build of the plugin from the installed `plugin new`",
    );
    let wasm = target.join("wasm32-wasip2/release/wheel_probe.wasm");
    let inspect = run(
        installed(&["plugin", "inspect", wasm.to_str().unwrap()], &work),
        "modelgate plugin inspect (installed)",
    );
    assert!(
        text(&inspect.stdout).contains("wheel-probe"),
        "{}",
        text(&inspect.stdout)
    );
}

#[test]
fn the_container_staging_root_runs_a_gate() {
    let dockerfile = std::fs::read_to_string(root().join("packaging/Dockerfile")).unwrap();
    let lines: Vec<&str> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert!(
        lines.contains(&"RUN packaging/stage.sh /stage"),
        "the build stage runs the staging script"
    );
    assert!(
        lines.contains(&"COPY --from=build /stage/ /"),
        "the runtime stage is the staging root"
    );
    let user = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER");
    assert!(user != "0" && user != "root", "runs as {user}");
    let ort = dockerfile
        .split_whitespace()
        .find_map(|w| w.strip_prefix("ORT_DYLIB_PATH="))
        .expect("ENV ORT_DYLIB_PATH=");
    let entry = lines
        .iter()
        .find_map(|l| l.strip_prefix("ENTRYPOINT "))
        .expect("an ENTRYPOINT");
    assert_eq!(entry, "[\"modelgate\"]");

    let tmp = tempfile::Builder::new()
        .prefix("modelgate-stage-")
        .tempdir()
        .unwrap();
    let stage = tmp.path().join("stage");
    let _binary = crate::support::binary_in_use();
    let out = run(
        {
            let mut c = clean(root().join("packaging/stage.sh"), &root());
            c.arg(&stage)
                .env("MODELGATE_BIN", env!("CARGO_BIN_EXE_modelgate"));
            c
        },
        "packaging/stage.sh",
    );
    assert!(text(&out.stdout).contains(&format!("(commit {})", head_commit())));
    let lib = stage.join(ort.trim_start_matches('/'));
    assert!(
        lib.is_file(),
        "{} (ORT_DYLIB_PATH of the image) is missing",
        lib.display()
    );
    let modelgate = stage.join("usr/local/bin/modelgate");
    // The image's environment, with its paths under the staging root; nothing else.
    let work = tmp.path().join("work");
    copy_dir(&crate::support::example(), &work);
    let gate = run(
        {
            let mut c = Command::new(&modelgate);
            c.current_dir(&work)
                .env_clear()
                .env("PATH", "/usr/bin:/bin")
                .env("ORT_DYLIB_PATH", &lib)
                .env("NO_COLOR", "1")
                .args(["check", "gate.toml", "--json", "report.json"]);
            c
        },
        "modelgate check from the staging root",
    );
    assert!(
        text(&gate.stdout).contains("verdict: PROMOTE"),
        "{}",
        text(&gate.stdout)
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(work.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["verdict"], "promote");
}
