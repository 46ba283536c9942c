//! Allocates without bound: the memory limit must stop it and be named as the reason.
use fixture::{CheckResult, Context};

fixture::plugin!("memory-hog", validate);

fn validate(_ctx: Context, _config: String) -> Result<CheckResult, String> {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = vec![0u8; 16 << 20];
        block[0] = std::hint::black_box(1);
        hoard.push(block);
    }
}
