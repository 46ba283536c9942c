//! DVC data versions: when a dataset file is tracked by DVC — a `FILE.dvc` beside it, or an output
//! of a stage in a `dvc.lock` in its directory or above (up to the DVC repository's root, the
//! directory holding `.dvc/`) — the gate records the recorded hash in the report and refuses a
//! file whose content does not match it (a dataset changed without `dvc add` / `dvc repro`, or a
//! checkout of the wrong version).
//!
//! Hashes as DVC computes them (tests/mlflow/DVC.md): DVC 3 outputs (`hash: md5`) are the MD5 of
//! the file's bytes; DVC 2 outputs (no `hash` key) hash text chunks with CRLF turned into LF.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _};
use md5::{Digest as _, Md5};
use serde::Deserialize;

/// Where a dataset's DVC hash was found, as recorded in the report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DvcEntry {
    /// The hash DVC recorded (hex MD5).
    pub md5: String,
    /// The `.dvc` or `dvc.lock` file that records it.
    pub file: String,
    /// The stage of a `dvc.lock` that outputs the dataset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// A DVC 2.x entry (hashed with CRLF as LF in text).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub legacy: bool,
}

#[derive(Debug, Deserialize)]
struct Out {
    path: String,
    #[serde(default)]
    md5: Option<String>,
    #[serde(default)]
    hash: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DvcFile {
    #[serde(default)]
    outs: Vec<Out>,
}

#[derive(Debug, Deserialize)]
struct Stage {
    #[serde(default)]
    outs: Vec<Out>,
    #[serde(default)]
    wdir: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LockFile {
    #[serde(default)]
    stages: indexmap::IndexMap<String, Stage>,
}

/// Lexically normalised absolute path (`a/./b/../c` → `a/c`), for comparing DVC's relative paths.
fn normal(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn entry(out: &Out, file: &Path, stage: Option<&str>) -> anyhow::Result<Option<DvcEntry>> {
    let Some(md5) = &out.md5 else { return Ok(None) };
    if md5.ends_with(".dir") {
        return Ok(None); // a tracked directory; the file's own hash is in DVC's cache, not here
    }
    let legacy = match out.hash.as_deref() {
        Some("md5") => false,
        None => true,
        Some(other) => bail!("{}: output `{}` is hashed with `{other}`, which modelgate cannot check (it checks md5)", file.display(), out.path),
    };
    Ok(Some(DvcEntry {
        md5: md5.to_lowercase(),
        file: file.display().to_string(),
        stage: stage.map(str::to_string),
        legacy,
    }))
}

/// The DVC entry tracking `data`, if any: `data.dvc` first, then the nearest `dvc.lock` above it.
pub fn find(data: &Path) -> anyhow::Result<Option<DvcEntry>> {
    let target = normal(data);
    let mut dot_dvc = data.as_os_str().to_owned();
    dot_dvc.push(".dvc");
    let dot_dvc = PathBuf::from(dot_dvc);
    if dot_dvc.is_file() {
        let text = std::fs::read_to_string(&dot_dvc)
            .with_context(|| format!("cannot read {}", dot_dvc.display()))?;
        let parsed: DvcFile = serde_yaml_ng::from_str(&text)
            .map_err(|e| anyhow!("{} is not a valid .dvc file: {e}", dot_dvc.display()))?;
        let dir = dot_dvc.parent().unwrap_or(Path::new("."));
        for out in &parsed.outs {
            if normal(&dir.join(&out.path)) == target {
                if let Some(e) = entry(out, &dot_dvc, None)? {
                    return Ok(Some(e));
                }
            }
        }
    }
    let mut dir = target.parent().map(Path::to_path_buf);
    while let Some(d) = dir {
        let lock = d.join("dvc.lock");
        if lock.is_file() {
            let text = std::fs::read_to_string(&lock)
                .with_context(|| format!("cannot read {}", lock.display()))?;
            let parsed: LockFile = serde_yaml_ng::from_str(&text)
                .map_err(|e| anyhow!("{} is not a valid dvc.lock: {e}", lock.display()))?;
            for (name, stage) in &parsed.stages {
                let base = stage.wdir.as_ref().map_or_else(|| d.clone(), |w| d.join(w));
                for out in &stage.outs {
                    if normal(&base.join(&out.path)) == target {
                        if let Some(e) = entry(out, &lock, Some(name))? {
                            return Ok(Some(e));
                        }
                    }
                }
            }
        }
        if d.join(".dvc").is_dir() {
            break; // the repository's root
        }
        dir = d.parent().map(Path::to_path_buf);
    }
    Ok(None)
}

/// Whether a chunk is text for DVC 2's hashing: empty, or no NUL and at most 30 % of its first
/// 512 bytes outside printable ASCII and `\n\r\t\x0c\x08`.
fn is_text(chunk: &[u8]) -> bool {
    let head = &chunk[..chunk.len().min(512)];
    if head.is_empty() {
        return true;
    }
    if head.contains(&0) {
        return false;
    }
    let other = head
        .iter()
        .filter(|&&b| !((32..127).contains(&b) || b"\n\r\t\x0c\x08".contains(&b)))
        .count();
    other * 10 <= head.len() * 3
}

/// The MD5 of a file as DVC computes it: the bytes (DVC 3), or with CRLF as LF in text chunks of
/// 1 MiB (DVC 2, `legacy`).
pub fn md5_file(path: &Path, legacy: bool) -> anyhow::Result<String> {
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        // Fill whole 1 MiB chunks, as DVC reads them.
        let mut n = 0;
        while n < buf.len() {
            let k = f
                .read(&mut buf[n..])
                .with_context(|| format!("cannot read {}", path.display()))?;
            if k == 0 {
                break;
            }
            n += k;
        }
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        if legacy && is_text(chunk) {
            let mut i = 0;
            while i < chunk.len() {
                match chunk[i..].windows(2).position(|w| w == b"\r\n") {
                    Some(p) => {
                        hasher.update(&chunk[i..i + p]);
                        hasher.update(b"\n");
                        i += p + 2;
                    }
                    None => {
                        hasher.update(&chunk[i..]);
                        i = chunk.len();
                    }
                }
            }
        } else {
            hasher.update(chunk);
        }
        if n < buf.len() {
            break;
        }
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Checks a dataset against its DVC entry, if it has one; returns the entry for the report.
pub fn check(name: &str, path: &Path) -> anyhow::Result<Option<DvcEntry>> {
    let Some(e) = find(path).with_context(|| format!("dataset `{name}` ({})", path.display()))?
    else {
        return Ok(None);
    };
    let actual = md5_file(path, e.legacy)?;
    if actual != e.md5 {
        let recorded = match &e.stage {
            Some(s) => format!("{} (stage `{s}`)", e.file),
            None => e.file.clone(),
        };
        bail!(
            "dataset `{name}` ({}) is not the version DVC tracks: {recorded} records md5 {}, the file has md5 {actual}; \
             run `dvc checkout` to restore the tracked version, or `dvc add` / `dvc repro` (and commit) if the change is intended",
            path.display(),
            e.md5
        );
    }
    Ok(Some(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dvc2_hashes_text_with_crlf_as_lf_and_binary_as_is() {
        let dir = tempfile::tempdir().unwrap();
        let crlf = dir.path().join("crlf.csv");
        std::fs::write(&crlf, b"x,y\r\n3,4\r\n").unwrap();
        // md5("x,y\r\n3,4\r\n") and md5("x,y\n3,4\n"), as `md5sum` prints them.
        assert_eq!(
            md5_file(&crlf, false).unwrap(),
            hex::encode(Md5::digest(b"x,y\r\n3,4\r\n"))
        );
        assert_eq!(
            md5_file(&crlf, true).unwrap(),
            hex::encode(Md5::digest(b"x,y\n3,4\n"))
        );
        assert_eq!(
            md5_file(&crlf, false).unwrap(),
            "e239a1084c874bad37d975482f79f905"
        );
        let binary = dir.path().join("b.bin");
        let bytes: Vec<u8> = (0..=255u8).chain(*b"\r\n").collect();
        std::fs::write(&binary, &bytes).unwrap();
        assert_eq!(
            md5_file(&binary, true).unwrap(),
            md5_file(&binary, false).unwrap(),
            "binary chunks are hashed as they are"
        );
        // More than one chunk.
        let big = dir.path().join("big.csv");
        let text = "a,b\r\n".repeat(300_000);
        std::fs::write(&big, &text).unwrap();
        assert_eq!(
            md5_file(&big, false).unwrap(),
            hex::encode(Md5::digest(text.as_bytes()))
        );
        // No CRLF straddles the 1 MiB boundary here (1 MiB = 5 × 209,715 + 1 bytes).
        assert_eq!(
            md5_file(&big, true).unwrap(),
            hex::encode(Md5::digest("a,b\n".repeat(300_000).as_bytes()))
        );
    }
}
