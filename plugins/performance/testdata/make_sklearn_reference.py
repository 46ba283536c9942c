"""Writes sklearn_reference.json: small deterministic datasets and the metrics scikit-learn
computes on them, for the `sklearn_reference` unit test of the performance plugin.

    python make_sklearn_reference.py   # needs numpy and scikit-learn (1.7)

The sizes exceed numpy's pairwise-summation block (128) so that the test exercises the same
summation order as numpy.
"""
import json
from pathlib import Path

import numpy as np
import sklearn
from sklearn import metrics as M

rng = np.random.default_rng(20240607)


def binary():
    n = 257
    y = (rng.random(n) < 0.4).astype(int)
    # Scores with ties (two decimals), a few exact 0 / 1 to exercise log-loss clipping.
    p1 = np.clip(np.round(0.3 + 0.35 * y + rng.normal(0, 0.2, n), 2), 0, 1)
    p1[:3] = [0.0, 1.0, 1.0]
    pred = (p1 >= 0.5).astype(int)
    proba = np.column_stack([1 - p1, p1])
    return {
        "y_true": y.tolist(),
        "y_pred": pred.tolist(),
        "proba": proba.tolist(),
        "classes": [0, 1],
        "expected": {
            "accuracy": M.accuracy_score(y, pred),
            "precision": M.precision_score(y, pred, zero_division=0),
            "recall": M.recall_score(y, pred, zero_division=0),
            "f1": M.f1_score(y, pred, zero_division=0),
            "roc_auc": M.roc_auc_score(y, p1),
            "pr_auc": M.average_precision_score(y, p1),
            "log_loss": M.log_loss(y, proba, labels=[0, 1]),
            "brier": M.brier_score_loss(y, p1),
        },
    }


def multiclass():
    n = 300
    classes = ["a", "b", "c", "d"]
    y = rng.integers(0, 4, n)
    logits = rng.normal(0, 1, (n, 4))
    logits[np.arange(n), y] += 1.5
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    pred = proba.argmax(axis=1)
    y_s = [classes[i] for i in y]
    pred_s = [classes[i] for i in pred]
    # A label that is only ever predicted (sklearn counts it in the macro average).
    pred_s[7] = "e"
    avg = lambda f, a: f(y_s, pred_s, average=a, zero_division=0)
    return {
        "y_true": y_s,
        "y_pred": pred_s,
        "proba": proba.tolist(),
        "classes": classes,
        "expected": {
            "accuracy": M.accuracy_score(y_s, pred_s),
            "precision": avg(M.precision_score, "macro"),
            "recall": avg(M.recall_score, "macro"),
            "f1": avg(M.f1_score, "macro"),
            "precision_weighted": avg(M.precision_score, "weighted"),
            "recall_weighted": avg(M.recall_score, "weighted"),
            "f1_weighted": avg(M.f1_score, "weighted"),
            "log_loss": M.log_loss(y_s, proba, labels=classes),
        },
    }


def regression():
    n = 600
    y = rng.normal(10, 5, n)
    y[:5] = 0.0  # mape's eps guard
    p = y + rng.normal(0, 2, n)
    return {
        "y_true": y.tolist(),
        "y_pred": p.tolist(),
        "expected": {
            "rmse": M.root_mean_squared_error(y, p),
            "mae": M.mean_absolute_error(y, p),
            "r2": M.r2_score(y, p),
            "mape": M.mean_absolute_percentage_error(y, p),
        },
    }


doc = {
    "generated_by": f"make_sklearn_reference.py with scikit-learn {sklearn.__version__}, numpy {np.__version__}",
    "binary": binary(),
    "multiclass": multiclass(),
    "regression": regression(),
}
out = Path(__file__).with_name("sklearn_reference.json")
out.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
print(f"wrote {out} ({out.stat().st_size} bytes)")
