"""Code shared by the example generators (examples/*/generate.py) and by
tests/reference/make_reference.py.

Each of them puts this directory on sys.path and imports it:

    sys.path.insert(0, str(HERE.parent))  # examples/ (tests/reference: <repo>/examples)
    import common

What is here:

- data files: the CSV and Parquet conventions every generated data file follows, and the exact
  read-back checks of the examples;
- ONNX: export of fitted scikit-learn models (with byte-stable opset imports), inference with
  onnxruntime, and the check that both agree;
- metrics and drift primitives used by more than one script;
- expected.json writing and the generators' printing.

tests/reference/make_reference.py runs in its own venv (.venv-reference), which has no onnx,
onnxruntime or skl2onnx: those three are imported inside the functions that use them.
"""

from __future__ import annotations

import csv
import json
import math
import re
import warnings
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import stats
from scipy.spatial import distance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

# The packages whose versions the model examples record in expected.json (tests/requirements.txt).
MODEL_PACKAGES = [
    "numpy",
    "scipy",
    "scikit-learn",
    "skl2onnx",
    "onnx",
    "onnxruntime",
    "pyarrow",
    "protobuf",
]


def package_versions(packages: list[str]) -> dict[str, str]:
    return {p: version(p) for p in packages}


def snake_case(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


# ---------------------------------------------------------------------------------------------
# Data files
#
# CSV: a header row, "\n" line ends, floats written with repr() (the shortest string that
# round-trips exactly), NaN as "NaN", +-inf as "inf"/"-inf" (what both polars and pandas parse as
# floats), a missing value (None) as an empty field. Parquet: one column per kind below; None is
# null, a float NaN stays a NaN value.

ARROW_TYPES = {"int": pa.int64(), "float": pa.float64(), "str": pa.string()}
PARSERS = {"int": int, "float": float, "str": str}


def csv_cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return str(v)


def write_csv(path: Path, columns: dict[str, Sequence]) -> None:
    """Write columns (name -> values, all of one length) as CSV, in their order."""
    names = list(columns)
    n = len(columns[names[0]])
    assert all(len(c) == n for c in columns.values())
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names)
        for i in range(n):
            w.writerow([csv_cell(columns[c][i]) for c in names])


def read_csv(path: Path, kinds: dict[str, str]) -> dict[str, list]:
    """Read a CSV back the way a consumer would: empty field -> None, else typed by kinds (int,
    float or str); the header must be list(kinds)."""
    with path.open(newline="") as f:
        r = csv.reader(f)
        header = next(r)
        assert header == list(kinds), header
        rows = list(r)
    return {
        c: [None if row[j] == "" else PARSERS[kinds[c]](row[j]) for row in rows]
        for j, c in enumerate(header)
    }


def write_parquet(path: Path, columns: dict[str, Sequence], kinds: dict[str, str]) -> None:
    """Write columns as Parquet, typed by kinds: int -> int64, float -> float64, str -> string."""
    # from_pandas=False: None -> null; float("nan") stays a NaN value.
    table = pa.table({c: pa.array(v, type=ARROW_TYPES[kinds[c]], from_pandas=False) for c, v in columns.items()})
    pq.write_table(table, path)


# The model examples: float64 features in a matrix x, one target column y (int64 labels or
# float64 values), split 60/40 into reference.parquet (what the models are trained on) and
# current.csv (labelled evaluation data), both holding [*features, target].

SPLIT_SEED = 42
MODEL_SEED = 0
CURRENT_FRACTION = 0.4


def split(x: np.ndarray, y: np.ndarray, stratify: bool) -> tuple[np.ndarray, ...]:
    """x_ref, x_cur, y_ref, y_cur: the seeded 60/40 split (stratified by y if asked)."""
    return train_test_split(
        x, y, test_size=CURRENT_FRACTION, stratify=y if stratify else None, random_state=SPLIT_SEED
    )


def target_kind(y: np.ndarray) -> str:
    return {np.dtype(np.int64): "int", np.dtype(np.float64): "float"}[y.dtype]


