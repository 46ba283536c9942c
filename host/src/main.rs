//! The `modelgate` binary: see [`modelgate::cli`].

fn main() -> std::process::ExitCode {
    // Like other command-line tools, stop quietly when the reader of stdout goes away
    // (`modelgate plugin inspect x.wasm | head`) instead of panicking on the failed write.
    #[cfg(unix)]
    // SAFETY: called first thing, before any other thread exists; SIG_DFL is always valid.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // glibc grows a thread's malloc arena one 4 KiB page (one `mprotect`) at a time: creating the
    // ONNX Runtime environment alone made ~10,000 such calls. Growing by 64 MiB at once (address
    // space; pages are only resident once touched) leaves 40, and took a small gate's warm start
    // from 91.3 to 87.1 ms here (medians of 40 runs each, interleaved).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called before any other thread exists; M_TOP_PAD only sizes future heap growth.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, 64 << 20);
    }
    modelgate::cli::main()
}
