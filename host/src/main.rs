//! The `modelgate` binary: see [`modelgate::cli`].

fn main() -> std::process::ExitCode {
    modelgate::cli::main()
}
