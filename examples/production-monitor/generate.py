#!/usr/bin/env python3
"""Generate examples/production-monitor/: four weeks of a churn model's production log, with a known
drift onset and late labels, the labelled training data it was fitted on, and the model.

- reference.csv: 4,000 customers of the training period (labels complete).
- current.csv: the production log, 2026-11-02 to 2026-11-29 (UTC), 250 scored customers a day,
  rows in arrival order with a little jitter (the log is not sorted). From DRIFT_ONSET on, a new
  customer segment arrives (shorter tenure, higher charges, more support calls) for which the old
  relationship between features and churn no longer holds.
- Late labels: churn is known 7 days after scoring. The last 3 days have no label yet; days 4-7
  before the end have labels for half of their rows. Unlabelled rows have an empty `churned`.
- models/churn.onnx: logistic regression fitted on the reference.

expected.json records what the generator knows: the drift onset, the rows and labelled rows per
day, and the model's realized ROC AUC per day where labels exist (scikit-learn's roc_auc_score on onnxruntime's
probabilities, float32 inputs as the gate feeds them). The e2e test checks the monitor's windows against it.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import common  # noqa: E402

SEED = 20261202
FEATURES = ["tenure_months", "monthly_charges", "support_calls", "usage_gb", "age"]
START = datetime(2026, 11, 2, tzinfo=timezone.utc)  # a Monday
DAYS = 28
PER_DAY = 250
DRIFT_ONSET = 19  # day index (0-based): 2026-11-21
NO_LABELS_DAYS = 3
HALF_LABELS_DAYS = 4


def customers(rng: np.random.Generator, n: int, shifted: bool) -> np.ndarray:
    tenure = rng.gamma(2.0, 12.0, n) if not shifted else rng.gamma(1.2, 6.0, n)
    charges = rng.normal(65.0, 18.0, n) if not shifted else rng.normal(95.0, 15.0, n)
    calls = rng.poisson(1.2 if not shifted else 3.0, n).astype(float)
    usage = rng.lognormal(3.0, 0.5, n)
    age = rng.normal(45.0, 12.0, n).clip(18, 90)
    return np.column_stack([tenure.round(1), charges.round(2), calls, usage.round(2), age.round()])


def churn(rng: np.random.Generator, x: np.ndarray, shifted: bool) -> np.ndarray:
    tenure, charges, calls, usage, age = x.T
    if not shifted:
        logit = -0.06 * tenure + 0.035 * (charges - 65) + 0.55 * (calls - 1.2) - 0.8
    else:
        # The new segment churns for reasons the model never saw: usage, not charges or calls.
        logit = -0.02 * tenure - 0.05 * (usage - 20) - 0.02 * (charges - 95) - 0.2
    return (rng.random(len(x)) < 1 / (1 + np.exp(-logit))).astype(int)


def main() -> None:
    rng = np.random.default_rng(SEED)
    x_ref = customers(rng, 4000, False)
    y_ref = churn(rng, x_ref, False)
    ref_times = [
        (START - timedelta(days=60) + timedelta(seconds=int(s))).strftime("%Y-%m-%dT%H:%M:%SZ")
        for s in np.sort(rng.integers(0, 56 * 86400, len(x_ref)))
    ]
    model = LogisticRegression(max_iter=1000).fit(x_ref, y_ref)
    models = HERE / "models"
    models.mkdir(exist_ok=True)
    common.to_onnx(model, models / "churn.onnx", len(FEATURES), 2)

    rows, days = [], []
    for day in range(DAYS):
        shifted = day >= DRIFT_ONSET
        x = customers(rng, PER_DAY, shifted)
        y = churn(rng, x, shifted).astype(object)
        seconds = np.sort(rng.integers(0, 86400, PER_DAY))
        labelled = np.ones(PER_DAY, dtype=bool)
        if day >= DAYS - NO_LABELS_DAYS:
            labelled[:] = False
        elif day >= DAYS - NO_LABELS_DAYS - HALF_LABELS_DAYS:
            labelled = rng.random(PER_DAY) < 0.5
        y[~labelled] = None
        entry = {"day": (START + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ"), "rows": PER_DAY,
                 "labelled_rows": int(labelled.sum())}
        if labelled.any():
            _, proba = common.run_onnx(models / "churn.onnx", x[labelled].astype(np.float32), 2)
            proba = proba[:, 1].astype(np.float64)
            entry["roc_auc"] = float(roc_auc_score(y[labelled].astype(int), proba))
        days.append(entry)
        for i in range(PER_DAY):
            t = START + timedelta(days=day, seconds=int(seconds[i]))
            rows.append((t, x[i], y[i]))
    # Arrival order with jitter: rows a few minutes apart may come out of order.
    order = np.argsort([r[0].timestamp() + rng.uniform(0, 900) for r in rows], kind="stable")
    rows = [rows[i] for i in order]

    data = HERE / "data"
    data.mkdir(exist_ok=True)

    def columns(times, x, y):
        cols = {"ts": times}
        for j, f in enumerate(FEATURES):
            cols[f] = [float(v) if f != "support_calls" else int(v) for v in x[:, j]]
        cols["churned"] = list(y)
        return cols

    common.write_csv(data / "reference.csv", columns(ref_times, x_ref, y_ref))
    common.write_csv(
        data / "current.csv",
        columns(
            [r[0].strftime("%Y-%m-%dT%H:%M:%SZ") for r in rows],
            np.array([r[1] for r in rows]),
            [r[2] for r in rows],
        ),
    )
    common.write_json(HERE / "expected.json", {
        "packages": common.package_versions(["numpy", "scikit-learn", "skl2onnx", "onnx", "onnxruntime"]),
        "drift_onset": days[DRIFT_ONSET]["day"],
        "days": days,
    })
    print(f"reference: {len(x_ref)} rows; log: {len(rows)} rows over {DAYS} days; drift from {days[DRIFT_ONSET]['day']}")
    for d in days:
        print(f"  {d['day']}  labelled {d['labelled_rows']:>3}  roc_auc {d.get('roc_auc', float('nan')):.3f}")


if __name__ == "__main__":
    main()
