#!/usr/bin/env bash
# Run componentize-py (pinned in examples/plugins/requirements.txt) from the repo's own venv at
# <repo>/.venv-componentize, which tests/venv.sh creates or updates first when needed (quietly and
# at once when it is up to date). Every argument is passed on to componentize-py.
#
# usage: examples/plugins/componentize-py.sh [componentize-py arguments ...]
#   e.g. examples/plugins/componentize-py.sh -d wit -w plugin componentize app -o app.wasm
#        examples/plugins/componentize-py.sh --version
#
# Environment: PYTHON (default python3) is the interpreter the venv is made from (3.10+).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
py="$("$root/tests/venv.sh" --print-python .venv-componentize examples/plugins/requirements.txt)"
exec "$(dirname "$py")/componentize-py" "$@"
