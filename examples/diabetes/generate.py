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

Data files, split, ONNX export/inference and expected.json: the shared examples/common.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.metrics import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    r2_score,
    root_mean_squared_error,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # examples/common.py
import common  # noqa: E402

DATA = HERE / "data"
MODELS = HERE / "models"

TARGET = "progression"
FEATURES = ["age", "sex", "bmi", "bp", "tc", "ldl", "hdl", "tch", "ltg", "glu"]
SKLEARN_NAMES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
METRICS = ["rmse", "mae", "r2", "mape"]


def load_data() -> tuple[np.ndarray, np.ndarray]:
    bunch = load_diabetes(scaled=False)
    assert list(bunch.feature_names) == SKLEARN_NAMES, bunch.feature_names
    x = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target, dtype=np.float64)
    return x, y


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
    x_ref, x_cur, y_ref, y_cur = common.split(x, y, stratify=False)

    ref_path = DATA / "reference.parquet"
    cur_path = DATA / "current.csv"
    x_csv, y_csv = common.write_split(ref_path, cur_path, FEATURES, TARGET, x_ref, y_ref, x_cur, y_cur)

    baseline = DecisionTreeRegressor(max_depth=2, random_state=common.MODEL_SEED)
    candidate = Pipeline([("scaler", StandardScaler()), ("ridge", Ridge(alpha=1.0))])
    models = common.fit({"candidate": candidate, "baseline": baseline}, x_ref, y_ref)

    outputs = common.export_and_run(models, MODELS, x_csv)
    results = {name: metrics(y_csv, pred) for name, pred in outputs.items()}

    cand, base = results["candidate"], results["baseline"]
    assert cand["rmse"] < base["rmse"], (cand["rmse"], base["rmse"])
    assert cand["r2"] > base["r2"], (cand["r2"], base["r2"])

    expected = {
        **common.expected_head(common.MODEL_PACKAGES, int(x_ref.shape[0]), int(x_cur.shape[0]), len(FEATURES) + 1),
        "models": results,
    }
    common.write_json(HERE / "expected.json", expected)

    common.print_split(x_ref.shape[0], x_cur.shape[0], len(FEATURES), TARGET)
    common.print_metrics(results, METRICS)
    common.print_sizes([ref_path, cur_path, MODELS / "candidate.onnx", MODELS / "baseline.onnx",
                        HERE / "expected.json"], HERE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
