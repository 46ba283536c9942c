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

Data files, split, ONNX export/inference and expected.json: the shared examples/common.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy import stats
from sklearn.datasets import load_wine
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # examples/common.py
import common  # noqa: E402

DATA = HERE / "data"
MODELS = HERE / "models"

TARGET = "label"
CLASSES = [0, 1, 2]
N_FEATURES = 13
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


def load_data() -> tuple[list[str], np.ndarray, np.ndarray]:
    bunch = load_wine()
    features = [common.snake_case(n) for n in bunch.feature_names]
    assert len(features) == N_FEATURES and len(set(features)) == N_FEATURES, features
    assert "od280_od315_of_diluted_wines" in features
    x = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target).astype(np.int64)
    assert sorted(set(y.tolist())) == CLASSES
    return features, x, y


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
        "log_loss": common.log_loss_f64(y, proba, CLASSES),
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
    return {"method": "auto", **common.dataset_drift(columns, DRIFT_SHARE)}


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
    x_ref, x_cur, y_ref, y_cur = common.split(x, y, stratify=True)

    ref_path = DATA / "reference.parquet"
    cur_path = DATA / "current.csv"
    x_csv, y_csv = common.write_split(ref_path, cur_path, features, TARGET, x_ref, y_ref, x_cur, y_cur)

    models = common.fit(common.logistic_and_tree(common.MODEL_SEED), x_ref, y_ref, CLASSES)

    outputs = common.export_and_run(models, MODELS, x_csv, n_classes=len(CLASSES))
    results = {name: metrics(y_csv, label, proba) for name, (label, proba) in outputs.items()}

    cand, base = results["candidate"], results["baseline"]
    assert cand["accuracy"] > base["accuracy"], (cand["accuracy"], base["accuracy"])
    assert cand["f1"] > base["f1"], (cand["f1"], base["f1"])

    drift_result = drift(features, x_ref, x_cur)
    quality = data_quality(features, x_ref, x_cur, y_cur)
    # gate.toml: both data checks pass on this split.
    assert not drift_result["dataset_drift"], drift_result
    assert quality["duplicate_rows"] == 0 and quality["max_out_of_range_share"] <= 0.1, quality

    expected = {
        **common.expected_head(common.MODEL_PACKAGES, int(x_ref.shape[0]), int(x_cur.shape[0]), len(features) + 1),
        "models": results,
        "drift": drift_result,
        "data_quality": quality,
    }
    common.write_json(HERE / "expected.json", expected)

    common.print_split(x_ref.shape[0], x_cur.shape[0], len(features), TARGET)
    common.print_metrics(results, METRICS, width=19)
    print(f"drift: {drift_result['drifted_columns']}/{drift_result['columns_tested']} columns drifted; "
          f"max out-of-range share {quality['max_out_of_range_share']:.4f}")
    common.print_sizes([ref_path, cur_path, MODELS / "candidate.onnx", MODELS / "baseline.onnx",
                        HERE / "expected.json"], HERE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
