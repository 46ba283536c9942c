#!/usr/bin/env bash
# One entry point for a fresh machine. Installs what is missing, then runs what you ask:
#
#   tests/run.sh demo    build (release) and run the bundled demo gate
#   tests/run.sh test    run the whole test suite (host, built-in plugins, end-to-end), then
#                        rustfmt --check, clippy -D warnings and rustdoc -D warnings on every
#                        workspace
#   tests/run.sh lint    only the formatting, lint and doc checks
#   tests/run.sh wheel   build the release wheel (the binary + an onnxruntime dependency) into
#                        target/wheels/ with maturin from a pinned venv (.venv-maturin); extra
#                        arguments go to `maturin build`
#   tests/run.sh setup   only install: the wasm32-wasip2 target, the pinned Python venvs
#                        (.venv: onnxruntime, scikit-learn, ...; .venv-componentize), protoc,
#                        xmllint and chromium (apt-get)
#
# Idempotent: a second run installs nothing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

setup() {
    # The toolchain is pinned by rust-toolchain.toml; its targets are not auto-installed here.
    if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
        echo "setup: adding the wasm32-wasip2 target" >&2
        rustup target add wasm32-wasip2
    fi
    # The lint steps of the test command need rustfmt and clippy (part of the machine's toolchain;
    # added here where a minimal install lacks them).
    for component in rustfmt clippy; do
        if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
            echo "setup: adding the $component component" >&2
            rustup component add "$component"
        fi
    done
    # The Spark Connect client's build compiles .proto files: protoc and the well-known types
    # (google/protobuf/*.proto, in libprotobuf-dev).
    if ! command -v protoc >/dev/null || [ ! -f /usr/include/google/protobuf/any.proto ]; then
        echo "setup: installing protoc (Debian protobuf-compiler, libprotobuf-dev)" >&2
        if [ "$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
            -o DPkg::Lock::Timeout=300 protobuf-compiler libprotobuf-dev >/dev/null
    fi
    tests/venv.sh
    # Python plugins (examples/plugins, `plugin new --lang python`) are built with componentize-py.
    examples/plugins/componentize-py.sh --version >/dev/null
}

test_tools() {
    # The report tests validate JUnit with xmllint and render HTML in headless Chromium.
    if ! command -v xmllint >/dev/null || ! command -v chromium >/dev/null; then
        echo "setup: installing xmllint and chromium (Debian packages)" >&2
        if [ "$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
            -o DPkg::Lock::Timeout=300 libxml2-utils chromium >/dev/null
    fi
}

# The workspaces: the host (root), the built-in plugins and SDK, the test fixture plugins.
host_target="$(rustc -vV | sed -n 's/^host: //p')"

lint() {
    case "$1" in
        fmt)
            cargo fmt --all --check
            (cd plugins && cargo fmt --all --check)
            (cd tests/plugins && cargo fmt --all --check)
            ;;
        clippy)
            cargo clippy --locked --workspace --all-targets -q -- -D warnings
            (cd plugins && cargo clippy --locked --all-targets -q --target "$host_target" -- -D warnings)
            (cd tests/plugins && cargo clippy --locked -q --target wasm32-wasip2 -- -D warnings)
            ;;
        doc)
            RUSTDOCFLAGS="-D warnings" cargo doc --locked --workspace --no-deps -q
            (cd plugins && RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps -q --target "$host_target")
            ;;
    esac
    echo "lint $1: clean" >&2
}

case "${1:-}" in
    setup)
        setup
        test_tools
        ;;
    demo)
        setup
        shift
        cargo run --release --locked -q -p modelgate -- demo "$@"
        ;;
    test)
        setup
        test_tools
        # Formatting first: it is the cheapest failure (rustfmt.toml at the root; every workspace).
        lint fmt
        # The registry tests run a real MLflow server (pinned, its own venv; --no-deps: see the file).
        PIP_NO_DEPS=1 tests/venv.sh .venv-mlflow tests/mlflow/requirements.txt
        # The data-version tests write .dvc and dvc.lock files with real DVC (pinned, its own venv).
        tests/venv.sh .venv-dvc tests/dvc/requirements.txt
        # The Spark engine tests run a real Spark Connect server (pyspark's jars on the machine's
        # Java 17; --no-deps: see the file).
        PIP_NO_DEPS=1 tests/venv.sh .venv-spark tests/spark/requirements.txt
        # Guest code (SDK, metric math) runs natively in unit tests.
        (cd plugins && cargo test --locked --target "$host_target")
        # Host unit tests and the end-to-end tests of the real binary.
        cargo test --locked --workspace
        # The benchmark harness's native floor must keep compiling (benches/run.sh runs it).
        cargo test --locked --workspace --benches --no-run -q
        lint clippy
        lint doc
        ;;
    wheel)
        setup
        shift
        tests/venv.sh .venv-maturin packaging/requirements.txt
        (cd packaging && ../.venv-maturin/bin/maturin build --release --locked --out ../target/wheels "$@")
        ;;
    lint)
        setup
        lint fmt
        lint clippy
        lint doc
        ;;
    *)
        echo "usage: tests/run.sh demo|test|lint|setup|wheel" >&2
        exit 2
        ;;
esac
