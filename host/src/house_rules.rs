//! The layout rules of the host crate, checked on its own sources: which module may import which,
//! and how large one file may grow.

use std::path::{Path, PathBuf};

/// No host source file grows past this many lines: split it along its jobs instead.
const MAX_LINES: usize = 800;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every source file under `module` (a file `module.rs` or a folder `module/`), with its text.
fn module(name: &str) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let dir = src().join(name);
    if dir.is_dir() {
        sources(&dir, &mut files);
    }
    let file = src().join(format!("{name}.rs"));
    if file.is_file() {
        files.push(file);
    }
    assert!(
        !files.is_empty(),
        "no module `{name}` in {}",
        src().display()
    );
    files
        .into_iter()
        .map(|p| (p.clone(), std::fs::read_to_string(&p).unwrap()))
        .collect()
}

/// The places in `from` that use `crate::<to>` (imports and paths alike).
fn uses(from: &str, to: &str) -> Vec<String> {
    let needle = format!("crate::{to}");
    module(from)
        .into_iter()
        .flat_map(|(path, text)| {
            text.lines()
                .enumerate()
                .filter(|(_, l)| {
                    l.contains(&needle)
                        && !l[l.find(&needle).unwrap() + needle.len()..]
                            .starts_with(|c: char| c.is_alphanumeric() || c == '_')
                })
                .map(|(i, l)| format!("{}:{}: {}", path.display(), i + 1, l.trim()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn nothing_below_the_cli_imports_it() {
    for m in [
        "data", "dvc", "files", "gate", "model", "outcome", "policy", "progress", "promote",
        "record", "registry", "report", "runtime", "scaffold", "verdict", "verify", "demo",
        "monitor", "decision",
    ] {
        assert_eq!(
            uses(m, "cli"),
            Vec::<String>::new(),
            "`{m}` imports the CLI"
        );
    }
}

#[test]
fn reports_and_the_verdict_never_import_the_sandbox_and_the_sandbox_never_imports_reports() {
    for m in ["report", "verdict", "record", "outcome", "decision"] {
        assert_eq!(
            uses(m, "monitor"),
            Vec::<String>::new(),
            "`{m}` imports the monitor's runner"
        );
        assert_eq!(
            uses(m, "runtime"),
            Vec::<String>::new(),
            "`{m}` imports the sandbox"
        );
        assert_eq!(
            uses(m, "gate"),
            Vec::<String>::new(),
            "`{m}` imports the gate"
        );
    }
    assert_eq!(
        uses("runtime", "report"),
        Vec::<String>::new(),
        "the sandbox imports reports"
    );
    for m in ["gate", "monitor"] {
        assert_eq!(
            uses(m, "report"),
            Vec::<String>::new(),
            "`{m}` imports reports"
        );
    }
    assert_eq!(
        uses("outcome", "record"),
        Vec::<String>::new(),
        "the vocabulary imports the record"
    );
}

#[test]
fn no_source_file_is_over_the_line_limit() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let long: Vec<String> = files
        .iter()
        .map(|p| (p, std::fs::read_to_string(p).unwrap().lines().count()))
        .filter(|(_, n)| *n > MAX_LINES)
        .map(|(p, n)| format!("{} has {n} lines", p.display()))
        .collect();
    assert!(
        long.is_empty(),
        "split these along their jobs (at most {MAX_LINES} lines): {long:?}"
    );
}
