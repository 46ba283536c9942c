#!/usr/bin/env python3
"""The ab-test benchmark: a staging experiment of N units x 3 metrics (a mean, a ratio of means,
a CUPED-adjusted mean), gated by the release binary, against numpy + scipy computing the same
numbers in memory. Run by benches/run.py (or alone):

    .venv/bin/python benches/ab_bench.py --units 10000000 [--repeat 3]

Writes benches/data/ab-N/units.parquet (generated in chunks of 1,000,000 units, each from its
own seeded stream; kept between runs) and gate.toml. Prints one JSON line: the gate's cold and
warm (median) wall time, its --timings, the numpy/scipy time (after reading the file), and the
largest relative difference between the two results.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins/ab-test/testdata"))
from make_reference import compare  # noqa: E402

MODELGATE = ROOT / "target/release/modelgate"
CHUNK = 1_000_000
GATE = """version = 1
name = "ab-bench"
[datasets]
experiment = "units.parquet"
[[checks]]
id = "ab"
plugin = "ab-test"
[checks.config]
control = "champion"
treatment = "candidate"
[checks.config.metrics.conversion]
column = "converted"
goal = "increase"
role = "success"
[checks.config.metrics.revenue_per_session]
numerator = "revenue"
denominator = "sessions"
goal = "increase"
role = "guardrail"
margin = 0.02
[checks.config.metrics.latency_ms]
column = "latency_ms"
covariate = "pre_latency_ms"
goal = "decrease"
role = "guardrail"
margin = 0.05
"""


def generate(units: int) -> Path:
    out = ROOT / "benches/data" / f"ab-{units}"
    if (out / "gate.toml").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    seeds = np.random.SeedSequence(12).spawn(-(-units // CHUNK))
    writer = None
    for i, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        n = min(CHUNK, units - i * CHUNK)
        treat = rng.random(n) < 0.5
        sessions = rng.integers(1, 7, n)
        speed = rng.normal(100.0, 20.0, n)
        table = pa.table({
            "arm": pa.array(np.where(treat, "candidate", "champion")),
            "converted": (rng.random(n) < np.where(treat, 0.105, 0.10)).astype(np.int64),
            "revenue": sessions * np.where(treat, 2.01, 2.0) * rng.lognormal(-0.045, 0.3, n),
            "sessions": sessions.astype(np.int64),
            "latency_ms": speed * np.where(treat, 0.99, 1.0) + rng.normal(0.0, 7.0, n),
            "pre_latency_ms": speed + rng.normal(0.0, 7.0, n),
        })
        if writer is None:
            writer = pq.ParquetWriter(out / "units.parquet", table.schema)
        writer.write_table(table)
    writer.close()
    (out / "gate.toml").write_text(GATE)
    return out


def gate(data: Path, cache: Path) -> dict:
    report = data / "report.json"
    start = time.perf_counter()
    out = subprocess.run(
        [str(MODELGATE), "check", str(data / "gate.toml"), "--json", str(report), "--timings", "-q"],
        capture_output=True, text=True, env={"MODELGATE_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"})
    wall = time.perf_counter() - start
    if out.returncode not in (0, 1):
        raise SystemExit(f"the ab gate failed:\n{out.stdout}\n{out.stderr}")
    rep = json.loads(report.read_text())
    return {"wall": wall, "timings": out.stderr[out.stderr.index("timings:"):].rstrip(),
            "verdict": rep["verdict"], "metrics": rep["checks"][0]["metrics"]}


def numpy_scipy(data: Path) -> tuple[float, float, dict]:
    """The same statistics with numpy/scipy: (read seconds, compute seconds, results)."""
    t0 = time.perf_counter()
    t = pq.read_table(data / "units.parquet")
    col = {c: t[c].to_numpy() for c in t.column_names}
    t1 = time.perf_counter()
    c, tr = col["arm"] == "champion", col["arm"] == "candidate"
    res = {}
    for name, kind in (("conversion", "mean"), ("revenue_per_session", "ratio"), ("latency_ms", "cuped")):
        if kind == "mean":
            y = col["converted"].astype(float)
            arms = [(y[m].mean(), y[m].var(ddof=1) / m.sum(), m.sum()) for m in (c, tr)]
        elif kind == "ratio":
            a, b = col["revenue"], col["sessions"].astype(float)
            arms = []
            for m in (c, tr):
                r = a[m].mean() / b[m].mean()
                cov = np.cov(a[m], b[m], ddof=1)
                arms.append((r, (cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1]) / (m.sum() * b[m].mean() ** 2), m.sum()))
        else:
            y, x = col["latency_ms"], col["pre_latency_ms"]
            cov = np.cov(x, y, ddof=1)
            adj = y - cov[0, 1] / cov[0, 0] * (x - x.mean())
            arms = [(adj[m].mean(), adj[m].var(ddof=1) / m.sum(), m.sum()) for m in (c, tr)]
        (mc, vc, nc), (mt, vt, nt) = arms
        se = np.sqrt(vc + vt)
        df = (vc + vt) ** 2 / (vc**2 / (nc - 1) + vt**2 / (nt - 1))
        alpha = 0.05  # one success metric: Bonferroni leaves it as it is
        res[name] = compare(mc, vc, nc, mt, vt, nt, alpha, False, 5000.0, 2 * stats.t.sf(abs((mt - mc) / se), df))
    return t1 - t0, time.perf_counter() - t1, res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--units", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    data = generate(args.units)
    with tempfile.TemporaryDirectory(prefix="modelgate-ab-cache-") as cache:
        cold = gate(data, Path(cache))
        warm = sorted((gate(data, Path(cache)) for _ in range(args.repeat)), key=lambda r: r["wall"])[args.repeat // 2]
    runs = sorted((numpy_scipy(data) for _ in range(args.repeat)), key=lambda r: r[1])
    read_s, compute_s, ref = runs[len(runs) // 2]
    worst = 0.0
    for m in warm["metrics"]:
        if m.get("column") in ref and m["name"] in ref[m["column"]]:
            want = ref[m["column"]][m["name"]]
            worst = max(worst, abs(m["value"] - want) / max(abs(want), 1e-300))
    size = (data / "units.parquet").stat().st_size
    print(json.dumps({"units": args.units, "metrics": 3, "file_bytes": size, "cold_s": cold["wall"],
                      "warm_s": warm["wall"], "timings": warm["timings"], "verdict": warm["verdict"],
                      "numpy_read_s": read_s, "numpy_compute_s": compute_s, "max_rel_diff": worst}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
