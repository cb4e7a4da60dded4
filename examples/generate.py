#!/usr/bin/env python3
"""Writes examples/mlruns: an MLflow file store (tracking + model registry) holding the ONNX model `iris`.

MLflow itself is not a dependency (it cannot be installed offline), so this script writes the files exactly
as `mlflow.onnx.log_model(..., registered_model_name="iris")` followed by stage transitions and aliases
writes them with MLflow 2.17.2's file store: the same files, keys, YAML style and value formats as the
real-MLflow fixtures in ../shared/fixtures/mlflow-real/registry-file.

Two differences from MLflow, both deliberate:
- ids, timestamps and the user are fixed (seeded), so regenerating gives byte-identical files;
- artifact locations are relative paths, `examples/mlruns/...` (see ROOT_URI), instead of absolute file://
  URIs, so a clone works wherever it lives. Like MLflow, flowgate reads a relative location from the
  working directory: started from the repository root (or /app in the container image) it finds the
  files directly; from elsewhere it finds them under the store root and logs that it did.

Registry: iris v1 LogisticRegression(C=1.0) in Production (@champion), v2 C=0.05 in Staging (@challenger).
Each model: input `input` float32[batch,4] -> `label` int64[batch] (ArgMax) and `probabilities`
float32[batch,3] (Softmax), built with onnx.helper from the fitted coefficients.

Usage: python3 examples/generate.py [--out DIR]   (needs scikit-learn, onnx, numpy, PyYAML)
"""
import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import random
import shutil
import tempfile
import uuid

import numpy as np
import onnx
import yaml
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

MLFLOW_VERSION = "2.17.2"  # the release whose on-disk format this reproduces
ONNXRUNTIME_VERSION = "1.30.0"  # mlflow.onnx pins the installed onnxruntime; it is not needed to write the model
ROOT_URI = "examples/mlruns"  # locations are "<ROOT_URI>/<experiment>/<run>/artifacts", from the repository root
SEED = 20250101
BASE_TIME_MS = 1735732800000  # 2025-01-01 12:00:00 UTC
USER = "flowgate"
SOURCE_NAME = "examples/generate.py"
EXPERIMENT_NAME = "iris-onnx"
MODEL_NAME = "iris"
EXAMPLE_ROWS = [0, 50, 100, 25, 75]  # one or two of each class
VERSIONS = [
    {"C": 1.0, "stage": "Production", "description": "LogisticRegression(C=1.0) on iris, exported to ONNX"},
    {"C": 0.05, "stage": "Staging", "description": "LogisticRegression(C=0.05): stronger regularisation"},
]
ALIASES = {"champion": 1, "challenger": 2}


class Clock:
    """Deterministic epoch-millisecond timestamps that move forward."""

    def __init__(self, start_ms):
        self.now = start_ms

    def tick(self, ms):
        self.now += ms
        return self.now


