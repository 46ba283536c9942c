#!/usr/bin/env bash
# Builds modelgate's container filesystem into a staging root, DEST: the build stage of
# packaging/Dockerfile runs this and the runtime stage copies DEST over a slim Debian image. The
# tests run it too (tests/e2e/packaging.rs: with the debug binary, then a gate from DEST), so the
# recipe is exercised where no container engine runs.
#
#   DEST/usr/local/bin/modelgate            the binary (built-in plugins embedded)
#   DEST/opt/onnxruntime/libonnxruntime.so  ONNX Runtime, from the pinned onnxruntime wheel
#                                           (tests/requirements.txt), what ORT_DYLIB_PATH names
#
# usage: packaging/stage.sh DEST
# Environment:
#   MODELGATE_BIN         use this built binary instead of `cargo build --release --locked`
#   MODELGATE_GIT_COMMIT  the commit `modelgate --version` reports (a build without .git)
#   PYTHON                the interpreter whose pip downloads the onnxruntime wheel (python3)
set -euo pipefail

dest="${1:?usage: packaging/stage.sh DEST}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
mkdir -p "$dest/usr/local/bin" "$dest/opt/onnxruntime"
dest="$(cd "$dest" && pwd)"

bin="${MODELGATE_BIN:-}"
if [[ -z "$bin" ]]; then
    if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
        rustup target add wasm32-wasip2
    fi
    (cd "$root" && cargo build --release --locked -p modelgate)
    bin="$root/target/release/modelgate"
fi
install -m 0755 "$bin" "$dest/usr/local/bin/modelgate"

version="$(sed -n 's/^onnxruntime==//p' "$root/tests/requirements.txt")"
[[ -n "$version" ]] || { echo "stage.sh: no onnxruntime== pin in tests/requirements.txt" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$python" -m pip download --disable-pip-version-check --no-input --quiet --no-deps \
    --only-binary=:all: --dest "$tmp" "onnxruntime==$version"
# Only the shared library: the runtime image needs no Python.
"$python" - "$tmp" "$dest/opt/onnxruntime" <<'PY'
import glob, os, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
(wheel,) = glob.glob(os.path.join(src, "onnxruntime-*.whl"))
with zipfile.ZipFile(wheel) as z:
    libs = [n for n in z.namelist() if os.path.basename(n).startswith("libonnxruntime.so")]
    if len(libs) != 1:
        sys.exit(f"stage.sh: expected one libonnxruntime.so* in {wheel}, found {libs}")
    name = os.path.basename(libs[0])
    with z.open(libs[0]) as f, open(os.path.join(out, name), "wb") as o:
        o.write(f.read())
    os.chmod(os.path.join(out, name), 0o755)
    print(name)
PY
lib="$(cd "$dest/opt/onnxruntime" && ls libonnxruntime.so.* | head -n 1)"
ln -sf "$lib" "$dest/opt/onnxruntime/libonnxruntime.so"
"$dest/usr/local/bin/modelgate" --version
