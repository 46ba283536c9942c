"""label-balance: a modelgate validator plugin written in Python (componentize-py).

Checks the class balance of a label column: the share of the rarest class must be at least
`min_share`, and (optionally) there must be at most `max_classes` classes. Counting is done by the
host (`table.value-counts`); the plugin only sees one row per class.

Config (the check's [checks.config] table, all keys optional):
  dataset     = "current"   # the dataset to look at
  column      = "label"     # the label column; default: the gate's task.target
  min_share   = 0.05        # minimum share of the rarest class among non-null labels, in [0, 1]
  max_classes = 10          # maximum number of distinct classes (no limit when absent)

Build with ./build.sh; see README.md. componentize-py generates the `wit_world` package from
<repo>/wit at build time: `Validator` below implements its `exports.Validator` protocol, and
`wit_world.imports.host` / `.types` are the host interface and the shared types.
"""

import difflib
import json
import math

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import host, types

NAME = "label-balance"
VERSION = "0.1.0"
DEFAULT_DATASET = "current"
DEFAULT_MIN_SHARE = 0.05
# The host caps value-counts at 100,000 values; a "label" column with that many is not one.
MAX_VALUES = 100_000

CONFIG_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "label-balance config",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "dataset": {
            "type": "string",
            "minLength": 1,
            "default": DEFAULT_DATASET,
            "description": "The dataset whose labels are checked.",
        },
        "column": {
            "type": "string",
            "minLength": 1,
            "description": "The label column (default: the gate's task.target).",
        },
        "min_share": {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "default": DEFAULT_MIN_SHARE,
            "description": "Minimum share of the rarest class among the non-null labels.",
        },
        "max_classes": {
            "type": "integer",
            "minimum": 1,
            "description": "Maximum number of distinct classes (no limit when absent).",
        },
    },
}


class Config:
    """The parsed and checked config. Every problem raises Err naming the key."""

    def __init__(self, text: str) -> None:
        try:
            raw = json.loads(text) if text.strip() else {}
        except ValueError as e:
            raise Err(f"config: not valid JSON: {e}")
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise Err(f"config: expected a table of settings, got {type_name(raw)}")
        known = list(CONFIG_SCHEMA["properties"])
        for key in raw:
            if key not in known:
                near = difflib.get_close_matches(key, known, n=1)
                hint = f"did you mean `{near[0]}`?" if near else "expected one of " + ", ".join(f"`{k}`" for k in known)
                raise Err(f"config.{key}: unknown key `{key}`; {hint}")

        self.dataset = raw.get("dataset", DEFAULT_DATASET)
        if not isinstance(self.dataset, str) or not self.dataset:
            raise Err(f"config.dataset: expected a dataset name (a non-empty string), got {type_name(self.dataset)}")

        self.column = raw.get("column")
        if self.column is not None and (not isinstance(self.column, str) or not self.column):
            raise Err(f"config.column: expected a column name (a non-empty string), got {type_name(self.column)}")

        share = raw.get("min_share", DEFAULT_MIN_SHARE)
        if isinstance(share, bool) or not isinstance(share, (int, float)):
            raise Err(f"config.min_share: expected a number in [0, 1], got {type_name(share)}")
        if not (math.isfinite(share) and 0.0 <= share <= 1.0):
            raise Err(f"config.min_share: must be in [0, 1] (a share, not a percentage), got {share}")
        self.min_share = float(share)

        limit = raw.get("max_classes")
        if limit is not None:
            if isinstance(limit, float) and limit.is_integer():
                limit = int(limit)
            if isinstance(limit, bool) or not isinstance(limit, int):
                raise Err(f"config.max_classes: expected a whole number, got {type_name(limit)}")
            if limit < 1:
                raise Err(f"config.max_classes: must be at least 1, got {limit}")
        self.max_classes = limit


