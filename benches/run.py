#!/usr/bin/env python3
"""Run the benchmark harness and write BENCHMARKS.md: everything side by side in one run, on one
machine, as ratios. Start it with benches/run.sh (which builds and makes the venvs first).

For each size (rows per dataset; both datasets have that many rows, 20 columns):

  (a) modelgate   the full benchmark gate (data quality, drift over 19 columns, performance of a
                  candidate against a baseline, latency), the release binary, as a user runs it:
                  cold (empty cache) and warm (median of --repeat runs; the cache keeps no
                  predictions of datasets this large, so warm runs still run both models)
  (b) Evidently   DataDriftPreset + DataSummaryPreset on the same files (benches/evidently_bench.py,
                  Evidently 0.7.23 in .venv-reference); skipped above --evidently-max-rows
  (c) floor       the same statistics computed natively with polars, no WebAssembly
                  (benches/floor.rs; its own wall time, without process start)
  (d) inference   the candidate's predictions on `current` inside modelgate (from --timings of
                  gate-predict.toml, the performance check alone, so that no other check shares
                  the cores; median of --repeat runs) vs Python onnxruntime on the same model and
                  rows (benches/ort_bench.py)

  (e) parts       gate-data.toml (data quality + drift) against polars reading and describing both
                  files, gate-csv.toml's loading of reference.csv + current.csv against polars'
                  read_csv of each (benches/polars_floor.py, polars in .venv-bench; CSV up to
                  --csv-max-rows), gate-bootstrap.toml and gate-bootstrap-poisson.toml (1,000
                  paired resamples, both bootstrap methods) up to --bootstrap-max-rows

Also: peak RSS against the frames' in-memory size with the default limits, the 10M/1M time
ratio, and the warm start (benches/warm_bench.py, which rewrites its own section). Sections of
BENCHMARKS.md this script does not write (monitoring, Spark, warm start) are kept as they are.

And the ab-test check (benches/ab_bench.py): --ab-units units x 3 metrics (a mean, a ratio, a
CUPED-adjusted mean) through the release binary, against numpy + scipy computing the same
numbers. `--only-ab` runs just that and rewrites only its section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
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


def run(cmd: list[str], env: dict | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout)


def timed(cmd: list[str], env: dict | None = None, timeout: float | None = None) -> tuple[float, int, subprocess.CompletedProcess]:
    """Wall seconds and peak RSS (KiB) of a command, by GNU time."""
    out = run(["/usr/bin/time", "-f", "__time %e %M", *cmd], env, timeout)
    m = re.search(r"__time ([0-9.]+) ([0-9]+)", out.stderr)
    if not m:
        raise SystemExit(f"no timing for {cmd}:\n{out.stderr}")
    return float(m.group(1)), int(m.group(2)), out


def gate(data: Path, cache: Path, policy: str = "gate.toml", timeout: float | None = None) -> dict:
    report = data / "report.json"
    try:
        wall, rss, out = timed([str(MODELGATE), "check", str(data / policy), "--json", str(report), "--timings", "-q"],
                               {"MODELGATE_CACHE_DIR": str(cache)}, timeout)
    except subprocess.TimeoutExpired:
        return {"timed_out": timeout}
    if out.returncode not in (0, 1):
        raise SystemExit(f"the gate {policy} failed on {data}:\n{out.stdout}\n{out.stderr}")
    timings = out.stderr[out.stderr.index("timings:") : out.stderr.index("__time")].rstrip()

    def seconds(pattern: str) -> float | None:
        m = re.search(pattern + r"\s+([0-9.]+) s", timings)
        return float(m.group(1)) if m else None

    verdict = json.loads(report.read_text())["verdict"]
    return {
        "wall": wall, "rss_kib": rss, "timings": timings, "verdict": verdict,
        "predict_s": seconds(r"predictions of `candidate` on `current` \(inside the checks\)"),
        "load_s": seconds(r"load datasets \(in parallel\)"),
        "performance_s": seconds(r"check `performance`"),
    }


def polars_floor(data: Path, repeat: int) -> dict:
    out = run([str(ROOT / ".venv-bench/bin/python"), "benches/polars_floor.py", str(data), "--repeat", str(repeat)])
    if out.returncode != 0:
        raise SystemExit(f"polars_floor failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def warm_start(runs: int) -> dict:
    """benches/warm_bench.py: rewrites its section of BENCHMARKS.md, returns its figures."""
    out = run([str(ROOT / ".venv/bin/python"), "benches/warm_bench.py", "--runs", str(runs)])
    if out.returncode != 0:
        raise SystemExit(f"warm_bench failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_run(runs: list[dict]) -> dict:
    runs = sorted(runs, key=lambda r: r["wall"])
    return runs[len(runs) // 2]


def floor(data: Path) -> dict:
    out = run(["cargo", "bench", "-q", "--bench", "floor", "--", str(data)])
    if out.returncode != 0:
        raise SystemExit(f"the floor failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def evidently(data: Path, timeout: float) -> dict:
    py = ROOT / ".venv-reference/bin/python"
    out = run([str(py), "benches/evidently_bench.py", str(data), "--timeout", str(timeout)], {"DO_NOT_TRACK": "1"})
    line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else "{}"
    result = json.loads(line)
    result["exit"] = out.returncode
    return result


def ort(data: Path) -> dict:
    out = run([str(ROOT / ".venv/bin/python"), "benches/ort_bench.py", str(data), "--batch", "0", "--threads", "1", "--repeat", "5"])
    if out.returncode != 0:
        raise SystemExit(f"ort_bench failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def generate(rows: int, csv: bool) -> Path:
    data = ROOT / "benches/data" / str(rows)
    command = [str(ROOT / ".venv/bin/python"), "benches/generate.py", "--rows", str(rows), "--out", str(data)]
    if csv:
        command.append("--csv")
    if (data / "gate.toml").exists():
        command.append("--gate-only")  # the data is kept; the policy follows generate.py
    else:
        print(f"generating {rows} rows into {data} ...", file=sys.stderr)
    out = run(command)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return data


def data_bytes(floor: dict) -> int:
    """The frames' buffers: polars' estimate plus the 16-byte view per row of each text column
    (benches/floor.rs), which the estimate leaves out."""
    return floor.get("frame_bytes_with_views", floor["frame_bytes"])


def ev_seconds(ev: dict | None) -> float | None:
    """Evidently's load + drift + summary seconds (not importing it), None if it did not finish."""
    if not ev or ev.get("timed_out"):
        return None
    return sum(ev["seconds"].get(k, 0) for k in ("load", "drift", "summary"))


