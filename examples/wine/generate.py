#!/usr/bin/env python3
"""Regenerate the bundled wine example of modelgate (multiclass), deterministically.

Run with the repo's venv python (see generate.sh, which sets it up):

    examples/wine/generate.sh

Writes, next to this file:

    data/reference.parquet   60% stratified split: what the models were trained on
    data/current.csv         40% stratified split: labelled evaluation data
    models/candidate.onnx    StandardScaler + LogisticRegression (the stronger model)
    models/baseline.onnx     DecisionTree(max_depth=2) (the weaker "production" model)
    expected.json            metrics of both models on current.csv, computed from onnxruntime's
                             outputs with scikit-learn (precision / recall / f1 macro and weighted
                             averages), plus the drift (Evidently-compatible auto method: KS, as the
                             reference has <= 1000 rows) and data-quality numbers of current.csv vs
                             reference.parquet: the numbers the gate must reproduce.

Label: the cultivar, 0, 1 or 2 (scikit-learn's class_0..class_2).
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
from scipy import stats
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, Int64TensorType
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, log_loss, precision_score, recall_score
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
CLASSES = [0, 1, 2]
N_FEATURES = 13
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
METRICS = [
    "accuracy",
    "precision",
    "recall",
    "f1",
    "precision_weighted",
    "recall_weighted",
    "f1_weighted",
    "log_loss",
]
KS_THRESHOLD = 0.05  # Evidently's default: drift when p <= 0.05
DRIFT_SHARE = 0.5


def snake_case(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def load_data() -> tuple[list[str], np.ndarray, np.ndarray]:
    bunch = load_wine()
    features = [snake_case(n) for n in bunch.feature_names]
    assert len(features) == N_FEATURES and len(set(features)) == N_FEATURES, features
    assert "od280_od315_of_diluted_wines" in features
    x = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target).astype(np.int64)
    assert sorted(set(y.tolist())) == CLASSES
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
        initial_types=[(INPUT_NAME, FloatTensorType([None, N_FEATURES]))],
        final_types=[
            (OUTPUT_LABEL, Int64TensorType([None])),
            (OUTPUT_PROBABILITIES, FloatTensorType([None, len(CLASSES)])),
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
        (INPUT_NAME, "tensor(float)", [None, N_FEATURES])
    ], inputs
    outputs = [(o.name, o.type) for o in sess.get_outputs()]
    assert outputs == [
        (OUTPUT_LABEL, "tensor(int64)"),
        (OUTPUT_PROBABILITIES, "tensor(float)"),
    ], outputs
    label, proba = sess.run([OUTPUT_LABEL, OUTPUT_PROBABILITIES], {INPUT_NAME: x32})
    n = x32.shape[0]
    assert label.dtype == np.int64 and label.shape == (n,), (label.dtype, label.shape)
    assert proba.dtype == np.float32 and proba.shape == (n, len(CLASSES)), (proba.dtype, proba.shape)
    return label, proba


def log_loss_f64(y: np.ndarray, proba: np.ndarray) -> float:
    """sklearn's log_loss on the float64 copy of the float32 probabilities (no renormalisation;
    the "do not sum to one" warning for f32 rows is silenced, the number is the reference)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The y_prob values do not sum to one")
        return log_loss(y, proba, labels=CLASSES)


def metrics(y: np.ndarray, label: np.ndarray, proba32: np.ndarray) -> dict[str, float]:
    proba = proba32.astype(np.float64)
    out = {
        "accuracy": accuracy_score(y, label),
        "precision": precision_score(y, label, labels=CLASSES, average="macro", zero_division=0),
        "recall": recall_score(y, label, labels=CLASSES, average="macro", zero_division=0),
        "f1": f1_score(y, label, labels=CLASSES, average="macro", zero_division=0),
        "precision_weighted": precision_score(y, label, labels=CLASSES, average="weighted", zero_division=0),
        "recall_weighted": recall_score(y, label, labels=CLASSES, average="weighted", zero_division=0),
        "f1_weighted": f1_score(y, label, labels=CLASSES, average="weighted", zero_division=0),
        "log_loss": log_loss_f64(y, proba),
    }
    assert list(out) == METRICS
    return {k: float(v) for k, v in out.items()}


