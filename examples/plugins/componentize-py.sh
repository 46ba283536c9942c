#!/usr/bin/env bash
# Run componentize-py (pinned) from the repo's own venv at <repo>/.venv-componentize, creating or
# updating that venv first when needed. Every argument is passed on to componentize-py.
#
# Idempotent: a stamp file (.venv-componentize/.componentize-py.version) records the version that
# was installed; when it matches the pin, nothing is installed and componentize-py starts at once.
#
# usage: examples/plugins/componentize-py.sh [componentize-py arguments ...]
#   e.g. examples/plugins/componentize-py.sh -d wit -w plugin componentize app -o app.wasm
#        examples/plugins/componentize-py.sh --version
#
# Environment: PYTHON (default python3) is the interpreter the venv is made from (3.10+).
set -euo pipefail

# componentize-py 0.25.x targets WASI 0.2 (wasi:cli@0.2.0 imports), which the modelgate host links.
version="0.25.1"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/.venv-componentize"
stamp="$venv/.componentize-py.version"
py="$venv/bin/python"
exe="$venv/bin/componentize-py"

up_to_date() {
    [[ -x "$exe" && -f "$stamp" ]] && [[ "$(< "$stamp")" == "$version" ]]
}

if ! up_to_date; then
    # Slow path. Serialise concurrent callers with a lock inside the venv, then look again.
    mkdir -p "$venv"
    if command -v flock > /dev/null 2>&1; then
        exec 9> "$venv/.lock"
        flock 9
    fi
    if ! up_to_date; then
        base_python="${PYTHON:-python3}"
        if ! command -v "$base_python" > /dev/null 2>&1; then
            echo "componentize-py.sh: '$base_python' not found; install Python 3.10+ (Debian: apt-get install python3 python3-venv)" >&2
            exit 1
        fi
        echo "componentize-py.sh: installing componentize-py==$version into $venv ..." >&2
        rm -f "$stamp"
        log="$venv/.pip.log"
        # A venv whose interpreter is gone or broken (e.g. the base python was upgraded), or that has no
        # pip (an earlier `python3 -m venv` without python3-venv), is rebuilt.
        if [[ -e "$py" ]] && ! "$py" -m pip --version > /dev/null 2>&1; then
            find "$venv" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
        fi
        if [[ ! -x "$py" ]]; then
            if ! "$base_python" -m venv "$venv" > "$log" 2>&1; then
                cat "$log" >&2
                find "$venv" -mindepth 1 -maxdepth 1 ! -name .lock ! -name .pip.log -exec rm -rf {} +
                echo "componentize-py.sh: '$base_python -m venv' failed; on Debian install the venv module: apt-get install python3-venv" >&2
                exit 1
            fi
        fi
        if ! "$py" -m pip install --disable-pip-version-check --no-input --quiet "componentize-py==$version" > "$log" 2>&1; then
            cat "$log" >&2
            echo "componentize-py.sh: pip install failed (log above, also in $log)" >&2
            exit 1
        fi
        # Write the stamp last and atomically: it only exists for a complete install.
        echo "$version" > "$stamp.tmp"
        mv -f "$stamp.tmp" "$stamp"
    fi
    if command -v flock > /dev/null 2>&1; then
        exec 9>&-
    fi
fi

exec "$exe" "$@"
