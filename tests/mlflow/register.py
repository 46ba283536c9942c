"""Fill an MLflow tracking server with the registry fixture the modelgate MLflow tests use.

Run with the MLflow venv's python (PIP_NO_DEPS=1 tests/venv.sh --print-python .venv-mlflow tests/mlflow/requirements.txt):

    python tests/mlflow/register.py --tracking-uri http://127.0.0.1:PORT \
        --candidate examples/breast-cancer/models/candidate.onnx \
        --baseline examples/breast-cancer/models/baseline.onnx

It creates, in experiment "modelgate" (--experiment):
  * one run per ONNX file, with params, a metric, tags, and the file logged as a plain
    artifact at <run artifact root>/model/model.onnx (mlflow.log_artifact; no onnx package
    and no MLmodel flavour are involved);
  * registered model "breast-cancer" (--name) with one version per run, whose source is the
    run's artifact URI + "/model" (mlflow-artifacts:/<exp>/<run>/artifacts/model);
  * aliases: champion -> the baseline's version, challenger -> the candidate's;
  * a third run whose model/ holds only a README.txt (no .onnx), registered as a version
    with alias no-onnx, for the failure-mode test.

Prints a JSON summary on stdout: the experiment id and, per role, run id, version, alias,
source and the sha256 of the file logged. Versions are numbered in creation order, so on a
fresh server baseline = 1, candidate = 2, no-onnx = 3.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time

# Before importing mlflow: the machine has no network and tests must not phone home.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

import mlflow  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def wait_ready(client: MlflowClient, name: str, version: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        mv = client.get_model_version(name, version)
        if mv.status == "READY":
            return
        if mv.status == "FAILED_REGISTRATION" or time.monotonic() > deadline:
            raise SystemExit(f"register.py: model version {name}/{version} is {mv.status}")
        time.sleep(0.2)


def log_run(
    experiment_id: str,
    run_name: str,
    params: dict,
    metrics: dict,
    files: dict[str, str],
) -> mlflow.entities.Run:
    """One finished run; files maps a name under model/ to the local file to log there."""
    with tempfile.TemporaryDirectory() as tmp:
        with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
            mlflow.log_params(params)
            mlflow.log_metrics(metrics)
            mlflow.set_tag("modelgate.fixture", "true")
            for name, src in files.items():
                # log_artifact keeps the file's base name: copy it to the name wanted first.
                dst = os.path.join(tmp, name)
                shutil.copyfile(src, dst)
                mlflow.log_artifact(dst, artifact_path="model")
        return mlflow.get_run(run.info.run_id)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tracking-uri", default=os.environ.get("MLFLOW_TRACKING_URI"))
    ap.add_argument("--candidate", required=True, help="candidate .onnx file")
    ap.add_argument("--baseline", required=True, help="baseline .onnx file")
    ap.add_argument("--name", default="breast-cancer", help="registered model name")
    ap.add_argument("--experiment", default="modelgate", help="experiment name")
    args = ap.parse_args()
    if not args.tracking_uri:
        ap.error("--tracking-uri (or MLFLOW_TRACKING_URI) is required")
    for p in (args.candidate, args.baseline):
        if not os.path.isfile(p):
            ap.error(f"no such file: {p}")

    # mlflow prints "View run ... at: URL" on stdout: keep stdout for the JSON summary alone.
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    with contextlib.redirect_stdout(sys.stderr):
        summary = build(args)
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def build(args: argparse.Namespace) -> dict:
    mlflow.set_tracking_uri(args.tracking_uri)
    client = MlflowClient(tracking_uri=args.tracking_uri)

    exp = client.get_experiment_by_name(args.experiment)
    experiment_id = exp.experiment_id if exp else client.create_experiment(args.experiment)

    try:
        client.create_registered_model(
            args.name, description="modelgate MLflow registry test fixture"
        )
    except MlflowException as e:
        if e.error_code != "RESOURCE_ALREADY_EXISTS":
            raise

    readme = None
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("This model version has no ONNX file (modelgate failure-mode fixture).\n")
        readme = f.name

    roles = [
        # role, alias, files under model/, params, metrics
        ("baseline", "champion", {"model.onnx": args.baseline},
         {"family": "decision_tree", "source_file": os.path.basename(args.baseline)},
         {"train_accuracy": 0.97}),
        ("candidate", "challenger", {"model.onnx": args.candidate},
         {"family": "logistic_regression", "source_file": os.path.basename(args.candidate)},
         {"train_accuracy": 0.98}),
        ("no_onnx", "no-onnx", {"README.txt": readme},
         {"family": "none"},
         {"train_accuracy": 0.0}),
    ]
    summary = {
        "tracking_uri": args.tracking_uri,
        "experiment_id": experiment_id,
        "name": args.name,
        "models": {},
    }
    try:
        for role, alias, files, params, metrics in roles:
            run = log_run(experiment_id, role, params, metrics, files)
            source = f"{run.info.artifact_uri}/model"
            mv = client.create_model_version(
                name=args.name,
                source=source,
                run_id=run.info.run_id,
                tags={"modelgate.role": role},
                description=f"{role} model",
            )
            wait_ready(client, args.name, mv.version)
            client.set_registered_model_alias(args.name, alias, mv.version)
            entry = {
                "run_id": run.info.run_id,
                "version": mv.version,
                "alias": alias,
                "source": source,
                "artifact_uri": run.info.artifact_uri,
            }
            if "model.onnx" in files:
                entry["artifact_path"] = "model/model.onnx"
                entry["sha256"] = sha256(files["model.onnx"])
            summary["models"][role] = entry
    finally:
        os.unlink(readme)

    # Read the aliases back, so a fixture that is not what the summary says fails here.
    for role, entry in summary["models"].items():
        got = client.get_model_version_by_alias(args.name, entry["alias"])
        if got.version != entry["version"]:
            raise SystemExit(
                f"register.py: alias {entry['alias']} points at version {got.version}, "
                f"expected {entry['version']}"
            )
    return summary


if __name__ == "__main__":
    sys.exit(main())
