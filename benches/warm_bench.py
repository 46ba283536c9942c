#!/usr/bin/env python3
"""Warm start (issue #19's definition): the whole `modelgate check` process for a gate with one
cached check — `performance` on the breast-cancer example's data and models, no latency
benchmark — with a warm cache (the compiled plugin, the models' signatures and predictions).
Median of --runs runs of the release binary; with --before BINARY, that binary's runs
interleaved with these (the same machine, the same moment), for a ratio. Writes the "## Warm start" section of BENCHMARKS.md and prints a JSON line.

usage: .venv/bin/python benches/warm_bench.py [--runs 40] [--before /path/to/old/modelgate]
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELGATE = ROOT / "target/release/modelgate"
HEADING = "## Warm start"


def gate_dir(tmp: Path) -> Path:
    """The breast-cancer example with its performance check only."""
    example = ROOT / "examples/breast-cancer"
    d = tmp / "gate"
    shutil.copytree(example / "data", d / "data")
    shutil.copytree(example / "models", d / "models")
    head, *checks = (example / "gate.toml").read_text().split("[[checks]]")
    keep = [c for c in checks if re.search(r'plugin = "performance"', c)]
    (d / "gate.toml").write_text(head + "".join("[[checks]]" + c for c in keep))
    return d


def run(binary: Path, d: Path, cache: Path) -> float:
    env = {"MODELGATE_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"}
    ort = sorted((ROOT / ".venv/lib").glob("python*/site-packages/onnxruntime/capi/libonnxruntime.so*"))
    if ort:
        env["ORT_DYLIB_PATH"] = str(ort[0])
    started = time.perf_counter()
    out = subprocess.run([str(binary), "check", str(d / "gate.toml"), "-q"], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if out.returncode != 0:
        raise SystemExit(f"{binary} failed:\n{out.stdout}{out.stderr}")
    return wall


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--before", type=Path, help="an earlier build, measured interleaved")
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = ap.parse_args()
    if not MODELGATE.exists():
        raise SystemExit("build the release binary first: cargo build --release -p modelgate")
    binaries = {"this build": MODELGATE}
    if args.before:
        binaries["before"] = args.before
    with tempfile.TemporaryDirectory(prefix="warm-bench-") as t:
        tmp = Path(t)
        d = gate_dir(tmp)
        caches = {k: tmp / f"cache-{i}" for i, k in enumerate(binaries)}
        for k, b in binaries.items():
            run(b, d, caches[k])  # fills the cache
        times = {k: [] for k in binaries}
        for _ in range(args.runs):
            for k, b in binaries.items():
                times[k].append(run(b, d, caches[k]))
    result = {k: {"median_ms": statistics.median(v) * 1e3, "min_ms": min(v) * 1e3} for k, v in times.items()}
    result["runs"] = args.runs
    write(args.out, result)
    print(json.dumps(result))
    return 0


def write(out: Path, r: dict) -> None:
    lines = [
        HEADING,
        "",
        f"`benches/warm_bench.py` (run on {datetime.date.today()}): the whole process of a gate with one cached check "
        "(`performance` on the breast-cancer data and models, 228 rows, no latency benchmark), warm cache (the compiled "
        "plugin and, since 2026-12-08, the models' signatures and predictions: a warm run does not load ONNX Runtime), "
        f"{r['runs']} runs{', interleaved with the earlier build' if 'before' in r else ''}. Target (#19): ≤ 20 ms.",
        "",
        "| build | median | fastest |",
        "|---|---:|---:|",
    ]
    for k in ("before", "this build"):
        if k in r:
            lines.append(f"| {k} | {r[k]['median_ms']:.1f} ms | {r[k]['min_ms']:.1f} ms |")
    if "before" in r:
        lines += ["", f"Ratio of the medians: {r['before']['median_ms'] / r['this build']['median_ms']:.2f}×."]
    new = "\n".join(lines) + "\n\n"
    text = out.read_text() if out.exists() else "# Benchmarks\n"
    if HEADING in text:
        start = text.index(HEADING)
        end = text.find("\n## ", start + len(HEADING))
        text = text[:start] + new + ("" if end < 0 else text[end + 1 :])
    else:
        at = text.find("\n## Notes")
        text = text + "\n" + new if at < 0 else text[: at + 1] + new + text[at + 1 :]
    out.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
