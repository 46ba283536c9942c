//! `modelgate plugin new`: writes a validator plugin project that builds as generated and passes
//! its own tests. The templates (host/templates), the contract (wit/plugin.wit), the Rust guest
//! SDK (plugins/sdk) and its pinned dependency versions (plugins/Cargo.toml, plugins/Cargo.lock)
//! are embedded in the binary, so a new project needs nothing from the modelgate repository.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};

use crate::runtime::WIT_VERSION;

/// The language of a new plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// A Rust crate on the modelgate guest SDK, built with `cargo build --target wasm32-wasip2`.
    Rust,
    /// A Python module, built into a component with componentize-py.
    Python,
}

macro_rules! embed {
    ($base:literal: $($rel:literal),* $(,)?) => {
        &[$(($rel, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $base, "/", $rel)))),*]
    };
}

/// Files of every template: `{{name}}`, `{{crate}}`, `{{wasm}}` (the built component, relative to
/// the project), `{{wit_version}}` and `{{componentize_py_version}}` are filled in.
const COMMON_TEMPLATE: &[(&str, &str)] =
    embed!("templates/common": "sample/gate.toml", "sample/data.csv");

/// Files of the Rust template.
const RUST_TEMPLATE: &[(&str, &str)] = embed!("templates/rust": "src/lib.rs", "README.md");

/// Files of the Python template.
const PYTHON_TEMPLATE: &[(&str, &str)] =
    embed!("templates/python": "app.py", "checks.py", "test_checks.py", "build.sh", "README.md");

/// The componentize-py release Python plugins are built with (also pinned by
/// examples/plugins/requirements.txt).
pub const COMPONENTIZE_PY_VERSION: &str = "0.25.1";

/// The guest SDK's sources, vendored into Rust projects under `vendor/modelgate-sdk`.
pub const SDK_FILES: &[(&str, &str)] = embed!("../plugins/sdk":
    "Cargo.toml", "src/lib.rs", "src/bounds.rs", "src/config.rs", "src/context.rs", "src/details.rs", "src/log.rs",
    "src/memo.rs",
    "src/numeric.rs", "src/result.rs", "src/schema.rs", "src/table.rs", "src/stats/mod.rs",
    "src/stats/gamma.rs", "src/stats/student_t.rs",
);

const WIT: &str = include_str!("../../wit/plugin.wit");
const PLUGINS_MANIFEST: &str = include_str!("../../plugins/Cargo.toml");
const PLUGINS_LOCK: &str = include_str!("../../plugins/Cargo.lock");

/// Checks a plugin name: lowercase words joined by `-` (it becomes the crate, module and file name).
pub fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        bail!(
            "`{name}` is not a valid plugin name: use lowercase letters, digits and single dashes, starting with a letter \
             (at most 64 characters), e.g. `label-balance`"
        );
    }
    Ok(())
}

/// The files of a new project: (path relative to the project, content).
pub fn files(name: &str, lang: Lang) -> anyhow::Result<Vec<(String, String)>> {
    check_name(name)?;
    let krate = name.replace('-', "_");
    let wasm = component_path(name, lang);
    let fill = |s: &str| {
        s.replace("{{name}}", name)
            .replace("{{crate}}", &krate)
            .replace("{{wasm}}", &wasm)
            .replace("{{wit_version}}", WIT_VERSION)
            .replace("{{componentize_py_version}}", COMPONENTIZE_PY_VERSION)
            .replace(
                "{{componentize_py_url}}",
                "https://github.com/bytecodealliance/componentize-py",
            )
    };
    let template = match lang {
        Lang::Rust => RUST_TEMPLATE,
        Lang::Python => PYTHON_TEMPLATE,
    };
    let mut out: Vec<(String, String)> = COMMON_TEMPLATE
        .iter()
        .chain(template)
        .map(|(rel, text)| (rel.to_string(), fill(text)))
        .collect();
    out.push(("wit/plugin.wit".into(), WIT.into()));
    match lang {
        Lang::Rust => {
            out.push(("Cargo.toml".into(), rust_manifest(name)?));
            // The versions modelgate's own plugins are built and tested with; cargo adds the new
            // package and drops what it does not use.
            out.push(("Cargo.lock".into(), PLUGINS_LOCK.into()));
            out.push((".gitignore".into(), "/target\n".into()));
            out.extend(
                SDK_FILES
                    .iter()
                    .map(|(rel, text)| (format!("vendor/modelgate-sdk/{rel}"), text.to_string())),
            );
        }
        Lang::Python => {
            out.push((
                ".gitignore".into(),
                "/build\n/.venv\n/*.wasm\n__pycache__/\n".into(),
            ));
        }
    }
    Ok(out)
}

/// Where a project's build writes its component, relative to the project.
pub fn component_path(name: &str, lang: Lang) -> String {
    let krate = name.replace('-', "_");
    match lang {
        Lang::Rust => format!("target/wasm32-wasip2/release/{krate}.wasm"),
        Lang::Python => format!("{krate}.wasm"),
    }
}

