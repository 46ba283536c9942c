"""Read back what modelgate wrote to an MLflow server, with MLflow's own client (an independent
reader of the registry): the version each alias of a registered model points at, and one run's
tags, metrics and artifact files.

    python tests/mlflow/inspect_run.py --tracking-uri URI --name breast-cancer --run RUN_ID

Prints JSON: {"aliases": {alias: version}, "tags": {...}, "metrics": {...}, "artifacts": [...]}.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

from mlflow import MlflowClient  # noqa: E402


def artifacts(client: MlflowClient, run: str, path: str | None = None) -> list[str]:
    out = []
    for f in client.list_artifacts(run, path):
        out.extend(artifacts(client, run, f.path) if f.is_dir else [f.path])
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--tracking-uri", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--run", required=True)
    args = p.parse_args()
    client = MlflowClient(tracking_uri=args.tracking_uri, registry_uri=args.tracking_uri)
    model = client.get_registered_model(args.name)
    run = client.get_run(args.run)
    json.dump(
        {
            "aliases": dict(model.aliases),
            "tags": {k: v for k, v in run.data.tags.items() if k.startswith("modelgate.")},
            "metrics": {k: v for k, v in run.data.metrics.items() if k.startswith("modelgate.")},
            "artifacts": sorted(artifacts(client, args.run)),
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
