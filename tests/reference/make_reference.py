#!/usr/bin/env python3
"""Reference values for modelgate's drift and data-quality plugins, deterministically.

Run with the reference venv (see make_reference.sh, which creates <repo>/.venv-reference from
tests/reference/requirements.txt: the same numpy/scipy pins as tests/requirements.txt plus
Evidently, which needs pandas < 3):

    tests/reference/make_reference.sh

Writes, next to this file, small seeded datasets and the numbers the plugins must reproduce:

    data/drift_small_reference.csv     n = 500  -> Evidently's auto choice is KS / chi-square / z
    data/drift_small_current.csv       n = 400
    data/drift_large_reference.parquet n = 5000 -> normed Wasserstein / Jensen-Shannon
    data/drift_large_current.csv       n = 2000
    data/quality_reference.csv         clean-ish reference for the data-quality checks
    data/quality_current.parquet       nulls, NaN, inf, duplicate rows, a constant column,
                                       out-of-range values, unseen categories, a missing, an
                                       unexpected and a retyped column
    expected/drift_small.json
    expected/drift_large.json
    expected/quality.json

Data files follow the conventions of examples/common.py (shared with the examples' generators, and
imported from there): CSV floats are written with repr() (shortest round-trip form), NaN as "NaN",
+-inf as "inf"/"-inf" (what both polars and pandas parse as floats), a missing value as an empty
field (null for polars, NaN for pandas). Parquet keeps null and NaN apart. Floats are rounded to a few
decimals when generated, so the files stay small; the numbers below are computed from the files as
read back, not from the generator's arrays.

Expected JSON (every number finite; null where a value does not exist)
----------------------------------------------------------------------
Drift (expected/drift_*.json):

    {
      "case": "drift_small",
      "reference": "data/drift_small_reference.csv",     # relative to tests/reference/
      "current": "data/drift_small_current.csv",
      "columns": {
        "<column>": {
          "column_type": "numerical" | "categorical",     # numeric dtype -> numerical, text -> categorical
          "reference_n": 497, "current_n": 398,          # values left after inf -> NaN, NaN/null dropped
          "unique_values": 6,                              # distinct values of both samples together
          "auto": {                                         # what Evidently's auto-selection picks
            "method": "ks",                                 # modelgate's name: ks|chi2|z|wasserstein|jensen_shannon|psi
            "metric": "ks_pvalue",                          # the metric that is compared with the threshold
            "value": 0.0123,                                # = methods[method][metric]
            "threshold": 0.05,
            "drift_detected": true,
            "evidently": {"stattest_name": "K-S p_value", "stattest_threshold": 0.05,
                          "drift_score": 0.0123, "drift_detected": true}
          },
          "methods": {   # numerical: ks, wasserstein, jensen_shannon, psi (+ chi2 with <= 5 values, z with 2)
                         # categorical: chi2, jensen_shannon, psi (+ z with 2 values)
            "ks": {"ks_statistic": .., "ks_pvalue": .., "threshold": 0.05, "drift_detected": ..,
                   "evidently": {"stattest_name": "K-S p_value", "drift_score": .., "drift_detected": ..}},
            "chi2": {"chi2_statistic": .., "chi2_pvalue": .., ...},
            "z": {"z_statistic": .., "z_pvalue": .., ...},
            "wasserstein": {"wasserstein_normed": .., ...},
            "jensen_shannon": {"jensen_shannon": .., ...},
            "psi": {"psi": .., ...}
          }                                                 # "evidently": null where Evidently refuses
        }                                                   # the method (chi2/z on a numerical column)
      },
      "dataset": {"drift_share_threshold": 0.5, "columns_tested": 9, "drifted_columns": 4,
                  "drift_share": 0.444, "dataset_drift": false,
                  "evidently": {"number_of_columns": .., "number_of_drifted_columns": ..,
                                "share_of_drifted_columns": .., "dataset_drift": ..}},
      "versions": {"python": .., "numpy": .., "scipy": .., "pandas": .., "evidently": .., ...},
      "notes": ["..."]
    }

    Drift rules (Evidently 0.7 defaults): p-value methods drift when p <= threshold (ks) or
    p < threshold (chi2, z); distance methods when value >= threshold. "value" fields are computed
    directly with scipy/numpy; "evidently" holds Evidently's own result for the same column and
    method. Where they differ a note says why.

Data quality (expected/quality.json):

    {
      "case": "quality",
      "reference": "data/quality_reference.csv",
      "current": "data/quality_current.parquet",
      "columns": {                                       # current dataset, every current column
        "<column>": {
          "dtype": "int64" | "float64" | "string", "reference_dtype": ... | null, "dtype_mismatch": 0.0,
          "kind": "numeric" | "categorical",
          "rows": 300, "null_count": 3, "nan_count": 3, "inf_count": 2,
          "null_fraction": 0.01,            # nulls / rows (NaN is not null)
          "isna_fraction": 0.02,            # (nulls + NaN) / rows (pandas isna().mean())
          "distinct_values": 5,             # distinct non-null, non-NaN values
          "constant_column": 0.0,           # 1.0 if distinct_values <= 1
          "min": .., "max": ..,             # integer/float columns: over finite values
          "reference_min": .., "reference_max": .., "out_of_range_count": 4,
          "out_of_range_share": 0.0136,     # numeric kind with a reference column
          "unseen_categories": 2, "unseen_values": [..] (when <= 20), "unseen_count": 33,
          "unseen_share": 0.11,             # categorical kind with a reference column
          "allowed_values": [..], "not_allowed_values": 12   # only for columns in ALLOWED_VALUES
        }
      },
      "reference_columns": { the per-column keys above that need no reference, for the reference },
      "dataset": {"row_count": .., "column_count": .., "duplicate_rows": .., "duplicate_share": ..,
                  "missing_columns": [..], "unexpected_columns": [..], "dtype_mismatch": [..],
                  "constant_columns": [..]},
      "reference_dataset": {"row_count": .., "column_count": .., "duplicate_rows": .., "duplicate_share": ..},
      "evidently": {...},                 # Evidently's own numbers for comparison
      "versions": {...}, "notes": [...]
    }

    Definitions are those of plugins/data-quality (see its lib.rs and QUALITY_NOTES below):
    out_of_range_share = finite current values outside [reference finite min, reference finite max]
    / finite current values. unseen_categories = distinct non-null current values absent from the
    reference's non-null values; unseen_share = non-null current rows holding such a value /
    non-null current rows. duplicate_rows = pandas DataFrame.duplicated().sum() (rows equal to an
    earlier row, NaN == NaN, null == null), duplicate_share = duplicate_rows / rows.
"""

