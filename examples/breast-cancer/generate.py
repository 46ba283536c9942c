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

Data files, split, ONNX export/inference and expected.json: the shared examples/common.py.
"""

from __future__ import annotations

import sys
import warnings
from bisect import bisect_right
from decimal import Decimal, localcontext
from pathlib import Path

import numpy as np
from scipy import stats
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # examples/common.py
import common  # noqa: E402

DATA = HERE / "data"
MODELS = HERE / "models"

TARGET = "label"
CLASSES = [0, 1]
METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier"]


# Paired bootstrap bounds as the performance check computes them with `confidence` (its
# SplitMix64 stream, numpy linear percentiles): an independent re-implementation, for both
# `bootstrap_method`s (rows drawn with replacement, or Poisson(1) weights through sample_weight).
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


def poisson_thresholds() -> list[int]:
    """P(X <= k) * 2^32 for X ~ Poisson(1), rounded, up to the first that rounds to 2^32
    (exclusive), from the series with 50 significant digits."""
    with localcontext() as ctx:
        ctx.prec = 50
        e, term, cdf, out = Decimal(-1).exp(), Decimal(1), Decimal(0), []
        for k in range(64):
            if k:
                term /= k
            cdf += e * term
            t = int((cdf * 2**32).to_integral_value())
            if t >= 2**32:
                return out
            out.append(t)
    raise AssertionError("the thresholds reach 2^32 within 64 terms")


def weighted_metrics(y: np.ndarray, label: np.ndarray, proba32: np.ndarray, w: np.ndarray) -> dict[str, float]:
    """The bootstrap's metrics of rows weighted by w (scikit-learn's sample_weight)."""
    proba = proba32.astype(np.float64)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The y_prob values do not sum to one")
        ll = log_loss(y, proba, labels=CLASSES, sample_weight=w)
    return {
        "accuracy": float(accuracy_score(y, label, sample_weight=w)),
        "roc_auc": float(roc_auc_score(y, proba[:, 1], sample_weight=w)),
        "log_loss": float(ll),
    }


def bootstrap_bounds(y, outputs, method: str) -> dict:
    """`rows`: n row indices a resample, (x * n) >> 64 of each output. `poisson`: a weight is
    the number of thresholds at or below 32 bits of the stream, two an output (low half
    first), drawn for the rows in descending order of the candidate's score (roc_auc is
    bounded), ties in row order."""
    n = len(y)
    rng = splitmix64(BOOTSTRAP["seed"])
    thresholds = poisson_thresholds()
    score = outputs["candidate"][1][:, 1].astype(np.float64)
    position_row = np.lexsort((np.arange(n), -score))
    draws = {m: {"candidate": [], "baseline": []} for m in BOOTSTRAP["metrics"]}
    for _ in range(BOOTSTRAP["samples"]):
        if method == "rows":
            rows = np.array([(next(rng) * n) >> 64 for _ in range(n)])
        else:
            words = [next(rng) for _ in range((n + 1) // 2)]
            w = np.zeros(n, dtype=np.int64)
            for p, row in enumerate(position_row):
                w[row] = bisect_right(thresholds, (words[p // 2] >> (32 * (p % 2))) & 0xFFFFFFFF)
        for name, (label, proba) in outputs.items():
            if method == "rows":
                values = metrics(y[rows], label[rows], proba[rows])
            else:
                values = weighted_metrics(y, label, proba, w)
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


LOW_CONFIDENCE = 0.6


def z_test(ref: np.ndarray, cur: np.ndarray) -> dict:
    """Evidently's two-proportion z-test: 1 for any value but the smallest, pooled variance,
    two-sided normal p-value; drift when p < 0.05."""
    first = min(np.unique(np.concatenate([ref, cur])))
    x1, x2 = (ref != first).astype(np.float64), (cur != first).astype(np.float64)
    n1, n2 = len(x1), len(x2)
    p1, p2 = x1.sum() / n1, x2.sum() / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    p = 2 * (1 - stats.norm.cdf(abs(z)))
    return {"z_statistic": float(z), "z_pvalue": float(p), "drift_detected": bool(p < 0.05)}


SLICE_COLUMN = "mean_radius"
SLICE_EDGES = [0, 14, 30]


def load_data() -> tuple[list[str], np.ndarray, np.ndarray]:
    bunch = load_breast_cancer()
    features = [common.snake_case(n) for n in bunch.feature_names]
    assert len(features) == 30 and len(set(features)) == 30, features
    x = np.asarray(bunch.data, dtype=np.float64)
    # sklearn: 0 = malignant, 1 = benign. Here: 1 = malignant (the positive class).
    y = (1 - np.asarray(bunch.target)).astype(np.int64)
    assert set(bunch.target_names) == {"malignant", "benign"}
    assert bunch.target_names[0] == "malignant"
    return features, x, y


def metrics(y: np.ndarray, label: np.ndarray, proba32: np.ndarray) -> dict[str, float]:
    proba = proba32.astype(np.float64)
    p1 = proba[:, 1]
    out = {
        "accuracy": accuracy_score(y, label),
        "precision": precision_score(y, label, pos_label=1, zero_division=0),
        "recall": recall_score(y, label, pos_label=1, zero_division=0),
        "f1": f1_score(y, label, pos_label=1, zero_division=0),
        "roc_auc": roc_auc_score(y, p1),
        "log_loss": common.log_loss_f64(y, proba, CLASSES),
        "brier": brier_score_loss(y, p1, pos_label=1),
    }
    assert list(out) == METRICS
    return {k: float(v) for k, v in out.items()}


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

    # Prediction drift (reference vs current predictions, Evidently's two-proportion z-test for
    # two labels) and confidence (top-class probability on current) of each model, as the drift
    # check's [checks.config.prediction] computes them.
    prediction = {}
    for name in models:
        ref_label, _ = common.run_onnx(MODELS / f"{name}.onnx", x_ref.astype(np.float32), len(CLASSES))
        label, proba = outputs[name]
        top = proba.astype(np.float64).max(axis=1)
        prediction[name] = {
            **z_test(ref_label, label),
            "mean_confidence": float(np.mean(top)),
            "low_confidence_share": float(np.mean(top < LOW_CONFIDENCE)),
        }

    cand, base = results["candidate"], results["baseline"]
    assert cand["accuracy"] > base["accuracy"], (cand["accuracy"], base["accuracy"])
    assert cand["roc_auc"] > base["roc_auc"], (cand["roc_auc"], base["roc_auc"])

    expected = {
        **common.expected_head(common.MODEL_PACKAGES, int(x_ref.shape[0]), int(x_cur.shape[0]), len(features) + 1),
        "models": results,
        "slices": slices,
        "prediction": {"low_confidence": LOW_CONFIDENCE, "models": prediction},
        "bootstrap": {**{k: v for k, v in BOOTSTRAP.items() if k != "metrics"},
                      "bounds": bootstrap_bounds(y_csv, outputs, "rows"),
                      "poisson_bounds": bootstrap_bounds(y_csv, outputs, "poisson")},
    }
    common.write_json(HERE / "expected.json", expected)

    common.print_split(x_ref.shape[0], x_cur.shape[0], len(features), TARGET)
    common.print_metrics(results, METRICS)
    common.print_sizes([ref_path, cur_path, MODELS / "candidate.onnx", MODELS / "baseline.onnx",
                        HERE / "expected.json"], HERE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
