"""Tree models and requests whose columns differ from the model's features: what the real library
answers to the data MLflow builds from each request.

Usage: feature-names.py xgboost|lightgbm OUT_DIR
  xgboost  Debian's python3 (xgboost 1.7.4, scikit-learn 1.2.1, pandas 1.5)
  lightgbm the reference venv (lightgbm 4.7, scikit-learn 1.9.1)

Models are trained on a DataFrame with columns a, b, c, d (a nonlinear target, so a column read
in the wrong place changes the answer) or on an ndarray (no names), and saved the way
mlflow.<flavor>.save_model saves them (MLmodel written here). Each is reloaded from its file as
MLflow loads it before predicting.

Requests reorder, add, drop and rename columns, as `dataframe_split`, `dataframe_records` (key
order), `inputs` (rows, or a dict of columns) and `instances` (records). The data handed to the
model is built as MLflow's scoring server builds it (pd.DataFrame(split/records), np.array /
dict of np.array for inputs/instances, a list of records as it is); with a signature, _enforce_schema first makes a DataFrame
of the schema's columns in the schema's order (extra ones dropped; a missing one is MLflow's own
400). "signed_shuffled" models carry a signature whose column order is not the model's.

OUT_DIR/<kind>/<case>/expected.json: per request, {"predictions": [...], "dtype": ...},
{"raises": "<library exception class>", "message": ...} or {"mlflow_error": ...}.
"""
import json
import os
import pickle
import sys
import warnings

import numpy as np
import pandas as pd

# Run with -P (this folder's sklearn.py would shadow the package): the shared helpers come after it.
sys.path.append(os.path.dirname(os.path.abspath(__file__)))
from mlflow_pickles import dump_pickle, sklearn_flavor  # noqa: E402

warnings.filterwarnings("ignore")

NAMES = ["a", "b", "c", "d"]
ROWS = [[0.5, -1.0, 2.0, 0.1], [-1.5, 0.3, -0.7, 1.2], [2.2, 1.1, 0.4, -0.9], [0.0, -0.4, -1.8, 2.5]]


def reorder(cols):
    return [[row[NAMES.index(c)] if c in NAMES else 9.5 for c in cols] for row in ROWS]


def records(key_orders):
    return [{k: row[NAMES.index(k)] if k in NAMES else 9.5 for k in keys} for row, keys in zip(ROWS, key_orders)]


def split(cols):
    return {"dataframe_split": {"columns": cols, "data": reorder(cols)}}


REVERSED = ["d", "c", "b", "a"]
REQUESTS = {
    "split_same_order": split(NAMES),
    "split_reordered": split(REVERSED),
    "split_swapped_pair": split(["b", "a", "c", "d"]),
    "split_extra_last": split(NAMES + ["e"]),
    "split_extra_first": split(["e"] + NAMES),
    "split_missing_column": split(["a", "b", "c"]),
    "split_renamed": {"dataframe_split": {"columns": ["w", "x", "y", "z"], "data": reorder(NAMES)}},
    "split_no_columns": {"dataframe_split": {"data": reorder(NAMES)}},
    "records_same_order": {"dataframe_records": records([NAMES] * 4)},
    "records_reordered": {"dataframe_records": records([REVERSED] * 4)},
    # pandas takes the column order from the first record: every row the same values by name
    "records_mixed_order": {"dataframe_records": records([NAMES, REVERSED, ["c", "a", "d", "b"], NAMES])},
    # an integer-like column name: JSON.parse lists it first, pandas keeps the written order
    "records_integer_key": {"dataframe_records": [{"d": r[3], "1": r[2], "b": r[1], "a": r[0]} for r in ROWS]},
    "inputs_rows": {"inputs": reorder(NAMES)},
    "inputs_dict": {"inputs": {n: [row[j] for row in ROWS] for j, n in enumerate(NAMES)}},
    "inputs_dict_reordered": {"inputs": {n: [row[NAMES.index(n)] for row in ROWS] for n in REVERSED}},
    "instances_records_reordered": {"instances": records([REVERSED] * 4)},
    # without a signature the model gets the list of dicts itself (with one, a DataFrame of it)
    "inputs_records": {"inputs": records([NAMES] * 4)},
    # DMatrix(df) refuses duplicate labels; the libraries reading by position do not look
    "split_duplicate_columns": {"dataframe_split": {"columns": ["a", "a", "c", "d"], "data": reorder(NAMES)}},
}


class MlflowError(Exception):
    pass


def mlflow_data(body):
    """What MLflow's scoring server hands pyfunc predict (without a signature)."""
    if "dataframe_split" in body:
        s = body["dataframe_split"]
        return pd.DataFrame(index=s.get("index"), columns=s.get("columns"), data=s["data"])
    if "dataframe_records" in body:
        return pd.DataFrame(data=body["dataframe_records"])
    if "inputs" in body:
        x = body["inputs"]
        if isinstance(x, dict):
            return {k: np.array(v) for k, v in x.items()}
        return x if x and all(isinstance(r, dict) for r in x) else np.array(x)
    rows = body["instances"]
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


