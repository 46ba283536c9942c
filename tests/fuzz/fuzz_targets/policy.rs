//! Any text as a gate policy: parsing and validation must return Ok or a clear error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = modelgate::policy::Policy::parse(std::path::Path::new("fuzz/gate.toml"), text);
    }
});