def fmt_s(x: float | None) -> str:
    return "—" if x is None else (f"{x:.3f} s" if x < 10 else f"{x:.1f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", default="1000000,10000000", help="comma-separated sizes (default 1M and 10M)")
    ap.add_argument("--repeat", type=int, default=3, help="warm runs per size (median)")
    ap.add_argument("--evidently-max-rows", type=int, default=1_000_000, help="largest size Evidently runs on")
    ap.add_argument("--evidently-timeout", type=float, default=1800)
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    ap.add_argument("--ab-units", type=int, default=10_000_000, help="units of the ab-test benchmark")
    ap.add_argument("--only-ab", action="store_true", help="run only the ab-test benchmark; rewrite only its section")
    ap.add_argument("--csv-max-rows", type=int, default=1_000_000, help="largest size the CSV loading runs on")
    ap.add_argument("--bootstrap-max-rows", type=int, default=1_000_000, help="largest size the bootstrap gate runs on")
    ap.add_argument("--warm-runs", type=int, default=20, help="runs of benches/warm_bench.py")
    ap.add_argument("--bootstrap-timeout", type=float, default=900, help="seconds the bootstrap gate may take")
    args = ap.parse_args()
    sizes = [int(r) for r in args.rows.split(",")]
    print(f"ab-test: {args.ab_units} units ...", file=sys.stderr)
    ab = ab_bench(args.ab_units, args.repeat)
    if args.only_ab:
        text = args.out.read_text()
        if AB_HEADING not in text:  # first time: before the notes
            text = text.replace("## Notes", AB_HEADING + "\n\n## Notes", 1)
        start = text.index(AB_HEADING)
        end = text.find("\n## ", start + 1)
        args.out.write_text(text[:start] + ab_section(ab) + (text[end + 1 :] if end >= 0 else ""))
        print(f"rewrote the ab-test section of {args.out}", file=sys.stderr)
        return 0

    # First: right after the 10M runs, the same warm start measured ~40 % slower here (a process
    # of tens of milliseconds feels what the big runs left in the machine's memory).
    print("warm start ...", file=sys.stderr)
    warm_start_ms = warm_start(args.warm_runs)["this build"]["median_ms"]

    results = {}
    for rows in sizes:
        csv = rows <= args.csv_max_rows
        data = generate(rows, csv)
        print(f"{rows} rows: modelgate cold ...", file=sys.stderr)
        cache = Path(tempfile.mkdtemp(prefix="modelgate-bench-cache-"))
        parts = {}
        try:
            cold = gate(data, cache)
            warm = median_run([gate(data, cache) for _ in range(args.repeat)])
            print(f"{rows} rows: data quality + drift, CSV, bootstrap ...", file=sys.stderr)
            parts["data"] = median_run([gate(data, cache, "gate-data.toml") for _ in range(args.repeat)])
            if csv:
                parts["csv"] = median_run([gate(data, cache, "gate-csv.toml") for _ in range(args.repeat)])
            predict = sorted(gate(data, cache, "gate-predict.toml")["predict_s"] for _ in range(args.repeat))
            parts["predict_s"] = predict[len(predict) // 2]
            if rows <= args.bootstrap_max_rows:
                parts["bootstrap"] = gate(data, cache, "gate-bootstrap.toml", args.bootstrap_timeout)
                parts["bootstrap_poisson"] = gate(data, cache, "gate-bootstrap-poisson.toml", args.bootstrap_timeout)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        print(f"{rows} rows: polars ...", file=sys.stderr)
        parts["polars"] = polars_floor(data, args.repeat)
        print(f"{rows} rows: floor ...", file=sys.stderr)
        floors = sorted((floor(data) for _ in range(args.repeat)), key=lambda f: f["total_s"])
        fl = floors[len(floors) // 2]
        print(f"{rows} rows: onnxruntime ...", file=sys.stderr)
        o = ort(data)
        ev = None
        if rows <= args.evidently_max_rows:
            print(f"{rows} rows: Evidently (minutes) ...", file=sys.stderr)
            ev = evidently(data, args.evidently_timeout)
        results[rows] = {"cold": cold, "warm": warm, "floor": fl, "ort": o, "evidently": ev, "parts": parts}

    write(args.out, results, warm_start_ms, args, ab)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


AB_HEADING = "## The ab-test check"


def ab_bench(units: int, repeat: int) -> dict:
    out = run([str(ROOT / ".venv/bin/python"), "benches/ab_bench.py", "--units", str(units), "--repeat", str(repeat)])
    if out.returncode != 0:
        raise SystemExit(f"ab_bench failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def ab_section(ab: dict) -> str:
    numpy_s = ab["numpy_read_s"] + ab["numpy_compute_s"]
    lines = [
        AB_HEADING,
        "",
        f"`benches/ab_bench.py` (run on {datetime.date.today()}, same machine): a staging experiment of {ab['units']:,} units",
        f"({ab['file_bytes'] / 2**20:,.0f} MiB Parquet) × {ab['metrics']} metrics — a mean (conversion), a ratio of means",
        "(revenue per session) and a CUPED-adjusted mean (latency) — gated by the release binary (whole process), against",
        "numpy + scipy computing the same numbers from the same file.",
        "",
        "| units × metrics | modelgate cold | modelgate warm | numpy + scipy (read + compute) | vs numpy + scipy | target < 2 s | largest difference |",
        "|---:|---:|---:|---:|---:|---|---:|",
        f"| {ab['units']:,} × {ab['metrics']} | {fmt_s(ab['cold_s'])} | {fmt_s(ab['warm_s'])} | {fmt_s(numpy_s)} "
        f"({ab['numpy_read_s']:.3f} + {ab['numpy_compute_s']:.3f} s) | {numpy_s / ab['warm_s']:.2f}× | "
        f"{'met' if ab['warm_s'] < 2 else 'missed'} | {ab['max_rel_diff']:.1e} |",
        "",
        f"Verdict: {ab['verdict']}. The rows never enter the sandbox: the host computes per-arm moments",
        "(`table.grouped-moments`), one pass pair per metric, the arm column coded once for all three. `--timings`, warm:",
        "",
        "```",
        ab["timings"],
        "```",
        "",
    ]
    return "\n".join(lines)


OWNED = ("## Results", "## Against the targets", "## Where the time goes", AB_HEADING, "## Notes")


def kept_sections(out: Path) -> list[str]:
    """The sections of the existing file that other scripts write (monitoring, Spark, warm start)."""
    if not out.exists():
        return []
    text = out.read_text()
    parts = text.split("\n## ")[1:]
    return ["## " + p.rstrip("\n") + "\n" for p in parts if not ("## " + p).startswith(OWNED)]


def write(out: Path, results: dict, warm_start_ms: float, args, ab: dict) -> None:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")), platform.processor())
    kept = kept_sections(out)
    lines = [
        "# Benchmarks",
        "",
        f"Regenerate with `benches/run.sh` (this file is its output). Run on {datetime.date.today()}: {os.cpu_count()} cores ({cpu}),",
        f"Linux {platform.release()}. Everything in one run, side by side; the machine is shared, so read the",
        "ratios, not the seconds. Data: `benches/generate.py` — 20 columns (14 float with some nulls, 1 int, 4 text,",
        "a binary label), a reference and a drifted current window of the same size; models: logistic regression",
        "(candidate) and a decision tree (baseline) over 12 features, ONNX. The gate: data quality, drift over 19",
        "columns (Evidently's auto methods), performance against the baseline, latency (see the generated `gate.toml`),",
        "with the default limits (512 MiB of sandbox memory a check).",
        "",
        "## Results",
        "",
        "| rows per dataset | modelgate cold | modelgate warm | native floor | Evidently | vs Evidently | vs floor | peak RSS | RSS / data in memory |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rows, r in results.items():
        warm, fl, ev = r["warm"]["wall"], r["floor"]["total_s"], r["evidently"]
        ev_s = ev_seconds(ev)
        ev_cell = fmt_s(ev_s) if ev_s is not None else ("timed out" if ev else "not run")
        vs_ev = f"{ev_s / warm:.0f}× faster" if ev_s else "—"
        data_mib, estimate_mib = data_bytes(r["floor"]) / 2**20, r["floor"]["frame_bytes"] / 2**20
        rss_mib = r["warm"]["rss_kib"] / 1024
        lines.append(
            f"| {rows:,} | {fmt_s(r['cold']['wall'])} | {fmt_s(warm)} | {fmt_s(fl)} | {ev_cell} | {vs_ev} | {warm / fl:.2f}× | "
            f"{rss_mib:,.0f} MiB | {rss_mib / data_mib:.2f}× ({data_mib:,.0f} MiB; of polars' estimate {estimate_mib:,.0f} MiB: "
            f"{rss_mib / estimate_mib:.2f}×) |"
        )
    lines += ["", "Verdicts: " + ", ".join(f"{rows:,} rows: {r['warm']['verdict']}" for rows, r in results.items()) + ".", ""]
    lines += ["Parts of the gate, warm, whole process (`gate-*.toml` beside `gate.toml`), against polars itself "
              "(benches/polars_floor.py):", "",
              "| rows per dataset | data quality + drift | polars: read both + `describe()` | ratio | load 2 CSVs (in parallel) | "
              "polars: `read_csv` of each, one after the other | ratio | performance with 1,000 bootstrap resamples: rows | "
              "poisson |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for rows, r in results.items():
        p = r["parts"]
        pl_rd = p["polars"]["read_describe_s"]
        csv_cells = "— | — | —"
        if "csv" in p and "read_csv_total_s" in p["polars"]:
            load, pl_csv = p["csv"]["load_s"], p["polars"]["read_csv_total_s"]
            csv_cells = f"{fmt_s(load)} | {fmt_s(pl_csv)} | {load / pl_csv:.2f}×"
        boot = " | ".join(
            "not run" if key not in p
            else f"over {p[key]['timed_out']:.0f} s (stopped)" if "timed_out" in p[key]
            else fmt_s(p[key]["performance_s"])
            for key in ("bootstrap", "bootstrap_poisson")
        )
        lines.append(f"| {rows:,} | {fmt_s(p['data']['wall'])} | {fmt_s(pl_rd)} | {p['data']['wall'] / pl_rd:.2f}× | {csv_cells} | {boot} |")
    lines.append("")
    sizes = sorted(results)
    lines += ["## Against the targets", "", "Issue #19's targets.", "", "| target | measured | met |", "|---|---|---|"]
    if any(results[s]["evidently"] for s in sizes):
        s = max(x for x in sizes if results[x]["evidently"])
        ev_s = ev_seconds(results[s]["evidently"])
        if ev_s:
            ratio = ev_s / results[s]["warm"]["wall"]
            lines.append(f"| ≥ 100× faster than Evidently (full gate) | {ratio:.0f}× at {s:,} rows | {'yes' if ratio >= 100 else 'no'} |")
    for s in sizes:
        p = results[s]["parts"]
        ratio = p["data"]["wall"] / p["polars"]["read_describe_s"]
        lines.append(f"| data quality + drift ≤ 2× polars read + `describe()` | {ratio:.2f}× at {s:,} rows | {'yes' if ratio <= 2 else 'no'} |")
    for s in sizes:
        rss = (results[s]["warm"]["rss_kib"] * 1024) / data_bytes(results[s]["floor"])
        estimate = (results[s]["warm"]["rss_kib"] * 1024) / results[s]["floor"]["frame_bytes"]
        lines.append(f"| peak RSS ≤ 2× data in memory, default limits | {rss:.2f}× at {s:,} rows ({estimate:.2f}× polars' "
                     f"`estimated_size`, which leaves out text columns' views) | {'yes' if rss <= 2 else 'no'} |")
    if len(sizes) >= 2:
        small, big = sizes[0], sizes[-1]
        ratio = results[big]["warm"]["wall"] / results[small]["warm"]["wall"]
        lines.append(f"| {big // small}× rows ≤ {big // small}× time | {ratio:.1f}× ({small:,} → {big:,} rows) | {'yes' if ratio <= big / small else 'no'} |")
        lines.append(f"| a {big:,}-row gate within the default limits | verdict {results[big]['warm']['verdict']} with no raised limit | "
                     f"{'yes' if results[big]['warm']['verdict'] in ('promote', 'reject') else 'no'} |")
    lines.append(f"| warm start ≤ 20 ms (one cached performance check, breast-cancer) | {warm_start_ms:.1f} ms median (see Warm start) | {'yes' if warm_start_ms <= 20 else 'no'} |")
    for s in sizes:
        p = results[s]["parts"]
        for key, method in (("bootstrap", "rows"), ("bootstrap_poisson", "poisson")):
            if key not in p:
                continue
            b = p[key]
            took = f"over {b['timed_out']:.0f} s (stopped)" if "timed_out" in b else f"{b['performance_s']:.1f} s"
            met = "timed_out" not in b and b["performance_s"] < 5
            lines.append(f"| bootstrap, 1,000 resamples < 5 s | {took} at {s:,} rows, `bootstrap_method = \"{method}\"` "
                         f"(the performance check) | {'yes' if met else 'no'} |")
        if "csv" in p and "read_csv_total_s" in p["polars"]:
            ratio = p["csv"]["load_s"] / p["polars"]["read_csv_total_s"]
            lines.append(f"| CSV load ≤ 1.3× polars `read_csv` | {ratio:.2f}× at {s:,} rows | {'yes' if ratio <= 1.3 else 'no'} |")
    for s in sizes:
        o, p = results[s]["ort"], results[s]["parts"]["predict_s"]
        run_s = min(t["best_s"] for t in o["runs"] if t["threads"] == 1)
        py = o["matrix_s"] + run_s
        if p:
            lines.append(
                f"| inference within 1.2× of Python onnxruntime | {p / py:.2f}× at {s:,} rows: modelgate {p:.3f} s (frame → float32 "
                f"matrix → run → prediction columns) vs Python {py:.3f} s (Arrow table in memory → float32 matrix {o['matrix_s']:.3f} s "
                f"→ run {run_s:.3f} s); the run alone: {p / run_s:.1f}× | {'yes' if p <= 1.2 * py else 'no'} |"
            )
    lines += ["", "## Where the time goes", ""]
    for s in sizes:
        lines += [f"`modelgate check --timings`, {s:,} rows, warm:", "", "```", results[s]["warm"]["timings"], "```", ""]
        fl = results[s]["floor"]
        lines.append(
            f"Floor at {s:,} rows: load {fl['load_s']:.3f} s, then on two threads quality {fl['quality_s']:.3f} s ‖ "
            f"drift {fl['drift_s']:.3f} s + performance {fl['performance_s']:.3f} s."
        )
        ev = results[s]["evidently"]
        if ev:
            parts = ", ".join(f"{k} {v:.1f} s" for k, v in ev["seconds"].items())
            lines.append(f"Evidently at {s:,} rows: {parts}; peak RSS {ev.get('peak_rss_mib', 0):,.0f} MiB; "
                         f"{ev.get('drifted_columns', '?')} of {ev.get('columns', {}).get('drift', '?')} columns drifted "
                         f"({', '.join(ev.get('drifted', []))}).")
        lines.append("")
    lines += ab_section(ab).split("\n")
    for section in kept:
        lines += section.split("\n")
    lines += [
        "## Notes",
        "",
        "- modelgate's times are whole processes (start-up, loading, every check, the JSON report); the floor's are",
        "  its own wall time after start-up; Evidently's exclude importing it (3–4 s); polars' are its own calls.",
        "- Warm runs find the compiled plugins and the models' signatures in the cache; predictions are kept only",
        "  for datasets of up to 262,144 rows, so at these sizes every run still runs both models.",
        "- The floor shares modelgate's loader and column statistics (`modelgate::data`, polars) and ONNX Runtime",
        "  (`modelgate::model`); what it leaves out is the sandbox, the plugin contract and the policy engine.",
        "- Data in memory is the size of both frames' buffers: polars' `estimated_size` plus the 16-byte view",
        "  per row of each text column, which `estimated_size` leaves out (it counts a text column's string bytes",
        "  only; strings up to 12 bytes live in the views). Both ratios are shown.",
        "- Inference is timed in `gate-predict.toml` (the performance check alone, median of the repeats): inside",
        "  the full gate the predictions share the 2 cores with another check, and that timing varies by ±30 %",
        "  between runs of one build.",
        "",
    ]
    out.write_text("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