from __future__ import annotations

import math
import os
import platform
import sys
import warnings
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")  # Evidently's usage telemetry: off
# Evidently sums over Python sets of category values in places; fix string hashing so that its
# last-digit rounding (and so this script's output) is the same on every run.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable, *sys.argv])

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import stats

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "examples"))  # examples/common.py
import common  # noqa: E402

DATA = HERE / "data"
EXPECTED = HERE / "expected"

PACKAGES = ["numpy", "scipy", "pandas", "pyarrow", "evidently"]

# Evidently 0.7 defaults, by modelgate method name.
THRESHOLDS = {"ks": 0.05, "chi2": 0.05, "z": 0.05, "wasserstein": 0.1, "jensen_shannon": 0.1, "psi": 0.1}
EVIDENTLY_NAMES = {
    "ks": "ks",
    "chi2": "chisquare",
    "z": "z",
    "wasserstein": "wasserstein",
    "jensen_shannon": "jensenshannon",
    "psi": "psi",
}
SCORE_METRIC = {
    "ks": "ks_pvalue",
    "chi2": "chi2_pvalue",
    "z": "z_pvalue",
    "wasserstein": "wasserstein_normed",
    "jensen_shannon": "jensen_shannon",
    "psi": "psi",
}
NUMERIC_METHODS = ["ks", "wasserstein", "jensen_shannon", "psi"]
CATEGORICAL_METHODS = ["chi2", "jensen_shannon", "psi"]  # + "z" for two categories
DRIFT_SHARE = 0.5


# ---------------------------------------------------------------------------------------------
# Reading data files (they are written with common.write_csv and common.write_parquet)


def read(path: Path) -> pd.DataFrame:
    """Read a data file back as a consumer would (pandas defaults)."""
    if path.suffix == ".csv":
        return pd.read_csv(path)
    return pd.read_parquet(path)


def rounded(x: np.ndarray, decimals: int) -> list[float]:
    return [float(v) for v in np.round(x, decimals)]


def cats(rng: np.random.Generator, levels: list[str], p: list[float], n: int) -> list[str]:
    return [str(v) for v in rng.choice(levels, size=n, p=p)]


# ---------------------------------------------------------------------------------------------
# Datasets


def drift_small_data() -> tuple[dict, dict, dict]:
    rng = np.random.default_rng(20260301)
    n_ref, n_cur = 500, 400

    def with_gaps(values: list, n: int, nans: int, infs: int, nulls: int) -> list:
        out = list(values)
        idx = rng.choice(n, size=nans + infs + nulls, replace=False)
        for k, i in enumerate(idx):
            if k < nans:
                out[i] = float("nan")
            elif k < nans + infs:
                out[i] = float("inf") if k % 2 == 0 else float("-inf")
            else:
                out[i] = None
        return out

    ref = {
        "stable_normal": rounded(rng.normal(0.0, 1.0, n_ref), 4),
        "shifted_normal": rounded(rng.normal(10.0, 2.0, n_ref), 4),
        "with_missing": with_gaps(rounded(rng.lognormal(3.0, 0.5, n_ref), 3), n_ref, 4, 3, 2),
        "age": [int(v) for v in rng.integers(18, 80, n_ref)],
        "num_children": [int(v) for v in rng.choice([0, 1, 2, 3], size=n_ref, p=[0.4, 0.3, 0.2, 0.1])],
        "has_default": [int(v) for v in rng.choice([0, 1], size=n_ref, p=[0.9, 0.1])],
        "color": cats(rng, ["red", "green", "blue", "black"], [0.4, 0.3, 0.2, 0.1], n_ref),
        "segment": cats(rng, ["retail", "sme", "corporate"], [0.6, 0.3, 0.1], n_ref),
        "is_member": cats(rng, ["no", "yes"], [0.7, 0.3], n_ref),
    }
    cur = {
        "stable_normal": rounded(rng.normal(0.0, 1.0, n_cur), 4),
        "shifted_normal": rounded(rng.normal(10.6, 2.0, n_cur), 4),
        "with_missing": with_gaps(rounded(rng.lognormal(3.05, 0.5, n_cur), 3), n_cur, 3, 2, 3),
        "age": [int(v) for v in rng.integers(25, 85, n_cur)],
        "num_children": [int(v) for v in rng.choice([0, 1, 2, 3], size=n_cur, p=[0.4, 0.3, 0.2, 0.1])],
        "has_default": [int(v) for v in rng.choice([0, 1], size=n_cur, p=[0.8, 0.2])],
        # a shifted mix (a category unseen in the reference would make chi2_statistic infinite)
        "color": cats(rng, ["red", "green", "blue", "black"], [0.3, 0.3, 0.25, 0.15], n_cur),
        "segment": cats(rng, ["retail", "sme", "corporate"], [0.6, 0.3, 0.1], n_cur),
        "is_member": cats(rng, ["no", "yes"], [0.68, 0.32], n_cur),
    }
    # A couple of missing categories: empty CSV fields (dropped by the drift test).
    for i in (7, 123):
        ref["segment"][i] = None
    cur["segment"][42] = None
    types = {c: ("categorical" if isinstance(ref[c][0], str) else "numerical") for c in ref}
    return ref, cur, types


