#!/usr/bin/env python3
"""Regenerate the bundled breast-cancer example of modelgate, deterministically.

Run with the repo's venv python (see generate.sh, which sets it up):

    examples/breast-cancer/generate.sh

Writes, next to this file:

    data/reference.parquet   60% stratified split: what the models were trained on
    data/current.csv         40% stratified split: labelled evaluation data
    models/candidate.onnx    StandardScaler + LogisticRegression (the stronger model)
    models/baseline.onnx     DecisionTree(max_depth=2) (the weaker "production" model)
    expected.json            metrics of both models on current.csv, computed from
                             onnxruntime's outputs with scikit-learn: the numbers the
                             gate must reproduce.

Label: 1 = malignant (positive), 0 = benign. scikit-learn's raw target is the
opposite (0 = malignant), so it is inverted here.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pyarrow as pa
import pyarrow.parquet as pq
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, Int64TensorType
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
MODELS = HERE / "models"

SPLIT_SEED = 42
MODEL_SEED = 0
CURRENT_FRACTION = 0.4
TARGET = "label"
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
INPUT_NAME = "input"
OUTPUT_LABEL = "label"
OUTPUT_PROBABILITIES = "probabilities"
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
METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier"]


# Paired bootstrap bounds as the performance check computes them with `confidence` (its
# SplitMix64 index stream, numpy linear percentiles): an independent re-implementation.
BOOTSTRAP = {"samples": 200, "seed": 7, "confidence": 0.9, "metrics": ["accuracy", "roc_auc", "log_loss"]}
MASK64 = (1 << 64) - 1


def splitmix64(seed: int):
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        yield z ^ (z >> 31)


def bootstrap_bounds(y, outputs) -> dict:
    n = len(y)
    rng = splitmix64(BOOTSTRAP["seed"])
    draws = {m: {"candidate": [], "baseline": []} for m in BOOTSTRAP["metrics"]}
    for _ in range(BOOTSTRAP["samples"]):
        rows = np.array([(next(rng) * n) >> 64 for _ in range(n)])
        for name, (label, proba) in outputs.items():
            values = metrics(y[rows], label[rows], proba[rows])
            for m in BOOTSTRAP["metrics"]:
                draws[m][name].append(values[m])
    c = BOOTSTRAP["confidence"]
    lo, hi = (1 - c) * 100, c * 100
    out = {}
    for m, d in draws.items():
        cand, delta = np.array(d["candidate"]), np.array(d["candidate"]) - np.array(d["baseline"])
        out[m] = {
            "ci_lower": float(np.percentile(cand, lo)),
            "ci_upper": float(np.percentile(cand, hi)),
            "delta_ci_lower": float(np.percentile(delta, lo)),
            "delta_ci_upper": float(np.percentile(delta, hi)),
        }
    return out


SLICE_COLUMN = "mean_radius"
SLICE_EDGES = [0, 14, 30]


def snake_case(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def load_data() -> tuple[list[str], np.ndarray, np.ndarray]:
    bunch = load_breast_cancer()
    features = [snake_case(n) for n in bunch.feature_names]
    assert len(features) == 30 and len(set(features)) == 30, features
    x = np.asarray(bunch.data, dtype=np.float64)
    # sklearn: 0 = malignant, 1 = benign. Here: 1 = malignant (the positive class).
    y = (1 - np.asarray(bunch.target)).astype(np.int64)
    assert set(bunch.target_names) == {"malignant", "benign"}
    assert bunch.target_names[0] == "malignant"
    return features, x, y


def write_parquet(path: Path, features: list[str], x: np.ndarray, y: np.ndarray) -> None:
    columns = {name: pa.array(x[:, i], type=pa.float64()) for i, name in enumerate(features)}
    columns[TARGET] = pa.array(y, type=pa.int64())
    pq.write_table(pa.table(columns), path)


def write_csv(path: Path, features: list[str], x: np.ndarray, y: np.ndarray) -> None:
    # repr() of a Python float is the shortest string that round-trips exactly.
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([*features, TARGET])
        for row, label in zip(x, y):
            w.writerow([*(repr(float(v)) for v in row), str(int(label))])


def read_csv(path: Path, features: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read current.csv back the way a consumer would: floats as f64, label as i64."""
    with path.open(newline="") as f:
        r = csv.reader(f)
        header = next(r)
        assert header == [*features, TARGET], header
        rows = list(r)
    x = np.array([[float(v) for v in row[:-1]] for row in rows], dtype=np.float64)
    y = np.array([int(row[-1]) for row in rows], dtype=np.int64)
    return x, y


