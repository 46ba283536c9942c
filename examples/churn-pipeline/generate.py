#!/usr/bin/env python3
"""Regenerate examples/churn-pipeline/ (data, ONNX models, expected.json), deterministically.

Run it with generate.sh, which makes the pinned venv (.venv-churn, requirements.txt here):

    examples/churn-pipeline/generate.sh

A synthetic churn table of mixed types — floats with nulls, an integer count, a boolean, two
text categoricals (with nulls and a category the training data never had in current.csv) —
and the models a data scientist would export from it, each the documented way of its exporter:

    models/pipeline.onnx     scikit-learn Pipeline(ColumnTransformer(SimpleImputer + StandardScaler
                             on numbers, OneHotEncoder(handle_unknown="ignore") on text),
                             LogisticRegression), skl2onnx, one input per column, ZipMap off
    models/pipeline_zipmap.onnx  the same pipeline with skl2onnx's default ZipMap output
    models/baseline.onnx     a smaller pipeline (no payment_method, DecisionTree): the "production" model
    models/lightgbm.onnx     LightGBM (NaN handled by the trees), onnxmltools, one float input [N, 3]
    models/xgboost.onnx      XGBoost (likewise), onnxmltools, one float input [N, 3]
    models/logits.onnx       a hand-built graph (onnx.helper): float, double, int64 and bool inputs
                             [N, 1], an ONNX-ML Imputer, a linear layer, output `logits` [N, 2]
                             (softmax), the weights of a scikit-learn LogisticRegression
    models/score.onnx        the same model with rank-1 inputs [N] (float, int32, bool) and one
                             score per row [N, 1] (sigmoid)

expected.json holds, per model, the metrics the performance check must report on current.csv,
computed with scikit-learn from onnxruntime's outputs in Python, fed as modelgate feeds them
(task.missing_features = "nan": numeric nulls as NaN, text nulls as "" — models.NAME.null_text's
default), plus the largest difference between onnxruntime's probabilities and the framework's own
predict_proba; and, for the pipeline with task.missing_features = "drop", the metrics on the rows
whose pipeline inputs are complete.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
from onnx import TensorProto, helper
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # examples/common.py
import common  # noqa: E402

DATA = HERE / "data"
MODELS = HERE / "models"
SEED = 20
TARGET = "churned"
NUMERIC = ["tenure_months", "monthly_charges", "support_calls"]
TEXT = ["contract", "payment_method"]
BOOST = NUMERIC  # the gradient-boosting models take these as one float matrix
LINEAR = ["tenure_months", "monthly_charges", "support_calls", "has_partner"]
KINDS = {
    "tenure_months": "float",
    "monthly_charges": "float",
    "support_calls": "int",
    "has_partner": "bool",
    "contract": "str",
    "payment_method": "str",
    TARGET: "int",
}
PACKAGES = common.MODEL_PACKAGES + ["pandas", "lightgbm", "xgboost-cpu", "onnxmltools", "onnxconverter-common"]
OPSET = {"": 17, "ai.onnx.ml": 3}
BOOST_OPSET = 15  # the highest onnxmltools 1.16 converts to
NULL_TEXT = ""


def make_data(rng: np.random.Generator, n: int, current: bool) -> pd.DataFrame:
    contract = rng.choice(["month-to-month", "one-year", "two-year"], n, p=[0.55, 0.25, 0.2]).astype(object)
    payment = rng.choice(["electronic-check", "mailed-check", "bank-transfer", "credit-card"], n).astype(object)
    tenure = np.round(rng.uniform(0, 72, n), 1)
    charges = np.round(np.clip(rng.normal(65, 25, n), 18, 120), 2)
    calls = rng.poisson(1.5, n).astype(np.int64)
    partner = rng.random(n) < 0.45
    z = (
        -0.6
        + 1.3 * (contract == "month-to-month")
        - 0.035 * tenure
        + 0.015 * (charges - 65)
        + 0.35 * calls
        - 0.4 * partner
        + 0.5 * (payment == "electronic-check")
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(np.int64)
    tenure = tenure.astype(object)
    charges = charges.astype(object)
    tenure[rng.random(n) < (0.08 if current else 0.05)] = None
    charges[rng.random(n) < (0.05 if current else 0.03)] = None
    if current:
        contract[rng.random(n) < 0.05] = None
        contract[rng.random(n) < 0.04] = "three-year"  # never seen in training
        payment[rng.random(n) < 0.03] = None
    return pd.DataFrame(
        {
            "tenure_months": tenure,
            "monthly_charges": charges,
            "support_calls": calls,
            "has_partner": partner,
            "contract": contract,
            "payment_method": payment,
            TARGET: y,
        }
    )


def write_csv(path: Path, df: pd.DataFrame) -> pd.DataFrame:
    cols = {c: [None if v is None else ("true" if v is True else "false" if v is False else v) for v in df[c]] for c in df}
    for c in ["has_partner"]:
        cols[c] = ["true" if bool(v) else "false" for v in df[c]]
    common.write_csv(path, cols)
    # Read back as a consumer would: the exact values the gate sees.
    back = common.read_csv(path, {c: ("str" if k == "bool" else k) for c, k in KINDS.items()})
    back["has_partner"] = [v == "true" for v in back["has_partner"]]
    out = pd.DataFrame(back)
    for c in ["tenure_months", "monthly_charges"]:
        out[c] = out[c].astype(float)  # None -> NaN
    return out


# Feeding a graph as modelgate does with task.missing_features = "nan".


def column_tensor(df: pd.DataFrame, column: str, elem: int, rank: int) -> np.ndarray:
    v = df[column]
    if elem == TensorProto.STRING:
        a = np.array([NULL_TEXT if x is None else str(x) for x in v], dtype=object)
    elif elem == TensorProto.FLOAT:
        a = v.astype(float).to_numpy().astype(np.float32)
    elif elem == TensorProto.DOUBLE:
        a = v.astype(float).to_numpy()
    elif elem == TensorProto.INT64:
        a = v.to_numpy().astype(np.int64)
    elif elem == TensorProto.INT32:
        a = v.to_numpy().astype(np.int32)
    elif elem == TensorProto.BOOL:
        a = v.to_numpy().astype(bool)
    else:
        raise ValueError(elem)
    return a.reshape(-1, 1) if rank == 2 else a


def feed(path: Path, df: pd.DataFrame, matrix: list[str] | None = None) -> dict:
    model = onnx.load(str(path))
    out = {}
    for i in model.graph.input:
        t = i.type.tensor_type
        rank = len(t.shape.dim)
        if matrix is not None:
            out[i.name] = df[matrix].astype(float).to_numpy().astype(np.float32)
        else:
            out[i.name] = column_tensor(df, i.name, t.elem_type, rank)
    return out


def run(path: Path, df: pd.DataFrame, matrix: list[str] | None = None) -> dict:
    # One thread, as modelgate runs a session: a tree ensemble summed by several threads adds its
    # trees in another order, which changes the float32 results in the last bits.
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, feed(path, df, matrix))))


def sigmoid(s: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-s))


def softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def zipmap_proba(maps: list[dict], classes: list) -> np.ndarray:
    return np.array([[float(np.float32(m[c])) for c in classes] for m in maps])


def metrics(y: np.ndarray, label: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    p1 = proba[:, 1]
    out = {
        "accuracy": accuracy_score(y, label),
        "precision": precision_score(y, label, pos_label=1, zero_division=0),
        "recall": recall_score(y, label, pos_label=1, zero_division=0),
        "f1": f1_score(y, label, pos_label=1, zero_division=0),
        "roc_auc": roc_auc_score(y, p1),
        "log_loss": common.log_loss_f64(y, proba, [0, 1]),
        "brier": brier_score_loss(y, p1, pos_label=1),
    }
    return {k: float(v) for k, v in out.items()}


# Models.


def pipeline(numeric: list[str], text: list[str], classifier) -> Pipeline:
    return Pipeline(
        [
            (
                "columns",
                ColumnTransformer(
                    [
                        ("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
                        ("cat", OneHotEncoder(handle_unknown="ignore"), text),
                    ]
                ),
            ),
            ("model", classifier),
        ]
    )


def export_pipeline(model: Pipeline, columns: list[str], path: Path, zipmap: bool) -> None:
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType

    types = {"support_calls": Int64TensorType([None, 1])}
    initial = [
        (c, types.get(c, StringTensorType([None, 1]) if c in TEXT else FloatTensorType([None, 1]))) for c in columns
    ]
    options = {id(model): {"zipmap": zipmap}}
    onx = to_onnx(model, initial_types=initial, options=options, target_opset=OPSET)
    save(onx, path)


def save(onx, path: Path) -> None:
    onx.producer_version = ""  # byte-stable across patch releases of the converters
    onx.graph.name = path.stem  # onnxmltools names the graph with a random uuid
    # The converters collect the opset imports in a set: order them so the file is byte-stable.
    opsets = sorted((o.domain, o.version) for o in onx.opset_import)
    del onx.opset_import[:]
    for domain, ver in opsets:
        onx.opset_import.add(domain=domain, version=ver)
    onnx.checker.check_model(onx, full_check=True)
    path.write_bytes(onx.SerializeToString())


def export_boost(model, kind: str, path: Path) -> None:
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType

    initial = [("input", FloatTensorType([None, len(BOOST)]))]
    if kind == "lightgbm":
        # onnxmltools' default: a ZipMap output (a sequence of maps class -> probability).
        onx = onnxmltools.convert_lightgbm(model, initial_types=initial, target_opset=BOOST_OPSET)
    else:
        onx = onnxmltools.convert_xgboost(model, initial_types=initial, target_opset=BOOST_OPSET)
    save(onx, path)


def linear_graph(path: Path, lr: LogisticRegression, medians, means, scales, rank1: bool) -> None:
    """A hand-built graph with one input per column: Cast to float, Concat, ONNX-ML Imputer (the
    training medians), standardise, then a linear layer: `logits` [N, 2] = [0, z] (softmax of it
    is the logistic regression's probabilities), or `score` [N, 1] = z (sigmoid)."""
    if rank1:
        inputs = [
            ("tenure_months", TensorProto.FLOAT),
            ("monthly_charges", TensorProto.FLOAT),
            ("support_calls", TensorProto.INT32),
            ("has_partner", TensorProto.BOOL),
        ]
    else:
        inputs = [
            ("tenure_months", TensorProto.FLOAT),
            ("monthly_charges", TensorProto.DOUBLE),
            ("support_calls", TensorProto.INT64),
            ("has_partner", TensorProto.BOOL),
        ]
    shape = ["N"] if rank1 else ["N", 1]
    nodes, cols = [], []
    shape_2d = helper.make_tensor("shape_2d", TensorProto.INT64, [2], [-1, 1])
    for name, elem in inputs:
        nodes.append(helper.make_node("Cast", [name], [f"{name}_f"], to=TensorProto.FLOAT))
        if rank1:
            nodes.append(helper.make_node("Reshape", [f"{name}_f", "shape_2d"], [f"{name}_c"]))
            cols.append(f"{name}_c")
        else:
            cols.append(f"{name}_f")
    w = lr.coef_[0].astype(np.float32)
    b = float(lr.intercept_[0])
    if rank1:
        weights = helper.make_tensor("W", TensorProto.FLOAT, [4, 1], w.tolist())
        bias = helper.make_tensor("B", TensorProto.FLOAT, [1], [b])
        out_name, out_shape = "score", ["N", 1]
    else:
        weights = helper.make_tensor("W", TensorProto.FLOAT, [4, 2], [v for x in w for v in (0.0, float(x))])
        bias = helper.make_tensor("B", TensorProto.FLOAT, [2], [0.0, b])
        out_name, out_shape = "logits", ["N", 2]
    nodes += [
        helper.make_node("Concat", cols, ["x"], axis=1),
        helper.make_node(
            "Imputer",
            ["x"],
            ["imputed"],
            domain="ai.onnx.ml",
            imputed_value_floats=[float(v) for v in medians],
            replaced_value_float=float("nan"),
        ),
        helper.make_node("Sub", ["imputed", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "scale"], ["scaled"]),
        helper.make_node("MatMul", ["scaled", "W"], ["xw"]),
        helper.make_node("Add", ["xw", "B"], [out_name]),
    ]
    init = [
        weights,
        bias,
        helper.make_tensor("mean", TensorProto.FLOAT, [4], [float(v) for v in means]),
        helper.make_tensor("scale", TensorProto.FLOAT, [4], [float(v) for v in scales]),
    ]
    if rank1:
        init.append(shape_2d)
    graph = helper.make_graph(
        nodes,
        "churn_linear",
        [helper.make_tensor_value_info(n, e, shape) for n, e in inputs],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, out_shape)],
        init,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid(d, v) for d, v in OPSET.items()],
        producer_name="examples/churn-pipeline/generate.py",
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())


