#!/usr/bin/env bash
# Regenerate examples/staging-ab/ (data, expected.json) with the
# repo's pinned Python environment (created on first use by tests/venv.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="$("$here/../../tests/venv.sh" --print-python)"
exec "$python" "$here/generate.py" "$@"