def write_text(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def write_yaml(path, data):
    # MLflow: yaml.safe_dump(..., default_flow_style=False) with sorted keys.
    write_text(path, yaml.safe_dump(data, default_flow_style=False))


def version_of(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def onnx_model(clf):
    """The fitted multinomial LogisticRegression as MatMul/Add -> Softmax and ArgMax."""
    weights = clf.coef_.T.astype(np.float32)  # [4, 3]
    bias = clf.intercept_.astype(np.float32)  # [3]
    nodes = [
        helper.make_node("MatMul", ["input", "W"], ["xw"]),
        helper.make_node("Add", ["xw", "b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["logits"], ["label"], axis=1, keepdims=0),
    ]
    graph = helper.make_graph(
        nodes,
        "iris_logreg",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 4])],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 3]),
        ],
        initializer=[numpy_helper.from_array(weights, "W"), numpy_helper.from_array(bias, "b")],
    )
    model = helper.make_model(graph, producer_name="flowgate-examples", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model, weights, bias


def check_against_sklearn(clf, weights, bias, x):
    """The ONNX graph's arithmetic, in numpy, must reproduce sklearn's predictions."""
    logits = x.astype(np.float32) @ weights + bias
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba = exp / exp.sum(axis=1, keepdims=True)
    if not np.array_equal(logits.argmax(axis=1), clf.predict(x)):
        raise SystemExit("ONNX graph labels differ from sklearn's")
    if not np.allclose(proba, clf.predict_proba(x), atol=1e-5):
        raise SystemExit("ONNX graph probabilities differ from sklearn's")


def signature():
    def tensor(name, dtype, shape):
        return {"name": name, "type": "tensor", "tensor-spec": {"dtype": dtype, "shape": shape}}

    return {
        "inputs": json.dumps([tensor("input", "float32", [-1, 4])]),
        "outputs": json.dumps([tensor("label", "int64", [-1]), tensor("probabilities", "float32", [-1, 3])]),
        "params": None,
    }


def python_env_files(model_dir):
    """conda.yaml, python_env.yaml and requirements.txt as mlflow.onnx writes them."""
    python = platform.python_version()
    requirements = [f"mlflow=={MLFLOW_VERSION}", f"onnx=={onnx.__version__}", f"onnxruntime=={ONNXRUNTIME_VERSION}"]
    pip = version_of("pip")
    write_yaml(
        os.path.join(model_dir, "conda.yaml"),
        {
            "channels": ["conda-forge"],
            "dependencies": [f"python={python}", f"pip<={pip}" if pip else "pip", {"pip": requirements}],
            "name": "mlflow-env",
        },
    )
    build = [f"{dist}=={version_of(dist)}" if version_of(dist) else dist for dist in ("pip", "setuptools", "wheel")]
    # _PythonEnv.to_yaml keeps insertion order (python, build_dependencies, dependencies).
    write_text(
        os.path.join(model_dir, "python_env.yaml"),
        yaml.safe_dump(
            {"python": python, "build_dependencies": build, "dependencies": ["-r requirements.txt"]},
            default_flow_style=False,
            sort_keys=False,
        ),
    )
    write_text(os.path.join(model_dir, "requirements.txt"), "\n".join(requirements))


def log_model(model_dir, model, example, run_id, created):
    """The artifacts/model directory of `mlflow.onnx.log_model(model, "model", signature=..., input_example=...)`."""
    os.makedirs(model_dir)
    rows = example.astype(np.float32).tolist()
    write_text(os.path.join(model_dir, "input_example.json"), json.dumps(rows))
    write_text(os.path.join(model_dir, "serving_input_example.json"), json.dumps({"inputs": rows}, indent=2))
    onnx.save_model(model, os.path.join(model_dir, "model.onnx"))
    size = sum(os.path.getsize(os.path.join(model_dir, f)) for f in os.listdir(model_dir))

    utc_time_created = datetime.datetime.fromtimestamp(created / 1000, datetime.timezone.utc)
    utc_time_created = utc_time_created.strftime("%Y-%m-%d %H:%M:%S.%f")
    model_uuid = uuid.UUID(int=random.getrandbits(128), version=4).hex
    flavors = {
        "python_function": {
            "loader_module": "mlflow.onnx",
            "python_version": platform.python_version(),
            "data": "model.onnx",
            "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
        },
        "onnx": {
            "onnx_version": onnx.__version__,
            "data": "model.onnx",
            "providers": ["CUDAExecutionProvider", "CPUExecutionProvider"],
            "onnx_session_options": None,
            "code": None,
        },
    }
    mlmodel = {
        "artifact_path": "model",
        "flavors": flavors,
        "mlflow_version": MLFLOW_VERSION,
        "model_size_bytes": size,
        "model_uuid": model_uuid,
        "run_id": run_id,
        "saved_input_example_info": {
            "artifact_path": "input_example.json",
            "serving_input_path": "serving_input_example.json",
            "type": "ndarray",
        },
        "signature": signature(),
        "utc_time_created": utc_time_created,
    }
    write_yaml(os.path.join(model_dir, "MLmodel"), mlmodel)
    python_env_files(model_dir)
    # The run tag MLflow appends on every log_model (Model.get_tags_dict, in this key order).
    return {
        "run_id": run_id,
        "artifact_path": "model",
        "utc_time_created": utc_time_created,
        "model_uuid": model_uuid,
        "flavors": flavors,
    }


def experiment(root, experiment_id, name, created):
    write_yaml(
        os.path.join(root, experiment_id, "meta.yaml"),
        {
            "artifact_location": f"{ROOT_URI}/{experiment_id}",
            "creation_time": created,
            "experiment_id": experiment_id,
            "last_update_time": created,
            "lifecycle_stage": "active",
            "name": name,
        },
    )


def run(root, experiment_id, spec, x, y, clock):
    run_id = uuid.UUID(int=random.getrandbits(128), version=4).hex
    run_dir = os.path.join(root, experiment_id, run_id)
    run_name = f"iris-logreg-C{spec['C']}"
    start = clock.tick(1000)

    clf = LogisticRegression(C=spec["C"], max_iter=1000).fit(x, y)
    model, weights, bias = onnx_model(clf)
    check_against_sklearn(clf, weights, bias, x)

    params = {"C": str(spec["C"]), "max_iter": "1000", "dataset": "iris"}
    for key, value in params.items():
        write_text(os.path.join(run_dir, "params", key), value)
    accuracy = float(clf.score(x, y))
    write_text(os.path.join(run_dir, "metrics", "train_accuracy"), f"{clock.tick(7)} {accuracy} 0\n")

    history = log_model(os.path.join(run_dir, "artifacts", "model"), model, x[EXAMPLE_ROWS], run_id, clock.tick(3))
    tags = {
        "mlflow.user": USER,
        "mlflow.source.name": SOURCE_NAME,
        "mlflow.source.type": "LOCAL",
        "mlflow.runName": run_name,
        "mlflow.log-model.history": json.dumps([history]),
    }
    for key, value in tags.items():
        write_text(os.path.join(run_dir, "tags", key), value)

    write_yaml(
        os.path.join(run_dir, "meta.yaml"),
        {
            "artifact_uri": f"{ROOT_URI}/{experiment_id}/{run_id}/artifacts",
            "end_time": clock.tick(40),
            "entry_point_name": "",
            "experiment_id": experiment_id,
            "lifecycle_stage": "active",
            "run_id": run_id,
            "run_name": run_name,
            "run_uuid": run_id,
            "source_name": "",
            "source_type": 4,
            "source_version": "",
            "start_time": start,
            "status": 3,
            "tags": [],
            "user_id": USER,
        },
    )
    return run_id


def register(root, experiment_id, runs, clock):
    model_dir = os.path.join(root, "models", MODEL_NAME)
    created = None
    for number, (spec, run_id) in enumerate(zip(VERSIONS, runs), start=1):
        version_created = clock.tick(2)
        created = created or version_created
        source = f"{ROOT_URI}/{experiment_id}/{run_id}/artifacts/model"
        write_yaml(
            os.path.join(model_dir, f"version-{number}", "meta.yaml"),
            {
                "aliases": [],
                "creation_timestamp": version_created,
                "current_stage": spec["stage"],
                "description": spec["description"],
                "last_updated_timestamp": clock.tick(5),  # the stage transition
                "name": MODEL_NAME,
                "run_id": run_id,
                "run_link": None,
                "source": source,
                "status": "READY",
                "status_message": None,
                "storage_location": source,
                "user_id": None,
                "version": number,
            },
        )
    for key, value in {"task": "classification", "dataset": "iris", "flavor": "onnx"}.items():
        write_text(os.path.join(model_dir, "tags", key), value)
    for alias, number in ALIASES.items():
        write_text(os.path.join(model_dir, "aliases", alias), str(number))
    write_yaml(
        os.path.join(model_dir, "meta.yaml"),
        {
            "aliases": {alias: str(number) for alias, number in ALIASES.items()},
            "creation_timestamp": created,
            "description": "Iris classifiers exported to ONNX. Production = v1, Staging = v2.",
            "last_updated_timestamp": version_created,
            "name": MODEL_NAME,
        },
    )


def generate(out):
    random.seed(SEED)
    clock = Clock(BASE_TIME_MS)
    iris = load_iris()
    x, y = iris.data, iris.target

    experiment(out, "0", "Default", clock.now)
    experiment_id = str(random.getrandbits(63))
    experiment(out, experiment_id, EXPERIMENT_NAME, clock.tick(4))
    runs = [run(out, experiment_id, spec, x, y, clock) for spec in VERSIONS]
    register(out, experiment_id, runs, clock)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "mlruns"), help="store root to (re)write")
    out = os.path.abspath(parser.parse_args().out)

    # Write next to the target, then swap, so a failed run leaves the old store intact.
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".mlruns-", dir=parent)
    try:
        generate(staging)
        os.chmod(staging, 0o755)
        shutil.rmtree(out, ignore_errors=True)
        os.rename(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