def type_name(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return f"boolean {json.dumps(v)}"
    if isinstance(v, (int, float)):
        return f"number {v}"
    if isinstance(v, str):
        return f"string {json.dumps(v)}"
    if isinstance(v, list):
        return "an array"
    return "a table"


def pct(x: float) -> str:
    return f"{100.0 * x:.1f}%"


class Validator(exports.Validator):
    def describe(self) -> types.PluginInfo:
        return types.PluginInfo(
            name=NAME,
            version=VERSION,
            description=(
                "Checks the class balance of a label column (default: the task's target in the `current` "
                "dataset): the rarest class must make up at least `min_share` of the non-null labels, and "
                "there may be at most `max_classes` classes. Written in Python (componentize-py)."
            ),
            config_schema=json.dumps(CONFIG_SCHEMA, sort_keys=True),
            needs=types.Needs(datasets=[DEFAULT_DATASET], models=False, labels=True),
        )

    def validate(self, ctx: exports.validator.Context, config: str) -> types.CheckResult:
        cfg = Config(config)

        named = next((d for d in ctx.datasets if d.name == cfg.dataset), None)
        if named is None:
            have = ", ".join(f"`{d.name}`" for d in ctx.datasets) or "none"
            raise Err(f"config.dataset: the gate has no dataset `{cfg.dataset}` (its datasets: {have})")
        table = named.table

        column = cfg.column
        if column is None:
            if ctx.task is None:
                raise Err("config.column: no label column: set `column`, or give the gate a [task] with a `target`")
            column = ctx.task.target
        key = "config.column" if cfg.column is not None else "task.target"

        try:
            counts = table.value_counts(column, MAX_VALUES)
        except Err as e:
            err: types.HostError = e.value
            if err.kind == types.ErrorKind.NO_SUCH_COLUMN:
                names = [c.name for c in table.schema()]
                near = difflib.get_close_matches(column, names, n=1)
                hint = f"; did you mean `{near[0]}`?" if near else ""
                raise Err(f"{key}: dataset `{cfg.dataset}` has no column `{column}`{hint}")
            raise Err(f"cannot count the values of `{column}` in `{cfg.dataset}`: {err.message}")

        rows = table.num_rows()
        labelled = sum(vc.count for vc in counts)
        if labelled == 0:
            raise Err(f"{key}: column `{column}` of `{cfg.dataset}` has no non-null values ({rows} rows)")
        if len(counts) >= MAX_VALUES:
            raise Err(f"{key}: column `{column}` of `{cfg.dataset}` has {MAX_VALUES} or more distinct values: not a class label")
        nulls = rows - labelled
        if nulls:
            host.log(types.LogLevel.WARN, f"{nulls} of {rows} rows have no `{column}` value; shares are over the {labelled} labelled rows")

        # value-counts is most frequent first, ties by value: the last entry is the rarest class.
        rarest = counts[-1]
        share = rarest.count / labelled
        n_classes = len(counts)
        share_ok = share >= cfg.min_share
        metrics = [
            types.Metric(
                name="minority_share",
                value=share,
                column=column,
                model=None,
                slice=None,
                thresholds=[types.Threshold(kind="min", value=cfg.min_share)],
                passed=share_ok,
            )
        ]
        class_thresholds = []
        classes_ok = n_classes >= 2
        if n_classes < 2:
            class_thresholds.append(types.Threshold(kind="min", value=2.0))
        if cfg.max_classes is not None:
            class_thresholds.append(types.Threshold(kind="max", value=float(cfg.max_classes)))
            classes_ok = classes_ok and n_classes <= cfg.max_classes
        metrics.append(
            types.Metric(
                name="classes",
                value=float(n_classes),
                column=column,
                model=None,
                slice=None,
                thresholds=class_thresholds,
                passed=classes_ok if class_thresholds else None,
            )
        )

        where = f"`{column}` of {cfg.dataset}"
        problems = []
        if n_classes < 2:
            problems.append(f"only one class (`{rarest.value}`) in {where}")
        if not share_ok:
            problems.append(
                f"rarest class `{rarest.value}` has {pct(share)} of {labelled} labels in {where}, below min {pct(cfg.min_share)}"
            )
        if cfg.max_classes is not None and n_classes > cfg.max_classes:
            problems.append(f"{n_classes} classes in {where}, above max {cfg.max_classes}")
        if problems:
            status, summary = types.Status.FAIL, "; ".join(problems)
        else:
            status = types.Status.PASS
            summary = (
                f"rarest class `{rarest.value}` has {pct(share)} of {labelled} labels in {where} "
                f"(min {pct(cfg.min_share)}), {n_classes} classes"
            )

        details = {
            "dataset": cfg.dataset,
            "column": column,
            "rows": rows,
            "null_count": nulls,
            "classes": [{"value": vc.value, "count": vc.count, "share": vc.count / labelled} for vc in counts],
        }
        return types.CheckResult(status=status, summary=summary, metrics=metrics, details=json.dumps(details))

