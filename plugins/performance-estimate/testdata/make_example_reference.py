"""Writes breast_cancer_reference.json: what the performance-estimate check must report on the
bundled breast-cancer example (examples/breast-cancer), computed with scikit-learn on
onnxruntime's outputs, for the e2e test tests/e2e/estimate.rs.

    .venv/bin/python plugins/performance-estimate/testdata/make_example_reference.py

For each model (candidate, baseline) and each calibration (isotonic, none): the scores are
onnxruntime's float32 probability of class 1 (the positive label), cast to float64; the
calibrator is IsotonicRegression(out_of_bounds="clip", increasing=True) fitted on the reference
(data/reference.parquet, labelled); on data/current.csv: estimated_<metric> from scikit-learn with
sample weights (each row a positive of weight p and a negative of weight 1 - p), the ±3 SE band
(NannyML's components from make_sklearn_reference.py, clipped to [0, 1]) and realized_<metric>.
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
from make_sklearn_reference import metrics, nannyml_components  # noqa: E402

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
    print(f"wrote {path}")
    for model, e in out["models"].items():
        for m in METRICS:
            print(f"{model:10} {m:10} estimated {e['isotonic']['estimated'][m]:.4f} "
                  f"(none {e['none']['estimated'][m]:.4f}) realized {e['realized'][m]:.4f}")


if __name__ == "__main__":
    main()
