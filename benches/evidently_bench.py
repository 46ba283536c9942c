#!/usr/bin/env python3
"""Time Evidently on a benches/generate.py data directory: the peer modelgate is measured against.

Run with the reference venv (Evidently 0.7.23 + pandas 2; tests/reference/make_reference.sh
creates <repo>/.venv-reference from tests/reference/requirements.txt):

    .venv-reference/bin/python benches/evidently_bench.py /tmp/modelgate-bench/1m [--sample N] [--timeout S]

What it runs, timed separately:

    load     pyarrow.parquet.read_table(...).to_pandas() for reference.parquet and current.parquet,
             then evidently.Dataset.from_pandas with a DataDefinition typed as modelgate types
             columns: numeric dtypes (int, float) numerical, strings categorical
    drift    Report([DataDriftPreset(columns=<the 19 feature columns>)]): Evidently's auto
             methods and thresholds, as modelgate's `drift` check with method = "auto" (normed
             Wasserstein / Jensen-Shannon above 1000 reference rows)
    summary  Report([DataSummaryPreset()]) over every column (the data-summary counterpart of
             modelgate's data-quality check; not the same set of statistics)

--sample N takes the first N rows of each dataset (rows are i.i.d.); default: all rows.
--timeout S bounds the whole run (SIGALRM: a stage stuck inside one long C call is interrupted
only when it returns to Python); the stages finished by then are reported, the one interrupted is
named in "timed_out", and the exit status is 3.

Prints one JSON line: rows, seconds per stage, peak RSS (ru_maxrss, MiB), Evidently's drifted
column count and share, and each column's method, score and decision.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import sys
import time
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")  # Evidently's usage telemetry: off

import pyarrow.parquet as pq  # noqa: E402
import pyarrow.types as pat  # noqa: E402

TARGET = "label"


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout()


def peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def drifted(method: str, score: float, threshold: float) -> bool:
    """Evidently 0.7's decision: p-value tests drift below the threshold (K-S at or below),
    distances at or above it."""
    if "p_value" in method:
        return score <= threshold if method.startswith("K-S") else score < threshold
    return score >= threshold


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path, help="a benches/generate.py output directory")
    ap.add_argument("--sample", type=int, default=None, help="first N rows of each dataset (default: all)")
    ap.add_argument("--timeout", type=float, default=None, help="seconds for the whole run (default: none)")
    args = ap.parse_args()

    result: dict = {"tool": "evidently", "dir": str(args.dir), "sample": args.sample, "seconds": {}}
    stage = "import"
    if args.timeout:
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, args.timeout)
    t_start = time.perf_counter()
    try:
        t = time.perf_counter()
        import evidently
        from evidently import DataDefinition, Dataset, Report
        from evidently.presets import DataDriftPreset, DataSummaryPreset

        result["versions"] = {"evidently": evidently.__version__, "pandas": __import__("pandas").__version__}
        result["seconds"]["import"] = round(time.perf_counter() - t, 3)

        stage = "load"
        t = time.perf_counter()
        tables = {}
        for name in ("reference", "current"):
            table = pq.read_table(args.dir / f"{name}.parquet")
            if args.sample is not None:
                table = table.slice(0, args.sample)
            tables[name] = table
        schema = tables["reference"].schema
        numerical = [f.name for f in schema if pat.is_integer(f.type) or pat.is_floating(f.type)]
        categorical = [f.name for f in schema if pat.is_string(f.type) or pat.is_large_string(f.type)]
        features = [c for c in schema.names if c != TARGET and c in numerical + categorical]
        frames = {name: table.to_pandas() for name, table in tables.items()}
        del tables
        definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)
        datasets = {name: Dataset.from_pandas(df, data_definition=definition) for name, df in frames.items()}
        result["seconds"]["load"] = round(time.perf_counter() - t, 3)
        result["rows"] = {name: len(df) for name, df in frames.items()}
        result["columns"] = {"numerical": len(numerical), "categorical": len(categorical), "drift": len(features)}
        result["peak_rss_mib_after_load"] = peak_rss_mib()

        stage = "drift"
        t = time.perf_counter()
        snapshot = Report([DataDriftPreset(columns=features)]).run(
            current_data=datasets["current"], reference_data=datasets["reference"]
        )
        metrics = snapshot.dict()["metrics"]
        result["seconds"]["drift"] = round(time.perf_counter() - t, 3)
        columns = {}
        for m in metrics:
            cfg = m["config"]
            if cfg["type"].endswith(":DriftedColumnsCount"):
                result["drifted_columns"] = int(m["value"]["count"])
                result["drift_share"] = round(float(m["value"]["share"]), 6)
            elif cfg["type"].endswith(":ValueDrift"):
                score = float(m["value"])
                columns[cfg["column"]] = {
                    "method": cfg["method"],
                    "score": round(score, 6),
                    "threshold": cfg["threshold"],
                    "drift": drifted(cfg["method"], score, cfg["threshold"]),
                }
        result["drifted"] = [c for c, v in columns.items() if v["drift"]]
        result["drift_columns"] = columns
        result["peak_rss_mib_after_drift"] = peak_rss_mib()

        stage = "summary"
        t = time.perf_counter()
        snapshot = Report([DataSummaryPreset()]).run(
            current_data=datasets["current"], reference_data=datasets["reference"]
        )
        result["summary_metrics"] = len(snapshot.dict()["metrics"])
        result["seconds"]["summary"] = round(time.perf_counter() - t, 3)
        stage = "done"
    except Timeout:
        result["timed_out"] = stage
    finally:
        if args.timeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
    result["seconds"]["total"] = round(time.perf_counter() - t_start, 3)
    result["peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(result))
    return 3 if "timed_out" in result else 0


if __name__ == "__main__":
    sys.exit(main())
