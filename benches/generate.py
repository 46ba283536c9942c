#!/usr/bin/env python3
"""Synthetic tabular data, models and a gate policy for benchmarking modelgate at scale.

Run with the repo's venv python (tests/venv.sh creates it; numpy, pyarrow, scikit-learn, skl2onnx,
onnxruntime):

    .venv/bin/python benches/generate.py --rows 1000000 --out /tmp/modelgate-bench/1m

Writes, into --out:

    reference.parquet  N rows: the training-period data
    current.parquet    N rows: a drifted twin (covariate shift; the label model is unchanged):
                         - num_02 mean +0.5 sd            - num_06 scale x1.5 (lognormal)
                         - num_09 uniform -> skewed beta on the same range (no out-of-range values)
                         - num_12 scale x1.25 (gamma)     - cat_02 category mix reversed
    model.onnx         candidate: StandardScaler + LogisticRegression (examples/common.py)
    baseline.onnx      baseline: DecisionTree(max_depth=2), same inputs
    gate.toml          the policy: data-quality, drift over all 19 features, performance, latency
    gate-*.toml        parts of it for single targets (see variants()); --csv adds reference.csv
                       and current.csv for gate-csv.toml

20 columns, in file order:

    num_00 .. num_13   float64: normal, lognormal, uniform, exponential, gamma, Student t;
                       num_03, num_07, num_10 have ~1% nulls
    int_00             int64 (binomial(120, 0.35): ~40 distinct values, numeric for every check)
    cat_00 .. cat_03   string, 3 / 7 / 20 / 50 categories
    label              int64 0/1 ~ Bernoulli(sigmoid(w . standardized features + cat_00 effect))

The models take the 12 numeric columns without nulls (num_* minus num_03/07/10, plus int_00), as
one float tensor [rows, 12] in that order (task.features): modelgate refuses null model inputs.
They are trained on the first min(N, 100,000) reference rows (rows are i.i.d., so the head is a
random sample).

Data are generated and written in chunks of 1,000,000 rows (one Parquet row group each), each
chunk from its own seeded stream, so memory stays ~0.5 GB whatever N (10M rows: ~1.6 GB of raw
column data per file, never all in memory) and the output depends only on --rows and --seed.

Prints one JSON line at the end: rows, timings (s), file sizes (bytes), peak RSS (MiB).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "examples"))  # examples/common.py: ONNX export conventions
import common  # noqa: E402

SEED = 20260401
CHUNK = 1_000_000
TRAIN_ROWS = 100_000
NULL_SHARE = 0.01

# name -> (distribution, params); "z" standardizes the column (for the label's logit) with the
# reference population's moments.
NUMERIC = {
    "num_00": ("normal", (0.0, 1.0)),
    "num_01": ("normal", (50.0, 10.0)),
    "num_02": ("normal", (-3.0, 2.0)),
    "num_03": ("normal", (100.0, 25.0)),
    "num_04": ("normal", (0.0, 0.1)),
    "num_05": ("lognormal", (0.0, 0.5)),
    "num_06": ("lognormal", (3.0, 1.0)),
    "num_07": ("lognormal", (10.0, 0.8)),
    "num_08": ("uniform", (0.0, 1.0)),
    "num_09": ("uniform", (-5.0, 5.0)),
    "num_10": ("uniform", (1000.0, 2000.0)),
    "num_11": ("exponential", (2.0,)),
    "num_12": ("gamma", (2.0, 3.0)),
    "num_13": ("t", (5.0, 1.5)),
}
NULLABLE = ["num_03", "num_07", "num_10"]
INTEGER = "int_00"
INT_N, INT_P = 120, 0.35
CATEGORICAL = {"cat_00": 3, "cat_01": 7, "cat_02": 20, "cat_03": 50}
TARGET = "label"
FEATURES = [*NUMERIC, INTEGER, *CATEGORICAL]  # the 19 feature columns, file order
MODEL_FEATURES = [c for c in NUMERIC if c not in NULLABLE] + [INTEGER]
SCHEMA = pa.schema(
    [pa.field(c, pa.float64()) for c in NUMERIC]
    + [pa.field(INTEGER, pa.int64())]
    + [pa.field(c, pa.string()) for c in CATEGORICAL]
    + [pa.field(TARGET, pa.int64())]
)

# The label's logistic model (on standardized values; lognormal columns on their log scale).
WEIGHTS = {
    "num_00": 0.8, "num_01": -0.5, "num_02": 0.6, "num_03": 0.3, "num_05": 0.7,
    "num_08": 0.9, "num_11": -0.4, "num_12": 0.5, "num_13": 0.3, INTEGER: 0.6,
}
INTERCEPT = -0.3
CAT_00_EFFECT = np.array([0.0, 0.4, -0.4])


def cat_values(name: str, k: int) -> list[str]:
    return [f"{name[-2:]}_v{i:02d}" for i in range(k)]


def cat_probs(k: int) -> np.ndarray:
    p = 1.0 / np.arange(1, k + 1) ** 0.8  # Zipf-like: every category well represented
    return p / p.sum()


def draw_numeric(rng: np.random.Generator, name: str, n: int, current: bool) -> np.ndarray:
    dist, params = NUMERIC[name]
    if dist == "normal":
        mu, sd = params
        if current and name == "num_02":
            mu += 0.5 * sd
        return rng.normal(mu, sd, n)
    if dist == "lognormal":
        x = rng.lognormal(*params, n)
        return x * 1.5 if current and name == "num_06" else x
    if dist == "uniform":
        lo, hi = params
        if current and name == "num_09":
            return lo + (hi - lo) * rng.beta(1.5, 1.0, n)  # same range, mass moved to the top
        return rng.uniform(lo, hi, n)
    if dist == "exponential":
        return rng.exponential(params[0], n)
    if dist == "gamma":
        shape, scale = params
        return rng.gamma(shape, scale * (1.25 if current and name == "num_12" else 1.0), n)
    assert dist == "t"
    df, scale = params
    return rng.standard_t(df, n) * scale


def standardized(name: str, x: np.ndarray) -> np.ndarray:
    """x standardized with the reference population's moments (log scale for lognormals)."""
    dist, params = NUMERIC[name] if name in NUMERIC else ("binomial", (INT_N, INT_P))
    if dist == "normal":
        return (x - params[0]) / params[1]
    if dist == "lognormal":
        return (np.log(x) - params[0]) / params[1]
    if dist == "uniform":
        lo, hi = params
        return (x - (lo + hi) / 2) / ((hi - lo) / np.sqrt(12))
    if dist == "exponential":
        return (x - params[0]) / params[0]
    if dist == "gamma":
        shape, scale = params
        return (x - shape * scale) / (np.sqrt(shape) * scale)
    if dist == "t":
        df, scale = params
        return x / (scale * np.sqrt(df / (df - 2)))
    n, p = params
    return (x - n * p) / np.sqrt(n * p * (1 - p))


