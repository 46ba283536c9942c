#!/usr/bin/env python3
"""Writes the bad-input corpus: one directory per case, each a `gate.toml` plus the (small) files
it reads. Run with the repo's venv (it needs pyarrow): `.venv/bin/python tests/bad-inputs/generate.py`.
The output is deterministic; tests/e2e/bad_inputs.rs runs every case through the real binary.

Every policy uses the breast-cancer example's models (30 float features, binary label) through a
path relative to the policy, and a 40-row slice of the example's current data.
"""
import csv
import io
import os
import random
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent.parent / "examples" / "breast-cancer"
MODELS = "../../../examples/breast-cancer/models"
ROWS = 40

rows = list(csv.reader(open(EXAMPLE / "data" / "current.csv", newline="")))
HEADER, DATA = rows[0], rows[1 : ROWS + 1]
FEATURES = HEADER[:-1]


def csv_text(header, data, delimiter=","):
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    w.writerow(header)
    w.writerows(data)
    return out.getvalue()


def table(header, data):
    cols = {}
    for j, name in enumerate(header):
        vals = [r[j] for r in data]
        cols[name] = pa.array([int(v) for v in vals] if name == "label" else [float(v) for v in vals])
    return pa.table(cols)


def policy(datasets, models=("candidate",), task="binary", extra="", checks=None, features=None, target="label",
           positive="1"):
    lines = ['version = 1', 'name = "bad-input"', "", "[task]", f'type = "{task}"', f'target = "{target}"']
    if task == "binary":
        lines.append(f"positive_label = {positive}")
    if features is not None:
        lines.append("features = [" + ", ".join(f'"{f}"' for f in features) + "]")
    lines += ["", "[datasets]"]
    lines += [f'{k} = "{v}"' for k, v in datasets.items()]
    for m in models:
        src = m if "/" in m else f"{MODELS}/{m}.onnx"
        name = "candidate" if "/" in m else m
        lines += ["", f"[models.{name}]", f'onnx = "{src}"']
    lines += ["", "[[checks]]", 'id = "performance"', 'plugin = "performance"']
    if checks:
        lines += ["", checks]
    if extra:
        lines += ["", extra]
    return "\n".join(lines) + "\n"


def case(name, files, gate):
    d = HERE / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir()
    for fname, content in files.items():
        p = d / fname
        if content is None:  # a directory where a file is expected
            p.mkdir()
            (p / ".keep").write_text("a directory where the gate expects a data file\n")
        elif isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
    (d / "gate.toml").write_text(gate)


GOOD = csv_text(HEADER, DATA)
CUR = {"current": "current.csv"}

# --- files ----------------------------------------------------------------------------------
case("missing-file", {}, policy(CUR))
case("directory-not-file", {"current.csv": None}, policy(CUR))
case("empty-file", {"current.csv": ""}, policy(CUR))
case("header-only-csv", {"current.csv": csv_text(HEADER, [])}, policy(CUR))
ragged = [list(r) for r in DATA]
ragged[5] = ragged[5][:12]                       # a short row
ragged[9] = ragged[9] + ["1.0", "2.0"]           # a long row
case("ragged-csv", {"current.csv": csv_text(HEADER, ragged)}, policy(CUR))
case("wrong-delimiter", {"current.csv": csv_text(HEADER, DATA, delimiter=";")}, policy(CUR))
case("unknown-extension", {"current.xlsx": GOOD}, policy({"current": "current.xlsx"}))

