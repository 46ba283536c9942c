//! Plugins' memos (WIT `memo-get` / `memo-put`, since 0.1.3): bytes a plugin derived from inputs
//! that stay the same between its calls, kept for the rest of the process.
//!
//! `monitor` calls every check once per window with the same reference, models and config: a
//! check that learns something from the reference (CBPE's calibrator) stores it once and reads it
//! back in the next windows. Each plugin (by its component's sha256) has a memo of its own, bounded
//! in keys and bytes, and all of them together are bounded too; nothing is written to disk.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Most bytes of one key.
pub const MAX_MEMO_KEY_BYTES: usize = 1024;
/// Most bytes of one plugin's entries, keys included.
pub const MAX_MEMO_BYTES: usize = 64 << 20;
/// Most bytes of every plugin's entries together (a policy may run many plugins).
pub const MAX_MEMOS_BYTES: usize = 256 << 20;

/// One plugin's memo.
#[derive(Debug, Default)]
pub struct Memo {
    entries: Mutex<Entries>,
    /// Bytes held by every plugin's memo of the process.
    total: Arc<Mutex<usize>>,
}

#[derive(Debug, Default)]
struct Entries {
    values: HashMap<String, Arc<Vec<u8>>>,
    bytes: usize,
}

impl Memo {
    /// The value stored under `key`, if any.
    pub fn get(&self, key: &str) -> Option<Arc<Vec<u8>>> {
        self.lock().values.get(key).cloned()
    }

    /// Stores `value` under `key`, replacing an entry; refused (nothing stored) when the key is
    /// too long, the memo would outgrow [`MAX_MEMO_BYTES`] or all memos [`MAX_MEMOS_BYTES`].
    pub fn put(&self, key: String, value: Vec<u8>) -> Result<(), String> {
        if key.len() > MAX_MEMO_KEY_BYTES {
            return Err(format!(
                "a memo key is at most {MAX_MEMO_KEY_BYTES} bytes, this one {}",
                key.len()
            ));
        }
        let mut e = self.lock();
        let replaced = e.values.get(&key).map_or(0, |v| key.len() + v.len());
        let bytes = e.bytes - replaced + key.len() + value.len();
        if bytes > MAX_MEMO_BYTES {
            return Err(format!(
                "the plugin's memo would hold {bytes} bytes, more than its {MAX_MEMO_BYTES}: \
                 nothing stored (the plugin goes on without)"
            ));
        }
        let mut total = self.total.lock().unwrap_or_else(|p| p.into_inner());
        let all = *total - e.bytes + bytes;
        if all > MAX_MEMOS_BYTES {
            return Err(format!(
                "the plugins' memos would hold {all} bytes, more than the {MAX_MEMOS_BYTES} a run \
                 allows: nothing stored (the plugin goes on without)"
            ));
        }
        *total = all;
        e.bytes = bytes;
        e.values.insert(key, Arc::new(value));
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Every plugin's memo, by component sha256.
#[derive(Debug, Default)]
pub struct Memos {
    memos: Mutex<HashMap<String, Arc<Memo>>>,
    total: Arc<Mutex<usize>>,
}

impl Memos {
    /// The memo of the plugin whose component has this sha256.
    pub fn of(&self, sha256: &str) -> Arc<Memo> {
        self.memos
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(sha256.to_string())
            .or_insert_with(|| {
                Arc::new(Memo {
                    entries: Default::default(),
                    total: self.total.clone(),
                })
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugins_keep_their_own_entries_within_bounds() {
        let memos = Memos::default();
        let (a, b) = (memos.of("aa"), memos.of("bb"));
        a.put("k".into(), vec![1, 2, 3]).unwrap();
        assert_eq!(a.get("k").as_deref(), Some(&vec![1, 2, 3]));
        assert_eq!(b.get("k"), None, "another plugin reads nothing");
        assert_eq!(memos.of("aa").get("k").as_deref(), Some(&vec![1, 2, 3]));

        let e = a
            .put("x".repeat(MAX_MEMO_KEY_BYTES + 1), vec![])
            .unwrap_err();
        assert!(e.contains("at most 1024 bytes"), "{e}");
        // Replacing an entry frees its bytes first.
        let half = MAX_MEMO_BYTES / 2;
        a.put("big".into(), vec![0; half]).unwrap();
        a.put("big".into(), vec![0; half]).unwrap();
        let e = a.put("more".into(), vec![0; half]).unwrap_err();
        assert!(e.contains("nothing stored"), "{e}");
        assert_eq!(a.get("more"), None);
        assert_eq!(a.get("big").map(|v| v.len()), Some(half));
        b.put("more".into(), vec![0; half]).unwrap();
        // Every plugin's entries together: at most 256 MiB.
        let memos = Memos::default();
        let full = MAX_MEMO_BYTES - 16;
        for p in ["p0", "p1", "p2", "p3"] {
            memos.of(p).put("k".into(), vec![0; full - 1]).unwrap();
        }
        let e = memos.of("p4").put("k".into(), vec![0; 99]).unwrap_err();
        assert!(e.contains("more than the 268435456 a run allows"), "{e}");
        // Replacing an entry with a smaller one makes room.
        memos.of("p0").put("k".into(), vec![]).unwrap();
        memos.of("p4").put("k".into(), vec![0; 99]).unwrap();
        assert_eq!(*memos.total.lock().unwrap(), 3 * full + 1 + 100);
    }
}
