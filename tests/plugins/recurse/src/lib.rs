//! Recurses without bound, by `config.mode`: `frames` recurses with small frames kept in wasm locals,
//! so wasm's own call stack overflows (wasmtime's `max_wasm_stack`); `shadow` recurses with arrays on
//! the Rust stack, which lives in linear memory, so the stack pointer runs below address 0 first and
//! the guest traps on an out-of-bounds access. The gate must stop both and say why.
use fixture::{CheckResult, Context};

fixture::plugin!("recurse", validate);

#[inline(never)]
#[allow(unconditional_recursion)]
fn frames(n: u64) -> u64 {
    // Not a tail call, and not an accumulator LLVM could turn into a loop.
    frames(n.wrapping_add(1)).rotate_left((n % 63) as u32 + 1) ^ n
}

#[inline(never)]
#[allow(unconditional_recursion)]
fn shadow(n: u64, pad: &mut [u64; 64]) -> u64 {
    let mut mine = [n; 64];
    mine[(n % 64) as usize] ^= pad[0];
    std::hint::black_box(&mut mine);
    shadow(n + 1, &mut mine).wrapping_add(mine[3])
}

fn validate(_ctx: Context, config: String) -> Result<CheckResult, String> {
    let n = if config.contains("shadow") {
        shadow(0, &mut [0; 64])
    } else {
        frames(std::hint::black_box(0))
    };
    Err(format!("unreachable: {n}"))
}
