#!/usr/bin/env python3
"""`modelgate monitor` at scale: a 10M-row production log in 100 daily windows, with drift over 19
columns, data quality and label-free performance estimation (CBPE) on every window.

Data (kept under benches/data between runs): the 1M-row benchmark set of benches/generate.py (its
reference, 1M rows, and its candidate model), and a log of 10 copies of its drifted current window,
each row stamped with a time: 100,000 rows a day for 100 days from 2026-08-01 (a Parquet
timestamp[ms, UTC] column `ts`, sorted; 10 row groups). Each window is then 1/10 of one copy, so
no window holds duplicate rows.

Runs the release binary (`modelgate monitor`, warm compile cache) --repeat times, and writes the
median wall time and peak RSS (GNU time) into the "Monitoring" section of BENCHMARKS.md (replacing
that section, leaving the rest as benches/run.py wrote it), and one JSON line to stdout.

    .venv/bin/python benches/monitor_bench.py [--repeat 3] [--out BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
MODELGATE = ROOT / "target/release/modelgate"
BASE_ROWS = 1_000_000
COPIES = 10
DAYS = 100
START = datetime(2026, 8, 1, tzinfo=timezone.utc)


def base() -> Path:
    data = ROOT / "benches/data" / str(BASE_ROWS)
    if not (data / "gate.toml").exists():
        print(f"generating {BASE_ROWS} rows into {data} ...", file=sys.stderr)
        subprocess.run([sys.executable, str(ROOT / "benches/generate.py"), "--rows", str(BASE_ROWS), "--out", str(data)], check=True)
    return data


def log(data: Path) -> Path:
    out = ROOT / "benches/data" / f"monitor-{BASE_ROWS * COPIES}"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "log.parquet"
    if path.exists():
        return out
    current = pq.read_table(data / "current.parquet")
    total = BASE_ROWS * COPIES
    step_ms = DAYS * 86_400_000 // total
    start_ms = int(START.timestamp() * 1000)
    schema = current.schema.insert(0, pa.field("ts", pa.timestamp("ms", tz="UTC")))
    tmp = path.with_suffix(".tmp")
    with pq.ParquetWriter(tmp, schema) as w:
        for k in range(COPIES):
            first = k * BASE_ROWS
            ts = pa.array([start_ms + (first + i) * step_ms for i in range(BASE_ROWS)], pa.timestamp("ms", tz="UTC"))
            w.write_table(current.add_column(0, "ts", ts), row_group_size=BASE_ROWS)
    tmp.rename(path)
    return out


def policy(data: Path, out: Path) -> Path:
    gate = (data / "gate.toml").read_text()
    features = re.search(r"^columns = (\[[^\]]*\])", gate, re.M).group(1)
    model_features = re.search(r"^features = (\[[^\]]*\])", gate, re.M).group(1)
    text = f"""\
# Written by benches/monitor_bench.py: a 10M-row log in 100 daily windows.
version = 1
name = "monitor-bench"

[task]
type = "binary"
target = "label"
positive_label = 1
features = {model_features}

[datasets]
reference = "{data / 'reference.parquet'}"
current = "{out / 'log.parquet'}"

[models.candidate]
onnx = "{data / 'model.onnx'}"

[monitor]
timestamp = "ts"
period = "1d"
retrain_after = 3

[[checks]]
id = "drift"
plugin = "drift"
[checks.config]
method = "auto"
drift_share = 0.5
columns = {features}

[[checks]]
id = "data-quality"
plugin = "data-quality"
[checks.config]
row_count = {{ min = 1 }}
duplicate_rows = {{ max = 0 }}
null_fraction = {{ max = 0.02 }}
out_of_range_share = {{ max = 0.01, level = "warn" }}
unseen_share = {{ max = 0.0 }}
constant_column = "fail"

[[checks]]
id = "estimated-performance"
plugin = "performance-estimate"
[checks.config]
model = "candidate"
[checks.config.metrics]
estimated_roc_auc = {{ min = 0.7 }}
"""
    path = out / "monitor.toml"
    path.write_text(text)
    return path


def timed(cmd: list[str]) -> tuple[float, int, subprocess.CompletedProcess]:
    out = subprocess.run(["/usr/bin/time", "-f", "__time %e %M", *cmd], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "MODELGATE_CACHE_DIR": str(ROOT / "benches/data/cache")})
    m = re.search(r"__time ([0-9.]+) ([0-9]+)", out.stderr)
    if not m:
        raise SystemExit(f"no timing for {cmd}:\n{out.stderr}")
    return float(m.group(1)), int(m.group(2)), out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = ap.parse_args()
    data = base()
    out = log(data)
    gate = policy(data, out)
    decision = out / "decision.json"
    cmd = [str(MODELGATE), "monitor", str(gate), "--json", str(decision), "-q"]
    timed(cmd)  # compiles the plugins into the cache
    runs = []
    for _ in range(args.repeat):
        wall, rss, proc = timed(cmd)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"monitor failed:\n{proc.stdout}\n{proc.stderr}")
        runs.append((wall, rss))
    runs.sort()
    wall, rss = runs[len(runs) // 2]
    d = json.loads(decision.read_text())
    windows = len(d["chunks"])
    per_check = {}
    for c in d["chunks"]:
        for k in c["checks"]:
            per_check[k["id"]] = per_check.get(k["id"], 0) + k["duration_ms"]
    ref_mib = (data / "reference.parquet").stat().st_size / 2**20
    result = {"rows": BASE_ROWS * COPIES, "windows": windows, "wall_s": wall, "rss_mib": rss / 1024, "action": d["action"],
              "check_ms_total": per_check, "runs": runs}
    print(json.dumps(result))
    section = f"""## Monitoring

`benches/monitor_bench.py` (run on {date.today().isoformat()}, same machine): `modelgate monitor` on a
{BASE_ROWS * COPIES:,}-row log (10 copies of the 1,000,000-row drifted window, stamped 100,000 rows a
day) in {windows} daily windows, against the 1,000,000-row reference; on each window drift over 19
columns, data quality and CBPE performance estimation. Median of {args.repeat} warm runs of the release
binary (plugins compiled and cached). What depends only on the reference is computed once per run:
its statistics, sorted values (Wasserstein; histograms on each window's edges by binary search),
value counts and duplicate count in the host, CBPE's calibrator in the plugin's memo.

| log rows | windows | wall | per window | peak RSS | action |
|---:|---:|---:|---:|---:|---|
| {BASE_ROWS * COPIES:,} | {windows} | {wall:.1f} s | {wall / windows * 1000:.0f} ms | {rss / 1024:,.0f} MiB | {d['action']} |

Time inside the checks, summed over the windows (they run 2 at a time): {', '.join(f'{k} {v / 1000:.1f} s' for k, v in per_check.items())}.
Target: under 30 s — {'met' if wall < 30 else 'NOT met'}.
"""
    text = args.out.read_text() if args.out.exists() else "# Benchmarks\n"
    # In place if the section exists, else at the end.
    pattern = re.compile(r"## Monitoring\n.*?(?=\n## |\Z)", flags=re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip() + "\n", text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
