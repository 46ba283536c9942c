#!/usr/bin/env python3
"""An independent floor for two #19 targets, measured with polars itself (not modelgate's kernels):

  read + describe   read both Parquet files of a benches/generate.py directory and `describe()`
                    each (what data quality + drift is held to: within 2x of this)
  read_csv          `read_csv` of reference.csv and of current.csv, one after the other (what
                    loading a CSV dataset is held to: within 1.3x)

Median of --repeat runs each, all threads polars wants. Prints one JSON line.

usage: .venv-bench/bin/python benches/polars_floor.py DIR [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import polars as pl


def timed(f) -> float:
    started = time.perf_counter()
    f()
    return time.perf_counter() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    names = ("reference", "current")

    def read_describe() -> None:
        for name in names:
            pl.read_parquet(args.dir / f"{name}.parquet").describe()

    out = {
        "polars": pl.__version__,
        "threads": pl.thread_pool_size(),
        "read_describe_s": statistics.median(timed(read_describe) for _ in range(args.repeat)),
    }
    if all((args.dir / f"{n}.csv").exists() for n in names):
        per_file = {
            n: statistics.median(timed(lambda: pl.read_csv(args.dir / f"{n}.csv")) for _ in range(args.repeat))
            for n in names
        }
        out["read_csv_s"] = per_file
        out["read_csv_total_s"] = sum(per_file.values())
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
