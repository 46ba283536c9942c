//! The built-in plugins compiled into this binary: (name, component bytes), built for
//! wasm32-wasip2 from `plugins/` by `build.rs`.

include!(concat!(env!("OUT_DIR"), "/builtins.rs"));

/// The component bytes of a built-in plugin, by name (`-` and `_` are interchangeable).
pub fn get(name: &str) -> Option<&'static [u8]> {
    let norm = name.replace('_', "-");
    BUILTINS
        .iter()
        .find(|(n, _)| n.replace('_', "-") == norm)
        .map(|(_, b)| *b)
}

/// Names of the built-in plugins.
pub fn names() -> Vec<&'static str> {
    BUILTINS.iter().map(|(n, _)| *n).collect()
}