def drift_large_data() -> tuple[dict, dict, dict]:
    rng = np.random.default_rng(20260302)
    n_ref, n_cur = 5000, 2000

    ref = {
        "stable_amount": rounded(rng.gamma(2.0, 50.0, n_ref), 2),
        "shifted_amount": rounded(rng.gamma(2.0, 50.0, n_ref), 2),
        "tenure_months": [int(v) for v in rng.integers(0, 60, n_ref)],
        "session_minutes": rounded(rng.normal(30.0, 8.0, n_ref), 3),
        "num_products": [int(v) for v in rng.choice([1, 2, 3, 4], size=n_ref, p=[0.5, 0.3, 0.15, 0.05])],
        "region": cats(rng, ["north", "south", "east", "west", "central"], [0.3, 0.25, 0.2, 0.15, 0.1], n_ref),
        "channel": cats(rng, ["web", "app", "store"], [0.5, 0.3, 0.2], n_ref),
    }
    cur = {
        "stable_amount": rounded(rng.gamma(2.0, 50.0, n_cur), 2),
        "shifted_amount": rounded(rng.gamma(2.0, 62.0, n_cur), 2),
        "tenure_months": [int(v) for v in rng.integers(0, 60, n_cur)],
        "session_minutes": rounded(rng.normal(33.0, 8.0, n_cur), 3),
        "num_products": [int(v) for v in rng.choice([1, 2, 3, 4], size=n_cur, p=[0.5, 0.3, 0.15, 0.05])],
        "region": cats(rng, ["north", "south", "east", "west", "central"], [0.3, 0.25, 0.2, 0.15, 0.1], n_cur),
        "channel": cats(rng, ["web", "app", "store"], [0.3, 0.5, 0.2], n_cur),
    }
    # A few NaN and inf in a float column of the current window (dropped by the drift test).
    for i, v in [(5, float("nan")), (77, float("inf")), (901, float("nan")), (1500, float("-inf"))]:
        cur["session_minutes"][i] = v
    types = {c: ("categorical" if isinstance(ref[c][0], str) else "numerical") for c in ref}
    return ref, cur, types


def quality_data() -> tuple[dict, dict, dict, dict]:
    rng = np.random.default_rng(20260303)
    n_ref, n_cur = 400, 300
    ref = {
        "age": [int(v) for v in rng.integers(18, 71, n_ref)],
        "income": rounded(rng.lognormal(10.5, 0.4, n_ref), 2),
        "score": rounded(rng.uniform(0.0, 1.0, n_ref), 4),
        "plan": [str(v) for v in rng.choice(["basic", "plus", "pro"], size=n_ref, p=[0.5, 0.3, 0.2])],
        "country": [str(v) for v in rng.choice(["de", "fr", "it"], size=n_ref)],
        "source": ["web"] * n_ref,
        "postcode": [int(v) for v in rng.integers(10000, 99999, n_ref)],
        "legacy_flag": [int(v) for v in rng.integers(0, 2, n_ref)],
        "household_size": [int(v) for v in rng.integers(1, 7, n_ref)],
    }
    ref["age"][0], ref["age"][1] = 18, 70
    ref["country"][3] = None  # one missing country in the reference
    ref_kinds = {"age": "int", "income": "float", "score": "float", "plan": "str", "country": "str",
                 "source": "str", "postcode": "int", "legacy_flag": "int", "household_size": "int"}

    n_base = n_cur - 8  # the last 8 rows repeat earlier ones
    cur = {
        "age": [int(v) for v in rng.integers(18, 71, n_base)],
        "income": rounded(rng.lognormal(10.5, 0.4, n_base), 2),
        "score": rounded(rng.uniform(0.01, 0.99, n_base), 4),
        "plan": [str(v) for v in rng.choice(["basic", "plus", "pro", "enterprise", "trial"], size=n_base,
                                            p=[0.45, 0.3, 0.15, 0.06, 0.04])],
        "country": [str(v) for v in rng.choice(["de", "fr", "it"], size=n_base)],
        "source": ["web"] * n_base,
        "postcode": [f"{int(v):05d}" for v in rng.integers(1000, 99999, n_base)],
        "new_feature": rounded(rng.normal(0.0, 1.0, n_base), 3),
        "household_size": [int(v) for v in rng.integers(1, 7, n_base)],
    }
    for i, v in [(20, 7), (21, 8), (22, 7)]:  # unseen sizes
        cur["household_size"][i] = v
    # out of the reference range [18, 70]
    for i, v in [(10, 12), (11, 95), (50, 88), (51, 17)]:
        cur["age"][i] = v
    # income: nulls, NaN, +-inf, values outside the reference range
    for i in (3, 30, 60):
        cur["income"][i] = None
    for i in (4, 40):
        cur["income"][i] = float("nan")
    cur["income"][5] = float("inf")
    cur["income"][6] = float("-inf")
    cur["income"][7] = 1.0
    cur["income"][8] = 5.0e6
    # missing countries (nulls)
    for i in (12, 13, 14, 200, 201):
        cur["country"][i] = None
    # a null in a float column that is otherwise clean
    cur["score"][99] = None
    # full-row duplicates: 8 copies of earlier rows (including rows 4 and 12, with NaN / null)
    for src in [0, 1, 2, 4, 12, 100, 100, 150]:
        for c in cur:
            cur[c].append(cur[c][src])
    cur_kinds = {"age": "int", "income": "float", "score": "float", "plan": "str", "country": "str",
                 "source": "str", "postcode": "str", "new_feature": "float", "household_size": "int"}
    return ref, cur, ref_kinds, cur_kinds


