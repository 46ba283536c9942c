"""Writes breast_cancer_reference.json and wine_reference.json: what the performance-estimate check must report on the
bundled breast-cancer example (examples/breast-cancer), computed with scikit-learn on
onnxruntime's outputs, for the e2e test tests/e2e/estimate.rs.

    .venv/bin/python plugins/performance-estimate/testdata/make_example_reference.py

For each model (candidate, baseline) and each calibration (isotonic, none): the scores are
onnxruntime's float32 probability of class 1 (the positive label), cast to float64; the
calibrator is IsotonicRegression(out_of_bounds="clip", increasing=True) fitted on the reference
(data/reference.parquet, labelled); on data/current.csv: estimated_<metric> from scikit-learn with
sample weights (each row a positive of weight p and a negative of weight 1 - p), the ±3 SE band
(NannyML's components from make_sklearn_reference.py, clipped to [0, 1]) and realized_<metric>.
The multiclass wine example (examples/wine): one-vs-rest calibrators, rows renormalised, macro
averages, as make_sklearn_reference.multiclass_case computes them (isotonic calibration only).
"""
import json
import sys
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import sklearn
from sklearn.isotonic import IsotonicRegression

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
EXAMPLE = ROOT / "examples" / "breast-cancer"
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(0, str(HERE))
import common  # noqa: E402
from make_sklearn_reference import metrics, multiclass_estimates, multiclass_standard_errors, nannyml_components  # noqa: E402

METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc"]


def load(table):
    names = [n for n in table.column_names if n != "label"]
    x = np.column_stack([table.column(n).to_numpy().astype(np.float64) for n in names])
    return x.astype(np.float32), table.column("label").to_numpy().astype(int)


def main():
    x_ref, y_ref = load(pq.read_table(EXAMPLE / "data" / "reference.parquet"))
    x_cur, y_cur = load(pacsv.read_csv(EXAMPLE / "data" / "current.csv"))
    out = {"sklearn": sklearn.__version__, "rows": {"reference": len(y_ref), "current": len(y_cur)}, "models": {}}
    for model in ["candidate", "baseline"]:
        path = EXAMPLE / "models" / f"{model}.onnx"
        pred_ref, proba_ref = common.run_onnx(path, x_ref, 2)
        pred_cur, proba_cur = common.run_onnx(path, x_cur, 2)
        s_ref = proba_ref[:, 1].astype(np.float64)
        s_cur = proba_cur[:, 1].astype(np.float64)
        comps = nannyml_components(y_ref, pred_ref, s_ref)
        entry = {
            "realized": metrics(s_cur, y_cur.astype(float), pred_cur),
            "reference_realized": metrics(s_ref, y_ref.astype(float), pred_ref),
        }
        iso = IsotonicRegression(out_of_bounds="clip", increasing=True).fit(s_ref, y_ref)
        for calibration, p in [("isotonic", iso.predict(s_cur)), ("none", s_cur)]:
            est = metrics(s_cur, p, pred_cur)
            band = {}
            for m in METRICS:
                std, fraction = comps[m]
                se = std / np.sqrt(len(y_cur) * fraction)
                band[m] = [float(np.clip(est[m] - 3 * se, 0, 1)), float(np.clip(est[m] + 3 * se, 0, 1))]
            entry[calibration] = {"estimated": est, "ci": band}
        out["models"][model] = entry
    path = HERE / "breast_cancer_reference.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    wine()
    print(f"wrote {path}")
    for model, e in out["models"].items():
        for m in METRICS:
            print(f"{model:10} {m:10} estimated {e['isotonic']['estimated'][m]:.4f} "
                  f"(none {e['none']['estimated'][m]:.4f}) realized {e['realized'][m]:.4f}")


def wine():
    from sklearn import metrics as M

    example = ROOT / "examples" / "wine"
    x_ref, y_ref = load(pq.read_table(example / "data" / "reference.parquet"))
    x_cur, y_cur = load(pacsv.read_csv(example / "data" / "current.csv"))
    classes = [0, 1, 2]
    k = len(classes)
    out = {"rows": {"reference": len(y_ref), "current": len(y_cur)}, "models": {}}
    for model in ["candidate", "baseline"]:
        path = example / "models" / f"{model}.onnx"
        pred_ref, s_ref = common.run_onnx(path, x_ref, k)
        pred_cur, s_cur = common.run_onnx(path, x_cur, k)
        s_ref, s_cur = s_ref.astype(np.float64), s_cur.astype(np.float64)
        p, est = multiclass_estimates(s_ref, y_ref, s_cur, pred_cur, classes)
        n = len(y_cur)
        se = multiclass_standard_errors(y_ref, pred_ref, s_ref, n)
        rm = dict(average="macro", labels=classes, zero_division=0)
        # Realized roc_auc: the mean of the per-class AUCs of the raw probabilities (what the
        # check computes; scikit-learn's multi_class="ovr" refuses rows that do not sum to 1).
        realized = {
            "accuracy": float(M.accuracy_score(y_cur, pred_cur)),
            "precision": float(M.precision_score(y_cur, pred_cur, **rm)),
            "recall": float(M.recall_score(y_cur, pred_cur, **rm)),
            "f1": float(M.f1_score(y_cur, pred_cur, **rm)),
            "roc_auc": float(np.mean([M.roc_auc_score(y_cur == c, s_cur[:, c]) for c in classes])),
        }
        out["models"][model] = {
            "isotonic": {
                "estimated": est,
                "ci": {m: [float(np.clip(est[m] - 3 * se[m], 0, 1)), float(np.clip(est[m] + 3 * se[m], 0, 1))]
                       for m in METRICS},
            },
            "realized": realized,
        }
        for m in METRICS:
            print(f"wine {model:10} {m:10} estimated {est[m]:.4f} realized {realized[m]:.4f}")
    path = HERE / "wine_reference.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
