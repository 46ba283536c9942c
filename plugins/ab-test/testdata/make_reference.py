"""Reference values for the ab-test check, computed independently with numpy and scipy.

Writes reference.json next to this file: generated per-unit experiments (raw values per arm)
and what scipy says about them, which `src/reference_tests.rs` compares with the plugin's
statistics (largest relative difference allowed: 1e-9).

    .venv/bin/python plugins/ab-test/testdata/make_reference.py

Independent of the Rust code on purpose: the t-test is `scipy.stats.ttest_ind(equal_var=False)`
on the raw values, quantiles are `scipy.stats.t.isf`, CUPED builds the adjusted values `y'`
unit by unit and runs the same t-test on them, the ratio metric's variance comes from
`np.cov`, and the confidence sequence is Robbins' normal-mixture boundary written in the form
of Howard et al. (2021), `(sigma / N) sqrt((N + 1/rho^2) (ln(1 + N rho^2) - 2 ln alpha))`, not
in GrowthBook's arrangement of the same terms that the plugin uses.
"""

import json
from pathlib import Path

import numpy as np
from scipy import stats

HERE = Path(__file__).resolve().parent


def r6(a):
    return [round(float(x), 6) for x in a]


def cs_rho2(alpha, n_star):
    """Optimal mixing variance for a planned sample size (Howard et al. 2021, eq. 161 of
    Waudby-Smith et al. 2023)."""
    l = -2.0 * np.log(alpha)
    return (l + np.log1p(l)) / n_star


def cs_halfwidth(se, n, alpha, n_star):
    """Normal-mixture confidence sequence for a mean difference with standard error `se` after
    `n` units in total: sigma = se * sqrt(n) per unit."""
    rho2 = cs_rho2(alpha, n_star)
    sigma = se * np.sqrt(n)
    return sigma / n * np.sqrt((n + 1.0 / rho2) * (np.log1p(n * rho2) - 2.0 * np.log(alpha)))


def cs_p_value(delta, se, n, alpha, n_star):
    """1 / (normal-mixture e-value) of the standardized sum S = sqrt(n) delta / se."""
    rho2 = cs_rho2(alpha, n_star)
    s = np.sqrt(n) * delta / se
    log_e = rho2 * s * s / (2.0 * (1.0 + n * rho2)) - 0.5 * np.log1p(n * rho2)
    return float(min(1.0, np.exp(-log_e)))


def compare(mc, vc, nc, mt, vt, nt, alpha, sequential, n_star, p_fixed):
    """Difference, lift and their intervals from arm means and variances of the means."""
    delta = mt - mc
    se = np.sqrt(vc + vt)
    df = (vc + vt) ** 2 / (vc**2 / (nc - 1) + vt**2 / (nt - 1))
    lift = delta / mc
    lift_se = np.sqrt(vc * mt**2 / mc**4 + vt / mc**2)
    if sequential:
        n = nc + nt
        dh = cs_halfwidth(se, n, alpha, n_star)
        lh = cs_halfwidth(lift_se, n, alpha, n_star)
        p = cs_p_value(delta, se, n, alpha, n_star)
    else:
        q = stats.t.isf(alpha / 2, df)
        dh, lh, p = q * se, q * lift_se, p_fixed
    return {
        "control_mean": mc,
        "treatment_mean": mt,
        "absolute_delta": delta,
        "delta_ci_lower": delta - dh,
        "delta_ci_upper": delta + dh,
        "p_value": p,
        "relative_lift": lift,
        "lift_ci_lower": lift - lh,
        "lift_ci_upper": lift + lh,
        "df": df,
    }


def mean_case(c, t, alpha, sequential, n_star):
    c, t = np.asarray(c), np.asarray(t)
    res = stats.ttest_ind(t, c, equal_var=False)
    vc, vt = c.var(ddof=1) / len(c), t.var(ddof=1) / len(t)
    out = compare(c.mean(), vc, len(c), t.mean(), vt, len(t), alpha, sequential, n_star, res.pvalue)
    if not sequential:
        assert np.isclose(out["df"], res.df, rtol=1e-12)
    return out


def ratio_case(ca, cb, ta, tb, alpha, sequential, n_star):
    def arm(a, b):
        a, b = np.asarray(a), np.asarray(b)
        r = a.mean() / b.mean()
        cov = np.cov(a, b, ddof=1)
        v = (cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1]) / (len(a) * b.mean() ** 2)
        return r, v, len(a)

    rc, vc, nc = arm(ca, cb)
    rt, vt, nt = arm(ta, tb)
    delta, se = rt - rc, np.sqrt(vc + vt)
    df = (vc + vt) ** 2 / (vc**2 / (nc - 1) + vt**2 / (nt - 1))
    p = 2 * stats.t.sf(abs(delta / se), df)
    return compare(rc, vc, nc, rt, vt, nt, alpha, sequential, n_star, p)