# ---------------------------------------------------------------------------------------------
# Drift statistics, directly with scipy/numpy, reproducing Evidently's data preparation.


def clean(s: pd.Series) -> pd.Series:
    """Evidently: +-inf -> NaN, then NaN/None dropped."""
    return s.replace([-np.inf, np.inf], np.nan).dropna()


def union_keys(ref: pd.Series, cur: pd.Series) -> list:
    # Sorted; Evidently iterates a set here (order does not change any of the sums).
    return sorted(set(ref.unique()) | set(cur.unique()))


def proportions(ref: pd.Series, cur: pd.Series, feel_zeroes: bool) -> tuple[np.ndarray, np.ndarray]:
    """Evidently's get_binned_data: Sturges bins over both samples when the column is numerical and
    the *reference* has > 20 distinct values, else the shares of each value of the union."""
    if ref.dtype.kind in "fiu" and ref.nunique() > 20:
        r, c = common.sturges_shares(ref.to_numpy(np.float64), cur.to_numpy(np.float64))
    else:
        keys = union_keys(ref, cur)
        rc, cc = ref.value_counts(), cur.value_counts()
        r = np.array([rc.get(k, 0) / len(ref) for k in keys])
        c = np.array([cc.get(k, 0) / len(cur) for k in keys])
    if feel_zeroes:
        common.fill_zero_shares(r, c)
    return r, c


def ks(ref: pd.Series, cur: pd.Series) -> dict:
    res = stats.ks_2samp(ref.to_numpy(np.float64), cur.to_numpy(np.float64), method="auto")
    return {"ks_statistic": float(res.statistic), "ks_pvalue": float(res.pvalue)}


def chi2(ref: pd.Series, cur: pd.Series) -> dict:
    keys = union_keys(ref, cur)
    rc, cc = ref.value_counts(), cur.value_counts()
    k_norm = len(cur) / len(ref)
    f_exp = [rc.get(k, 0) * k_norm for k in keys]
    f_obs = [cc.get(k, 0) for k in keys]
    res = stats.chisquare(f_obs, f_exp)
    return {"chi2_statistic": float(res.statistic), "chi2_pvalue": float(res.pvalue)}


def z_test(ref: pd.Series, cur: pd.Series) -> dict:
    keys = union_keys(ref, cur)
    if ref.nunique() == 1 and cur.nunique() == 1 and ref.unique()[0] == cur.unique()[0]:
        return {"z_statistic": 0.0, "z_pvalue": 1.0}
    # Evidently: 0 for the first of the sorted categories, 1 for any other; the statistic is
    # (p_ref - p_cur) / sqrt(P (1 - P) (1/n_ref + 1/n_cur)), P pooled; two-sided normal p-value.
    x1 = (ref != keys[0]).to_numpy(np.float64)
    x2 = (cur != keys[0]).to_numpy(np.float64)
    n1, n2 = len(x1), len(x2)
    p1, p2 = float(x1.sum()) / n1, float(x2.sum()) / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    p = 2 * (1 - stats.norm.cdf(np.abs(z)))
    return {"z_statistic": float(z), "z_pvalue": float(p)}


def wasserstein(ref: pd.Series, cur: pd.Series) -> dict:
    return {"wasserstein_normed": common.wasserstein_normed(ref.to_numpy(np.float64), cur.to_numpy(np.float64))}


def jensen_shannon(ref: pd.Series, cur: pd.Series) -> dict:
    return {"jensen_shannon": common.jensen_shannon(*proportions(ref, cur, feel_zeroes=False))}


def psi(ref: pd.Series, cur: pd.Series) -> dict:
    return {"psi": common.psi(*proportions(ref, cur, feel_zeroes=True))}


METHODS = {"ks": ks, "chi2": chi2, "z": z_test, "wasserstein": wasserstein,
           "jensen_shannon": jensen_shannon, "psi": psi}


def auto_method(ref: pd.Series, cur: pd.Series, column_type: str) -> str:
    """Evidently 0.7's _get_default_stattest (non-text columns)."""
    n_values = pd.concat([ref, cur]).nunique()
    if len(ref) <= 1000:
        if column_type == "numerical" and n_values > 5:
            return "ks"
        return "chi2" if n_values > 2 else "z"
    if column_type == "numerical" and n_values > 5:
        return "wasserstein"
    return "jensen_shannon"


def drifted(method: str, value: float, threshold: float) -> bool:
    if method == "ks":
        return value <= threshold
    if method in ("chi2", "z"):
        return value < threshold
    return value >= threshold


# ---------------------------------------------------------------------------------------------
# Evidently's own results