def enforce(data, schema_names):
    """_enforce_schema for a signature of required double columns."""
    if isinstance(data, (np.ndarray, dict, list)):
        data = pd.DataFrame(data)
    present = [str(c) for c in data.columns]
    missing = [n for n in schema_names if n not in present]
    if missing:
        raise MlflowError(f"Model is missing inputs {missing}.")
    return pd.DataFrame({n: data[n].astype(np.float64) for n in schema_names})


def outcome(fn, body, schema_names):
    """fn: a freshly loaded model's predict (an XGBoost Booster without feature names adopts the
    first DataFrame's names on its first predict and refuses others after: per request, as a
    fresh server process answers it)."""
    try:
        data = mlflow_data(body)
        if schema_names is not None:
            data = enforce(data, schema_names)
    except MlflowError as e:
        return {"mlflow_error": str(e)}
    try:
        pred = np.asarray(fn(data))
    except Exception as e:  # noqa: BLE001 - the outcome is the exception class
        return {"raises": type(e).__name__, "message": str(e)[:300]}
    return {"predictions": pred.tolist(), "dtype": str(pred.dtype)}


def signature(names):
    return "[" + ", ".join(f'{{"type": "double", "name": "{n}", "required": true}}' for n in names) + "]"


def write_case(out_dir, name, flavors_yaml, save, load_predict, cases, schema_names=None):
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    save(d)
    with open(os.path.join(d, "MLmodel"), "w") as f:
        f.write("flavors:\n" + flavors_yaml + "mlflow_version: 2.17.2\n")
        if schema_names is not None:
            f.write("signature:\n  inputs: '" + signature(schema_names) + "'\n  outputs: null\n  params: null\n")
    expected = {req: outcome(load_predict(d), body, schema_names) for req, body in REQUESTS.items()}
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    cases.append(name)


def training(rng, n=300):
    X = rng.normal(size=(n, 4)) * np.array([1.0, 1.5, 0.8, 1.2])
    score = 3 * X[:, 0] - 2 * X[:, 1] + X[:, 2] * X[:, 3] + 0.5 * np.abs(X[:, 3])
    return pd.DataFrame(X, columns=NAMES), score, (score > 0.2).astype(int)


def load_pickle(path):
    with open(path, "rb") as f:
        return pickle.load(f)


def pickle_case(out_dir, name, flavors_yaml, model, cases, schema_names=None):
    write_case(out_dir, name, flavors_yaml, lambda d: dump_pickle(model, os.path.join(d, "model.pkl")),
               lambda d: load_pickle(os.path.join(d, "model.pkl")).predict, cases, schema_names)


SHUFFLED = ["c", "a", "d", "b"]


# ---------------------------------------------------------------------------------- xgboost

def gen_xgboost(out_dir):
    import sklearn
    import xgboost as xgb
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(21)
    df, score, y = training(rng)
    cases = []
    params = {"max_depth": 4, "seed": 1}

    def booster_flavor(fmt, cls="xgboost.core.Booster"):
        return (f"  python_function:\n    data: model.{fmt}\n    loader_module: mlflow.xgboost\n"
                f"  xgboost:\n    data: model.{fmt}\n    model_class: {cls}\n    model_format: {fmt}\n    xgb_version: {xgb.__version__}\n")

    def booster_predict(d):
        b = xgb.Booster()
        b.load_model(os.path.join(d, "model.json"))
        return lambda X: b.predict(xgb.DMatrix(X), validate_features=True)

    named = xgb.train(dict(params, objective="reg:squarederror"), xgb.DMatrix(df, label=score), 15)
    unnamed = xgb.train(dict(params, objective="reg:squarederror"), xgb.DMatrix(df.to_numpy(), label=score), 15)
    for name, booster, schema in (("xgb_booster_named", named, None), ("xgb_booster_unnamed", unnamed, None),
                                  ("xgb_booster_signed", named, NAMES), ("xgb_booster_signed_shuffled", named, SHUFFLED),
                                  ("xgb_booster_unnamed_signed", unnamed, NAMES)):
        write_case(out_dir, name, booster_flavor("json"), lambda d, b=booster: b.save_model(os.path.join(d, "model.json")),
                   booster_predict, cases, schema)

    def sklearn_api(cls, model, name, schema=None):
        def load(d):
            m = cls()
            m.load_model(os.path.join(d, "model.json"))
            return lambda X: m.predict(X, validate_features=True)
        write_case(out_dir, name, booster_flavor("json", f"xgboost.sklearn.{cls.__name__}"),
                   lambda d: model.save_model(os.path.join(d, "model.json")), load, cases, schema)

    sklearn_api(xgb.XGBRegressor, xgb.XGBRegressor(n_estimators=15, **params).fit(df, score), "xgb_regressor_named")
    sklearn_api(xgb.XGBClassifier, xgb.XGBClassifier(n_estimators=15, **params).fit(df, y), "xgb_classifier_named")
    sklearn_api(xgb.XGBRegressor, xgb.XGBRegressor(n_estimators=15, **params).fit(df.to_numpy(), score), "xgb_regressor_unnamed")

    flavor = sklearn_flavor(sklearn.__version__)
    pickle_case(out_dir, "xgb_pipeline_named", flavor,
                Pipeline([("model", xgb.XGBRegressor(n_estimators=15, **params))]).fit(df, score), cases)
    pickle_case(out_dir, "xgb_pipeline_scaled", flavor,
                Pipeline([("scale", StandardScaler()), ("model", xgb.XGBRegressor(n_estimators=15, **params))]).fit(df, score), cases)
    return cases