/// The project's Cargo.toml: a workspace with the plugin and the vendored SDK, whose shared
/// package metadata, dependency versions and release profile are modelgate's own.
fn rust_manifest(name: &str) -> anyhow::Result<String> {
    let section = |header: &str| -> anyhow::Result<&str> {
        let start = PLUGINS_MANIFEST
            .find(header)
            .with_context(|| format!("plugins/Cargo.toml has no {header}"))?;
        let rest = &PLUGINS_MANIFEST[start..];
        let end = rest[header.len()..]
            .find("\n[")
            .map_or(rest.len(), |i| i + header.len() + 1);
        Ok(rest[..end].trim_end())
    };
    let dependencies = section("[workspace.dependencies]")?;
    if !dependencies.contains("modelgate-sdk = { path = \"sdk\" }") {
        bail!("plugins/Cargo.toml: the SDK dependency is no longer `modelgate-sdk = {{ path = \"sdk\" }}`");
    }
    let dependencies = dependencies.replace(
        "modelgate-sdk = { path = \"sdk\" }",
        "modelgate-sdk = { path = \"vendor/modelgate-sdk\" }",
    );
    Ok(format!(
        "# A modelgate validator plugin. Build the component with\n\
         #     cargo build --release --target wasm32-wasip2\n\
         # and test its logic natively with `cargo test`.\n\
         [package]\n\
         name = \"{name}\"\n\
         version = \"0.1.0\"\n\
         edition = \"2021\"\n\
         publish = false\n\n\
         [lib]\n\
         crate-type = [\"cdylib\"]\n\n\
         [dependencies]\n\
         modelgate-sdk.workspace = true\n\
         serde.workspace = true\n\n\
         [dev-dependencies]\n\
         serde_json.workspace = true\n\n\
         [workspace]\n\
         resolver = \"2\"\n\
         members = [\".\", \"vendor/modelgate-sdk\"]\n\n\
         {}\n\n{dependencies}\n\n{}\n",
        section("[workspace.package]")?,
        section("[profile.release]")?,
    ))
}

/// Writes a new project into `dir` (which must not exist, or be empty) and returns the paths
/// written.
pub fn create(name: &str, lang: Lang, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let files = files(name, lang)?;
    if dir.exists() {
        let empty = dir
            .read_dir()
            .with_context(|| format!("cannot read {}", dir.display()))?
            .next()
            .is_none();
        if !empty {
            bail!(
                "{} already exists and is not empty; choose another name or `--dir`",
                dir.display()
            );
        }
    }
    let mut written = Vec::new();
    for (rel, text) in files {
        let path = dir.join(&rel);
        std::fs::create_dir_all(path.parent().expect("files live in the project directory"))
            .with_context(|| format!("cannot create {}", dir.display()))?;
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        if rel.ends_with(".sh") {
            set_executable(&path)?;
        }
        written.push(path);
    }
    Ok(written)
}

#[cfg(unix)]
fn set_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot chmod {}", path.display()))
}

#[cfg(not(unix))]
fn set_executable(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for good in ["a", "label-balance", "x2-y3"] {
            check_name(good).unwrap();
        }
        for bad in [
            "",
            "Label",
            "2x",
            "a--b",
            "a-",
            "a_b",
            "a b",
            &"a".repeat(65),
        ] {
            let e = check_name(bad).unwrap_err().to_string();
            assert!(e.contains("not a valid plugin name"), "{bad}: {e}");
        }
    }

    #[test]
    fn every_sdk_source_is_vendored() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/sdk/src");
        // Files of src/ and of its module folders (one level down).
        let mut on_disk: Vec<String> = Vec::new();
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            if e.path().is_dir() {
                for f in std::fs::read_dir(e.path()).unwrap() {
                    let f = f.unwrap().file_name().to_string_lossy().into_owned();
                    on_disk.push(format!("src/{name}/{f}"));
                }
            } else {
                on_disk.push(format!("src/{name}"));
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = SDK_FILES
            .iter()
            .map(|(r, _)| r.to_string())
            .filter(|r| r.starts_with("src/"))
            .collect();
        embedded.sort();
        assert_eq!(
            embedded, on_disk,
            "add new SDK files to scaffold::SDK_FILES"
        );
    }

    #[test]
    fn the_rust_manifest_pins_modelgates_dependency_versions() {
        let files = files("my-check", Lang::Rust).unwrap();
        let manifest = &files.iter().find(|(r, _)| r == "Cargo.toml").unwrap().1;
        let parsed: toml::Table = toml::from_str(manifest).unwrap();
        assert_eq!(parsed["package"]["name"].as_str(), Some("my-check"));
        let deps = parsed["workspace"]["dependencies"].as_table().unwrap();
        assert_eq!(
            deps["modelgate-sdk"]["path"].as_str(),
            Some("vendor/modelgate-sdk")
        );
        assert!(
            deps.contains_key("wit-bindgen") && deps.contains_key("serde"),
            "{manifest}"
        );
        assert!(
            parsed["profile"]["release"].get("opt-level").is_some(),
            "{manifest}"
        );
        let lib = &files.iter().find(|(r, _)| r == "src/lib.rs").unwrap().1;
        assert!(
            lib.contains("name: \"my-check\".into()") && !lib.contains("{{"),
            "{lib}"
        );
        let gate = &files
            .iter()
            .find(|(r, _)| r == "sample/gate.toml")
            .unwrap()
            .1;
        assert!(gate.contains("release/my_check.wasm"), "{gate}");
    }
}
