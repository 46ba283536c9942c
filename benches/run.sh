#!/usr/bin/env bash
# Regenerate BENCHMARKS.md: build the release binary and the native floor, make the venvs
# (.venv: data generation and onnxruntime; .venv-reference: Evidently; .venv-bench: polars), generate the data under
# benches/data (kept between runs; ~1.2 GB per 10M-row dataset), run everything side by side.
#
# usage: benches/run.sh [--rows 1000000,10000000] [--repeat 3] [--evidently-max-rows 1000000]
#                       [--evidently-timeout 1800] [--out BENCHMARKS.md] [--ab-units 10000000]
#                       [--csv-max-rows 1000000] [--bootstrap-max-rows 1000000]
#                       [--bootstrap-timeout 900] [--warm-runs 20]
#       benches/run.sh --only-ab   # only the ab-test benchmark (10M units x 3 metrics), its section
# Takes ~30 minutes on 2 cores at the default sizes (Evidently alone ~2 min at 1M rows; the
# bootstrap gate up to --bootstrap-timeout).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tests/run.sh setup >/dev/null
tests/venv.sh .venv-reference tests/reference/requirements.txt
tests/venv.sh .venv-bench benches/requirements.txt
command -v /usr/bin/time >/dev/null || { echo "benches/run.sh: needs GNU time (Debian: apt-get install time)" >&2; exit 1; }
cargo build --release --locked -q
cargo bench --locked -q --bench floor --no-run
exec .venv/bin/python benches/run.py "$@"