def chunk(rng: np.random.Generator, n: int, current: bool) -> tuple[pa.Table, dict[str, np.ndarray]]:
    """One chunk of n rows: the Arrow table and the numpy arrays of the model features + label."""
    cols: dict[str, np.ndarray] = {c: draw_numeric(rng, c, n, current) for c in NUMERIC}
    cols[INTEGER] = rng.binomial(INT_N, INT_P, n).astype(np.int64)
    codes: dict[str, np.ndarray] = {}
    for c, k in CATEGORICAL.items():
        p = cat_probs(k)
        if current and c == "cat_02":
            p = p[::-1]
        codes[c] = rng.choice(k, size=n, p=p).astype(np.int32)
    logit = INTERCEPT + CAT_00_EFFECT[codes["cat_00"]]
    for c, w in WEIGHTS.items():
        logit += w * standardized(c, cols[c])
    label = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)

    arrays: dict[str, pa.Array] = {}
    for c in NUMERIC:
        mask = rng.random(n) < NULL_SHARE if c in NULLABLE else None
        arrays[c] = pa.array(cols[c], type=pa.float64(), mask=mask)
    arrays[INTEGER] = pa.array(cols[INTEGER], type=pa.int64())
    for c, k in CATEGORICAL.items():
        arrays[c] = pa.array(cat_values(c, k), type=pa.string()).take(pa.array(codes[c]))
    arrays[TARGET] = pa.array(label, type=pa.int64())
    table = pa.table(arrays, schema=SCHEMA)
    return table, {**{c: cols[c] for c in MODEL_FEATURES}, TARGET: label}


