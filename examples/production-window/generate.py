#!/usr/bin/env python3
"""Regenerate the bundled production-window example of modelgate (monitoring, no models).

Run with the repo's venv python (see generate.sh, which sets it up):

    examples/production-window/generate.sh

A credit-application feed: the window the production model was trained on, and last week's
production window, which has clearly drifted and brings data-quality problems with it. Writes,
next to this file:

    data/reference.parquet   2,000 applications of the training period (seeded synthetic data)
    data/current.csv         1,000 applications of the current window:
                               - annual_income lower, and 6% of it missing (null)
                               - loan_amount 40% higher, partly above anything seen before
                               - employment_type mix shifted
                               - channel: a new "mobile_app" channel (unseen category)
                               - 15 rows of a batch replayed twice (full-row duplicates)
                             applicant_age, credit_score and num_open_loans are stable.
    expected.json            the drift numbers (Evidently-compatible auto methods: the reference
                             has > 1000 rows, so normed Wasserstein for numeric columns with > 5
                             values, Jensen-Shannon otherwise; PSI where gate.toml asks for it)
                             and the data-quality numbers, computed here with numpy/scipy, and
                             the verdict the gate must reach: reject.

Shared with the other generators (examples/common.py): the CSV/Parquet conventions, the drift
primitives (binned shares, Wasserstein, Jensen-Shannon, PSI; also used by
tests/reference/make_reference.py), expected.json writing.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # examples/common.py
import common  # noqa: E402

DATA = HERE / "data"

SEED = 20260315
N_REFERENCE = 2000
N_CURRENT = 1000
N_REPLAYED = 15
PACKAGES = ["numpy", "scipy", "pyarrow"]

# name -> kind (common.ARROW_TYPES: int64, float64, string); the file order.
COLUMNS = {
    "applicant_age": "int",
    "annual_income": "float",
    "loan_amount": "float",
    "credit_score": "int",
    "num_open_loans": "int",
    "employment_type": "str",
    "channel": "str",
}
EMPLOYMENT = ["salaried", "self_employed", "contractor", "unemployed"]
CHANNELS = ["branch", "web", "partner"]

# gate.toml's settings, mirrored here to compute the expected decisions.
DRIFT_SHARE = 0.5
DEFAULT_THRESHOLD = {"wasserstein": 0.1, "jensen_shannon": 0.1, "psi": 0.1}
PER_COLUMN = {"loan_amount": ("psi", 0.2)}  # [checks.config.columns.loan_amount]
ALLOWED_VALUES = {"channel": CHANNELS}  # [checks.config.columns.channel] allowed_values
VALUE_BOUNDS = {"applicant_age": (18, 100)}  # [checks.config.columns.applicant_age] min, max
QUALITY_LIMITS = {
    "duplicate_rows": 0,
    "null_fraction": 0.01,
    "out_of_range_share": 0.02,
    "unseen_share": 0.01,
}
SCORE_METRIC = {"wasserstein": "wasserstein_normed", "jensen_shannon": "jensen_shannon", "psi": "psi"}


def generate(rng: np.random.Generator, n: int, current: bool) -> dict[str, list]:
    income_scale = 0.85 if current else 1.0
    loan_scale = 1.4 if current else 1.0
    employment_p = [0.45, 0.2, 0.2, 0.15] if current else [0.65, 0.15, 0.15, 0.05]
    channels = CHANNELS + ["mobile_app"] if current else CHANNELS
    channel_p = [0.3, 0.35, 0.1, 0.25] if current else [0.4, 0.45, 0.15]
    cols: dict[str, list] = {
        "applicant_age": [int(v) for v in np.clip(rng.normal(42, 12, n), 21, 75).round()],
        "annual_income": [float(v) for v in np.round(rng.lognormal(10.8, 0.45, n) * income_scale, 2)],
        "loan_amount": [float(v) for v in np.round(rng.gamma(3.0, 4000.0, n) * loan_scale, 2)],
        "credit_score": [int(v) for v in np.clip(rng.normal(680, 55, n), 300, 850).round()],
        "num_open_loans": [int(v) for v in rng.choice([0, 1, 2, 3, 4], size=n, p=[0.3, 0.3, 0.2, 0.15, 0.05])],
        "employment_type": [str(v) for v in rng.choice(EMPLOYMENT, size=n, p=employment_p)],
        "channel": [str(v) for v in rng.choice(channels, size=n, p=channel_p)],
    }
    if current:
        missing = rng.choice(n, size=int(0.06 * n), replace=False)
        for i in missing:
            cols["annual_income"][i] = None
    return cols


def replay(cols: dict[str, list], n_rows: int) -> None:
    """Append a copy of the last n_rows rows: a batch ingested twice."""
    n = len(cols["channel"])
    for c in cols:
        cols[c].extend(cols[c][n - n_rows:])


# --- drift, as Evidently 0.7 computes it (see tests/reference/make_reference.py) ---------------


def cleaned(values: list) -> list:
    """+-inf -> NaN, NaN and null dropped."""
    return [v for v in values if v is not None and not (isinstance(v, float) and not math.isfinite(v))]


def shares(ref: list, cur: list, kind: str, feel_zeroes: bool) -> tuple[np.ndarray, np.ndarray]:
    if kind != "str" and len(set(ref)) > 20:
        rp, cp = common.sturges_shares(np.asarray(ref, dtype=np.float64), np.asarray(cur, dtype=np.float64))
    else:
        keys = sorted(set(ref) | set(cur))
        rp = np.array([ref.count(k) / len(ref) for k in keys])
        cp = np.array([cur.count(k) / len(cur) for k in keys])
    if feel_zeroes:
        common.fill_zero_shares(rp, cp)
    return rp, cp


def drift_values(method: str, ref: list, cur: list, kind: str) -> dict[str, float]:
    if method == "wasserstein":
        r, c = np.asarray(ref, dtype=np.float64), np.asarray(cur, dtype=np.float64)
        return {"wasserstein_normed": common.wasserstein_normed(r, c)}
    if method == "jensen_shannon":
        return {"jensen_shannon": common.jensen_shannon(*shares(ref, cur, kind, feel_zeroes=False))}
    assert method == "psi"
    return {"psi": common.psi(*shares(ref, cur, kind, feel_zeroes=True))}


def drift(ref_cols: dict[str, list], cur_cols: dict[str, list]) -> dict:
    columns = {}
    for c, kind in COLUMNS.items():
        ref, cur = cleaned(ref_cols[c]), cleaned(cur_cols[c])
        assert len(ref) > 1000
        n_values = len(set(ref) | set(cur))
        auto = "wasserstein" if kind != "str" and n_values > 5 else "jensen_shannon"
        method, threshold = PER_COLUMN.get(c, (auto, DEFAULT_THRESHOLD[auto]))
        values = drift_values(method, ref, cur, kind)
        score = values[SCORE_METRIC[method]]
        columns[c] = {
            "method": method,
            "auto_method": auto,
            **values,
            "threshold": threshold,
            "drift_detected": score >= threshold,
            "reference_n": len(ref),
            "current_n": len(cur),
        }
    return common.dataset_drift(columns, DRIFT_SHARE)


# --- data quality -------------------------------------------------------------------------------


def data_quality(ref_cols: dict[str, list], cur_cols: dict[str, list]) -> dict:
    n = len(cur_cols["channel"])
    rows = list(zip(*(cur_cols[c] for c in COLUMNS)))
    duplicates = n - len(set(rows))  # no NaN in this data: tuple equality is pandas' duplicated()
    columns = {}
    for c, kind in COLUMNS.items():
        cur = cur_cols[c]
        present = [v for v in cur if v is not None]
        col = {"null_fraction": (n - len(present)) / n}  # nulls / rows
        ref_present = [v for v in ref_cols[c] if v is not None]
        # The data-quality plugin's auto kind: text, and integers with <= 20 distinct reference
        # values, are categorical (unseen_*); other numbers are numeric (out_of_range_*).
        categorical = kind == "str" or (kind == "int" and len(set(ref_present)) <= 20)
        col["kind"] = "categorical" if categorical else "numeric"
        if kind != "str":
            col["min"] = float(min(present))
            col["max"] = float(max(present))
        if categorical:
            seen = set(ref_present)
            unseen = [v for v in present if v not in seen]
            col["unseen_categories"] = len(set(unseen))
            col["unseen_values"] = sorted(str(v) for v in set(unseen))
            col["unseen_share"] = len(unseen) / len(present)  # over non-null rows
            if c in ALLOWED_VALUES:
                col["not_allowed_values"] = sum(1 for v in present if v not in ALLOWED_VALUES[c])
        else:
            # No NaN or inf in this data: the present values are the finite ones.
            lo, hi = min(ref_present), max(ref_present)
            col["out_of_range_share"] = sum(1 for v in present if v < lo or v > hi) / len(present)
            if c in VALUE_BOUNDS:
                bmin, bmax = VALUE_BOUNDS[c]
                col["below_min"] = sum(1 for v in present if v < bmin)
                col["above_max"] = sum(1 for v in present if v > bmax)
        columns[c] = col
    return {
        "row_count": n,
        "column_count": len(COLUMNS),
        "duplicate_rows": duplicates,
        "duplicate_share": duplicates / n,
        "columns": columns,
    }


def quality_failures(q: dict) -> list[str]:
    out = []
    if q["duplicate_rows"] > QUALITY_LIMITS["duplicate_rows"]:
        out.append(f"duplicate_rows {q['duplicate_rows']}")
    for c, col in q["columns"].items():
        for key in ("null_fraction", "out_of_range_share", "unseen_share"):
            if key in col and col[key] > QUALITY_LIMITS[key]:
                out.append(f"{c}: {key} {col[key]:.4f}")
        if col.get("not_allowed_values"):
            out.append(f"{c}: not_allowed_values {col['not_allowed_values']}")
        if col.get("below_min") or col.get("above_max"):
            out.append(f"{c}: {col['below_min']} values below min, {col['above_max']} above max")
    return out


def main() -> int:
    DATA.mkdir(exist_ok=True)
    rng = np.random.default_rng(SEED)
    ref = generate(rng, N_REFERENCE, current=False)
    cur = generate(rng, N_CURRENT - N_REPLAYED, current=True)
    replay(cur, N_REPLAYED)

    ref_path = DATA / "reference.parquet"
    cur_path = DATA / "current.csv"
    common.write_parquet(ref_path, ref, COLUMNS)
    common.write_csv(cur_path, cur)

    # Check the written files read back exactly.
    table = pq.read_table(ref_path)
    assert table.column_names == list(COLUMNS) and table.to_pydict() == ref
    cur_read = common.read_csv(cur_path, COLUMNS)
    assert cur_read == cur

    drift_result = drift(ref, cur_read)
    quality = data_quality(ref, cur_read)
    failures = quality_failures(quality)
    # The point of the example: both checks flag the window.
    assert drift_result["dataset_drift"], drift_result
    assert failures, quality
    drifted = [c for c, v in drift_result["columns"].items() if v["drift_detected"]]
    assert drifted == ["annual_income", "loan_amount", "employment_type", "channel"], drifted

    expected = {
        **common.expected_head(PACKAGES, N_REFERENCE, N_CURRENT, len(COLUMNS)),
        "drift": drift_result,
        "data_quality": quality,
        "verdict": "reject",
        "failing_checks": {
            "drift": f"{len(drifted)} of {len(COLUMNS)} columns drifted: {', '.join(drifted)}",
            "data-quality": "; ".join(failures),
        },
    }
    common.write_json(HERE / "expected.json", expected)

    print(f"reference: {N_REFERENCE} rows, current: {N_CURRENT} rows, {len(COLUMNS)} columns")
    for c, v in drift_result["columns"].items():
        score = v[SCORE_METRIC[v["method"]]]
        print(f"  {c:<16} {v['method']:<15} {score:.6f}  drift={v['drift_detected']}")
    print(f"drift share {drift_result['drift_share']:.3f}; data quality: {'; '.join(failures)}")
    common.print_sizes([ref_path, cur_path, HERE / "expected.json"], HERE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
