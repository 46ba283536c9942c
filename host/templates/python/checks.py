"""The logic of `{{name}}`, free of the WebAssembly bindings so that `python3 -m unittest` tests it
natively. app.py connects it to the host."""

import difflib
import json
import math

DEFAULT_DATASET = "current"

# The JSON Schema of the config: the host validates every policy's config against it before the
# check runs, and `modelgate plugin inspect` prints it.
CONFIG_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "{{name}} config",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "dataset": {"type": "string", "default": DEFAULT_DATASET, "description": "Dataset to check."},
        "columns": {"type": "array", "items": {"type": "string"}, "description": "Columns to check (default: all)."},
        "max_missing_share": {
            "type": "number", "minimum": 0, "maximum": 1, "default": 0,
            "description": "Largest allowed share of null or NaN values per column.",
        },
    },
}


class ConfigError(ValueError):
    """A config problem; the message names the key."""


class Config:
    """The check's [checks.config] table (JSON text from the host), parsed and checked."""

    def __init__(self, text: str) -> None:
        raw = json.loads(text) if text.strip() else {}
        if not isinstance(raw, dict):
            raise ConfigError("config: expected a table of settings")
        known = list(CONFIG_SCHEMA["properties"])
        for key in raw:
            if key not in known:
                near = difflib.get_close_matches(key, known, n=1)
                hint = f"did you mean `{near[0]}`?" if near else "expected one of " + ", ".join(known)
                raise ConfigError(f"config.{key}: unknown key; {hint}")
        self.dataset = raw.get("dataset", DEFAULT_DATASET)
        if not isinstance(self.dataset, str) or not self.dataset:
            raise ConfigError("config.dataset: expected a dataset name")
        self.columns = raw.get("columns", [])
        if not isinstance(self.columns, list) or not all(isinstance(c, str) for c in self.columns):
            raise ConfigError("config.columns: expected a list of column names")
        share = raw.get("max_missing_share", 0.0)
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not math.isfinite(share) or not 0 <= share <= 1:
            raise ConfigError(f"config.max_missing_share: expected a number in [0, 1], got {share!r}")
        self.max_missing_share = float(share)


def missing_share(missing: int, rows: int, limit: float) -> tuple[float, bool]:
    """The share of missing values and whether it is within `limit` (inclusive)."""
    share = missing / rows if rows else 0.0
    return share, share <= limit
