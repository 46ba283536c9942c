"""Recomputes the drift metrics of a modelgate JSON report with numpy / scipy and compares.

    python check_report.py REPORT.json REFERENCE_FILE CURRENT_FILE   # parquet or csv; needs pyarrow

For every column of every `drift` check in the report, the data are cleaned as Evidently does
(nulls, NaN and +-inf dropped) and the method the plugin reports in its details (with the column
type it reports) is recomputed as Evidently's stattests compute it: ks_2samp, chisquare of current
counts vs reference counts x n_cur / n_ref, the two-proportion z-test, wasserstein_distance /
max(np.std, 0.001), jensenshannon and PSI on get_binned_data's shares. It also prints the method
Evidently's auto selection would choose, for checks configured with method = "auto".
Prediction drift (column "prediction") is skipped: it needs the models' outputs.
"""
import json
import math
import sys

import numpy as np
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from scipy import stats
from scipy.spatial import distance


def load(path):
    t = pq.read_table(path) if path.endswith(".parquet") else pcsv.read_csv(path)
    return {c: t.column(c).to_pylist() for c in t.column_names}


def clean(values):
    return [x for x in values if x is not None and not (isinstance(x, float) and not math.isfinite(x))]


def auto(kind, nref, unique):
    """Evidently's _get_default_stattest."""
    if nref <= 1000:
        if kind == "numerical" and unique > 5:
            return "ks"
        return "chi2" if unique > 2 else "z"
    if kind == "numerical" and unique > 5:
        return "wasserstein"
    return "jensen_shannon"


def binned(ref, cur, kind, feel_zeroes):
    """Evidently's get_binned_data."""
    r, c = np.asarray(ref), np.asarray(cur)
    if kind == "numerical" and len(set(ref)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([r, c]), bins="sturges")
        rp = np.histogram(r, bins)[0] / len(r)
        cp = np.histogram(c, bins)[0] / len(c)
    else:
        keys = sorted(set(ref) | set(cur))
        rp = np.array([ref.count(k) / len(ref) for k in keys])
        cp = np.array([cur.count(k) / len(cur) for k in keys])
    if feel_zeroes:
        for p in (rp, cp):
            m = min(p[p != 0])
            np.place(p, p == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return rp, cp


def compute(ref, cur, kind, method):
    if method == "ks":
        r = stats.ks_2samp(ref, cur)
        return {"ks_statistic": r.statistic, "ks_pvalue": r.pvalue}
    if method == "wasserstein":
        return {"wasserstein_normed": stats.wasserstein_distance(ref, cur) / max(float(np.std(ref)), 0.001)}
    keys = sorted(set(ref) | set(cur))
    if method == "chi2":
        if len(keys) < 2:
            return {"chi2_pvalue": 1.0}
        fo = [cur.count(k) for k in keys]
        fe = [ref.count(k) * len(cur) / len(ref) for k in keys]
        with np.errstate(divide="ignore"):
            r = stats.chisquare(fo, fe)
        out = {"chi2_pvalue": r.pvalue}
        if np.isfinite(r.statistic):
            out["chi2_statistic"] = r.statistic
        return out
    if method == "z":
        if len(keys) == 1:
            return {"z_pvalue": 1.0}
        a = np.array([0 if x == keys[0] else 1 for x in ref])
        b = np.array([0 if x == keys[0] else 1 for x in cur])
        n1, n2 = len(a), len(b)
        p1, p2 = a.sum() / n1, b.sum() / n2
        pp = float(p1 * n1 + p2 * n2) / (n1 + n2)
        z = (p1 - p2) / np.sqrt(pp * (1 - pp) * (1.0 / n1 + 1.0 / n2))
        return {"z_statistic": z, "z_pvalue": 2 * (1 - stats.norm.cdf(np.abs(z)))}
    if method == "jensen_shannon":
        rp, cp = binned(ref, cur, kind, False)
        return {"jensen_shannon": distance.jensenshannon(rp, cp)}
    if method == "psi":
        rp, cp = binned(ref, cur, kind, True)
        return {"psi": float(np.sum((rp - cp) * np.log(rp / cp)))}
    raise ValueError(method)


def main(report_path, reference_path, current_path):
    report = json.load(open(report_path))
    rd, cd = load(reference_path), load(current_path)
    worst, compared = 0.0, 0
    for check in report["checks"]:
        if check["plugin"] != "drift" or check["status"] == "error":
            continue
        details = check["details"]
        if isinstance(details, str):
            details = json.loads(details)
        for col in details["columns"]:
            name, kind, method = col["column"], col["type"], col["method"]
            ref, cur = clean(rd[name]), clean(cd[name])
            chosen = auto(kind, len(ref), len(set(ref) | set(cur)))
            got = {m["name"]: m["value"] for m in check["metrics"]
                   if m.get("column") == name and m.get("model") is None}
            for key, want in compute(ref, cur, kind, method).items():
                rel = abs(got[key] - want) / abs(want) if want != 0 else abs(got[key])
                worst, compared = max(worst, rel), compared + 1
                flag = "MISMATCH" if rel > 1e-9 else "ok"
                if flag != "ok":
                    print(f"{flag} {check['id']} {name} {key}: plugin {got[key]!r} scipy {want!r} ({rel:.2e})")
            print(f"{check['id']:>16} {name:>28} {kind:>11} {method:>14} (auto: {chosen:>14}) drifted={col['drifted']}")
    print(f"{compared} values compared, worst relative difference {worst:.3e}")
    return 0 if worst <= 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