def main() -> int:
    warnings.filterwarnings("ignore", message="Found unknown categories")
    DATA.mkdir(exist_ok=True)
    MODELS.mkdir(exist_ok=True)
    rng = np.random.default_rng(SEED)
    ref = write_csv(DATA / "reference.csv", make_data(rng, 600, current=False))
    cur = write_csv(DATA / "current.csv", make_data(rng, 300, current=True))
    y_ref, y = ref[TARGET].to_numpy(), cur[TARGET].to_numpy()

    results, framework = {}, {}

    def record(name: str, label, proba, sk_proba) -> None:
        results[name] = metrics(y, np.asarray(label), proba)
        diff = np.abs(proba - sk_proba).max(axis=1)
        framework[name] = {"max_abs_diff": float(diff.max()), "rows_over_1e-6": int((diff > 1e-6).sum())}

    # scikit-learn pipelines (skl2onnx, one input per column).
    cols = NUMERIC + TEXT
    cand = pipeline(NUMERIC, TEXT, LogisticRegression(max_iter=1000)).fit(ref[cols], y_ref)
    export_pipeline(cand, cols, MODELS / "pipeline.onnx", zipmap=False)
    export_pipeline(cand, cols, MODELS / "pipeline_zipmap.onnx", zipmap=True)
    sk = cand.predict_proba(cur[cols])
    o = run(MODELS / "pipeline.onnx", cur)
    record("pipeline", o["label"], o["probabilities"].astype(np.float64), sk)
    oz = run(MODELS / "pipeline_zipmap.onnx", cur)
    record("pipeline_zipmap", oz["output_label"], zipmap_proba(oz["output_probability"], [0, 1]), sk)
    assert results["pipeline_zipmap"] == results["pipeline"]

    base_cols = NUMERIC + ["contract"]
    base = pipeline(NUMERIC, ["contract"], DecisionTreeClassifier(max_depth=3, random_state=SEED)).fit(ref[base_cols], y_ref)
    export_pipeline(base, base_cols, MODELS / "baseline.onnx", zipmap=False)
    ob = run(MODELS / "baseline.onnx", cur)
    record("baseline", ob["label"], ob["probabilities"].astype(np.float64), base.predict_proba(cur[base_cols]))

    # task.missing_features = "drop": only the rows whose pipeline inputs are all present.
    keep = cur[cols].notna().all(axis=1).to_numpy()
    p_drop = o["probabilities"].astype(np.float64)[keep]
    results["pipeline_drop"] = metrics(y[keep], o["label"][keep], p_drop)
    framework["pipeline_drop"] = framework["pipeline"]
    dropped = int((~keep).sum())

    # Gradient boosting (onnxmltools, one float input [N, 3]); the trees route NaN themselves.
    import lightgbm
    import xgboost

    x_ref = ref[BOOST].astype(float).to_numpy()
    # The frameworks predict on the float64 data; the graphs see it rounded to float32, which
    # moves a value sitting between a split threshold and its float32 neighbour to the other side.
    x_cur = cur[BOOST].astype(float).to_numpy()
    lgb = lightgbm.LGBMClassifier(n_estimators=40, num_leaves=8, learning_rate=0.1, random_state=SEED, verbose=-1)
    lgb.fit(x_ref, y_ref)
    export_boost(lgb, "lightgbm", MODELS / "lightgbm.onnx")
    ol = run(MODELS / "lightgbm.onnx", cur, matrix=BOOST)
    print("lightgbm outputs:", {k: type(v).__name__ for k, v in ol.items()})
    proba = ol["probabilities"]
    proba = zipmap_proba(proba, [0, 1]) if isinstance(proba, list) else proba.astype(np.float64)
    record("lightgbm", ol["label"], proba, lgb.predict_proba(x_cur))

    xgb = xgboost.XGBClassifier(n_estimators=40, max_depth=3, learning_rate=0.1, random_state=SEED, n_jobs=1)
    xgb.fit(x_ref, y_ref)
    export_boost(xgb, "xgboost", MODELS / "xgboost.onnx")
    ox = run(MODELS / "xgboost.onnx", cur, matrix=BOOST)
    print("xgboost outputs:", {k: type(v).__name__ for k, v in ox.items()})
    record("xgboost", ox["label"], ox["probabilities"].astype(np.float64), xgb.predict_proba(x_cur))

    # Hand-built graphs with logits / a score, fed float, double, int32, int64 and bool.
    xl_ref = ref[LINEAR].astype(float).to_numpy()
    medians = np.nanmedian(xl_ref, axis=0)
    imputed = np.where(np.isnan(xl_ref), medians, xl_ref)
    means, scales = imputed.mean(axis=0), imputed.std(axis=0)
    lr = LogisticRegression(max_iter=1000).fit((imputed - means) / scales, y_ref)
    xl_cur = cur[LINEAR].astype(float).to_numpy()
    sk_lin = lr.predict_proba((np.where(np.isnan(xl_cur), medians, xl_cur) - means) / scales)
    linear_graph(MODELS / "logits.onnx", lr, medians, means, scales, rank1=False)
    linear_graph(MODELS / "score.onnx", lr, medians, means, scales, rank1=True)
    logits = run(MODELS / "logits.onnx", cur)["logits"].astype(np.float64)
    p = softmax(logits)
    record("logits", p.argmax(axis=1), p, sk_lin)
    score = run(MODELS / "score.onnx", cur)["score"].astype(np.float64)[:, 0]
    p1 = sigmoid(score)
    p = np.stack([1.0 - p1, p1], axis=1)
    record("score", p.argmax(axis=1), p, sk_lin)

    expected = common.expected_head(PACKAGES, len(ref), len(cur), len(KINDS))
    expected["feeding"] = {"missing_features": "nan", "null_text": NULL_TEXT}
    expected["models"] = results
    expected["dropped_rows"] = {"pipeline_drop": dropped}
    expected["framework_max_abs_diff"] = framework
    common.write_json(HERE / "expected.json", expected)

    metric_names = list(next(iter(results.values())))
    print(f"{'model':16} " + " ".join(f"{m:>9}" for m in metric_names))
    for k, v in results.items():
        print(f"{k:16} " + " ".join(f"{v[m]:9.5f}" for m in metric_names))
    print("largest |onnxruntime - framework predict_proba|:")
    for k, v in framework.items():
        print(f"  {k:16} {v['max_abs_diff']:.3e} ({v['rows_over_1e-6']} rows over 1e-6)")
    common.print_sizes(sorted(DATA.iterdir()) + sorted(MODELS.iterdir()), HERE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