def write_dataset(path: Path, rows: int, seed_seq: np.random.SeedSequence, current: bool,
                  keep: int) -> dict[str, np.ndarray]:
    """Write `rows` rows to path, chunk by chunk; return the first `keep` rows' model columns."""
    n_chunks = -(-rows // CHUNK)
    head: dict[str, np.ndarray] = {}
    with pq.ParquetWriter(path, SCHEMA) as w:
        for i, ss in enumerate(seed_seq.spawn(n_chunks)):
            n = min(CHUNK, rows - i * CHUNK)
            table, cols = chunk(np.random.default_rng(ss), n, current)
            w.write_table(table, row_group_size=CHUNK)
            if i == 0:
                head = {c: v[:keep].copy() for c, v in cols.items()}
            del table, cols
    return head


def train_and_export(head: dict[str, np.ndarray], out: Path) -> dict:
    x = np.column_stack([head[c].astype(np.float64) for c in MODEL_FEATURES])
    y = head[TARGET]
    models = common.fit(common.logistic_and_tree(common.MODEL_SEED), x, y, classes=[0, 1])
    paths = {"candidate": out / "model.onnx", "baseline": out / "baseline.onnx"}
    info = {}
    x32 = np.ascontiguousarray(x[:10_000].astype(np.float32))
    for name, model in models.items():
        common.to_onnx(model, paths[name], len(MODEL_FEATURES), n_classes=2)
        label, proba = common.run_onnx(paths[name], x32, n_classes=2)
        agree = float((label == model.predict(x32.astype(np.float64))).mean())
        assert agree > 0.999, (name, agree)
        info[name] = {"train_accuracy": float((model.predict(x) == y).mean()), "onnx_agreement": agree}
    return info


def toml_list(names: list[str], indent: str = "    ", per_line: int = 8) -> str:
    lines = [", ".join(f'"{c}"' for c in names[i:i + per_line]) for i in range(0, len(names), per_line)]
    return "[\n" + "".join(f"{indent}{line},\n" for line in lines) + "]"


def gate_toml(rows: int) -> str:
    return f"""\
# Benchmark gate (benches/generate.py --rows {rows}): a drifted current window scored by a
# logistic-regression candidate against a depth-2 decision-tree baseline. Expected verdict:
# promote: drift warns (5 of 19 features drift: num_02, num_06, num_09, num_12, cat_02; share
# 0.26 < 0.5), data-quality, performance and latency pass. Regenerate with
#     .venv/bin/python benches/generate.py --rows {rows} --out <this directory>
version = 1
name = "bench-{rows}"
description = "modelgate at scale: data quality, drift over 19 columns, performance, latency."

[task]
type = "binary"
target = "{TARGET}"
positive_label = 1
features = {toml_list(MODEL_FEATURES)}   # model.onnx's inputs, in order (no nullable columns)

[datasets]
reference = "reference.parquet"
current = "current.parquet"

[models.candidate]
onnx = "model.onnx"
[models.baseline]
onnx = "baseline.onnx"

[[checks]]
id = "data-quality"
plugin = "data-quality"
severity = "blocking"
[checks.config]
dataset = "current"
reference = "reference"
row_count = {{ min = 1 }}
duplicate_rows = {{ max = 0 }}
null_fraction = {{ max = 0.02 }}             # num_03, num_07, num_10: ~1 %
out_of_range_share = {{ max = 0.01, level = "warn" }}
unseen_share = {{ max = 0.0 }}
constant_column = "fail"
[checks.config.columns.{TARGET}]
allowed_values = [0, 1]

[[checks]]
id = "drift"
plugin = "drift"
severity = "blocking"
[checks.config]
dataset = "current"
reference = "reference"
method = "auto"                            # Evidently's defaults: normed Wasserstein / Jensen-Shannon
drift_share = 0.5
columns = {toml_list(FEATURES)}

[[checks]]
id = "performance"
plugin = "performance"
severity = "blocking"
# Default limits: predictions stream through the sandbox, which holds the labels (4 bytes a row)
# and one model's positive-class scores (8 bytes a row).
[checks.config]
dataset = "current"
[checks.config.metrics]
accuracy = {{ min = 0.6 }}
roc_auc = {{ min = 0.7, max_drop = 0.0 }}   # no worse than the baseline

[[checks]]
id = "latency"
plugin = "latency"
severity = "advisory"
[checks.config]
dataset = "current"
batch_sizes = [1, 1024]
warmup = 3
iterations = 20
[checks.config.metrics]
latency_p95_ms = {{ max = 1000.0 }}
"""


def variants(rows: int) -> dict[str, str]:
    """The policies beside gate.toml, for the targets measured on parts of the gate:

    gate-data.toml       data quality + drift only (against polars reading and describing the files)
    gate-csv.toml        the same on reference.csv / current.csv (loading CSV against polars' read_csv)
    gate-bootstrap.toml  performance with 95 % paired bootstrap bounds, 1,000 resamples
    gate-bootstrap-poisson.toml  the same with bootstrap_method = "poisson"
    gate-predict.toml    the performance check alone: the models' predictions with no other
                         check sharing the cores (inference against Python onnxruntime)
    """
    head, *checks = gate_toml(rows).split("[[checks]]")
    check = {re.search(r'id = "([^"]+)"', c).group(1): "[[checks]]" + c for c in checks}
    data = head + check["data-quality"] + check["drift"]
    bootstrap = check["performance"].replace(
        "# Default limits: predictions stream through the sandbox, which holds the labels (4 bytes a row)\n"
        "# and one model's positive-class scores (8 bytes a row).\n",
        "# Resamples need the rows: the sandbox holds labels, predictions and probabilities.\n"
        "timeout_s = 1800\n",
    ).replace(
        "[checks.config]\n", "[checks.config]\nbootstrap_samples = 1000\n", 1
    ).replace(
        "accuracy = { min = 0.6 }", "accuracy = { min = 0.6, confidence = 0.95 }"
    ).replace(
        "roc_auc = { min = 0.7, max_drop = 0.0 }", "roc_auc = { min = 0.7, max_drop = 0.0, confidence = 0.95 }"
    )
    assert "bootstrap_samples" in bootstrap and bootstrap.count("confidence") == 2, bootstrap
    return {
        "gate-data.toml": data,
        "gate-csv.toml": data.replace('"reference.parquet"', '"reference.csv"').replace(
            '"current.parquet"', '"current.csv"'
        ),
        "gate-bootstrap.toml": head + bootstrap,
        "gate-bootstrap-poisson.toml": head + bootstrap.replace(
            "bootstrap_samples = 1000\n", 'bootstrap_samples = 1000\nbootstrap_method = "poisson"\n', 1
        ),
        "gate-predict.toml": head + check["performance"],
    }


def write_policies(out: Path, rows: int) -> None:
    (out / "gate.toml").write_text(gate_toml(rows))
    for name, text in variants(rows).items():
        (out / name).write_text(text)


def write_csv(out: Path) -> None:
    """reference.csv and current.csv from the Parquet files (for gate-csv.toml), if missing."""
    import pyarrow.csv as pacsv

    for name in ("reference", "current"):
        target = out / f"{name}.csv"
        if not target.exists():
            tmp = target.with_suffix(".csv.tmp")
            pacsv.write_csv(pq.read_table(out / f"{name}.parquet"), tmp)
            tmp.rename(target)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, required=True, help="rows per dataset")
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--gate-only", action="store_true",
                    help="only rewrite the policies (the data and models are kept)")
    ap.add_argument("--csv", action="store_true",
                    help="also write reference.csv and current.csv from the Parquet files")
    args = ap.parse_args()
    assert args.rows >= 1000, "--rows must be at least 1000"
    args.out.mkdir(parents=True, exist_ok=True)
    if args.gate_only:
        write_policies(args.out, args.rows)
        if args.csv:
            write_csv(args.out)
        return 0

    ref_ss, cur_ss = np.random.SeedSequence(args.seed).spawn(2)
    t0 = time.perf_counter()
    head = write_dataset(args.out / "reference.parquet", args.rows, ref_ss, current=False,
                         keep=TRAIN_ROWS)
    t1 = time.perf_counter()
    write_dataset(args.out / "current.parquet", args.rows, cur_ss, current=True, keep=0)
    t2 = time.perf_counter()
    models = train_and_export(head, args.out)
    t3 = time.perf_counter()
    write_policies(args.out, args.rows)
    if args.csv:
        write_csv(args.out)

    files = ["reference.parquet", "current.parquet", "model.onnx", "baseline.onnx", "gate.toml"]
    print(json.dumps({
        "tool": "generate",
        "rows": args.rows,
        "columns": len(FEATURES) + 1,
        "model_features": len(MODEL_FEATURES),
        "train_rows": len(head[TARGET]),
        "label_rate_train": round(float(head[TARGET].mean()), 4),
        "seconds": {"reference": round(t1 - t0, 3), "current": round(t2 - t1, 3),
                    "models": round(t3 - t2, 3), "total": round(t3 - t0, 3)},
        "models": models,
        "bytes": {f: (args.out / f).stat().st_size for f in files},
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
