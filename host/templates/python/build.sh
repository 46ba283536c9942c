#!/usr/bin/env bash
# Builds {{crate}}.wasm from app.py with componentize-py (pinned below). Uses $COMPONENTIZE_PY if
# set, else installs componentize-py once into .venv here (needs python3 with venv and pip).
#
#     ./build.sh            # -> {{crate}}.wasm, prints its sha256
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
version="{{componentize_py_version}}"

exe="${COMPONENTIZE_PY:-}"
if [ -z "$exe" ]; then
    exe=.venv/bin/componentize-py
    if [ ! -x "$exe" ] || [ "$("$exe" --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
        echo "installing componentize-py==$version into .venv" >&2
        python3 -m venv .venv || { echo "python3 -m venv failed; on Debian: apt-get install python3-venv" >&2; exit 1; }
        .venv/bin/pip install --disable-pip-version-check --quiet "componentize-py==$version"
    fi
fi

# The logic's own tests first: a broken check is not worth building.
python3 -m unittest -q test_checks

# componentize-py runs app.py at build time (pre-initialisation) and bakes the result into the
# component; the bindings for wit/plugin.wit are generated on the fly.
rm -rf build && mkdir build
cp app.py checks.py build/
"$exe" -d wit -w plugin componentize -p build app -o build/{{crate}}.wasm
mv -f build/{{crate}}.wasm {{crate}}.wasm
rm -rf build
echo "built {{crate}}.wasm ($(wc -c < {{crate}}.wasm) bytes)" >&2
echo "sha256 = \"$(sha256sum {{crate}}.wasm | cut -d' ' -f1)\"" >&2
