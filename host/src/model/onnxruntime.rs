//! Finding and loading the ONNX Runtime shared library (once per process).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{anyhow, bail};

use super::ONNXRUNTIME_VERSION;

static ORT_ENV: OnceLock<Result<(PathBuf, ort::environment::Environment), String>> =
    OnceLock::new();

/// Finds the ONNX Runtime shared library, in this order: the explicit path (policy
/// `runtime.onnxruntime` or `--onnxruntime`), `ORT_DYLIB_PATH`, the active Python environment's
/// (`VIRTUAL_ENV`) `onnxruntime` package, the `onnxruntime` package of the environment the binary is
/// installed in (`pip install modelgate`: `<env>/bin/modelgate` beside
/// `<env>/lib/pythonX.Y/site-packages/onnxruntime/capi/`), a project-local `.venv` above the working
/// directory or the binary, then the system library path.
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
    let exe = std::env::current_exe().ok();
    venvs.extend(exe.as_deref().and_then(installed_env));
    if let Ok(cwd) = std::env::current_dir() {
        venvs.extend(cwd.ancestors().map(|a| a.join(".venv")));
    }
    if let Some(exe) = &exe {
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

/// The Python environment (or prefix) a binary is installed in: the directory above its `bin/`
/// (a venv, `~/.local` for `pip install --user`, `/usr/local`), if it has a `lib/`.
fn installed_env(exe: &Path) -> Option<PathBuf> {
    let bin = exe.parent()?;
    let env = bin.parent()?;
    (bin.file_name()? == "bin" && env.join("lib").is_dir()).then(|| env.to_path_buf())
}

/// The `libonnxruntime.so*` of the `onnxruntime` package in the environment `venv`
/// (`lib/pythonX.Y/site-packages`, or Debian's `dist-packages` for a system prefix).
fn venv_onnxruntime(venv: &Path) -> Option<PathBuf> {
    let lib = std::fs::read_dir(venv.join("lib")).ok()?;
    let mut pythons: Vec<PathBuf> = lib.flatten().map(|e| e.path()).collect();
    pythons.sort();
    for capi in pythons.iter().flat_map(|py| {
        ["site-packages", "dist-packages"].map(|d| py.join(d).join("onnxruntime/capi"))
    }) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(p: &Path) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"").unwrap();
    }

    #[test]
    fn the_onnxruntime_package_beside_an_installed_binary_is_found() {
        let tmp = tempfile::tempdir().unwrap();
        let env = tmp.path().join("some-env");
        let exe = env.join("bin/modelgate");
        touch(&exe);
        // Nothing installed yet: no library.
        std::fs::create_dir_all(env.join("lib/python3.12/site-packages")).unwrap();
        let found = installed_env(&exe).unwrap();
        assert_eq!(found, env);
        assert_eq!(venv_onnxruntime(&found), None);
        let capi = env.join("lib/python3.12/site-packages/onnxruntime/capi");
        touch(&capi.join("onnxruntime_pybind11_state.so"));
        touch(&capi.join("libonnxruntime_providers_shared.so"));
        assert_eq!(venv_onnxruntime(&found), None, "only libonnxruntime.so*");
        touch(&capi.join("libonnxruntime.so.1.23.2"));
        assert_eq!(
            venv_onnxruntime(&found),
            Some(capi.join("libonnxruntime.so.1.23.2"))
        );
    }

    #[test]
    fn a_system_prefix_with_dist_packages_is_searched_too() {
        let tmp = tempfile::tempdir().unwrap();
        let prefix = tmp.path().join("usr/local");
        let exe = prefix.join("bin/modelgate");
        touch(&exe);
        let lib =
            prefix.join("lib/python3.11/dist-packages/onnxruntime/capi/libonnxruntime.so.1.22.0");
        touch(&lib);
        assert_eq!(venv_onnxruntime(&installed_env(&exe).unwrap()), Some(lib));
    }

    #[test]
    fn a_binary_outside_a_bin_directory_has_no_installed_env() {
        let tmp = tempfile::tempdir().unwrap();
        let exe = tmp.path().join("target/debug/modelgate");
        touch(&exe);
        std::fs::create_dir_all(tmp.path().join("target/lib")).unwrap();
        assert_eq!(installed_env(&exe), None);
    }
}
