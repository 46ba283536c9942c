"""Writes sklearn_reference.json: generated scores and labels (with ties) and what scikit-learn
computes on them, for the `sklearn_reference` unit tests of the performance-estimate plugin.

    .venv/bin/python plugins/performance-estimate/testdata/make_sklearn_reference.py

Per case: the isotonic calibrator `IsotonicRegression(out_of_bounds="clip", increasing=True)`
fitted on the reference's (score, label) and evaluated at probe points (inside, between and
outside the fitted range); then, on a "current" sample, the calibrated p, the expected metrics as
scikit-learn computes them with sample weights (every row a positive of weight p and a negative
of weight 1 - p), the weighted roc_auc_score, and NannyML's sampling-error components
re-implemented in numpy (population std; argsort made stable). Multiclass cases: one-vs-rest
calibrators, rows renormalised (uniform where they sum to 0), expected metrics as scikit-learn's
macro averages on every row expanded into one row per class weighted by its p, roc_auc the mean
of the per-class weighted AUCs, and NannyML's multiclass standard errors.

Scores are float64 (the host hands ONNX's float32 probabilities to the plugin as float64, so one
case uses float32-representable scores cast to float64, as sklearn sees them here).
"""
import json
from pathlib import Path

import numpy as np
import sklearn
from sklearn import metrics as M
from sklearn.isotonic import IsotonicRegression

rng = np.random.default_rng(20261206)


def weighted(y_pred, p, fn):
    n = len(p)
    y2 = np.r_[np.ones(n, int), np.zeros(n, int)]
    return float(fn(y2, np.r_[y_pred, y_pred], sample_weight=np.r_[p, 1 - p]))


def metrics(score, p, y_pred):
    n = len(p)
    y2 = np.r_[np.ones(n, int), np.zeros(n, int)]
    return {
        "accuracy": weighted(y_pred, p, M.accuracy_score),
        "precision": weighted(y_pred, p, M.precision_score),
        "recall": weighted(y_pred, p, M.recall_score),
        "f1": weighted(y_pred, p, M.f1_score),
        "roc_auc": float(M.roc_auc_score(y2, np.r_[score, score], sample_weight=np.r_[p, 1 - p])),
    }


def nannyml_components(y, y_pred, score):
    out = {}
    out["accuracy"] = [float(np.std((y == y_pred).astype(int))), 1.0]
    pp = y_pred == 1
    out["precision"] = [float(np.std(y[pp])), float(pp.mean())]
    ap = y == 1
    out["recall"] = [float(np.std(y_pred[ap])), float(ap.mean())]
    tp = np.sum((y == 1) & (y_pred == 1))
    fp = np.sum((y == 0) & (y_pred == 1))
    fn = np.sum((y == 1) & (y_pred == 0))
    rel = np.r_[np.ones(tp), np.zeros(fp + fn)] * (tp + fp + fn) / ((fn + fp) * 0.5 + tp)
    out["f1"] = [float(np.std(rel)), float((tp + fp + fn) / len(y))]
    yt, s = y.copy(), score.copy()
    if np.mean(yt) > 0.5:
        yt, s = 1 - yt, 1 - s
    order = np.argsort(s, kind="stable")
    yt = yt[order]
    ranks = np.flatnonzero(yt == 1)
    ser = (ranks - np.arange(len(ranks))) / (len(yt) - yt.sum())
    out["roc_auc"] = [float(np.std(ser)), float(yt.mean())]
    return out


def case(name, n_ref, n_cur, decimals, float32=False, shift=0.0):
    y_ref = (rng.random(n_ref) < 0.4).astype(int)
    s_ref = np.clip(np.round(0.25 + 0.4 * y_ref + rng.normal(0, 0.2, n_ref), decimals), 0, 1)
    y_cur = (rng.random(n_cur) < 0.4 + shift).astype(int)
    s_cur = np.clip(np.round(0.25 + 0.4 * y_cur + rng.normal(0, 0.25, n_cur), decimals), 0, 1)
    if float32:
        s_ref = s_ref.astype(np.float32).astype(np.float64)
        s_cur = s_cur.astype(np.float32).astype(np.float64)
    pred_ref = (s_ref >= 0.5).astype(int)
    pred_cur = (s_cur >= 0.5).astype(int)
    iso = IsotonicRegression(out_of_bounds="clip", increasing=True).fit(s_ref, y_ref)
    probes = np.r_[-0.5, 0.0, s_ref.min(), s_ref.max(), 1.5, np.linspace(0, 1, 37), s_ref[:20]]
    p = iso.predict(s_cur)
    return {
        "name": name,
        "reference": {"score": s_ref.tolist(), "label": y_ref.tolist(), "predicted": pred_ref.tolist()},
        "current": {"score": s_cur.tolist(), "label": y_cur.tolist(), "predicted": pred_cur.tolist()},
        "probes": probes.tolist(),
        "isotonic_at_probes": iso.predict(probes).tolist(),
        "calibrated": p.tolist(),
        "estimated": metrics(s_cur, p, pred_cur),
        "uncalibrated": metrics(s_cur, s_cur, pred_cur),
        "realized": metrics(s_cur, y_cur.astype(float), pred_cur),
        "realized_sklearn": {
            "accuracy": float(M.accuracy_score(y_cur, pred_cur)),
            "precision": float(M.precision_score(y_cur, pred_cur)),
            "recall": float(M.recall_score(y_cur, pred_cur)),
            "f1": float(M.f1_score(y_cur, pred_cur)),
            "roc_auc": float(M.roc_auc_score(y_cur, s_cur)),
        },
        "components": nannyml_components(y_ref, pred_ref, s_ref),
    }