def to_onnx(model, path: Path) -> None:
    onx = convert_sklearn(
        model,
        name=path.stem,
        initial_types=[(INPUT_NAME, FloatTensorType([None, 30]))],
        final_types=[
            (OUTPUT_LABEL, Int64TensorType([None])),
            (OUTPUT_PROBABILITIES, FloatTensorType([None, 2])),
        ],
        options={id(model): {"zipmap": False}},
        target_opset=TARGET_OPSET,
    )
    # skl2onnx collects the opset imports in a set: order them so the file is byte-stable.
    opsets = sorted(((o.domain, o.version) for o in onx.opset_import))
    del onx.opset_import[:]
    for domain, ver in opsets:
        onx.opset_import.add(domain=domain, version=ver)
    onnx.checker.check_model(onx, full_check=True)
    path.write_bytes(onx.SerializeToString())


def run_onnx(path: Path, x32: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    inputs = sess.get_inputs()
    assert [(i.name, i.type, i.shape) for i in inputs] == [
        (INPUT_NAME, "tensor(float)", [None, 30])
    ], inputs
    outputs = [(o.name, o.type) for o in sess.get_outputs()]
    assert outputs == [
        (OUTPUT_LABEL, "tensor(int64)"),
        (OUTPUT_PROBABILITIES, "tensor(float)"),
    ], outputs
    label, proba = sess.run([OUTPUT_LABEL, OUTPUT_PROBABILITIES], {INPUT_NAME: x32})
    n = x32.shape[0]
    assert label.dtype == np.int64 and label.shape == (n,), (label.dtype, label.shape)
    assert proba.dtype == np.float32 and proba.shape == (n, 2), (proba.dtype, proba.shape)
    return label, proba


def log_loss_f64(y: np.ndarray, proba: np.ndarray) -> float:
    """sklearn's log_loss on the float64 copy of the float32 probabilities.

    The f32 rows need not sum to exactly 1 in f64, so sklearn warns; its value is still
    well defined (no renormalisation): mean of -ln(clip(p[true class], eps, 1 - eps)),
    eps = f64 machine epsilon. The warning is silenced, the number is the reference.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The y_prob values do not sum to one")
        return log_loss(y, proba, labels=[0, 1])


def metrics(y: np.ndarray, label: np.ndarray, proba32: np.ndarray) -> dict[str, float]:
    proba = proba32.astype(np.float64)
    p1 = proba[:, 1]
    out = {
        "accuracy": accuracy_score(y, label),
        "precision": precision_score(y, label, pos_label=1, zero_division=0),
        "recall": recall_score(y, label, pos_label=1, zero_division=0),
        "f1": f1_score(y, label, pos_label=1, zero_division=0),
        "roc_auc": roc_auc_score(y, p1),
        "log_loss": log_loss_f64(y, proba),
        "brier": brier_score_loss(y, p1, pos_label=1),
    }
    assert list(out) == METRICS
    return {k: float(v) for k, v in out.items()}


def main() -> int:
    DATA.mkdir(exist_ok=True)
    MODELS.mkdir(exist_ok=True)

    features, x, y = load_data()
    x_ref, x_cur, y_ref, y_cur = train_test_split(
        x, y, test_size=CURRENT_FRACTION, stratify=y, random_state=SPLIT_SEED
    )

    ref_path = DATA / "reference.parquet"
    cur_path = DATA / "current.csv"
    write_parquet(ref_path, features, x_ref, y_ref)
    write_csv(cur_path, features, x_cur, y_cur)

    # Check the written files read back exactly.
    ref_table = pq.read_table(ref_path)
    assert ref_table.column_names == [*features, TARGET], ref_table.column_names
    assert ref_table.schema.field(TARGET).type == pa.int64()
    assert np.array_equal(np.column_stack([ref_table[c].to_numpy() for c in features]), x_ref)
    assert np.array_equal(ref_table[TARGET].to_numpy(), y_ref)
    x_csv, y_csv = read_csv(cur_path, features)
    assert np.array_equal(x_csv, x_cur) and np.array_equal(y_csv, y_cur)

    baseline = DecisionTreeClassifier(max_depth=2, random_state=MODEL_SEED)
    candidate = Pipeline(
        [
            ("scaler", StandardScaler()),
            ("logreg", LogisticRegression(max_iter=5000, random_state=MODEL_SEED)),
        ]
    )
    models = {"candidate": candidate, "baseline": baseline}
    for model in models.values():
        model.fit(x_ref, y_ref)
        assert list(model.classes_) == [0, 1]

    # Exactly what a consumer of current.csv feeds the models: f64 parsed, cast to f32.
    x32 = np.ascontiguousarray(x_csv.astype(np.float32))
    results: dict[str, dict[str, float]] = {}
    outputs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, model in models.items():
        path = MODELS / f"{name}.onnx"
        to_onnx(model, path)
        label, proba = run_onnx(path, x32)
        # Sanity: the ONNX model agrees with scikit-learn (on the same f32 inputs).
        sk_label = model.predict(x32.astype(np.float64))
        sk_proba = model.predict_proba(x32.astype(np.float64))
        agree = int((label == sk_label).sum())
        max_diff = float(np.abs(proba.astype(np.float64) - sk_proba).max())
        assert agree >= len(y_csv) - 1 and max_diff < 1e-4, (name, agree, max_diff)
        results[name] = metrics(y_csv, label, proba)
        outputs[name] = (label, proba)

    # The same metrics on slices of current.csv by mean_radius ranges, as the performance
    # check's `slices = [{ column = "mean_radius", edges = [...] }]` cuts them: [e_i, e_i+1),
    # the last range closed.
    radius = x_csv[:, features.index(SLICE_COLUMN)]
    slices: dict[str, dict] = {}
    for i, (lo, hi) in enumerate(zip(SLICE_EDGES, SLICE_EDGES[1:])):
        last = i == len(SLICE_EDGES) - 2
        rows = (radius >= lo) & ((radius <= hi) if last else (radius < hi))
        key = f"{SLICE_COLUMN}=[{lo}, {hi}{']' if last else ')'}"
        slices[key] = {"rows": int(rows.sum())}
        for name, (label, proba) in outputs.items():
            slices[key][name] = metrics(y_csv[rows], label[rows], proba[rows])

    cand, base = results["candidate"], results["baseline"]
    assert cand["accuracy"] > base["accuracy"], (cand["accuracy"], base["accuracy"])
    assert cand["roc_auc"] > base["roc_auc"], (cand["roc_auc"], base["roc_auc"])

    expected = {
        "generated_by": "generate.py",
        "versions": {p: version(p) for p in PACKAGES},
        "datasets": {
            "reference": {"rows": int(x_ref.shape[0]), "columns": len(features) + 1},
            "current": {"rows": int(x_cur.shape[0]), "columns": len(features) + 1},
        },
        "models": results,
        "slices": slices,
        "bootstrap": {**{k: v for k, v in BOOTSTRAP.items() if k != "metrics"},
                      "bounds": bootstrap_bounds(y_csv, outputs)},
    }
    with (HERE / "expected.json").open("w") as f:
        json.dump(expected, f, indent=2)
        f.write("\n")

    print(f"reference: {x_ref.shape[0]} rows, current: {x_cur.shape[0]} rows, "
          f"{len(features)} features + {TARGET!r}")
    print(f"{'metric':<10} {'candidate':>20} {'baseline':>20}")
    for m in METRICS:
        print(f"{m:<10} {cand[m]:>20.12f} {base[m]:>20.12f}")
    for p in [ref_path, cur_path, MODELS / "candidate.onnx", MODELS / "baseline.onnx",
              HERE / "expected.json"]:
        print(f"{p.relative_to(HERE)}: {p.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
