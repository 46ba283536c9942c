//! Builds the built-in plugins (`plugins/`, a separate workspace) for wasm32-wasip2 and embeds them,
//! and records the git commit the binary is built from (`MODELGATE_GIT_COMMIT`).
//!
//! The plugins are built in their own target directory under OUT_DIR: cargo locks a target
//! directory, so building into the host's own would deadlock.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest_dir
        .parent()
        .expect("host/ is inside the repo")
        .to_path_buf();
    let plugins = root.join("plugins");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let target_dir = out_dir.join("plugins-target");

    git_commit(&root);

    println!("cargo:rerun-if-changed={}", root.join("wit").display());
    println!(
        "cargo:rerun-if-changed={}",
        plugins.join("Cargo.toml").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        plugins.join("Cargo.lock").display()
    );
    for entry in std::fs::read_dir(&plugins)
        .expect("plugins/ exists")
        .flatten()
    {
        let p = entry.path();
        if p.join("Cargo.toml").is_file() {
            println!("cargo:rerun-if-changed={}", p.join("Cargo.toml").display());
            println!("cargo:rerun-if-changed={}", p.join("src").display());
        }
    }
    println!("cargo:rerun-if-env-changed=MODELGATE_SKIP_PLUGIN_BUILD");

    if std::env::var_os("MODELGATE_SKIP_PLUGIN_BUILD").is_some() {
        // For quick `cargo check` iterations on the host alone: no built-in plugins.
        std::fs::write(
            out_dir.join("builtins.rs"),
            "pub const BUILTINS: &[(&str, &[u8])] = &[];\n",
        )
        .expect("write builtins.rs");
        return;
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&plugins)
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(&target_dir);
    // Do not leak the host build's configuration into the guest build.
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("CARGO_FEATURE_")
            || k.starts_with("CARGO_CFG_")
            || matches!(
                k.as_str(),
                "CARGO_ENCODED_RUSTFLAGS"
                    | "RUSTFLAGS"
                    | "TARGET"
                    | "HOST"
                    | "OUT_DIR"
                    | "OPT_LEVEL"
                    | "PROFILE"
                    | "DEBUG"
                    | "CARGO_TARGET_DIR"
                    | "CARGO_BUILD_TARGET"
                    | "RUSTC_WORKSPACE_WRAPPER"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_PKG_NAME"
            )
        {
            cmd.env_remove(&k);
        }
    }
    let status = cmd
        .status()
        .expect("cannot run cargo to build the built-in plugins");
    if !status.success() {
        panic!(
            "building the built-in plugins (plugins/) for wasm32-wasip2 failed.\n\
             If the target is missing, run: rustup target add wasm32-wasip2\n\
             (tests/setup.sh does this for you)"
        );
    }

    let wasm_dir = target_dir.join("wasm32-wasip2").join("release");
    let mut builtins = Vec::new();
    for entry in std::fs::read_dir(&plugins)
        .expect("plugins/ exists")
        .flatten()
    {
        let crate_dir = entry.path();
        let Some(name) = plugin_crate_name(&crate_dir) else {
            continue;
        };
        let wasm = wasm_dir.join(format!("{}.wasm", name.replace('-', "_")));
        if wasm.is_file() {
            builtins.push((name, wasm));
        }
    }
    builtins.sort();
    let mut src = String::from("/// Built-in plugins: (name, component bytes).\npub const BUILTINS: &[(&str, &[u8])] = &[\n");
    for (name, wasm) in &builtins {
        src.push_str(&format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            wasm.display().to_string()
        ));
    }
    src.push_str("];\n");
    std::fs::write(out_dir.join("builtins.rs"), src).expect("write builtins.rs");
}

/// Sets `MODELGATE_GIT_COMMIT` for the crate: the environment variable of the same name when set
/// (a build from a source tarball, a container build without `.git`), else `git rev-parse HEAD` in a
/// git checkout, else "unknown".
///
/// Cargo reruns this script when the commit can change, and only then: when the checkout's `HEAD`
/// (a branch switch), the branch's loose ref file (a commit) or `packed-refs` changes. Not on the
/// index or the working tree, which change on every `git add` and would rebuild the crate for
/// nothing.
fn git_commit(root: &Path) {
    println!("cargo:rerun-if-env-changed=MODELGATE_GIT_COMMIT");
    if let Some(c) = std::env::var("MODELGATE_GIT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
    {
        println!("cargo:rustc-env=MODELGATE_GIT_COMMIT={}", c.trim());
        return;
    }
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .current_dir(root)
            .args(args)
            .output()
            .ok()?;
        let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
        (out.status.success() && !s.is_empty()).then_some(s)
    };
    let commit = git(&["rev-parse", "HEAD"]);
    if commit.is_some() {
        // In a worktree, HEAD lives in the worktree's git dir, the refs in the common one.
        let abs = |p: String| {
            let p = PathBuf::from(p);
            if p.is_absolute() {
                p
            } else {
                root.join(p)
            }
        };
        // A path that does not exist would rerun the script on every build: name existing ones.
        let watch = |p: PathBuf| {
            if p.is_file() {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        };
        if let Some(git_dir) = git(&["rev-parse", "--git-dir"]).map(abs) {
            watch(git_dir.join("HEAD"));
        }
        if let Some(common) = git(&["rev-parse", "--git-common-dir"]).map(abs) {
            watch(common.join("packed-refs"));
            if let Some(head_ref) = git(&["symbolic-ref", "-q", "HEAD"]) {
                watch(common.join(head_ref));
            }
        }
    }
    println!(
        "cargo:rustc-env=MODELGATE_GIT_COMMIT={}",
        commit.as_deref().unwrap_or("unknown")
    );
}

/// The package name of a plugin crate (a cdylib), or None for the SDK and non-crates.
fn plugin_crate_name(dir: &Path) -> Option<String> {
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    if !manifest.contains("cdylib") {
        return None;
    }
    manifest.lines().map(str::trim).find_map(|l| {
        l.strip_prefix("name").map(|r| {
            r.trim_start_matches([' ', '='])
                .trim()
                .trim_matches('"')
                .to_string()
        })
    })
}