def multiclass_case(name, n_ref, n_cur, k=3):
    def sample(n, shift):
        y = rng.integers(0, k, n)
        logits = np.round(rng.normal(0, 1, (n, k)), 1)
        logits[np.arange(n), y] += 1.2 + shift
        e = np.exp(logits)
        return y, e / e.sum(axis=1, keepdims=True)

    y_ref, s_ref = sample(n_ref, 0.0)
    y_cur, s_cur = sample(n_cur, -0.5)
    pred_ref, pred_cur = s_ref.argmax(axis=1), s_cur.argmax(axis=1)
    classes = list(range(k))
    p, estimated = multiclass_estimates(s_ref, y_ref, s_cur, pred_cur, classes)
    realized_macro = dict(average="macro", labels=classes, zero_division=0)
    realized = {
        "accuracy": float(M.accuracy_score(y_cur, pred_cur)),
        "precision": float(M.precision_score(y_cur, pred_cur, **realized_macro)),
        "recall": float(M.recall_score(y_cur, pred_cur, **realized_macro)),
        "f1": float(M.f1_score(y_cur, pred_cur, **realized_macro)),
        "roc_auc": float(M.roc_auc_score(y_cur, s_cur, multi_class="ovr", average="macro", labels=classes)),
    }
    return {
        "name": name,
        "reference": {"score": s_ref.T.tolist(), "label": y_ref.tolist(), "predicted": pred_ref.tolist()},
        "current": {"score": s_cur.T.tolist(), "label": y_cur.tolist(), "predicted": pred_cur.tolist()},
        "calibrated": p.T.tolist(),
        "estimated": estimated,
        "realized": realized,
        "standard_errors": multiclass_standard_errors(y_ref, pred_ref, s_ref, n_cur),
    }


def multiclass_estimates(s_ref, y_ref, s_cur, pred_cur, classes):
    """Multiclass CBPE: one isotonic calibrator per class (one-vs-rest), rows renormalised
    (uniform where they sum to 0), and the macro estimates; returns (calibrated p, estimates)."""
    k, n_cur = len(classes), len(pred_cur)
    p = np.column_stack([
        IsotonicRegression(out_of_bounds="clip", increasing=True).fit(s_ref[:, c], y_ref == c).predict(s_cur[:, c])
        for c in classes
    ])
    sums = p.sum(axis=1, keepdims=True)
    p = np.where(sums > 0, p / np.where(sums > 0, sums, 1), 1 / k)
    # Every row expanded into k rows, one per true class c with weight p_c.
    y_exp = np.tile(classes, n_cur)
    pred_exp = np.repeat(pred_cur, k)
    w = p.reshape(-1)
    macro = dict(average="macro", labels=classes, zero_division=0, sample_weight=w)
    n2 = np.r_[np.ones(n_cur, int), np.zeros(n_cur, int)]
    estimated = {
        "accuracy": float(M.accuracy_score(y_exp, pred_exp, sample_weight=w)),
        "precision": float(M.precision_score(y_exp, pred_exp, **macro)),
        "recall": float(M.recall_score(y_exp, pred_exp, **macro)),
        "f1": float(M.f1_score(y_exp, pred_exp, **macro)),
        "roc_auc": float(np.mean([
            M.roc_auc_score(n2, np.r_[s_cur[:, c], s_cur[:, c]], sample_weight=np.r_[p[:, c], 1 - p[:, c]])
            for c in classes
        ])),
    }
    return p, estimated


def multiclass_standard_errors(y, pred, s, n):
    """NannyML's multiclass approach: accuracy from correct rows; a macro metric's SE is
    sqrt(sum of the one-vs-rest classes' squared SEs) / k."""
    k = s.shape[1]
    out = {"accuracy": float(np.std((y == pred).astype(int)) / np.sqrt(n))}
    per = [nannyml_components((y == c).astype(int), (pred == c).astype(int), s[:, c]) for c in range(k)]
    for m in ["precision", "recall", "f1", "roc_auc"]:
        se = [std / np.sqrt(n * frac) for std, frac in (cls[m] for cls in per)]
        out[m] = float(np.sqrt(np.sum(np.square(se))) / k)
    return out


def main():
    cases = [
        case("two-decimals", 400, 300, 2),
        case("one-decimal-heavy-ties", 250, 180, 1, shift=0.2),
        case("float32-fine", 600, 500, 6, float32=True),
        case("positive-majority", 300, 200, 3, shift=0.35),
    ]
    multiclass = [multiclass_case("three-classes", 500, 400), multiclass_case("four-classes-small", 120, 90, k=4)]
    out = {"sklearn": sklearn.__version__, "cases": cases, "multiclass": multiclass}
    path = Path(__file__).with_name("sklearn_reference.json")
    path.write_text(json.dumps(out, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {path} (scikit-learn {sklearn.__version__})")


if __name__ == "__main__":
    main()
