#!/usr/bin/env bash
# Regenerate tests/reference/ (seeded datasets under data/, expected values under expected/) with
# make_reference.py, in its own pinned venv <repo>/.venv-reference (Evidently + pandas 2; created or
# updated here from tests/reference/requirements.txt, like tests/venv.sh does for .venv).
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
root="$(cd "$here/../.." && pwd)"
venv="$root/.venv-reference"
req="$here/requirements.txt"
stamp="$venv/.requirements.sha256"
py="$venv/bin/python"
want="$(sha256sum "$req" | cut -d' ' -f1)"

up_to_date() {
    [[ -x "$py" && -f "$stamp" ]] && [[ "$(< "$stamp")" == "$want" ]]
}

if ! up_to_date; then
    mkdir -p "$venv"
    if command -v flock > /dev/null 2>&1; then
        exec 9> "$venv/.lock"
        flock 9
    fi
fi
if ! up_to_date; then
    base_python="${PYTHON:-python3}"
    if ! command -v "$base_python" > /dev/null 2>&1; then
        echo "make_reference.sh: '$base_python' not found; install Python 3.11+ (Debian: apt-get install python3 python3-venv)" >&2
        exit 1
    fi
    echo "make_reference.sh: installing tests/reference/requirements.txt into $venv (this takes a minute) ..." >&2
    rm -f "$stamp"
    log="$venv/.pip.log"
    if [[ -e "$py" ]] && ! "$py" -c 'import sys' > /dev/null 2>&1; then
        find "$venv" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
    fi
    if [[ ! -x "$py" ]] && ! "$base_python" -m venv "$venv" > "$log" 2>&1; then
        cat "$log" >&2
        echo "make_reference.sh: '$base_python -m venv' failed; on Debian: apt-get install python3-venv" >&2
        exit 1
    fi
    pip_cmd=("$py" -m pip install --disable-pip-version-check --no-input -r "$req")
    if (( verbose )); then
        "${pip_cmd[@]}" >&2
    elif ! "${pip_cmd[@]}" --quiet > "$log" 2>&1; then
        cat "$log" >&2
        echo "make_reference.sh: pip install failed (log above, also in $log)" >&2
        exit 1
    fi
    echo "$want" > "$stamp.tmp"
    mv -f "$stamp.tmp" "$stamp"
fi

# DO_NOT_TRACK: no Evidently usage telemetry. PYTHONHASHSEED: see make_reference.py.
export DO_NOT_TRACK=1 PYTHONHASHSEED=0
exec "$py" "$here/make_reference.py"
