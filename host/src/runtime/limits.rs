//! Sandbox limits: the defaults (one source for the policy, `plugin inspect` and every other
//! caller) and the memory limiter wasmtime consults when a guest grows its memory.

use std::time::Duration;

use wasmtime::ResourceLimiter;

/// Default guest memory limit per check, MiB.
pub const DEFAULT_MEMORY_MB: u64 = 512;
/// Default wall-clock limit per check, seconds.
pub const DEFAULT_TIMEOUT_S: f64 = 60.0;
/// Most table elements a guest may grow to.
const MAX_TABLE_ELEMENTS: usize = 1_000_000;

/// Sandbox limits for one check.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Guest linear memory limit, bytes.
    pub memory_bytes: usize,
    /// Wall-clock limit.
    pub timeout: Duration,
    /// Optional fuel budget.
    pub fuel: Option<u64>,
}

impl Default for Limits {
    /// 512 MiB of guest memory, 60 s, no fuel budget.
    fn default() -> Self {
        Limits::new(DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, None)
    }
}

impl Limits {
    /// Limits from the policy's units: MiB, seconds, an optional fuel budget.
    pub fn new(memory_mb: u64, timeout_s: f64, fuel: Option<u64>) -> Limits {
        Limits {
            memory_bytes: usize::try_from(memory_mb)
                .unwrap_or(usize::MAX)
                .saturating_mul(1 << 20),
            timeout: Duration::from_secs_f64(timeout_s),
            fuel,
        }
    }
}

/// Refuses memory growth beyond the limit and remembers the size asked for, so the trap that
/// follows can be explained.
pub(super) struct MemLimiter {
    pub(super) max: usize,
    pub(super) hit: Option<usize>,
}

impl ResourceLimiter for MemLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max {
            self.hit = Some(desired);
            return Ok(false);
        }
        Ok(true)
    }
    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_units() {
        let d = Limits::default();
        assert_eq!(d.memory_bytes, 512 << 20);
        assert_eq!(d.timeout, Duration::from_secs(60));
        assert_eq!(d.fuel, None);
        let l = Limits::new(u64::MAX, 0.5, Some(7));
        assert_eq!(l.memory_bytes, usize::MAX, "saturates");
        assert_eq!(l.timeout, Duration::from_millis(500));
    }

    #[test]
    fn the_limiter_refuses_growth_past_the_limit_and_remembers_it() {
        let mut m = MemLimiter {
            max: 1 << 20,
            hit: None,
        };
        assert!(m.memory_growing(0, 1 << 20, None).unwrap());
        assert_eq!(m.hit, None);
        assert!(!m.memory_growing(1 << 20, 3 << 20, None).unwrap());
        assert_eq!(m.hit, Some(3 << 20));
        assert!(!m.table_growing(0, MAX_TABLE_ELEMENTS + 1, None).unwrap());
    }
}
