#!/usr/bin/env bash
# One entry point for a fresh machine. Installs what is missing, then runs what you ask:
#
#   tests/run.sh demo    build (release) and run the bundled demo gate
#   tests/run.sh test    run the whole test suite (host, built-in plugins, end-to-end)
#   tests/run.sh setup   only install: the wasm32-wasip2 target, the pinned Python venvs
#                        (.venv: onnxruntime, scikit-learn, ...; .venv-componentize), xmllint and
#                        chromium (apt-get)
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
        # The registry tests run a real MLflow server (pinned, its own venv; --no-deps: see the file).
        PIP_NO_DEPS=1 tests/venv.sh .venv-mlflow tests/mlflow/requirements.txt
        # The data-version tests write .dvc and dvc.lock files with real DVC (pinned, its own venv).
        tests/venv.sh .venv-dvc tests/dvc/requirements.txt
        # Guest code (SDK, metric math) runs natively in unit tests.
        (cd plugins && cargo test --locked --target "$(rustc -vV | sed -n 's/^host: //p')")
        # Host unit tests and the end-to-end tests of the real binary.
        cargo test --locked --workspace
        # The benchmark harness's native floor must keep compiling (benches/run.sh runs it).
        cargo test --locked --workspace --benches --no-run -q
        ;;
    *)
        echo "usage: tests/run.sh demo|test|setup" >&2
        exit 2
        ;;
esac