# --- parquet --------------------------------------------------------------------------------
buf = io.BytesIO()
pq.write_table(table(HEADER, DATA), buf, compression="NONE")
whole = buf.getvalue()
case("truncated-parquet", {"reference.parquet": whole[: len(whole) // 2], "current.csv": GOOD},
     policy({"reference": "reference.parquet", "current": "current.csv"}))
rng = random.Random(7)
case("corrupt-parquet", {"reference.parquet": bytes(rng.randrange(256) for _ in range(4096)), "current.csv": GOOD},
     policy({"reference": "reference.parquet", "current": "current.csv"}))

# --- schema ---------------------------------------------------------------------------------
missing = [h for h in HEADER if h != "mean_texture"]
case("feature-missing-in-current",
     {"reference.parquet": whole, "current.csv": csv_text(missing, [[v for h, v in zip(HEADER, r) if h != "mean_texture"] for r in DATA])},
     policy({"reference": "reference.parquet", "current": "current.csv"}))
retyped = [list(r) for r in DATA]
for r in retyped[::3]:
    r[HEADER.index("mean_area")] = "large"
case("feature-type-mismatch", {"reference.parquet": whole, "current.csv": csv_text(HEADER, retyped)},
     policy({"reference": "reference.parquet", "current": "current.csv"}))
case("target-missing", {"current.csv": csv_text(FEATURES, [r[:-1] for r in DATA])}, policy(CUR))
dup = list(HEADER)
dup[HEADER.index("mean_area")] = "mean_radius"
case("duplicate-column-names", {"current.csv": csv_text(dup, DATA)}, policy(CUR))

# --- values ---------------------------------------------------------------------------------
allnull = [list(r) for r in DATA]
for r in allnull:
    r[HEADER.index("mean_smoothness")] = ""
case("all-null-feature", {"current.csv": csv_text(HEADER, allnull)}, policy(CUR))
nan = [list(r) for r in DATA]
nan[3][HEADER.index("mean_concavity")] = "NaN"
case("nan-in-feature", {"current.csv": csv_text(HEADER, nan)}, policy(CUR))
inf = [list(r) for r in DATA]
inf[4][HEADER.index("worst_area")] = "inf"
inf[8][HEADER.index("worst_area")] = "-inf"
case("inf-in-feature", {"current.csv": csv_text(HEADER, inf)}, policy(CUR))
nanlabel = [list(r) for r in DATA]
for r in nanlabel:
    r[-1] = r[-1] + ".0"                          # a float label column, as pandas writes it
nanlabel[6][-1] = "NaN"
# The labels are read as text ("1.0"), so the positive label is written as they read.
case("nan-in-label", {"current.csv": csv_text(HEADER, nanlabel)}, policy(CUR, positive='"1.0"'))
nulllabel = [list(r) for r in DATA]
nulllabel[2][-1] = ""
case("null-in-label", {"current.csv": csv_text(HEADER, nulllabel)}, policy(CUR))

# --- models ---------------------------------------------------------------------------------
case("feature-count-mismatch", {"current.csv": GOOD}, policy(CUR, features=FEATURES[:10]))
case("not-onnx-model", {"current.csv": GOOD, "model.onnx": "this is a pickle, honest\n"},
     policy(CUR, models=("./model.onnx",)))
case("classifier-as-regression", {"current.csv": GOOD}, policy(CUR, task="regression"))
diabetes = list(csv.reader(open(EXAMPLE.parent / "diabetes" / "data" / "current.csv", newline="")))
diabetes_data = [r[:-1] + ["1" if float(r[-1]) > 140 else "0"] for r in diabetes[1 : ROWS + 1]]
case("regressor-as-classifier", {"current.csv": csv_text(diabetes[0][:-1] + ["label"], diabetes_data)},
     policy(CUR, models=("../../../examples/diabetes/models/candidate.onnx",)))

# --- policies -------------------------------------------------------------------------------
case("policy-version-string", {"current.csv": GOOD}, policy(CUR).replace("version = 1", 'version = "one"'))
case("policy-severity-number", {"current.csv": GOOD}, policy(CUR, checks="severity = 3").replace("\n\nseverity", "\nseverity"))
case("policy-unknown-key", {"current.csv": GOOD}, policy(CUR).replace('target = "label"', 'target = "label"\nfeatures_list = ["a"]'))
case("policy-duplicate-check-id", {"current.csv": GOOD},
     policy(CUR, extra='[[checks]]\nid = "performance"\nplugin = "data-quality"'))
case("policy-not-toml", {"current.csv": GOOD}, "version = 1\nname = \"bad\n[datasets]\ncurrent = current.csv\n")

# --- must work --------------------------------------------------------------------------------
names = {"mean_radius": "mean radius (µm)", "mean_texture": "Textur – Mittelwert", "mean_area": "面積 平均",
         "label": "diagnóstico maligno"}
uni = [names.get(h, h) for h in HEADER]
case("unicode-column-names", {"données actuelles.csv": csv_text(uni, DATA)},
     policy({"current": "données actuelles.csv"}, target=names["label"],
            extra='[[checks]]\nid = "data-quality"\nplugin = "data-quality"\n[checks.config]\nreference = false'))