def write_split(
    ref_path: Path,
    cur_path: Path,
    features: list[str],
    target: str,
    x_ref: np.ndarray,
    y_ref: np.ndarray,
    x_cur: np.ndarray,
    y_cur: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Write the reference split as Parquet and the current split as CSV, check that both read
    back exactly, and return current.csv as read back (features as f64, target as i64 or f64)."""
    kinds = {**{name: "float" for name in features}, target: target_kind(y_ref)}
    assert target_kind(y_cur) == kinds[target]

    def columns(x: np.ndarray, y: np.ndarray) -> dict:
        return {**{name: x[:, i] for i, name in enumerate(features)}, target: y}

    write_parquet(ref_path, columns(x_ref, y_ref), kinds)
    write_csv(cur_path, columns(x_cur, y_cur))

    ref_table = pq.read_table(ref_path)
    assert ref_table.column_names == [*features, target], ref_table.column_names
    assert ref_table.schema.field(target).type == ARROW_TYPES[kinds[target]]
    assert np.array_equal(np.column_stack([ref_table[c].to_numpy() for c in features]), x_ref)
    assert np.array_equal(ref_table[target].to_numpy(), y_ref)
    cur = read_csv(cur_path, kinds)
    x_csv = np.column_stack([np.array(cur[c], dtype=np.float64) for c in features])
    y_csv = np.array(cur[target], dtype=y_cur.dtype)
    assert np.array_equal(x_csv, x_cur) and np.array_equal(y_csv, y_cur)
    return x_csv, y_csv


# ---------------------------------------------------------------------------------------------
# ONNX

TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
INPUT_NAME = "input"
OUTPUT_LABEL = "label"  # classifiers: int64 [N]
OUTPUT_PROBABILITIES = "probabilities"  # classifiers: float [N, classes] (no ZipMap)
OUTPUT_PREDICTION = "prediction"  # regressors: float [N, 1]


def logistic_and_tree(seed: int) -> dict:
    """The classifier pair of the breast-cancer and wine examples (unfitted): candidate =
    StandardScaler + LogisticRegression, baseline = DecisionTree(max_depth=2)."""
    baseline = DecisionTreeClassifier(max_depth=2, random_state=seed)
    candidate = Pipeline(
        [
            ("scaler", StandardScaler()),
            ("logreg", LogisticRegression(max_iter=5000, random_state=seed)),
        ]
    )
    return {"candidate": candidate, "baseline": baseline}


def fit(models: dict, x: np.ndarray, y: np.ndarray, classes: list[int] | None = None) -> dict:
    """Fit each model on (x, y); classifiers must end up with exactly these classes."""
    for model in models.values():
        model.fit(x, y)
        assert classes is None or list(model.classes_) == classes, (model, model.classes_)
    return models


def to_onnx(model, path: Path, n_features: int, n_classes: int | None) -> None:
    """Convert a fitted model (a classifier when n_classes is given, else a regressor), check it
    and write it to path."""
    import onnx
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType

    if n_classes is None:
        final_types = [(OUTPUT_PREDICTION, FloatTensorType([None, 1]))]
        options = None
    else:
        final_types = [
            (OUTPUT_LABEL, Int64TensorType([None])),
            (OUTPUT_PROBABILITIES, FloatTensorType([None, n_classes])),
        ]
        options = {id(model): {"zipmap": False}}
    onx = convert_sklearn(
        model,
        name=path.stem,
        initial_types=[(INPUT_NAME, FloatTensorType([None, n_features]))],
        final_types=final_types,
        options=options,
        target_opset=TARGET_OPSET,
    )
    # skl2onnx collects the opset imports in a set: order them so the file is byte-stable.
    opsets = sorted(((o.domain, o.version) for o in onx.opset_import))
    del onx.opset_import[:]
    for domain, ver in opsets:
        onx.opset_import.add(domain=domain, version=ver)
    onnx.checker.check_model(onx, full_check=True)
    path.write_bytes(onx.SerializeToString())


def run_onnx(path: Path, x32: np.ndarray, n_classes: int | None):
    """Run the model on x32 with onnxruntime (one thread, CPU): a classifier returns (label,
    probabilities), a regressor its prediction vector. Checks the model's inputs and outputs."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    n, n_features = x32.shape
    inputs = sess.get_inputs()
    assert [(i.name, i.type, i.shape) for i in inputs] == [
        (INPUT_NAME, "tensor(float)", [None, n_features])
    ], inputs
    if n_classes is None:
        outputs = [(o.name, o.type, o.shape) for o in sess.get_outputs()]
        assert outputs == [(OUTPUT_PREDICTION, "tensor(float)", [None, 1])], outputs
        (pred,) = sess.run([OUTPUT_PREDICTION], {INPUT_NAME: x32})
        assert pred.dtype == np.float32 and pred.shape == (n, 1), (pred.dtype, pred.shape)
        return pred[:, 0]
    outputs = [(o.name, o.type) for o in sess.get_outputs()]
    assert outputs == [
        (OUTPUT_LABEL, "tensor(int64)"),
        (OUTPUT_PROBABILITIES, "tensor(float)"),
    ], outputs
    label, proba = sess.run([OUTPUT_LABEL, OUTPUT_PROBABILITIES], {INPUT_NAME: x32})
    assert label.dtype == np.int64 and label.shape == (n,), (label.dtype, label.shape)
    assert proba.dtype == np.float32 and proba.shape == (n, n_classes), (proba.dtype, proba.shape)
    return label, proba


def export_and_run(models: dict, models_dir: Path, x_csv: np.ndarray, n_classes: int | None = None) -> dict:
    """Write each fitted model as models_dir/<name>.onnx, run it on current.csv's features and
    check that it agrees with scikit-learn. Returns the ONNX outputs by name: (label,
    probabilities) for classifiers (n_classes given), the prediction vector for regressors."""
    # Exactly what a consumer of current.csv feeds the models: f64 parsed, cast to f32.
    x32 = np.ascontiguousarray(x_csv.astype(np.float32))
    x64 = x32.astype(np.float64)
    outputs = {}
    for name, model in models.items():
        path = models_dir / f"{name}.onnx"
        to_onnx(model, path, x32.shape[1], n_classes)
        out = run_onnx(path, x32, n_classes)
        # Sanity: the ONNX model agrees with scikit-learn (on the same f32 inputs).
        if n_classes is None:
            max_diff = float(np.abs(out.astype(np.float64) - model.predict(x64)).max())
            assert max_diff < 1e-3, (name, max_diff)
        else:
            label, proba = out
            agree = int((label == model.predict(x64)).sum())
            max_diff = float(np.abs(proba.astype(np.float64) - model.predict_proba(x64)).max())
            assert agree >= len(x64) - 1 and max_diff < 1e-4, (name, agree, max_diff)
        outputs[name] = out
    return outputs


# ---------------------------------------------------------------------------------------------
# Metrics and drift primitives


def log_loss_f64(y: np.ndarray, proba: np.ndarray, labels: list[int]) -> float:
    """sklearn's log_loss on the float64 copy of the float32 probabilities.

    The f32 rows need not sum to exactly 1 in f64, so sklearn warns; its value is still
    well defined (no renormalisation): mean of -ln(clip(p[true class], eps, 1 - eps)),
    eps = f64 machine epsilon. The warning is silenced, the number is the reference.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The y_prob values do not sum to one")
        return log_loss(y, proba, labels=labels)


# Evidently 0.7's binned shares and distances (see tests/reference/make_reference.py, which checks
# them against Evidently's own results).


def sturges_shares(r: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shares of each sample in np.histogram_bin_edges(concat(r, c), bins='sturges')."""
    edges = np.histogram_bin_edges(np.concatenate([r, c]), bins="sturges")
    return np.histogram(r, edges)[0] / len(r), np.histogram(c, edges)[0] / len(c)


def fill_zero_shares(*shares: np.ndarray) -> None:
    """In place, per sample: zero shares -> min non-zero share / 1e6 if that is <= 1e-4, else 1e-4."""
    for a in shares:
        m = a[a != 0].min()
        np.place(a, a == 0, m / 10**6 if m <= 0.0001 else 0.0001)


def wasserstein_normed(r: np.ndarray, c: np.ndarray) -> float:
    return float(stats.wasserstein_distance(r, c) / max(float(np.std(r)), 0.001))


def jensen_shannon(rp: np.ndarray, cp: np.ndarray) -> float:
    return float(distance.jensenshannon(rp, cp))


def psi(rp: np.ndarray, cp: np.ndarray) -> float:
    return float(np.sum((rp - cp) * np.log(rp / cp)))


def dataset_drift(columns: dict[str, dict], share_threshold: float) -> dict:
    """The dataset-level drift summary of per-column results (each with "drift_detected")."""
    drifted = sum(c["drift_detected"] for c in columns.values())
    share = drifted / len(columns)
    return {
        "columns": columns,
        "columns_tested": len(columns),
        "drifted_columns": drifted,
        "drift_share": share,
        "drift_share_threshold": share_threshold,
        "dataset_drift": share >= share_threshold,
    }


# ---------------------------------------------------------------------------------------------
# expected.json and printing


def expected_head(packages: list[str], ref_rows: int, cur_rows: int, n_columns: int) -> dict:
    """The first keys of an example's expected.json."""
    return {
        "generated_by": "generate.py",
        "versions": package_versions(packages),
        "datasets": {
            "reference": {"rows": ref_rows, "columns": n_columns},
            "current": {"rows": cur_rows, "columns": n_columns},
        },
    }


def write_json(path: Path, obj: dict) -> None:
    """Indented JSON with a final newline; every float must be finite."""

    def check(o):
        if isinstance(o, float):
            assert math.isfinite(o), (path, o)
        elif isinstance(o, dict):
            for v in o.values():
                check(v)
        elif isinstance(o, list):
            for v in o:
                check(v)

    check(obj)
    with path.open("w") as f:
        json.dump(obj, f, indent=2, allow_nan=False)
        f.write("\n")


def print_split(ref_rows: int, cur_rows: int, n_features: int, target: str) -> None:
    print(f"reference: {ref_rows} rows, current: {cur_rows} rows, {n_features} features + {target!r}")


def print_metrics(results: dict[str, dict[str, float]], metrics: list[str], width: int = 10) -> None:
    """The candidate and baseline metrics side by side."""
    cand, base = results["candidate"], results["baseline"]
    print(f"{'metric':<{width}} {'candidate':>20} {'baseline':>20}")
    for m in metrics:
        print(f"{m:<{width}} {cand[m]:>20.12f} {base[m]:>20.12f}")


def print_sizes(paths: list[Path], base: Path) -> None:
    for p in paths:
        print(f"{p.relative_to(base)}: {p.stat().st_size} bytes")