def evidently_drift(ref_df: pd.DataFrame, cur_df: pd.DataFrame, types: dict[str, str],
                    requests: list[tuple[str, str]]) -> tuple[dict, dict, dict]:
    """Runs Evidently's legacy Report: DataDriftTable (auto methods, dataset drift) and one
    ColumnDriftMetric per (column, method) request."""
    from evidently.legacy.metrics import ColumnDriftMetric, DataDriftTable, DatasetDriftMetric
    from evidently.legacy.pipeline.column_mapping import ColumnMapping
    from evidently.legacy.report import Report

    mapping = ColumnMapping(
        target=None, prediction=None, datetime=None,
        numerical_features=[c for c, t in types.items() if t == "numerical"],
        categorical_features=[c for c, t in types.items() if t == "categorical"],
    )
    table = DataDriftTable(columns=list(types))  # drift share 0.5 (its default)
    dataset = DatasetDriftMetric(columns=list(types), drift_share=DRIFT_SHARE)
    per_method = {(c, m): ColumnDriftMetric(column_name=c, stattest=EVIDENTLY_NAMES[m]) for c, m in requests}
    report = Report(metrics=[table, dataset, *per_method.values()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.run(reference_data=ref_df, current_data=cur_df, column_mapping=mapping)
    t = table.get_result()
    auto = {c: {"stattest_name": d.stattest_name, "stattest_threshold": float(d.stattest_threshold),
                "drift_score": float(d.drift_score), "drift_detected": bool(d.drift_detected)}
            for c, d in t.drift_by_columns.items()}
    d = dataset.get_result()
    ds = {"number_of_columns": int(d.number_of_columns),
          "number_of_drifted_columns": int(d.number_of_drifted_columns),
          "share_of_drifted_columns": float(d.share_of_drifted_columns),
          "dataset_drift": bool(d.dataset_drift)}
    assert (t.number_of_columns, t.number_of_drifted_columns, bool(t.dataset_drift)) == (
        ds["number_of_columns"], ds["number_of_drifted_columns"], ds["dataset_drift"])
    methods = {}
    for key, metric in per_method.items():
        r = metric.get_result()
        methods[key] = {"stattest_name": r.stattest_name, "drift_score": float(r.drift_score),
                        "drift_detected": bool(r.drift_detected)}
    return auto, ds, methods


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


def rel_diff(a: float, b: float) -> float:
    return 0.0 if a == b else abs(a - b) / max(abs(a), abs(b))


def drift_case(name: str, ref_path: Path, cur_path: Path, types: dict[str, str]) -> dict:
    ref_df, cur_df = read(ref_path), read(cur_path)
    notes: list[str] = []
    requests = []
    for c, t in types.items():
        n_values = pd.concat([clean(ref_df[c]), clean(cur_df[c])]).nunique()
        ms = list(NUMERIC_METHODS) if t == "numerical" else list(CATEGORICAL_METHODS)
        if t == "numerical" and n_values <= 5:
            ms += ["chi2"]  # what auto picks for few values (z when 2)
        if n_values == 2:
            ms += ["z"]
        requests += [(c, m) for m in ms]
    # Evidently registers chi2 and z for categorical columns only: it refuses them on request for a
    # numerical column (its auto-selection still applies them; compared through "auto" below).
    allowed = [(c, m) for c, m in requests if not (types[c] == "numerical" and m in ("chi2", "z"))]
    ev_auto, ev_dataset, ev_methods = evidently_drift(ref_df, cur_df, types, allowed)

    columns = {}
    drifted_count = 0
    for c, t in types.items():
        ref, cur = clean(ref_df[c]), clean(cur_df[c])
        col = {
            "column_type": t,
            "reference_n": int(len(ref)),
            "current_n": int(len(cur)),
            "unique_values": int(pd.concat([ref, cur]).nunique()),
        }
        methods = {}
        for (cc, m) in requests:
            if cc != c:
                continue
            values = METHODS[m](ref, cur)
            score = values[SCORE_METRIC[m]]
            ev = ev_methods.get((c, m))
            methods[m] = {**values, "threshold": THRESHOLDS[m],
                          "drift_detected": drifted(m, score, THRESHOLDS[m]), "evidently": ev}
            if ev is None:
                continue
            if not close(ev["drift_score"], score):
                notes.append(f"{c}/{m}: Evidently {ev['drift_score']!r} vs direct {score!r}")
            if ev["drift_detected"] != methods[m]["drift_detected"]:
                notes.append(f"{c}/{m}: drift_detected differs (Evidently {ev['drift_detected']})")
        m = auto_method(ref, cur, t)
        score = methods[m][SCORE_METRIC[m]]
        col["auto"] = {"method": m, "metric": SCORE_METRIC[m], "value": score,
                       "threshold": THRESHOLDS[m], "drift_detected": methods[m]["drift_detected"],
                       "evidently": ev_auto[c]}
        if methods[m]["evidently"] is None:
            methods[m]["evidently"] = {k: ev_auto[c][k] for k in ("stattest_name", "drift_score", "drift_detected")}
        if ev_auto[c]["stattest_name"] != methods[m]["evidently"]["stattest_name"]:
            notes.append(f"{c}: auto method differs: Evidently picked {ev_auto[c]['stattest_name']!r}, "
                         f"expected {m}")
        if not close(ev_auto[c]["drift_score"], score):
            notes.append(f"{c}/auto: Evidently {ev_auto[c]['drift_score']!r} vs direct {score!r}")
        drifted_count += int(col["auto"]["drift_detected"])
        col["methods"] = methods
        columns[c] = col

    diffs = [rel_diff(m["evidently"]["drift_score"], m[SCORE_METRIC[k]])
             for col in columns.values() for k, m in col["methods"].items() if m["evidently"]]
    notes.append(f"Evidently's drift scores equal the direct values up to a relative difference of "
                 f"{max(diffs):.1e} ({sum(d > 0 for d in diffs)} of {len(diffs)} differ in the last "
                 f"digits: summation order, Evidently iterates a set of categories); compare with a "
                 f"relative tolerance of 1e-9.")
    share = drifted_count / len(types)
    dataset = {"drift_share_threshold": DRIFT_SHARE, "columns_tested": len(types),
               "drifted_columns": drifted_count, "drift_share": share,
               "dataset_drift": share >= DRIFT_SHARE, "evidently": ev_dataset}
    if (ev_dataset["number_of_drifted_columns"], ev_dataset["dataset_drift"]) != (drifted_count, share >= DRIFT_SHARE):
        notes.append("dataset drift differs from Evidently's")
    return {
        "case": name,
        "reference": str(ref_path.relative_to(HERE)),
        "current": str(cur_path.relative_to(HERE)),
        "columns": columns,
        "dataset": dataset,
        "versions": versions(),
        "notes": notes + DRIFT_NOTES,
    }


DRIFT_NOTES = [
    "Column type: numeric dtype (int or float) -> numerical, text -> categorical (passed to Evidently "
    "explicitly through ColumnMapping).",
    "Before every test: +-inf -> NaN, then NaN and nulls dropped (reference_n/current_n count what is "
    "left); unique_values counts distinct values of both cleaned samples together.",
    "Auto (Evidently 0.7 _get_default_stattest): reference_n <= 1000: numerical with > 5 unique -> ks, "
    "else chi2 if > 2 unique, else z; reference_n > 1000: numerical with > 5 unique -> wasserstein, "
    "else jensen_shannon. Evidently applies chi2/z to a numerical column with <= 5 values too.",
    "ks: scipy.stats.ks_2samp(method='auto'): exact p-value when max(n) <= 10000 (as here).",
    "chi2: scipy.stats.chisquare(f_obs = current counts, f_exp = reference counts * n_cur / n_ref) "
    "over the union of values. A value absent from the reference has f_exp = 0: scipy's statistic is "
    "then inf and its p-value 0 (Evidently reports drift); these datasets avoid that case.",
    "z: categories sorted (text: lexicographic, numbers: numerically); the first -> 0, all others -> 1; "
    "z = (p_ref - p_cur) / sqrt(P (1 - P) (1/n_ref + 1/n_cur)) with pooled P, p = 2 (1 - Phi(|z|)).",
    "wasserstein: scipy.stats.wasserstein_distance(ref, cur) / max(np.std(ref) (population), 0.001).",
    "jensen_shannon and psi binning: numerical column whose *reference* has > 20 distinct values -> "
    "np.histogram_bin_edges(concat(ref, cur), bins='sturges') and np.histogram shares; otherwise the "
    "share of each distinct value of the union. jensen_shannon: scipy.spatial.distance.jensenshannon "
    "(natural log), zero shares kept. psi: zero shares replaced first (per sample: min non-zero share "
    "/ 1e6 if that is <= 1e-4, else 1e-4), psi = sum((r - c) ln(r / c)).",
    "Thresholds (Evidently defaults): ks p <= 0.05; chi2, z p < 0.05; wasserstein, jensen_shannon, "
    "psi >= 0.1. Dataset drift when drifted/tested >= 0.5.",
]


# ---------------------------------------------------------------------------------------------
# Data quality


def dtype_name(s: pd.Series, kind: str) -> str:
    return {"int": "int64", "float": "float64", "str": "string"}[kind]


def column_quality(df: pd.DataFrame, table: pa.Table, c: str, kind: str) -> dict:
    s = df[c]
    arrow_col = table.column(c)
    rows = len(s)
    null_count = int(arrow_col.null_count)
    out = {"dtype": dtype_name(s, kind), "rows": rows, "null_count": null_count}
    if kind == "float":
        v = arrow_col.to_numpy(zero_copy_only=False)  # nulls -> NaN here; count them apart
        valid = np.asarray(arrow_col.is_valid())
        nan_count = int(np.isnan(v[valid]).sum())
        inf_count = int(np.isinf(v[valid]).sum())
    else:
        nan_count = inf_count = 0
    out["nan_count"] = nan_count
    out["inf_count"] = inf_count
    out["null_fraction"] = null_count / rows
    assert int(s.isna().sum()) == null_count + nan_count
    out["isna_fraction"] = float(s.isna().mean())
    distinct = int(s.dropna().nunique())
    out["distinct_values"] = distinct
    out["constant_column"] = 1.0 if distinct <= 1 else 0.0
    if kind in ("int", "float"):
        x = s.to_numpy(np.float64)
        fin = x[np.isfinite(x)]
        out["min"] = float(fin.min()) if len(fin) else None
        out["max"] = float(fin.max()) if len(fin) else None
    return out


def table_of(path: Path) -> pa.Table:
    if path.suffix == ".csv":
        # Arrow's CSV reader keeps empty fields as nulls and "NaN" as a NaN value.
        import pyarrow.csv as pcsv
        return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
            null_values=[""], strings_can_be_null=True))
    return pq.read_table(path)