def cuped_case(cy, cx, ty, tx, alpha, sequential, n_star):
    y = np.concatenate([cy, ty])
    x = np.concatenate([cx, tx])
    cov = np.cov(x, y, ddof=1)
    theta = cov[0, 1] / cov[0, 0]
    adj = lambda yy, xx: np.asarray(yy) - theta * (np.asarray(xx) - x.mean())
    out = mean_case(adj(cy, cx), adj(ty, tx), alpha, sequential, n_star)
    out["theta"] = theta
    return out


def main():
    rng = np.random.default_rng(20260412)
    cases = []

    def add(name, kind, arms, expected, **settings):
        cases.append({"name": name, "kind": kind, "arms": arms, "expected": expected, **settings})

    for sequential in (False, True):
        label = "sequential" if sequential else "fixed"
        alpha, n_star = (0.05, 5000.0)
        # A binary conversion metric, unequal arms.
        c = (rng.random(1200) < 0.10).astype(float)
        t = (rng.random(1100) < 0.13).astype(float)
        add(f"conversion-{label}", "mean", {"control": [r6(c)], "treatment": [r6(t)]},
            mean_case(c, t, alpha, sequential, n_star), alpha=alpha, sequential=sequential, n_star=n_star)
        # A skewed revenue metric with unequal variances, at alpha = 0.01.
        c = np.round(rng.lognormal(1.0, 1.0, 900), 6)
        t = np.round(rng.lognormal(1.05, 1.3, 1000), 6)
        add(f"revenue-{label}", "mean", {"control": [r6(c)], "treatment": [r6(t)]},
            mean_case(c, t, 0.01, sequential, 2000.0), alpha=0.01, sequential=sequential, n_star=2000.0)
        # A ratio metric: revenue per session.
        cs_ = rng.integers(1, 8, 800).astype(float)
        ts_ = rng.integers(1, 8, 850).astype(float)
        ca = np.round(cs_ * rng.gamma(2.0, 1.5, 800), 6)
        ta = np.round(ts_ * rng.gamma(2.0, 1.45, 850), 6)
        add(f"ratio-{label}", "ratio", {"control": [r6(ca), r6(cs_)], "treatment": [r6(ta), r6(ts_)]},
            ratio_case(ca, cs_, ta, ts_, alpha, sequential, n_star), alpha=alpha, sequential=sequential, n_star=n_star)
        # CUPED: latency with a correlated pre-period latency.
        cx = np.round(rng.normal(120, 25, 1000), 6)
        tx = np.round(rng.normal(120, 25, 1000), 6)
        cy = np.round(0.8 * cx + rng.normal(24, 10, 1000), 6)
        ty = np.round(0.8 * tx + rng.normal(21, 10, 1000), 6)
        add(f"cuped-{label}", "cuped", {"control": [r6(cy), r6(cx)], "treatment": [r6(ty), r6(tx)]},
            cuped_case(cy, cx, ty, tx, alpha, sequential, n_star), alpha=alpha, sequential=sequential, n_star=n_star)
    # Tiny arms: few degrees of freedom.
    c = np.round(rng.normal(10, 2, 3), 6)
    t = np.round(rng.normal(12, 5, 4), 6)
    add("tiny-fixed", "mean", {"control": [r6(c)], "treatment": [r6(t)]},
        mean_case(c, t, 0.05, False, 5000.0), alpha=0.05, sequential=False, n_star=5000.0)

    srm = []
    for counts, shares in [([5000, 5000], [0.5, 0.5]), ([5100, 4900], [0.5, 0.5]),
                           ([50712, 49288], [0.5, 0.5]), ([7400, 2600], [0.75, 0.25]),
                           ([1, 30], [0.5, 0.5])]:
        total = sum(counts)
        res = stats.chisquare(counts, [total * s for s in shares])
        srm.append({"counts": counts, "shares": shares, "statistic": float(res.statistic),
                    "p_value": float(res.pvalue)})

    student_t = []
    for df in [1.0, 1.7, 2.0, 3.3, 7.0, 14.5, 29.9, 30.1, 60.0, 250.5, 1e3, 2e4, 3e5, 5e6, 1e8]:
        for x in [0.01, 0.3, 1.0, 1.5, 1.96, 2.5, 3.0, 4.0, 6.0, 10.0, 30.0]:
            student_t.append({"df": df, "t": x, "sf": float(stats.t.sf(x, df))})
        for p in [0.25, 0.05, 0.025, 0.0125, 0.005, 1e-3, 1e-5]:
            student_t.append({"df": df, "upper": p, "isf": float(stats.t.isf(p, df))})

    doc = {
        "generated_by": "plugins/ab-test/testdata/make_reference.py",
        "scipy": __import__("scipy").__version__,
        "numpy": np.__version__,
        "cases": cases,
        "srm": srm,
        "student_t": student_t,
    }
    (HERE / "reference.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