def drift(features: list[str], x_ref: np.ndarray, x_cur: np.ndarray) -> dict:
    """Evidently-compatible auto drift: reference <= 1000 rows and > 5 distinct values -> KS."""
    assert x_ref.shape[0] <= 1000
    columns = {}
    for i, name in enumerate(features):
        r, c = x_ref[:, i], x_cur[:, i]
        assert np.isfinite(r).all() and np.isfinite(c).all()
        assert len(np.unique(np.concatenate([r, c]))) > 5, name
        res = stats.ks_2samp(r, c, method="auto")
        columns[name] = {
            "method": "ks",
            "ks_statistic": float(res.statistic),
            "ks_pvalue": float(res.pvalue),
            "threshold": KS_THRESHOLD,
            "drift_detected": bool(res.pvalue <= KS_THRESHOLD),
        }
    drifted = sum(c["drift_detected"] for c in columns.values())
    share = drifted / len(columns)
    return {
        "method": "auto",
        "columns": columns,
        "columns_tested": len(columns),
        "drifted_columns": drifted,
        "drift_share": share,
        "drift_share_threshold": DRIFT_SHARE,
        "dataset_drift": share >= DRIFT_SHARE,
    }


def data_quality(features: list[str], x_ref: np.ndarray, x_cur: np.ndarray, y_cur: np.ndarray) -> dict:
    """Data-quality numbers of current vs reference (no missing values in this data set)."""
    rows = np.column_stack([x_cur, y_cur.astype(np.float64)])
    duplicates = x_cur.shape[0] - len({tuple(r) for r in rows.tolist()})
    columns = {}
    for i, name in enumerate(features):
        r, c = x_ref[:, i], x_cur[:, i]
        lo, hi = float(r.min()), float(r.max())
        out = int(((c < lo) | (c > hi)).sum())
        columns[name] = {
            "null_fraction": 0.0,
            "min": float(c.min()),
            "max": float(c.max()),
            "out_of_range_share": out / len(c),
        }
    return {
        "row_count": int(x_cur.shape[0]),
        "column_count": len(features) + 1,
        "duplicate_rows": duplicates,
        "columns": columns,
        "max_out_of_range_share": max(c["out_of_range_share"] for c in columns.values()),
    }


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
        assert list(model.classes_) == CLASSES

    # Exactly what a consumer of current.csv feeds the models: f64 parsed, cast to f32.
    x32 = np.ascontiguousarray(x_csv.astype(np.float32))
    results: dict[str, dict[str, float]] = {}
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

    cand, base = results["candidate"], results["baseline"]
    assert cand["accuracy"] > base["accuracy"], (cand["accuracy"], base["accuracy"])
    assert cand["f1"] > base["f1"], (cand["f1"], base["f1"])

    drift_result = drift(features, x_ref, x_cur)
    quality = data_quality(features, x_ref, x_cur, y_cur)
    # gate.toml: both data checks pass on this split.
    assert not drift_result["dataset_drift"], drift_result
    assert quality["duplicate_rows"] == 0 and quality["max_out_of_range_share"] <= 0.1, quality

    expected = {
        "generated_by": "generate.py",
        "versions": {p: version(p) for p in PACKAGES},
        "datasets": {
            "reference": {"rows": int(x_ref.shape[0]), "columns": len(features) + 1},
            "current": {"rows": int(x_cur.shape[0]), "columns": len(features) + 1},
        },
        "models": results,
        "drift": drift_result,
        "data_quality": quality,
    }
    with (HERE / "expected.json").open("w") as f:
        json.dump(expected, f, indent=2)
        f.write("\n")

    print(f"reference: {x_ref.shape[0]} rows, current: {x_cur.shape[0]} rows, "
          f"{len(features)} features + {TARGET!r}")
    print(f"{'metric':<19} {'candidate':>20} {'baseline':>20}")
    for m in METRICS:
        print(f"{m:<19} {cand[m]:>20.12f} {base[m]:>20.12f}")
    print(f"drift: {drift_result['drifted_columns']}/{drift_result['columns_tested']} columns drifted; "
          f"max out-of-range share {quality['max_out_of_range_share']:.4f}")
    for p in [ref_path, cur_path, MODELS / "candidate.onnx", MODELS / "baseline.onnx",
              HERE / "expected.json"]:
        print(f"{p.relative_to(HERE)}: {p.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