# An `allowed_values` list per column, for `not_allowed_values` (non-null rows holding another value).
ALLOWED_VALUES = {"plan": ["basic", "plus", "pro", "enterprise"]}
CATEGORICAL_MAX_UNIQUE = 20


def column_kind(kind: str, ref: pd.Series | None) -> str:
    """The data-quality plugin's auto kind: text -> categorical, float -> numeric, integer ->
    categorical when the reference has <= 20 distinct non-null values (no reference: numeric)."""
    if kind == "str":
        return "categorical"
    if kind == "int" and ref is not None and ref.dropna().nunique() <= CATEGORICAL_MAX_UNIQUE:
        return "categorical"
    return "numeric"


def quality_case(ref_path: Path, cur_path: Path, ref_kinds: dict, cur_kinds: dict) -> dict:
    ref_df, cur_df = read(ref_path), read(cur_path)
    ref_t, cur_t = table_of(ref_path), table_of(cur_path)
    assert list(ref_df.columns) == list(ref_kinds) and list(cur_df.columns) == list(cur_kinds)

    columns = {}
    for c, kind in cur_kinds.items():
        col = column_quality(cur_df, cur_t, c, kind)
        ref_kind = ref_kinds.get(c)
        col["reference_dtype"] = dtype_name(ref_df[c], ref_kind) if ref_kind else None
        col["dtype_mismatch"] = 1.0 if ref_kind and ref_kind != kind else 0.0
        col["kind"] = column_kind(kind, ref_df[c] if ref_kind else None)
        if ref_kind and ref_kind == kind and col["kind"] == "numeric":
            r = ref_df[c].to_numpy(np.float64)
            rf = r[np.isfinite(r)]
            lo, hi = float(rf.min()), float(rf.max())
            x = cur_df[c].to_numpy(np.float64)
            x = x[np.isfinite(x)]  # finite values only: nulls, NaN and +-inf left out
            n_out = int(((x < lo) | (x > hi)).sum())
            col["reference_min"], col["reference_max"] = lo, hi
            col["out_of_range_count"] = n_out
            col["out_of_range_share"] = n_out / len(x)
        if ref_kind and col["kind"] == "categorical":
            ref_vals, cur = ref_df[c].dropna(), cur_df[c].dropna()  # non-null (and non-NaN) values
            if ref_kind != kind:  # different types: compared as text (integers rendered as digits)
                assert {ref_kind, kind} == {"int", "str"}, (c, ref_kind, kind)
                ref_vals, cur = ref_vals.astype(np.int64).astype(str), cur.astype(str)
            seen = set(ref_vals.unique())
            unseen_mask = ~cur.isin(seen)
            col["unseen_categories"] = int(cur[unseen_mask].nunique())
            unseen_values = sorted(str(v) for v in cur[unseen_mask].unique())
            if len(unseen_values) <= 20:
                col["unseen_values"] = unseen_values
            col["unseen_count"] = int(unseen_mask.sum())
            col["unseen_share"] = float(unseen_mask.sum()) / len(cur)
        if c in ALLOWED_VALUES:
            allowed = ALLOWED_VALUES[c]
            cur = cur_df[c].dropna()
            col["allowed_values"] = allowed
            col["not_allowed_values"] = int((~cur.isin(allowed)).sum())
        columns[c] = col
    ref_columns = {c: column_quality(ref_df, ref_t, c, k) for c, k in ref_kinds.items()}

    def dataset_stats(df: pd.DataFrame) -> dict:
        dup = int(df.duplicated().sum())
        return {"row_count": len(df), "column_count": len(df.columns), "duplicate_rows": dup,
                "duplicate_share": dup / len(df)}

    dataset = dataset_stats(cur_df)
    dataset["missing_columns"] = [c for c in ref_kinds if c not in cur_kinds]
    dataset["unexpected_columns"] = [c for c in cur_kinds if c not in ref_kinds]
    dataset["dtype_mismatch"] = [c for c in cur_kinds if c in ref_kinds and ref_kinds[c] != cur_kinds[c]]
    dataset["constant_columns"] = [c for c, v in columns.items() if v["constant_column"] == 1.0]

    ev = evidently_quality(ref_df, cur_df, columns, cur_kinds)
    notes = list(QUALITY_NOTES)
    for c, e in ev["columns"].items():
        if "out_of_range_share" in e and not close(e["out_of_range_share"], columns[c]["out_of_range_share"]):
            notes.append(f"{c}: Evidently's ColumnValueRangeMetric share_not_in_range {e['out_of_range_share']!r} "
                         f"differs from out_of_range_share {columns[c]['out_of_range_share']!r}: it keeps "
                         f"+-inf (counted out of range) in numerator and denominator; modelgate counts "
                         f"finite values only")
        if "unseen_share" in e and not close(e["unseen_share"], columns[c]["unseen_share"]):
            notes.append(f"{c}: Evidently's ColumnValueListMetric share_not_in_list {e['unseen_share']!r} "
                         f"differs from unseen_share {columns[c]['unseen_share']!r}: it counts null rows as "
                         f"'not in list' and divides by all rows; modelgate compares non-null rows only")
    if ev["dataset"]["number_of_duplicated_rows"] != dataset["duplicate_rows"]:
        notes.append(f"Evidently number_of_duplicated_rows {ev['dataset']['number_of_duplicated_rows']} "
                     f"differs from duplicate_rows {dataset['duplicate_rows']}")
    return {
        "case": "quality",
        "reference": str(ref_path.relative_to(HERE)),
        "current": str(cur_path.relative_to(HERE)),
        "columns": columns,
        "reference_columns": ref_columns,
        "dataset": dataset,
        "reference_dataset": dataset_stats(ref_df),
        "evidently": ev,
        "versions": versions(),
        "notes": notes,
    }


