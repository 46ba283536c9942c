#!/usr/bin/env python3
"""Regenerate the bundled diabetes example of modelgate (regression), deterministically.

Run with the repo's venv python (see generate.sh, which sets it up):

    examples/diabetes/generate.sh

Writes, next to this file:

    data/reference.parquet   60% split: what the models were trained on
    data/current.csv         40% split: labelled evaluation data
    models/candidate.onnx    StandardScaler + Ridge (the stronger model)
    models/baseline.onnx     DecisionTreeRegressor(max_depth=2) (the weaker "production" model)
    expected.json            rmse, mae, r2 and mape of both models on current.csv, computed from
                             onnxruntime's outputs with scikit-learn: the numbers the gate must
                             reproduce.

Data: scikit-learn's diabetes data in its original units (load_diabetes(scaled=False)); the blood
serum columns s1..s6 are given their names from the data set's description (tc, ldl, hdl, tch,
ltg, glu). Target: `progression`, a quantitative measure of disease progression one year after
baseline.
"""

from __future__ import annotations

import csv
import json
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pyarrow as pa
import pyarrow.parquet as pq
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.metrics import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    r2_score,
    root_mean_squared_error,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
MODELS = HERE / "models"

SPLIT_SEED = 42
MODEL_SEED = 0
CURRENT_FRACTION = 0.4
TARGET = "progression"
FEATURES = ["age", "sex", "bmi", "bp", "tc", "ldl", "hdl", "tch", "ltg", "glu"]
SKLEARN_NAMES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
INPUT_NAME = "input"
OUTPUT_PREDICTION = "prediction"
PACKAGES = [
    "numpy",
    "scipy",
    "scikit-learn",
    "skl2onnx",
    "onnx",
    "onnxruntime",
    "pyarrow",
    "protobuf",
]
METRICS = ["rmse", "mae", "r2", "mape"]


def load_data() -> tuple[np.ndarray, np.ndarray]:
    bunch = load_diabetes(scaled=False)
    assert list(bunch.feature_names) == SKLEARN_NAMES, bunch.feature_names
    x = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target, dtype=np.float64)
    return x, y


def write_parquet(path: Path, x: np.ndarray, y: np.ndarray) -> None:
    columns = {name: pa.array(x[:, i], type=pa.float64()) for i, name in enumerate(FEATURES)}
    columns[TARGET] = pa.array(y, type=pa.float64())
    pq.write_table(pa.table(columns), path)


