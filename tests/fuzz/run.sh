#!/usr/bin/env bash
# Fuzzes modelgate's untrusted inputs with cargo-fuzz (libFuzzer; nightly Rust).
#
#   tests/fuzz/run.sh            a short run of every target (CI: 20 s each, debug build)
#   tests/fuzz/run.sh long 3600  every target for 3600 s each (optimised build)
#
# Corpora live in tests/fuzz/corpus/<target> (seeded from the repo's own policies); a crash is
# written to tests/fuzz/artifacts/<target>/ and fails the run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root/tests/fuzz"

mode="${1:-short}"
seconds="${2:-20}"
if ! command -v cargo-fuzz >/dev/null; then
    echo "fuzz: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked --quiet
fi
if ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz: the nightly toolchain is needed (rustup toolchain install nightly)" >&2
    exit 2
fi
build=(--dev)
[ "$mode" = long ] && build=(-O)

# Seed the policy corpus from every policy in the repository.
mkdir -p corpus/policy corpus/onnx_labels corpus/table_api
find "$root/examples" "$root/tests/bad-inputs" -name gate.toml -exec sh -c 'cp "$1" "corpus/policy/$(sha256sum "$1" | cut -c1-16)"' _ {} \;
cp "$root"/examples/*/models/*.onnx corpus/onnx_labels/ 2>/dev/null || true

# The fuzz targets need no built-in plugins: skip building them (and their wasm toolchain).
export MODELGATE_SKIP_PLUGIN_BUILD=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/fuzz}"
mkdir -p logs
for target in policy onnx_labels table_api; do
    echo "fuzz: $target for ${seconds}s" >&2
    log="logs/$target.log"
    if ! cargo +nightly fuzz run "${build[@]}" --fuzz-dir . "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 >"$log" 2>&1; then
        # A build error first (the tail of a failed build can be all `Compiling` lines), then
        # the end of the log, and what the machine had left.
        grep -n -A12 -E '^(error|warning: .*(killed|signal))' "$log" | head -n 80 >&2 || true
        tail -n 60 "$log" >&2
        df -h "$CARGO_TARGET_DIR" >&2 || true
        free -m >&2 || true
        echo "fuzz: $target FAILED (a build error above, or a crash input in tests/fuzz/artifacts/$target/)" >&2
        exit 1
    fi
    grep -E "^stat::(number_of_executed_units|peak_rss_mb)" "$log" | sed "s/^/fuzz: $target /" >&2 || true
done
