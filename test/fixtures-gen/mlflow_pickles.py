"""What the tree generators (categorical.py, feature-names.py) write for a model MLflow's sklearn
flavor saved: its MLmodel flavors block and the pickle itself, written one way for both."""
import pickle


def sklearn_flavor(version):
    return (f"  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n    predict_fn: predict\n"
            f"  sklearn:\n    pickled_model: model.pkl\n    serialization_format: cloudpickle\n    sklearn_version: {version}\n")


def dump_pickle(obj, path):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=4)
