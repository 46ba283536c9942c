#!/usr/bin/env python3
"""Time ONNX Runtime from Python on a benches/generate.py data directory: the floor for
modelgate's prediction step.

Run with the repo's venv python (onnxruntime, pyarrow, numpy):

    .venv/bin/python benches/ort_bench.py /tmp/modelgate-bench/1m [--model model.onnx] [--batch 0 1024] [--repeat 3]

What modelgate does (host/src/model.rs): `Model::predict` builds one row-major float32 matrix
[rows, features] of the whole dataset (`feature_matrix`, nulls refused) and calls
`Session::run` once on it -- no batching, no chunking; predictions are computed once per
(model, dataset) and cached. Sessions are built with `with_intra_threads(1)` (inter-op threads
left at ONNX Runtime's default). The latency check instead times runs on the first
`batch_size` rows.

So the default here, `--batch 0`, means one run on all rows, as modelgate does; other batch sizes
split the rows into consecutive slices. Each batch size is timed with intra_op_num_threads = 1
(modelgate's setting) and 0 (ONNX Runtime's default: one per core), `--repeat` times; the
reported time is the best and the median run.

Prints one JSON line: rows, features, seconds to read the features and build the float32 matrix,
per (threads, batch) timings and throughput, peak RSS (MiB).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pyarrow.parquet as pq

FEATURES_KEY = "features"


def model_features(gate_toml: Path) -> list[str]:
    """task.features of the directory's gate.toml (tomllib: Python 3.11+)."""
    import tomllib

    return tomllib.loads(gate_toml.read_text())["task"][FEATURES_KEY]


def session(path: Path, threads: int) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path, help="a benches/generate.py output directory")
    ap.add_argument("--model", default="model.onnx", help="model file in DIR (default model.onnx)")
    ap.add_argument("--dataset", default="current.parquet", help="data file in DIR (default current.parquet)")
    ap.add_argument("--batch", type=int, nargs="+", default=[0], help="batch sizes; 0 = all rows in one run (default)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 0], help="intra-op threads; 0 = ORT default")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    features = model_features(args.dir / "gate.toml")
    t = time.perf_counter()
    table = pq.read_table(args.dir / args.dataset, columns=features)
    t_read = time.perf_counter() - t
    t = time.perf_counter()
    # As modelgate's feature_matrix: row-major float32, columns in task.features order.
    x = np.empty((table.num_rows, len(features)), dtype=np.float32)
    for j, c in enumerate(features):
        col = table.column(c)
        assert col.null_count == 0, f"{c} has nulls: modelgate refuses null model inputs"
        x[:, j] = col.to_numpy()
    del table
    t_matrix = time.perf_counter() - t
    rows = x.shape[0]

    runs = []
    for threads in args.threads:
        sess = session(args.dir / args.model, threads)
        inp = sess.get_inputs()[0]
        assert inp.type == "tensor(float)" and inp.shape[1] == len(features), (inp.type, inp.shape)
        outputs = [o.name for o in sess.get_outputs()]
        sess.run(outputs, {inp.name: x[: min(rows, 1024)]})  # warm-up
        for batch in args.batch:
            size = rows if batch <= 0 else batch
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                for start in range(0, rows, size):
                    sess.run(outputs, {inp.name: x[start:start + size]})
                times.append(time.perf_counter() - t)
            best = min(times)
            runs.append({
                "threads": threads,
                "batch": batch,
                "calls": -(-rows // size),
                "best_s": round(best, 6),
                "median_s": round(statistics.median(times), 6),
                "rows_per_s": round(rows / best),
            })
        del sess

    print(json.dumps({
        "tool": "onnxruntime",
        "dir": str(args.dir),
        "model": args.model,
        "onnxruntime": ort.__version__,
        "rows": rows,
        "features": len(features),
        "read_s": round(t_read, 4),
        "matrix_s": round(t_matrix, 4),
        "runs": runs,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
