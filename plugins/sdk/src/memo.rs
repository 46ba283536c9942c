//! The plugin's memo (WIT 0.1.3): what a plugin derived from inputs that stay the same between
//! its calls, kept by the host for the rest of the process.
//!
//! `modelgate monitor` calls every check once per window, each time with the same reference,
//! models and config. A check that learns something from the reference (a calibrator, a
//! reference profile) can store it on the first window and read it back on the next ones:
//!
//! ```ignore
//! let key = format!("my-fit/v1 {} {}", reference.identity(), config_digest);
//! let fit = match memo::get(&key).and_then(|b| Fit::decode(&b)) {
//!     Some(fit) => fit,
//!     None => {
//!         let fit = Fit::learn(reference)?;
//!         let _ = memo::put(&key, &fit.encode()); // full: go on without
//!         fit
//!     }
//! };
//! ```
//!
//! The memo belongs to the plugin (its component's sha256): no other plugin reads it, and it
//! does not outlive the process. Its key must name everything the value depends on — the
//! [`Table::identity`](crate::Table::identity) of each table it was derived from (a window of
//! `monitor` is a table of its own) and the config — because the plugin's other checks and calls
//! share it. A check must give the same result with or without an entry. At most
//! 1,024 bytes per key, 64 MiB per plugin and 256 MiB for every plugin of the process together.

use crate::bindings::modelgate::plugin::host;
use crate::HostError;

/// The bytes stored under `key` earlier in this process, if any.
pub fn get(key: &str) -> Option<Vec<u8>> {
    host::memo_get(key)
}

/// Stores `value` under `key` (replacing an entry). Refused with `invalid-argument` when the
/// key is longer than 1,024 bytes, the plugin's memo would outgrow 64 MiB or all plugins'
/// memos 256 MiB: nothing is stored, and the plugin goes on without.
pub fn put(key: &str, value: &[u8]) -> Result<(), HostError> {
    host::memo_put(key, value)
}
