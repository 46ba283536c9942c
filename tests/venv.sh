#!/usr/bin/env bash
# Create or update one of the repo's Python virtual environments with pinned packages. Every
# Python tool of the repo gets its venv here:
#
#   .venv               tests/requirements.txt (scikit-learn, skl2onnx, onnxruntime, ...): examples,
#                       and the onnxruntime shared library the gate loads
#   .venv-reference     tests/reference/requirements.txt (Evidently, pandas): reference values
#   .venv-componentize  examples/plugins/requirements.txt (componentize-py): Python plugins
#   .venv-mlflow        tests/mlflow/requirements.txt (MLflow): the registry tests
#   .venv-spark         tests/spark/requirements.txt (pyspark: Spark's jars): the Spark engine tests
#   .venv-bench         benches/requirements.txt (polars): the benchmarks' independent floor
#
# Idempotent: a stamp file (VENV/.requirements.sha256) records the hash of the requirements that
# were installed; when it matches, nothing is done. Concurrent callers wait for each other.
#
# usage: tests/venv.sh [-v] [--print-python] [VENV REQUIREMENTS]
#   VENV REQUIREMENTS  paths relative to the repo (default: .venv tests/requirements.txt)
#   -v                 say what is happening even when nothing needs doing, show pip's output
#   --print-python     print the venv's python path on stdout at the end
#
# Environment: PYTHON (default python3) is the interpreter the venv is made from.
set -euo pipefail

verbose=0
print_python=0
positional=()
for arg in "$@"; do
    case "$arg" in
        -v|--verbose) verbose=1 ;;
        --print-python) print_python=1 ;;
        -h|--help)
            awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"
            exit 0
            ;;
        -*)
            echo "venv.sh: unknown option '$arg' (expected -v or --print-python)" >&2
            exit 2
            ;;
        *) positional+=("$arg") ;;
    esac
done
case "${#positional[@]}" in
    0) positional=(.venv tests/requirements.txt) ;;
    2) ;;
    *)
        echo "venv.sh: give both VENV and REQUIREMENTS, or neither" >&2
        exit 2
        ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/${positional[0]}"
req_name="${positional[1]}"
req="$root/$req_name"
stamp="$venv/.requirements.sha256"
py="$venv/bin/python"
if [[ ! -f "$req" ]]; then
    echo "venv.sh: no requirements file $req" >&2
    exit 2
fi

want="$(sha256sum "$req" | cut -d' ' -f1)"

up_to_date() {
    [[ -x "$py" && -f "$stamp" ]] && [[ "$(< "$stamp")" == "$want" ]]
}

finish() {
    if (( print_python )); then
        echo "$py"
    fi
    exit 0
}

if up_to_date; then
    (( verbose )) && echo "venv.sh: $venv is up to date with $req_name" >&2
    finish
fi

# Slow path. Serialise concurrent callers (e.g. parallel tests) with a lock
# inside .venv, then look again: another caller may have just finished.
mkdir -p "$venv"
if command -v flock > /dev/null 2>&1; then
    exec 9> "$venv/.lock"
    flock 9
    if up_to_date; then
        (( verbose )) && echo "venv.sh: $venv is up to date with $req_name" >&2
        finish
    fi
fi

base_python="${PYTHON:-python3}"
if ! command -v "$base_python" > /dev/null 2>&1; then
    echo "venv.sh: '$base_python' not found; install Python 3.11+ (Debian: apt-get install python3 python3-venv)" >&2
    exit 1
fi

echo "venv.sh: installing $req_name into $venv (this takes a minute) ..." >&2

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
        echo "venv.sh: '$base_python -m venv' failed; on Debian install the venv module: apt-get install python3-venv" >&2
        exit 1
    fi
fi

pip_cmd=("$py" -m pip install --disable-pip-version-check --no-input -r "$req")
if (( verbose )); then
    "${pip_cmd[@]}" >&2
else
    if ! "${pip_cmd[@]}" --quiet > "$log" 2>&1; then
        cat "$log" >&2
        echo "venv.sh: pip install failed (log above, also in $log)" >&2
        exit 1
    fi
fi

# Write the stamp last and atomically: it only exists for a complete install.
echo "$want" > "$stamp.tmp"
mv -f "$stamp.tmp" "$stamp"
finish