def write_csv(path: Path, x: np.ndarray, y: np.ndarray) -> None:
    # repr() of a Python float is the shortest string that round-trips exactly.
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([*FEATURES, TARGET])
        for row, target in zip(x, y):
            w.writerow([*(repr(float(v)) for v in row), repr(float(target))])


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read current.csv back the way a consumer would: every column as f64."""
    with path.open(newline="") as f:
        r = csv.reader(f)
        header = next(r)
        assert header == [*FEATURES, TARGET], header
        rows = list(r)
    x = np.array([[float(v) for v in row[:-1]] for row in rows], dtype=np.float64)
    y = np.array([float(row[-1]) for row in rows], dtype=np.float64)
    return x, y


def to_onnx(model, path: Path) -> None:
    onx = convert_sklearn(
        model,
        name=path.stem,
        initial_types=[(INPUT_NAME, FloatTensorType([None, len(FEATURES)]))],
        final_types=[(OUTPUT_PREDICTION, FloatTensorType([None, 1]))],
        target_opset=TARGET_OPSET,
    )
    # skl2onnx collects the opset imports in a set: order them so the file is byte-stable.
    opsets = sorted(((o.domain, o.version) for o in onx.opset_import))
    del onx.opset_import[:]
    for domain, ver in opsets:
        onx.opset_import.add(domain=domain, version=ver)
    onnx.checker.check_model(onx, full_check=True)
    path.write_bytes(onx.SerializeToString())


def run_onnx(path: Path, x32: np.ndarray) -> np.ndarray:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    inputs = sess.get_inputs()
    assert [(i.name, i.type, i.shape) for i in inputs] == [
        (INPUT_NAME, "tensor(float)", [None, len(FEATURES)])
    ], inputs
    outputs = [(o.name, o.type, o.shape) for o in sess.get_outputs()]
    assert outputs == [(OUTPUT_PREDICTION, "tensor(float)", [None, 1])], outputs
    (pred,) = sess.run([OUTPUT_PREDICTION], {INPUT_NAME: x32})
    n = x32.shape[0]
    assert pred.dtype == np.float32 and pred.shape == (n, 1), (pred.dtype, pred.shape)
    return pred[:, 0]


def metrics(y: np.ndarray, pred32: np.ndarray) -> dict[str, float]:
    # The f32 predictions widened to f64, as the gate reads them.
    p = pred32.astype(np.float64)
    out = {
        "rmse": root_mean_squared_error(y, p),
        "mae": mean_absolute_error(y, p),
        "r2": r2_score(y, p),
        "mape": mean_absolute_percentage_error(y, p),
    }
    assert list(out) == METRICS
    return {k: float(v) for k, v in out.items()}


def main() -> int:
    DATA.mkdir(exist_ok=True)
    MODELS.mkdir(exist_ok=True)

    x, y = load_data()
    x_ref, x_cur, y_ref, y_cur = train_test_split(
        x, y, test_size=CURRENT_FRACTION, random_state=SPLIT_SEED
    )

    ref_path = DATA / "reference.parquet"
    cur_path = DATA / "current.csv"
    write_parquet(ref_path, x_ref, y_ref)
    write_csv(cur_path, x_cur, y_cur)

    # Check the written files read back exactly.
    ref_table = pq.read_table(ref_path)
    assert ref_table.column_names == [*FEATURES, TARGET], ref_table.column_names
    assert np.array_equal(np.column_stack([ref_table[c].to_numpy() for c in FEATURES]), x_ref)
    assert np.array_equal(ref_table[TARGET].to_numpy(), y_ref)
    x_csv, y_csv = read_csv(cur_path)
    assert np.array_equal(x_csv, x_cur) and np.array_equal(y_csv, y_cur)

    baseline = DecisionTreeRegressor(max_depth=2, random_state=MODEL_SEED)
    candidate = Pipeline([("scaler", StandardScaler()), ("ridge", Ridge(alpha=1.0))])
    models = {"candidate": candidate, "baseline": baseline}
    for model in models.values():
        model.fit(x_ref, y_ref)

    # Exactly what a consumer of current.csv feeds the models: f64 parsed, cast to f32.
    x32 = np.ascontiguousarray(x_csv.astype(np.float32))
    results: dict[str, dict[str, float]] = {}
    for name, model in models.items():
        path = MODELS / f"{name}.onnx"
        to_onnx(model, path)
        pred = run_onnx(path, x32)
        # Sanity: the ONNX model agrees with scikit-learn (on the same f32 inputs).
        sk_pred = model.predict(x32.astype(np.float64))
        max_diff = float(np.abs(pred.astype(np.float64) - sk_pred).max())
        assert max_diff < 1e-3, (name, max_diff)
        results[name] = metrics(y_csv, pred)

    cand, base = results["candidate"], results["baseline"]
    assert cand["rmse"] < base["rmse"], (cand["rmse"], base["rmse"])
    assert cand["r2"] > base["r2"], (cand["r2"], base["r2"])

    expected = {
        "generated_by": "generate.py",
        "versions": {p: version(p) for p in PACKAGES},
        "datasets": {
            "reference": {"rows": int(x_ref.shape[0]), "columns": len(FEATURES) + 1},
            "current": {"rows": int(x_cur.shape[0]), "columns": len(FEATURES) + 1},
        },
        "models": results,
    }
    with (HERE / "expected.json").open("w") as f:
        json.dump(expected, f, indent=2)
        f.write("\n")

    print(f"reference: {x_ref.shape[0]} rows, current: {x_cur.shape[0]} rows, "
          f"{len(FEATURES)} features + {TARGET!r}")
    print(f"{'metric':<10} {'candidate':>20} {'baseline':>20}")
    for m in METRICS:
        print(f"{m:<10} {cand[m]:>20.12f} {base[m]:>20.12f}")
    for p in [ref_path, cur_path, MODELS / "candidate.onnx", MODELS / "baseline.onnx",
              HERE / "expected.json"]:
        print(f"{p.relative_to(HERE)}: {p.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
