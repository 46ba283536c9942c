//! The `modelgate` binary: see [`modelgate::cli`].

fn main() -> std::process::ExitCode {
    // Like other command-line tools, stop quietly when the reader of stdout goes away
    // (`modelgate plugin inspect x.wasm | head`) instead of panicking on the failed write.
    #[cfg(unix)]
    // SAFETY: called first thing, before any other thread exists; SIG_DFL is always valid.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    modelgate::cli::main()
}
