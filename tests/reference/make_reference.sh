#!/usr/bin/env bash
# Regenerate tests/reference/ (seeded datasets under data/, expected values under expected/) with
# make_reference.py, in its own pinned venv <repo>/.venv-reference (Evidently + pandas 2; created or
# updated by tests/venv.sh from tests/reference/requirements.txt).
#
# usage: tests/reference/make_reference.sh [-v]
#   -v   show pip's output
#
# Environment: PYTHON (default python3) is the interpreter the venv is made from.
set -euo pipefail

verbose=0
for arg in "$@"; do
    case "$arg" in
        -v|--verbose) verbose=1 ;;
        -h|--help)
            awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"
            exit 0
            ;;
        *)
            echo "make_reference.sh: unknown argument '$arg' (expected -v)" >&2
            exit 2
            ;;
    esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv_args=(--print-python)
(( verbose )) && venv_args+=(-v)
py="$("$here/../venv.sh" "${venv_args[@]}" .venv-reference tests/reference/requirements.txt)"

# DO_NOT_TRACK: no Evidently usage telemetry. PYTHONHASHSEED: see make_reference.py.
export DO_NOT_TRACK=1 PYTHONHASHSEED=0
exec "$py" "$here/make_reference.py"
