//! Finding and loading the ONNX Runtime shared library (once per process).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{anyhow, bail};

use super::ONNXRUNTIME_VERSION;

static ORT_ENV: OnceLock<Result<(PathBuf, ort::environment::Environment), String>> =
    OnceLock::new();

/// Finds the ONNX Runtime shared library: the explicit path (policy `runtime.onnxruntime` or
/// `--onnxruntime`), `ORT_DYLIB_PATH`, the active or a project-local Python environment's
/// `onnxruntime` package, then the system library path.
pub fn find_onnxruntime(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        if p.is_file() {
            return Ok(p.to_path_buf());
        }
        bail!("the ONNX Runtime library {} does not exist (from runtime.onnxruntime or --onnxruntime)", p.display());
    }
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Ok(p);
        }
        bail!(
            "ORT_DYLIB_PATH points to {}, which does not exist",
            p.display()
        );
    }
    let mut venvs: Vec<PathBuf> = std::env::var_os("VIRTUAL_ENV")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    if let Ok(cwd) = std::env::current_dir() {
        venvs.extend(cwd.ancestors().map(|a| a.join(".venv")));
    }
    if let Ok(exe) = std::env::current_exe() {
        venvs.extend(exe.ancestors().map(|a| a.join(".venv")));
    }
    for venv in venvs {
        if let Some(p) = venv_onnxruntime(&venv) {
            return Ok(p);
        }
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("LD_LIBRARY_PATH")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    dirs.extend(
        [
            "/usr/local/lib",
            "/usr/lib",
            "/usr/lib/x86_64-linux-gnu",
            "/usr/lib64",
        ]
        .map(PathBuf::from),
    );
    for d in dirs {
        let p = d.join("libonnxruntime.so");
        if p.is_file() {
            return Ok(p);
        }
    }
    bail!(
        "ONNX Runtime was not found. Install it into a project venv with \
         `python3 -m venv .venv && .venv/bin/pip install onnxruntime=={ONNXRUNTIME_VERSION}` (the repo's \
         tests/venv.sh does this), or point ORT_DYLIB_PATH, the policy's runtime.onnxruntime or --onnxruntime \
         at libonnxruntime.so"
    )
}

fn venv_onnxruntime(venv: &Path) -> Option<PathBuf> {
    let lib = std::fs::read_dir(venv.join("lib")).ok()?;
    for py in lib.flatten() {
        let capi = py.path().join("site-packages/onnxruntime/capi");
        let Ok(entries) = std::fs::read_dir(&capi) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("libonnxruntime.so"))
            })
            .collect();
        found.sort();
        if let Some(p) = found.into_iter().next() {
            return Some(p);
        }
    }
    None
}

/// Loads ONNX Runtime once per process and returns the library path used.
pub fn init_onnxruntime(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    let r = ORT_ENV.get_or_init(|| {
        let path = find_onnxruntime(explicit).map_err(|e| e.to_string())?;
        let env = ort::init_from(&path)
            .map_err(|e| format!("cannot load ONNX Runtime from {}: {e}", path.display()))?
            .with_name("modelgate")
            .build()
            .map_err(|e| format!("cannot start ONNX Runtime from {}: {e}", path.display()))?;
        Ok((path, env))
    });
    match r {
        Ok((p, _)) => Ok(p.clone()),
        Err(e) => Err(anyhow!("{e}")),
    }
}

pub(super) fn ort_environment() -> anyhow::Result<&'static ort::environment::Environment> {
    match ORT_ENV.get() {
        Some(Ok((_, env))) => Ok(env),
        Some(Err(e)) => Err(anyhow!("{e}")),
        None => bail!("ONNX Runtime is not loaded"),
    }
}
