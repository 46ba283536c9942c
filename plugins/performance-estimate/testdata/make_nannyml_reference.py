"""Writes nannyml_reference.json: NannyML 0.13.1's CBPE estimates and sampling errors on a
generated binary case where NannyML decides to calibrate, for the `nannyml_reference` unit test.

NannyML needs its own environment (not the repo's .venv):

    python3 -m venv /tmp/nml-venv
    /tmp/nml-venv/bin/pip install "nannyml==0.13.1" "pandas<3" statsmodels
    NML_DISABLE_USAGE_LOGGING=1 /tmp/nml-venv/bin/python make_nannyml_reference.py

(statsmodels: NannyML imports it without declaring it; NML_DISABLE_USAGE_LOGGING: no telemetry.)
The scores are overconfident on purpose (a sharpened sigmoid), so that NannyML calibrates; the
analysis data is one chunk per day of a 10-day log, and every chunk is compared.
"""
import json
import os
from pathlib import Path

os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"

import nannyml as nml  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc"]
rng = np.random.default_rng(14)


def sample(n, days, shift):
    y = (rng.random(n) < 0.35 + shift).astype(int)
    z = -0.6 + 1.6 * y + rng.normal(0, 1.0, n)
    # Overconfident; no ties in the scores: NannyML walks tied scores row by row in argsort order
    # (no grouping), where scikit-learn (and this check) take a tied group as one ROC point.
    score = 1 / (1 + np.exp(-3.0 * z))
    ts = pd.Timestamp("2026-01-01") + pd.to_timedelta(np.sort(rng.integers(0, days * 86400, n)), unit="s")
    return pd.DataFrame({"ts": ts, "score": score, "pred": (score >= 0.5).astype(int), "y": y})


def main():
    ref = sample(2000, 10, 0.0)
    ana = sample(1500, 10, 0.1)
    est = nml.CBPE(
        problem_type="classification_binary",
        y_pred_proba="score",
        y_pred="pred",
        y_true="y",
        timestamp_column_name="ts",
        metrics=METRICS,
        chunk_period="D",
    )
    est.fit(ref)
    calibrated = bool(est.needs_calibration)
    assert calibrated, "NannyML decided not to calibrate: make the scores worse calibrated"
    df = est.estimate(ana.drop(columns=["y"])).filter(period="analysis").to_df()
    chunks = []
    for _, row in df.iterrows():
        start, end = row[("chunk", "start_index")], row[("chunk", "end_index")]
        chunk = {"start": int(start), "end": int(end)}
        for m in METRICS:
            chunk[m] = {"value": float(row[(m, "value")]), "sampling_error": float(row[(m, "sampling_error")])}
        chunks.append(chunk)
    out = {
        "nannyml": nml.__version__,
        "needs_calibration": calibrated,
        "reference": {"score": ref["score"].tolist(), "label": ref["y"].tolist(), "predicted": ref["pred"].tolist()},
        "analysis": {"score": ana["score"].tolist(), "predicted": ana["pred"].tolist()},
        "chunks": chunks,
    }
    path = Path(__file__).with_name("nannyml_reference.json")
    path.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {path}: {len(chunks)} chunks, NannyML {nml.__version__}")


if __name__ == "__main__":
    main()