QUALITY_NOTES = [
    "Definitions follow the data-quality plugin's documentation (plugins/data-quality/src/lib.rs).",
    "null_count: true nulls (empty CSV field, Parquet null); nan_count: NaN values; inf_count: +-inf. "
    "null_fraction = nulls / rows (NaN is not null); isna_fraction = (nulls + NaN) / rows, what pandas "
    "isna().mean() gives.",
    "min, max: over finite values. constant_column: 1.0 when <= 1 distinct non-null, non-NaN value.",
    "kind: text -> categorical; float -> numeric; integer -> categorical when the reference has <= 20 "
    "distinct non-null values, else numeric. Numeric columns get out_of_range_*, categorical unseen_*.",
    "out_of_range_share: finite current values outside [reference finite min, reference finite max] / "
    "finite current values (nulls, NaN, +-inf left out of both).",
    "unseen_categories: distinct non-null current values absent from the reference's non-null values; "
    "unseen_share: non-null current rows holding such a value / non-null current rows. Values compare "
    "as numbers when both columns are numeric, else as text (postcode: reference integers as digits "
    "vs current strings with a leading zero, so most are unseen).",
    "not_allowed_values (columns listed with allowed_values): non-null rows whose value is not allowed.",
    "duplicate_rows: pandas DataFrame.duplicated().sum() over every column (NaN equals NaN, null "
    "equals null); duplicate_share = duplicate_rows / rows.",
    "dtype names: int64, float64, string (Parquet types; CSV columns as inferred: only digits -> "
    "int64, with a fraction/NaN/inf -> float64, else string). dtype_mismatch: 1.0 when the reference "
    "type differs (here postcode: int64 -> string).",
]


