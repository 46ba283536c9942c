"""Writes scipy_reference.json: what scipy / numpy compute for the drift plugin's statistics, for
the `scipy_reference` unit tests of the drift plugin.

    python make_scipy_reference.py   # needs numpy and scipy (1.17); not evidently

Samples are not stored: both sides generate them with the same 64-bit LCG (`lcg_sample`, and
`sample` in src/reference_tests.rs), using only additions, multiplications and floor, so that
Python and Rust produce identical doubles.

The drift methods are computed the way Evidently's stattests compute them
(evidently/legacy/calculations/stattests/*.py): ks_2samp, chisquare of current counts vs
reference shares x current size, the two-proportion z-test, wasserstein_distance / max(np.std,
0.001), jensenshannon and PSI on get_binned_data's shares.
"""
import json
import math
from pathlib import Path

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial import distance

MASK = (1 << 64) - 1


class Lcg:
    def __init__(self, seed):
        self.state = seed & MASK

    def uniform(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & MASK
        return (self.state >> 11) / float(1 << 53)


def lcg_sample(seed, n, shift=0.0, scale=1.0, decimals=None):
    """Irwin-Hall(4) values, shifted and scaled, optionally floored to 10**-decimals."""
    rng = Lcg(seed)
    out = []
    for _ in range(n):
        x = rng.uniform() + rng.uniform() + rng.uniform() + rng.uniform()
        x = (x - 2.0) * scale + shift
        if decimals is not None:
            f = float(10**decimals)
            x = math.floor(x * f) / f
        out.append(x)
    return out


def lcg_ints(seed, n, k):
    rng = Lcg(seed)
    return [math.floor(rng.uniform() * k) for _ in range(n)]


def ks_cases():
    specs = [
        # seed, n1, n2, shift, scale2, decimals
        (1, 5, 7, 0.0, 1.0, None),
        (2, 40, 40, 0.3, 1.0, None),
        (3, 100, 137, 0.0, 1.0, 1),
        (4, 300, 1000, 0.1, 1.2, None),
        (5, 1000, 10000, 0.05, 1.0, None),
        (6, 999, 1001, 0.0, 1.0, 2),
        (7, 100, 20000, 0.0, 1.0, None),   # asymptotic, n = 100: DMTW / Pomeranz
        (8, 100, 20000, 0.4, 1.0, None),   # asymptotic, n = 100, large D: smirnov
        (9, 500, 12000, 0.02, 1.0, None),  # asymptotic, n ~ 480: DMTW
        (10, 500, 12000, 0.25, 1.0, None),  # asymptotic, n ~ 480: smirnov
        (11, 20000, 30000, 0.01, 1.0, None),  # asymptotic, n = 12000: Pelz-Good
        (12, 20000, 30000, 0.0, 1.0, 2),
    ]
    out = []
    for seed, n1, n2, shift, scale2, decimals in specs:
        a = lcg_sample(seed, n1, decimals=decimals)
        b = lcg_sample(seed + 1000, n2, shift=shift, scale=scale2, decimals=decimals)
        r = stats.ks_2samp(a, b)
        out.append({
            "seed": seed, "n1": n1, "n2": n2, "shift": shift, "scale2": scale2,
            "decimals": decimals,
            "statistic": float(r.statistic), "pvalue": float(r.pvalue),
            "wasserstein_normed": float(stats.wasserstein_distance(a, b) / max(float(np.std(a)), 0.001)),
        })
    return out


def binned(ref, cur, numerical, feel_zeroes):
    """Evidently's get_binned_data."""
    ref = np.asarray(ref)
    cur = np.asarray(cur)
    if numerical and len(np.unique(ref)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        rp = np.histogram(ref, bins)[0] / len(ref)
        cp = np.histogram(cur, bins)[0] / len(cur)
    else:
        keys = sorted(set(ref.tolist()) | set(cur.tolist()))
        rp = np.array([np.sum(ref == k) / len(ref) for k in keys])
        cp = np.array([np.sum(cur == k) / len(cur) for k in keys])
    if feel_zeroes:
        for p in (rp, cp):
            m = min(p[p != 0])
            np.place(p, p == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return rp, cp


def categorical_cases():
    specs = [
        # seed, n1, n2, k_ref, k_cur
        (21, 200, 300, 4, 4),
        (22, 500, 400, 3, 4),    # a category only in current: chi2 = inf, p = 0
        (23, 1000, 1000, 2, 2),
        (24, 50, 60, 2, 2),
        (25, 5000, 3000, 8, 6),  # a category only in reference
        (26, 300, 300, 15, 15),
    ]
    out = []
    for seed, n1, n2, k1, k2 in specs:
        a = lcg_ints(seed, n1, k1)
        b = lcg_ints(seed + 1000, n2, k2)
        keys = sorted(set(a) | set(b))
        fo = np.array([b.count(k) for k in keys], dtype=float)
        fe = np.array([a.count(k) * (n2 / n1) for k in keys])
        with np.errstate(divide="ignore"):
            chi = stats.chisquare(fo, fe)
        # Evidently's two-proportion z-test on "not the first key".
        ra = np.array([0 if x == keys[0] else 1 for x in a])
        rb = np.array([0 if x == keys[0] else 1 for x in b])
        p1, p2 = ra.sum() / n1, rb.sum() / n2
        P = float(p1 * n1 + p2 * n2) / (n1 + n2)
        z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
        zp = 2 * (1 - stats.norm.cdf(np.abs(z)))
        rp, cp = binned(a, b, False, False)
        js = distance.jensenshannon(rp, cp)
        rp, cp = binned(a, b, False, True)
        psi = np.sum((rp - cp) * np.log(rp / cp))
        out.append({
            "seed": seed, "n1": n1, "n2": n2, "k1": k1, "k2": k2,
            "chi2_statistic": float(chi.statistic) if np.isfinite(chi.statistic) else None,
            "chi2_pvalue": float(chi.pvalue),
            "z_statistic": float(z), "z_pvalue": float(zp),
            "jensen_shannon": float(js), "psi": float(psi),
        })
    return out


def binned_numeric_cases():
    specs = [
        # seed, n1, n2, shift, decimals
        (31, 2000, 1500, 0.0, None),
        (32, 2000, 1500, 0.3, None),
        (33, 5000, 5000, 0.05, 2),
        (34, 1200, 800, 0.0, 1),   # few distinct values: the reference may have <= 20
    ]
    out = []
    for seed, n1, n2, shift, decimals in specs:
        a = lcg_sample(seed, n1, decimals=decimals)
        b = lcg_sample(seed + 1000, n2, shift=shift, decimals=decimals)
        rp, cp = binned(a, b, True, False)
        js = distance.jensenshannon(rp, cp)
        rp, cp = binned(a, b, True, True)
        psi = np.sum((rp - cp) * np.log(rp / cp))
        edges = np.histogram_bin_edges(np.concatenate([a, b]), bins="sturges")
        out.append({
            "seed": seed, "n1": n1, "n2": n2, "shift": shift, "decimals": decimals,
            "reference_unique": int(len(np.unique(a))),
            "edges": edges.tolist(),
            "jensen_shannon": float(js), "psi": float(psi),
            "wasserstein_normed": float(stats.wasserstein_distance(a, b) / max(float(np.std(a)), 0.001)),
        })
    return out


def main():
    kstwo = []
    for n in [2, 5, 10, 50, 100, 140, 141, 480, 1000, 5000, 12000, 100001, 200000]:
        for x in [0.3 / n, 0.7 / n, 1.5 / n, 0.01, 0.02, 0.05, 0.08, 0.1, 0.2, 0.3, 0.5, 0.7, 0.95]:
            if 0 < x < 1:
                kstwo.append([n, x, float(stats.kstwo.sf(x, n))])
    smirnov = []
    for n in [2, 3, 7, 20, 100, 141, 1000, 5000, 50000]:
        for x in [0.001, 0.01, 0.05, 0.1, 0.2, 0.35, 0.5, 0.8, 1 - 1.0 / n]:
            smirnov.append([n, x, float(special.smirnov(n, x))])
    chi2 = []
    for df in [1, 2, 3, 5, 10, 30, 99, 500, 5000]:
        for x in [0.1, 0.5, 1.0, 2.0, 5.0, 0.8 * df, df, 1.2 * df, 2.0 * df, 3.0 * df + 50]:
            chi2.append([x, df, float(stats.chi2.sf(x, df))])
    ndtr = [[x, float(stats.norm.cdf(x))] for x in [-10, -5, -2.5, -1.1, -0.3, 0.0, 0.4, 1.0, 1.7, 3.3, 6.0]]
    out = {
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "ks": ks_cases(),
        "categorical": categorical_cases(),
        "binned_numeric": binned_numeric_cases(),
        "kstwo_sf": kstwo,
        "smirnov": smirnov,
        "chi2_sf": chi2,
        "ndtr": ndtr,
    }
    path = Path(__file__).with_name("scipy_reference.json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
