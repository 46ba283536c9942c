//! The guest's stdout and stderr, captured and bounded.

use std::sync::{Arc, Mutex};

/// Most bytes of stdout / stderr kept per check: the first 48 KiB and the last 16 KiB (where a
/// panic message is); what lies between is dropped, and the guest never sees a full pipe.
pub const MAX_OUTPUT_BYTES: usize = 64 * 1024;
const OUTPUT_TAIL_BYTES: usize = 16 * 1024;

/// The guest's stdout and stderr (one stream, as a terminal would interleave them), bounded: it keeps
/// the head and the tail and counts what it drops in between. Writes always succeed, so a plugin that
/// prints a lot is not killed by a full pipe (wasmtime's `MemoryOutputPipe` closes the stream, the
/// guest's `println!` panics, and the panic message is lost in the full pipe).
#[derive(Clone, Default)]
pub(super) struct BoundedOutput(Arc<Mutex<OutputBuf>>);

#[derive(Default)]
struct OutputBuf {
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    dropped: usize,
}

impl BoundedOutput {
    pub(super) fn push(&self, bytes: &[u8]) {
        let mut b = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let room = (MAX_OUTPUT_BYTES - OUTPUT_TAIL_BYTES)
            .saturating_sub(b.head.len())
            .min(bytes.len());
        b.head.extend_from_slice(&bytes[..room]);
        let rest = &bytes[room..];
        let rest = if rest.len() > OUTPUT_TAIL_BYTES {
            b.dropped += rest.len() - OUTPUT_TAIL_BYTES;
            &rest[rest.len() - OUTPUT_TAIL_BYTES..]
        } else {
            rest
        };
        b.tail.extend(rest);
        let over = b.tail.len().saturating_sub(OUTPUT_TAIL_BYTES);
        b.tail.drain(..over);
        b.dropped += over;
    }

    pub(super) fn contents(&self) -> String {
        let b = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let mut all = b.head.clone();
        if b.dropped > 0 {
            all.extend_from_slice(
                format!("\n[… {} bytes of output dropped …]\n", b.dropped).as_bytes(),
            );
        }
        all.extend(b.tail.iter());
        String::from_utf8_lossy(&all).into_owned()
    }
}

impl tokio::io::AsyncWrite for BoundedOutput {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.push(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

impl wasmtime_wasi::cli::IsTerminal for BoundedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl wasmtime_wasi::cli::StdoutStream for BoundedOutput {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_head_and_the_tail_and_counts_what_it_drops() {
        let out = BoundedOutput::default();
        out.push(b"start\n");
        assert_eq!(out.contents(), "start\n");
        let big = vec![b'x'; MAX_OUTPUT_BYTES];
        out.push(&big);
        out.push(b"\npanicked at src/lib.rs:1:1:\nboom\n");
        let c = out.contents();
        assert!(c.starts_with("start\nxxx"), "the head is kept");
        assert!(
            c.ends_with("panicked at src/lib.rs:1:1:\nboom\n"),
            "the tail is kept"
        );
        let dropped = 6 + MAX_OUTPUT_BYTES + 34 - MAX_OUTPUT_BYTES;
        assert!(
            c.contains(&format!("[… {dropped} bytes of output dropped …]")),
            "{}",
            &c[..200]
        );
        assert!(c.len() < MAX_OUTPUT_BYTES + 100);
    }

    #[test]
    fn many_small_writes_are_bounded_too() {
        let out = BoundedOutput::default();
        for _ in 0..100_000 {
            out.push(b"0123456789");
        }
        let c = out.contents();
        let dropped = 1_000_000 - MAX_OUTPUT_BYTES;
        assert!(
            c.contains(&format!("[… {dropped} bytes of output dropped …]")),
            "{}",
            c.len()
        );
        assert!(c.starts_with("0123456789") && c.ends_with("0123456789"));
    }
}