def evidently_quality(ref_df: pd.DataFrame, cur_df: pd.DataFrame, columns: dict, kinds: dict) -> dict:
    from evidently.legacy.metrics import ColumnValueListMetric, ColumnValueRangeMetric, DatasetSummaryMetric
    from evidently.legacy.pipeline.column_mapping import ColumnMapping
    from evidently.legacy.report import Report

    common = [c for c in kinds if c in ref_df.columns and columns[c]["dtype_mismatch"] == 0.0]
    num = [c for c in common if "out_of_range_share" in columns[c]]
    cat = [c for c in common if "unseen_share" in columns[c]]
    ranges = {c: ColumnValueRangeMetric(column_name=c) for c in num}
    lists = {c: ColumnValueListMetric(column_name=c) for c in cat}
    summary = DatasetSummaryMetric()
    mapping = ColumnMapping(target=None, prediction=None, datetime=None,
                            numerical_features=num, categorical_features=cat)
    report = Report(metrics=[summary, *ranges.values(), *lists.values()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.run(reference_data=ref_df[common], current_data=cur_df[common], column_mapping=mapping)
    out: dict = {"columns": {}}
    for c, m in ranges.items():
        r = m.get_result()
        out["columns"][c] = {"out_of_range_count": int(r.current.number_not_in_range),
                             "out_of_range_share": float(r.current.share_not_in_range),
                             "left": float(r.left), "right": float(r.right)}
    for c, m in lists.items():
        r = m.get_result()
        out["columns"][c] = {"unseen_count": int(r.current.number_not_in_list),
                             "unseen_share": float(r.current.share_not_in_list)}
    s = summary.get_result().current
    out["dataset"] = {"number_of_rows": int(s.number_of_rows),
                      "number_of_duplicated_rows": int(s.number_of_duplicated_rows),
                      "number_of_constant_columns": int(s.number_of_constant_columns),
                      "columns_compared": common}
    return out


# ---------------------------------------------------------------------------------------------


def versions() -> dict:
    return {"python": platform.python_version(), **common.package_versions(PACKAGES)}


def main() -> int:
    DATA.mkdir(exist_ok=True)
    EXPECTED.mkdir(exist_ok=True)

    ref, cur, types = drift_small_data()
    paths = (DATA / "drift_small_reference.csv", DATA / "drift_small_current.csv")
    common.write_csv(paths[0], ref)
    common.write_csv(paths[1], cur)
    small = drift_case("drift_small", *paths, types)
    common.write_json(EXPECTED / "drift_small.json", small)

    ref, cur, types = drift_large_data()
    paths = (DATA / "drift_large_reference.parquet", DATA / "drift_large_current.csv")
    kinds = {c: ("str" if t == "categorical" else ("int" if isinstance(ref[c][0], int) else "float"))
             for c, t in types.items()}
    common.write_parquet(paths[0], ref, kinds)
    common.write_csv(paths[1], cur)
    large = drift_case("drift_large", *paths, types)
    common.write_json(EXPECTED / "drift_large.json", large)

    ref, cur, ref_kinds, cur_kinds = quality_data()
    paths = (DATA / "quality_reference.csv", DATA / "quality_current.parquet")
    common.write_csv(paths[0], ref)
    common.write_parquet(paths[1], cur, cur_kinds)
    quality = quality_case(*paths, ref_kinds, cur_kinds)
    common.write_json(EXPECTED / "quality.json", quality)

    for case in (small, large):
        print(f"{case['case']}: drifted {case['dataset']['drifted_columns']}/{case['dataset']['columns_tested']}")
        for c, col in case["columns"].items():
            a = col["auto"]
            print(f"  {c:<16} {a['method']:<15} {a['metric']:<19} {a['value']:<24.17g} "
                  f"drift={a['drift_detected']!s:<5} evidently={a['evidently']['stattest_name']!r} "
                  f"{a['evidently']['drift_score']:.17g}")
        for n in case["notes"][: len(case["notes"]) - len(DRIFT_NOTES)]:  # the generated ones
            print(f"  note: {n}")
    print(f"quality: rows {quality['dataset']['row_count']}, duplicates {quality['dataset']['duplicate_rows']}")
    for n in quality["notes"][len(QUALITY_NOTES):]:
        print(f"  note: {n}")
    common.print_sizes(sorted([*DATA.iterdir(), *EXPECTED.iterdir()]), HERE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
