#!/usr/bin/env bash
# Regenerate examples/churn-pipeline/ (data, ONNX models, expected.json) with its own pinned
# Python environment, .venv-churn (requirements.txt here; created on first use by tests/venv.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="$("$here/../../tests/venv.sh" --print-python .venv-churn examples/churn-pipeline/requirements.txt)"
exec "$python" "$here/generate.py" "$@"
