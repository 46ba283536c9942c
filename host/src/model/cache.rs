//! What a run keeps for the next, in the cache directory beside the compiled plugins: each ONNX
//! model's signature (`models/<key>.json`), and its predictions on a dataset of at most
//! [`MAX_CACHED_ROWS`] rows (`predictions/<key>.parquet`). A gate run again on the same files
//! then decides how the model is fed and reads its predictions back without loading ONNX Runtime.
//!
//! Keys are digests of everything the kept value depends on: this build (version and commit),
//! the ONNX Runtime library the run would load (its path, size and modification time), the
//! model file's sha256 and, for predictions, the dataset file's digest as loaded (sha256, format,
//! CSV dialect), the features, how they are fed, which outputs are read, the classes and
//! `missing_features`. Nothing a run computes differently is ever read back: a changed file,
//! setting or library is a new key. Entries are written atomically, only after a run succeeded,
//! and the least recently used go first past a size cap. `--no-cache` turns the cache off.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use sha2::{Digest, Sha256};

use super::signature::Signature;
use crate::runtime::{checked_entry, prune_cache};

/// Most rows of a dataset whose predictions are kept: a small gate's predictions cost less to
/// read than loading ONNX Runtime, while a large dataset's would cost a write on every first run
/// and fill the cache.
pub const MAX_CACHED_ROWS: usize = 1 << 18;

/// Most bytes of kept predictions (the least recently used go first).
const MAX_PREDICTION_BYTES: u64 = 256 << 20;
/// Most bytes of kept signatures.
const MAX_SIGNATURE_BYTES: u64 = 16 << 20;

/// The signature and predictions cache of one run.
#[derive(Debug, Clone)]
pub struct ModelCache {
    dir: PathBuf,
    /// Digest of this build and the ONNX Runtime library.
    runtime: String,
}

fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        // Length-prefixed: no two lists of parts give the same bytes.
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

/// This build: its version and the commit it was built at.
fn build() -> String {
    format!(
        "{} {}",
        env!("CARGO_PKG_VERSION"),
        env!("MODELGATE_GIT_COMMIT")
    )
}

impl ModelCache {
    /// The cache in `dir` for the ONNX Runtime library at `onnxruntime` (what a run would load).
    /// `None` without a directory, or when the library's size and modification time cannot be
    /// read: then nothing is kept.
    pub fn new(dir: Option<&Path>, onnxruntime: &Path) -> Option<ModelCache> {
        let dir = dir?;
        let lib = std::fs::canonicalize(onnxruntime).ok()?;
        let meta = std::fs::metadata(&lib).ok()?;
        let modified = meta
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos();
        let lib = format!("{} {} {modified}", lib.display(), meta.len());
        Some(ModelCache {
            dir: dir.to_path_buf(),
            runtime: digest(&[&build(), &lib]),
        })
    }

    /// The key of a model file by its sha256.
    pub fn model_key(&self, sha256: &str) -> String {
        digest(&[&self.runtime, sha256])
    }

    /// The key of a model's predictions: its key and everything else they depend on.
    pub fn predictions_key(model_key: &str, parts: &[&str]) -> String {
        let mut all = vec![model_key];
        all.extend_from_slice(parts);
        digest(&all)
    }

    fn entry(&self, kind: &str, key: &str, ext: &str) -> PathBuf {
        self.dir.join(kind).join(format!("{key}.{ext}"))
    }

    /// Writes an entry (best effort: a read-only cache only costs time) and prunes its kind.
    fn keep(&self, path: &Path, bytes: &[u8], ext: &str, cap: u64) {
        let dir = path.parent().expect("entries live in a directory");
        if std::fs::create_dir_all(dir).is_ok() && crate::files::write_atomic(path, bytes).is_ok() {
            prune_cache(dir, ext, cap, path);
        }
    }

    /// Whether a signature is kept for a model (not read yet).
    pub fn has_signature(&self, model_key: &str) -> bool {
        self.entry("models", model_key, "json").is_file()
    }

    /// The signature kept for a model, if any.
    pub(super) fn signature(&self, model_key: &str) -> Option<Signature> {
        let path = self.entry("models", model_key, "json");
        let text = std::fs::read_to_string(&path).ok()?;
        checked_entry(&path, Signature::decode(&text))
    }

    /// Keeps a model's signature.
    pub(super) fn keep_signature(&self, model_key: &str, signature: &Signature) {
        if let Some(text) = signature.encode() {
            let path = self.entry("models", model_key, "json");
            self.keep(&path, text.as_bytes(), "json", MAX_SIGNATURE_BYTES);
        }
    }

    /// The predictions kept under `key`, when they are `rows` rows of `prediction` and
    /// `proba_0..` columns; anything else is dropped from the cache.
    pub fn predictions(&self, key: &str, rows: usize) -> Option<Vec<Column>> {
        let path = self.entry("predictions", key, "parquet");
        let file = std::fs::File::open(&path).ok()?;
        let read = ParquetReader::new(file).finish().ok().filter(|df| {
            let names = df.get_column_names();
            df.height() == rows
                && names.first().is_some_and(|n| n.as_str() == "prediction")
                && names[1..]
                    .iter()
                    .enumerate()
                    .all(|(i, n)| n.as_str() == format!("proba_{i}"))
        });
        checked_entry(&path, read).map(DataFrame::into_columns)
    }

    /// Keeps predictions under `key`.
    pub fn keep_predictions(&self, key: &str, columns: &[Column]) {
        let Ok(mut df) = DataFrame::new_infer_height(columns.to_vec()) else {
            return;
        };
        let mut bytes = Vec::new();
        if ParquetWriter::new(&mut bytes).finish(&mut df).is_ok() {
            let path = self.entry("predictions", key, "parquet");
            self.keep(&path, &bytes, "parquet", MAX_PREDICTION_BYTES);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Predictions come back bit for bit, with their types; a key never written, a file that is
    /// not Parquet, or predictions of another length are misses (and the bad file is gone).
    #[test]
    fn kept_predictions_come_back_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("libonnxruntime.so");
        std::fs::write(&lib, b"library").unwrap();
        let cache = ModelCache::new(Some(dir.path()), &lib).unwrap();
        let key = ModelCache::predictions_key(&cache.model_key("ab"), &["data", "features"]);
        let columns: Vec<Column> = vec![
            Series::new("prediction".into(), ["b", "a", "b"]).into(),
            Series::new("proba_0".into(), [0.1f64, 0.9, f64::MIN_POSITIVE]).into(),
            Series::new("proba_1".into(), [0.9f64, 0.1, 1.0 - f64::EPSILON]).into(),
        ];
        assert!(cache.predictions(&key, 3).is_none());
        cache.keep_predictions(&key, &columns);
        assert_eq!(cache.predictions(&key, 3), Some(columns.clone()));
        assert!(cache.predictions(&key, 4).is_none(), "another length");
        assert!(cache.predictions(&key, 3).is_none(), "dropped once refused");
        let file = dir
            .path()
            .join("predictions")
            .join(format!("{key}.parquet"));
        std::fs::write(&file, b"PAR1 not parquet").unwrap();
        assert!(cache.predictions(&key, 3).is_none());
        assert!(!file.exists());
        // Another library (or build, or model) is another key.
        std::fs::write(&lib, b"another library").unwrap();
        let other = ModelCache::new(Some(dir.path()), &lib).unwrap();
        assert_ne!(other.model_key("ab"), cache.model_key("ab"));
        assert!(ModelCache::new(None, &lib).is_none());
        assert!(ModelCache::new(Some(dir.path()), &dir.path().join("missing.so")).is_none());
    }
}
