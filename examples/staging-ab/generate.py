#!/usr/bin/env python3
"""Regenerate the staging A/B example of modelgate (the `ab-test` check).

Run with the repo's venv python (see generate.sh, which sets it up):

    examples/staging-ab/generate.sh

A ranking model in staging: the production model (`champion`) and the candidate (`candidate`)
each served half of 8,000 users for a week. One row per user (the randomisation unit), with
known effects of the candidate:

    arm              champion | candidate (assigned 50/50)
    converted        0/1; conversion 10% for champion, 13% for candidate (+30% relative)
    revenue          revenue of the user's sessions: 2.00 per session for champion, +1% for
                     candidate, each user's spend noisy (log-normal, sd 0.3)
    sessions         1 to 6 sessions per user, same for both arms
    latency_ms       the user's mean page latency: candidate 2% slower
    pre_latency_ms   the same user's latency in the week before the experiment (correlated
                     0.9 with latency_ms): the CUPED covariate

Writes, next to this file:

    data/units.csv   the per-unit table
    expected.json    what the ab-test check must report, computed here with numpy and scipy
                     (the functions of plugins/ab-test/testdata/make_reference.py): every metric
                     of gate.toml at a fixed horizon and with method = "sequential", the
                     sample-ratio p-value, and the verdicts of gate.toml (promote: conversion
                     up, guardrails hold) and gate-guardrail.toml (reject: latency is 2% worse,
                     beyond its 1% margin).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy import stats

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(ROOT / "plugins" / "ab-test" / "testdata"))

from common import package_versions, read_csv, write_csv, write_json  # noqa: E402
from make_reference import cuped_case, mean_case, ratio_case  # noqa: E402

SEED = 20260412
UNITS = 8000
KINDS = {
    "user_id": "int",
    "arm": "str",
    "converted": "int",
    "revenue": "float",
    "sessions": "int",
    "latency_ms": "float",
    "pre_latency_ms": "float",
}
ALPHA = 0.05
N_STAR = 5000.0


def generate() -> dict:
    rng = np.random.default_rng(SEED)
    treat = rng.random(UNITS) < 0.5
    converted = (rng.random(UNITS) < np.where(treat, 0.13, 0.10)).astype(int)
    sessions = rng.integers(1, 7, UNITS)
    price = np.where(treat, 2.02, 2.00)
    revenue = np.round(sessions * price * rng.lognormal(-0.045, 0.3, UNITS), 2)
    user_speed = rng.normal(100.0, 20.0, UNITS)
    pre = np.round(user_speed + rng.normal(0.0, 7.0, UNITS), 1)
    latency = np.round(user_speed * np.where(treat, 1.02, 1.0) + rng.normal(0.0, 7.0, UNITS), 1)
    return {
        "user_id": list(range(1, UNITS + 1)),
        "arm": ["candidate" if t else "champion" for t in treat],
        "converted": converted.tolist(),
        "revenue": revenue.tolist(),
        "sessions": sessions.tolist(),
        "latency_ms": latency.tolist(),
        "pre_latency_ms": pre.tolist(),
    }


def expected(data: dict) -> dict:
    arm = np.array(data["arm"])
    col = {k: np.array(v, dtype=float) for k, v in data.items() if k not in ("arm", "user_id")}
    c, t = arm == "champion", arm == "candidate"
    out = {"units": {"champion": int(c.sum()), "candidate": int(t.sum())}}
    out["srm_p_value"] = float(stats.chisquare([c.sum(), t.sum()]).pvalue)
    for method in ("fixed", "sequential"):
        seq = method == "sequential"
        # One success metric: Bonferroni leaves alpha as it is.
        metrics = {
            "conversion": mean_case(col["converted"][c], col["converted"][t], ALPHA, seq, N_STAR),
            "revenue_per_session": ratio_case(
                col["revenue"][c], col["sessions"][c], col["revenue"][t], col["sessions"][t],
                ALPHA, seq, N_STAR),
            "latency_ms": cuped_case(
                col["latency_ms"][c], col["pre_latency_ms"][c],
                col["latency_ms"][t], col["pre_latency_ms"][t], ALPHA, seq, N_STAR),
        }
        for m in metrics.values():
            m.pop("df")
            m.pop("theta", None)
            m["control_n"] = float(c.sum())
            m["treatment_n"] = float(t.sum())
            for k, v in m.items():
                m[k] = float(v)
        out[method] = metrics
    fixed = out["fixed"]
    out["verdicts"] = {
        "gate.toml": "promote" if fixed["conversion"]["lift_ci_lower"] > 0.0
        and fixed["revenue_per_session"]["lift_ci_lower"] >= -0.02
        and fixed["latency_ms"]["lift_ci_upper"] <= 0.05 else "reject",
        "gate-guardrail.toml": "promote" if fixed["conversion"]["lift_ci_lower"] > 0.0
        and fixed["revenue_per_session"]["lift_ci_lower"] >= -0.02
        and fixed["latency_ms"]["lift_ci_upper"] <= 0.01 else "reject",
    }
    return out


def main() -> None:
    data = generate()
    path = HERE / "data" / "units.csv"
    path.parent.mkdir(exist_ok=True)
    write_csv(path, data)
    # The expected values are computed from the file as written, read back.
    back = read_csv(path, KINDS)
    exp = {"generated_by": "generate.py", "versions": package_versions(["numpy", "scipy"])}
    exp.update(expected(back))
    write_json(HERE / "expected.json", exp)
    for method in ("fixed", "sequential"):
        for name, m in exp[method].items():
            print(f"{method:<10} {name:<20} lift {m['relative_lift']:+.4f} "
                  f"[{m['lift_ci_lower']:+.4f}, {m['lift_ci_upper']:+.4f}] p {m['p_value']:.3g}")
    print(f"srm p = {exp['srm_p_value']:.3f}; verdicts {exp['verdicts']}")
    print(f"{path.relative_to(HERE)}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