# --------------------------------------------------------------------------------- lightgbm

def gen_lightgbm(out_dir):
    import lightgbm as lgb
    import sklearn
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(22)
    df, score, y = training(rng)
    cases = []
    base = {"min_data_in_leaf": 5, "verbose": -1, "seed": 1}
    lgb_version = lgb.__version__

    def booster_predict(d):
        b = lgb.Booster(model_file=os.path.join(d, "model.lgb"))
        return b.predict

    booster_flavor = (f"  lightgbm:\n    data: model.lgb\n    lgb_version: {lgb_version}\n    model_class: lightgbm.basic.Booster\n"
                      f"  python_function:\n    data: model.lgb\n    loader_module: mlflow.lightgbm\n")
    named = lgb.train(dict(base, objective="regression"), lgb.Dataset(df, label=score), 15)
    unnamed = lgb.train(dict(base, objective="regression"), lgb.Dataset(df.to_numpy(), label=score), 15)
    for name, booster, schema in (("lgb_booster_named", named, None), ("lgb_booster_unnamed", unnamed, None),
                                  ("lgb_booster_signed", named, NAMES), ("lgb_booster_signed_shuffled", named, SHUFFLED)):
        write_case(out_dir, name, booster_flavor, lambda d, b=booster: b.save_model(os.path.join(d, "model.lgb")),
                   booster_predict, cases, schema)

    def lgb_pickle_flavor(cls):
        return (f"  lightgbm:\n    data: model.pkl\n    lgb_version: {lgb_version}\n    model_class: lightgbm.sklearn.{cls}\n"
                f"  python_function:\n    data: model.pkl\n    loader_module: mlflow.lightgbm\n")

    sk = {"n_estimators": 15, "min_child_samples": 5, "verbose": -1, "random_state": 1}
    pickle_case(out_dir, "lgb_classifier_named", lgb_pickle_flavor("LGBMClassifier"), lgb.LGBMClassifier(**sk).fit(df, y), cases)
    pickle_case(out_dir, "lgb_regressor_named", lgb_pickle_flavor("LGBMRegressor"), lgb.LGBMRegressor(**sk).fit(df, score), cases)
    pickle_case(out_dir, "lgb_regressor_signed_shuffled", lgb_pickle_flavor("LGBMRegressor"),
                lgb.LGBMRegressor(**sk).fit(df, score), cases, SHUFFLED)
    flavor = sklearn_flavor(sklearn.__version__)
    pickle_case(out_dir, "lgb_pipeline_named", flavor, Pipeline([("model", lgb.LGBMRegressor(**sk))]).fit(df, score), cases)
    pickle_case(out_dir, "lgb_pipeline_scaled", flavor,
                Pipeline([("scale", StandardScaler()), ("model", lgb.LGBMRegressor(**sk))]).fit(df, score), cases)
    return cases


def main():
    kind, out_dir = sys.argv[1:3]
    out = os.path.join(out_dir, kind)
    os.makedirs(out, exist_ok=True)
    cases = {"xgboost": gen_xgboost, "lightgbm": gen_lightgbm}[kind](out)
    for file, value in (("requests.json", REQUESTS), ("index.json", {"cases": cases})):
        with open(os.path.join(out, file), "w") as f:
            json.dump(value, f, indent=1)
    # each body as Python writes it (key order kept: JSON.parse would move integer-like keys first)
    os.makedirs(os.path.join(out, "requests"), exist_ok=True)
    for name, body in REQUESTS.items():
        with open(os.path.join(out, "requests", f"{name}.json"), "w") as f:
            json.dump(body, f)
    print(f"{kind}: {len(cases)} feature-name cases in {out}")


if __name__ == "__main__":
    main()
