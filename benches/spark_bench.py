#!/usr/bin/env python3
"""The Spark engine beside the embedded one, on the benchmark data (benches/generate.py; run
benches/run.sh first, or generate it): the same gates, the same release binary, one after the
other in one run, on a local Spark Connect server (tests/spark/server.sh, local[2]: the machine's
2 cores). Writes the "## Spark engine" section of BENCHMARKS.md and prints a JSON line.

  (1) the full benchmark gate (data quality, drift over 19 columns, performance, latency): on
      Spark the aggregates run there, and the performance and latency checks fetch the rows of
      `current` (1M rows, at most engine.max_local_rows);
  (2) data quality + drift only, with engine.max_local_rows = 1: no row leaves the cluster.
  (3) the same with the reference as a profile (`modelgate profile … --max-rows 0`, written
      once on Spark and timed): only `current` is read.

Each gate runs once to warm up (compiled plugins, the JVM's code), then --repeat times; the
median is reported. `MODELGATE_SPARK_TRACE` counts the queries and their time on the cluster.

usage: .venv/bin/python benches/spark_bench.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
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
HEADING = "## Spark engine"


def start_server(work: Path) -> str:
    out = subprocess.run(
        [str(ROOT / "tests/spark/server.sh"), str(work)],
        env={**os.environ, "SPARK_SERVER_WATCH_PID": str(os.getpid()), "SPARK_SERVER_MEMORY": "4g"},
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"the Spark server did not start:\n{out.stderr}")
    return out.stdout.strip()


def data_only(policy: str) -> str:
    """The policy with only its data-quality and drift checks."""
    head, *checks = policy.split("[[checks]]")
    keep = [c for c in checks if re.search(r'plugin = "(data-quality|drift)"', c)]
    return head + "".join("[[checks]]" + c for c in keep)


def run_gate(policy: Path, cache: Path, trace: bool) -> dict:
    env = {**os.environ, "MODELGATE_CACHE_DIR": str(cache)}
    if trace:
        env["MODELGATE_SPARK_TRACE"] = "1"
    report = policy.with_suffix(".json")
    started = time.perf_counter()
    out = subprocess.run([str(MODELGATE), "check", str(policy), "--json", str(report), "-q"], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if out.returncode not in (0, 1):
        raise SystemExit(f"the gate failed ({policy}):\n{out.stderr}")
    queries = [float(m) for m in re.findall(r"^modelgate spark: ([0-9.]+) s ", out.stderr, re.M)]
    rep = json.loads(report.read_text())
    return {
        "wall": wall,
        "verdict": rep["verdict"],
        "statuses": {c["id"]: c["status"] for c in rep["checks"]},
        "queries": len(queries),
        "query_s": sum(queries),
    }


def write_profile(tmp: Path, policy: str) -> dict:
    """Writes reference.profile on Spark (aggregates only); its time and size."""
    path = tmp / "profile-source.toml"
    path.write_text(policy)
    started = time.perf_counter()
    out = subprocess.run(
        [str(MODELGATE), "profile", str(path), "--dataset", "reference", "-o", str(tmp / "reference.profile"), "--max-rows", "0"],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"modelgate profile failed:\n{out.stderr}")
    return {"wall": time.perf_counter() - started, "bytes": (tmp / "reference.profile").stat().st_size}


def measure(policy: Path, cache: Path, repeat: int, trace: bool) -> dict:
    run_gate(policy, cache, trace)  # warm-up
    runs = sorted((run_gate(policy, cache, trace) for _ in range(repeat)), key=lambda r: r["wall"])
    return runs[len(runs) // 2]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    ap.add_argument("--note", default="", help="a sentence for the section, e.g. on the machine's load")
    args = ap.parse_args()
    data = ROOT / "benches/data" / str(args.rows)
    if not (data / "gate.toml").exists():
        raise SystemExit(f"no benchmark data in {data}: run benches/run.sh, or benches/generate.py --rows {args.rows} --out {data}")
    if not MODELGATE.exists():
        raise SystemExit("build the release binary first: cargo build --release -p modelgate")
    tmp = Path(tempfile.mkdtemp(prefix="spark-bench-"))
    try:
        uri = start_server(tmp / "server")
        policy = (data / "gate.toml").read_text()
        # Spark's queries count toward the checks' time limits.
        policy = policy.replace("[datasets]", "[runtime]\ntimeout_s = 1800\n\n[datasets]", 1)
        for name in ("reference.parquet", "current.parquet", "model.onnx", "baseline.onnx"):
            os.symlink(data / name, tmp / name)
        engines = {
            "full": f'\n[engine]\nspark = "{uri}"\n',
            "data": f'\n[engine]\nspark = "{uri}"\nmax_local_rows = 1\n',
        }
        engines["profile"] = engines["data"]
        profile = write_profile(tmp, data_only(policy) + engines["data"])
        gates = {
            "full": policy,
            "data": data_only(policy),
            "profile": data_only(policy).replace('reference = "reference.parquet"', 'reference = { profile = "reference.profile" }', 1),
        }
        results = {}
        for name, text in gates.items():
            embedded = tmp / f"{name}-embedded.toml"
            embedded.write_text(text)
            spark = tmp / f"{name}-spark.toml"
            spark.write_text(text + engines[name])
            results[name] = {
                "embedded": measure(embedded, tmp / "cache", args.repeat, False),
                "spark": measure(spark, tmp / "cache", args.repeat, True),
            }
    finally:
        subprocess.run([str(ROOT / "tests/spark/server.sh"), "--stop", str(tmp / "server")], check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    result = {
        "rows": args.rows,
        "cores": os.cpu_count(),
        "profile_written": profile,
        "reference_bytes": (data / "reference.parquet").stat().st_size,
        "note": args.note,
        **results,
    }
    write(args.out, result)
    print(json.dumps(result))
    return 0


def section(r: dict) -> str:
    rows, cores = r["rows"], r["cores"]
    lines = [
        HEADING,
        "",
        f"`benches/spark_bench.py` (run on {datetime.date.today()}, same machine): the benchmark gates on {rows:,} + {rows:,} rows",
        f"through the Spark engine — a local Spark Connect server (Spark 4.3.0, `local[{cores}]`, the same {cores} cores) —",
        "beside the embedded engine, the same release binary, median of warm runs. See docs/scale.md.",
        "",
        "| gate | embedded | Spark | Spark / embedded | queries on Spark (their time) | rows/s per core on Spark | verdicts |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    names = {
        "full": "full benchmark gate (rows of `current` fetched for the models)",
        "data": "data quality + drift (no row fetched)",
        "profile": "data quality + drift, the reference as a profile",
    }
    for key, label in names.items():
        e, s = r[key]["embedded"], r[key]["spark"]
        read = rows if key == "profile" else 2 * rows  # a profile's reference is not read
        same = "same" if (e["verdict"], e["statuses"]) == (s["verdict"], s["statuses"]) else f"differ: {e['statuses']} vs {s['statuses']}"
        lines.append(
            f"| {label} | {e['wall']:.2f} s | {s['wall']:.2f} s | {s['wall'] / e['wall']:.1f}× | {s['queries']} ({s['query_s']:.1f} s) | "
            f"{read / s['wall'] / cores:,.0f} | {e['verdict']}, {same} |"
        )
    p = r["profile_written"]
    lines += [
        "",
        f"The profile of the reference (`modelgate profile … --max-rows 0` on Spark, written once): {p['wall']:.1f} s,",
        f"{p['bytes'] / 1e6:.1f} MB; the reference's Parquet file is {r['reference_bytes'] / 1e6:.1f} MB.",
    ]
    if r.get("note"):
        lines += ["", r["note"]]
    lines.append("")
    return "\n".join(lines) + "\n"


def write(out: Path, r: dict) -> None:
    text = out.read_text() if out.exists() else "# Benchmarks\n"
    new = section(r)
    if HEADING in text:
        start = text.index(HEADING)
        end = text.find("\n## ", start + len(HEADING))
        text = text[:start] + new + ("" if end < 0 else text[end + 1 :])
    else:
        marker = "\n## Notes"
        at = text.find(marker)
        text = text + "\n" + new if at < 0 else text[: at + 1] + new + "\n" + text[at + 1 :]
    out.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
