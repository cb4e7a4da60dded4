"""Categorical tree models and what the real libraries answer to the requests MLflow would hand them.

Usage: categorical.py xgboost|lightgbm OUT_DIR
  xgboost  Debian's python3 (xgboost 1.7.4, scikit-learn 1.2.1, pandas 1.5)
  lightgbm the reference venv (lightgbm 4.7, scikit-learn 1.9.1)

Models are trained on pandas `category` columns (categories in a non-sorted order, NaN in
training), as users do with `enable_categorical` / LightGBM's pandas support, plus pipelines
that turn strings into codes with an OrdinalEncoder (the way strings really reach such a model
through MLflow). Each model is an MLflow-style folder (MLmodel written here, as
mlflow.<flavor>.save_model writes it) under OUT_DIR/<case>/, without a signature (so `inputs`
reach the model as MLflow's np.array) except the OrdinalEncoder pipelines (string columns).

requests.json lists request bodies (dataframe_split or inputs) and, per model, what the library
does with the data MLflow builds from that body (pd.DataFrame(split) / np.array(inputs), then
the flavor's own predict call): {"predictions": [...]} or {"raises": "<exception class>"}.

Old LightGBM pickles (2.x/3.x state layouts, lightgbm_legacy_*): LightGBM 4.7 objects pickled with
Booster.__getstate__ swapped for each old version's (see legacy_getstate below).
"""
import json
import os
import sys
import warnings

import numpy as np
import pandas as pd

# Run with -P (this folder's sklearn.py would shadow the package): the shared helpers come after it.
sys.path.append(os.path.dirname(os.path.abspath(__file__)))
from mlflow_pickles import dump_pickle, sklearn_flavor  # noqa: E402

warnings.filterwarnings("ignore")

COLORS = ["red", "green", "blue", "amber"]  # deliberately not sorted
SIZES = ["XL", "S", "M"]


def training_frame(rng, n=400):
    color = rng.choice(COLORS, n).astype(object)
    color[rng.random(n) < 0.05] = np.nan
    size = rng.choice(SIZES, n)
    x1 = rng.normal(size=n)
    x2 = np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n))
    df = pd.DataFrame({
        "color": pd.Categorical(color, categories=COLORS),
        "size": pd.Categorical(size, categories=SIZES),
        "x1": x1,
        "x2": x2,
    })
    score = (
        np.select([df.color == "red", df.color == "blue", df.color == "amber"], [2.0, -1.5, 0.7], 0.0)
        + np.where(df["size"] == "S", 1.0, -0.5)
        + x1
        + np.nan_to_num(x2)
    )
    y_class = (score > 0.3).astype(int)
    return df, score, y_class


def string_frame(df):
    """The same rows as plain object columns (what OrdinalEncoder pipelines are fitted on)."""
    out = df.copy()
    for c in ("color", "size"):
        out[c] = out[c].astype(object)
    return out


REQUESTS = {
    # strings, as the model's serving_input_example.json has them
    "strings": {"dataframe_split": {"columns": ["color", "size", "x1", "x2"], "data": [
        ["red", "S", 0.5, 1.0], ["blue", "XL", -0.2, None], ["amber", "M", 1.5, -0.3], ["green", "S", 0.0, 0.0]]}},
    # an unseen category and a missing one
    "unseen": {"dataframe_split": {"columns": ["color", "size", "x1", "x2"], "data": [
        ["purple", "S", 0.5, 1.0], [None, "XL", -0.2, 0.4], ["red", "XXL", 1.5, -0.3]]}},
    # category codes (position in the training categories), as numbers in a DataFrame
    "codes_frame": {"dataframe_split": {"columns": ["color", "size", "x1", "x2"], "data": [
        [0, 1, 0.5, 1.0], [2, 0, -0.2, None], [3, 2, 1.5, -0.3], [9, 1, 0.1, 0.2], [-1, 0, 0.3, 0.3], [None, 1, 0.2, 0.1], [1.7, 2, 0.4, 0.9]]}},
    # the same codes as an ndarray (`inputs` without a signature)
    "codes_tensor": {"inputs": [
        [0, 1, 0.5, 1.0], [2, 0, -0.2, None], [3, 2, 1.5, -0.3], [9, 1, 0.1, 0.2], [-1, 0, 0.3, 0.3], [None, 1, 0.2, 0.1], [1.7, 2, 0.4, 0.9]]},
    # numbers written as strings in an ndarray (numpy makes a str array)
    "numeric_strings_tensor": {"inputs": [["0", "1", "0.5", "1.0"], ["3", "2", "1.5", "-0.3"]]},
    # a word in an ndarray
    "word_tensor": {"inputs": [["red", "1", "0.5", "1.0"]]},
}


def as_dataframe(body):
    split = body["dataframe_split"]
    return pd.DataFrame(data=split["data"], columns=split["columns"])


def as_ndarray(body):
    return np.array(body["inputs"])


# The serving pre-cast of a DataFrame against the signature (cast_df_types_according_to_schema):
# Series.astype(DataType.to_pandas()) per column; numbers in a string column stay numbers (object).
SIGNATURE_CAST = {"color": object, "size": object, "x1": np.float64, "x2": np.float64}


def outcome(fn, body, signed):
    data = as_dataframe(body) if "dataframe_split" in body else as_ndarray(body)
    if signed and isinstance(data, pd.DataFrame):
        data = data.astype(SIGNATURE_CAST)
    try:
        pred = np.asarray(fn(data))
    except Exception as e:  # noqa: BLE001 - the outcome is the exception class
        return {"raises": type(e).__name__, "message": str(e)[:300]}
    return {"predictions": pred.tolist(), "dtype": str(pred.dtype)}


def signature():
    return ('[{"type": "string", "name": "color", "required": true}, {"type": "string", "name": "size", "required": true}, '
            '{"type": "double", "name": "x1", "required": true}, {"type": "double", "name": "x2", "required": true}]')


def write_mlmodel(d, flavors_yaml):
    with open(os.path.join(d, "MLmodel"), "w") as f:
        f.write("flavors:\n" + flavors_yaml + "mlflow_version: 2.17.2\n")


def write_case(out_dir, name, flavors_yaml, predict_fn, write_files, cases, with_signature=False):
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    write_files(d)
    write_mlmodel(d, flavors_yaml)
    if with_signature:
        with open(os.path.join(d, "MLmodel"), "a") as f:
            f.write("signature:\n  inputs: '" + signature() + "'\n  outputs: null\n  params: null\n")
    # `inputs` requests against a column signature fail its column names in MLflow before any
    # model code runs; the tests send those only to models without one.
    expected = {req: outcome(predict_fn, body, with_signature) for req, body in REQUESTS.items()}
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    cases.append(name)


def ordinal_pipeline(final):
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    encode = ColumnTransformer(
        [("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan), ["color", "size"])],
        remainder="passthrough",
    )
    return Pipeline([("encode", encode), ("model", final)])


# ---------------------------------------------------------------------------------- xgboost

def gen_xgboost(out_dir):
    import sklearn
    import xgboost as xgb
    from sklearn.pipeline import Pipeline

    rng = np.random.default_rng(11)
    df, score, y = training_frame(rng)
    cases = []
    params = {"tree_method": "hist", "max_cat_to_onehot": 1, "max_depth": 4, "seed": 1}

    booster = xgb.train(dict(params, objective="reg:squarederror"), xgb.DMatrix(df, label=score, enable_categorical=True), 12)
    for fmt in ("json", "ubj"):
        write_case(
            out_dir, f"xgb_cat_booster_{fmt}",
            f"  python_function:\n    data: model.{fmt}\n    loader_module: mlflow.xgboost\n"
            f"  xgboost:\n    data: model.{fmt}\n    model_class: xgboost.core.Booster\n    model_format: {fmt}\n    xgb_version: {xgb.__version__}\n",
            lambda X: booster.predict(xgb.DMatrix(X), validate_features=True),
            lambda d, fmt=fmt: booster.save_model(os.path.join(d, f"model.{fmt}")),
            cases,
        )

    clf = xgb.XGBClassifier(n_estimators=10, enable_categorical=True, **params).fit(df, y)
    write_case(
        out_dir, "xgb_cat_classifier",
        f"  python_function:\n    data: model.json\n    loader_module: mlflow.xgboost\n"
        f"  xgboost:\n    data: model.json\n    model_class: xgboost.sklearn.XGBClassifier\n    model_format: json\n    xgb_version: {xgb.__version__}\n",
        lambda X: clf.predict(X, validate_features=True),
        lambda d: clf.save_model(os.path.join(d, "model.json")),
        cases,
    )

    pipe = Pipeline([("model", xgb.XGBClassifier(n_estimators=10, enable_categorical=True, **params))]).fit(df, y)
    write_case(out_dir, "xgb_cat_pipeline", sklearn_flavor(sklearn.__version__), pipe.predict,
               lambda d: dump_pickle(pipe, os.path.join(d, "model.pkl")), cases)

    ordinal = ordinal_pipeline(
        xgb.XGBClassifier(n_estimators=10, enable_categorical=True, feature_types=["c", "c", "q", "q"], **params)
    ).fit(string_frame(df), y)
    write_case(out_dir, "xgb_ordinal_pipeline", sklearn_flavor(sklearn.__version__), ordinal.predict,
               lambda d: dump_pickle(ordinal, os.path.join(d, "model.pkl")), cases, with_signature=True)
    return cases


# --------------------------------------------------------------------------------- lightgbm

def legacy_getstate(layout):
    """Booster.__getstate__ of LightGBM 2.x/3.x: the model string under `handle`.

    "v3": 2.2–3.3 (`model_to_string()`: text format v3, ending with the pandas_categorical line).
    "v2.0": 2.0/2.1 (`_save_model_to_string()`: text format v2, whose trees have no is_linear,
    leaf_weight or internal_weight, and nothing after the trees; pandas_categorical is only the
    attribute in the state).
    """
    def getstate(self):
        this = self.__dict__.copy()
        this.pop("train_set", None)
        this.pop("valid_sets", None)
        this.pop("_handle", None)
        text = self.model_to_string(num_iteration=-1).replace("version=v4\n", f"version={layout[:2]}\n", 1)
        assert f"version={layout[:2]}" in text
        if layout == "v2.0":
            text = text[: text.index("end of trees")] + "end of trees\n"
            dropped = ("is_linear=", "leaf_weight=", "internal_weight=")
            text = "\n".join(line for line in text.split("\n") if not line.startswith(dropped))
        this["handle"] = text
        return this

    return getstate


def gen_lightgbm(out_dir):
    import lightgbm as lgb
    import sklearn
    from sklearn.pipeline import Pipeline

    rng = np.random.default_rng(12)
    df, score, y = training_frame(rng)
    cases = []
    params = {"n_estimators": 12, "min_child_samples": 5, "verbose": -1, "random_state": 1, "cat_smooth": 1, "min_data_per_group": 5}
    lgb_version = lgb.__version__

    booster = lgb.train({"objective": "regression", "min_data_in_leaf": 5, "verbose": -1, "cat_smooth": 1, "min_data_per_group": 5},
                        lgb.Dataset(df, label=score), 12)
    write_case(
        out_dir, "lgb_cat_booster",
        f"  lightgbm:\n    data: model.lgb\n    lgb_version: {lgb_version}\n    model_class: lightgbm.basic.Booster\n"
        f"  python_function:\n    data: model.lgb\n    loader_module: mlflow.lightgbm\n",
        booster.predict,
        lambda d: booster.save_model(os.path.join(d, "model.lgb")),
        cases,
    )

    clf = lgb.LGBMClassifier(**params).fit(df, y)
    lgb_pickle_flavor = (f"  lightgbm:\n    data: model.pkl\n    lgb_version: {lgb_version}\n    model_class: lightgbm.sklearn.LGBMClassifier\n"
                         f"  python_function:\n    data: model.pkl\n    loader_module: mlflow.lightgbm\n")
    write_case(out_dir, "lgb_cat_classifier", lgb_pickle_flavor, clf.predict,
               lambda d: dump_pickle(clf, os.path.join(d, "model.pkl")), cases)

    pipe = Pipeline([("model", lgb.LGBMClassifier(**params))]).fit(df, y)
    write_case(out_dir, "lgb_cat_pipeline", sklearn_flavor(sklearn.__version__), pipe.predict,
               lambda d: dump_pickle(pipe, os.path.join(d, "model.pkl")), cases)

    ordinal = ordinal_pipeline(lgb.LGBMClassifier(categorical_feature=[0, 1], **params)).fit(string_frame(df), y)
    write_case(out_dir, "lgb_ordinal_pipeline", sklearn_flavor(sklearn.__version__), ordinal.predict,
               lambda d: dump_pickle(ordinal, os.path.join(d, "model.pkl")), cases, with_signature=True)

    # Old LightGBM state layouts, categorical and numeric models, inside a pipeline and alone.
    numeric = df.assign(color=df.color.cat.codes.astype(float).replace(-1, np.nan), size=df["size"].cat.codes.astype(float))
    plain = lgb.LGBMClassifier(**params).fit(numeric.to_numpy(), y)
    plain_pipe = Pipeline([("model", lgb.LGBMClassifier(**params))]).fit(numeric.to_numpy(), y)
    original = lgb.Booster.__getstate__
    try:
        for layout in ("v3", "v2.0"):
            lgb.Booster.__getstate__ = legacy_getstate(layout)
            tag = layout.replace(".", "")
            write_case(out_dir, f"lgb_legacy_{tag}_cat_classifier", lgb_pickle_flavor, clf.predict,
                       lambda d: dump_pickle(clf, os.path.join(d, "model.pkl")), cases)
            write_case(out_dir, f"lgb_legacy_{tag}_classifier", lgb_pickle_flavor, plain.predict,
                       lambda d: dump_pickle(plain, os.path.join(d, "model.pkl")), cases)
            write_case(out_dir, f"lgb_legacy_{tag}_pipeline", sklearn_flavor(sklearn.__version__), plain_pipe.predict,
                       lambda d: dump_pickle(plain_pipe, os.path.join(d, "model.pkl")), cases)
    finally:
        lgb.Booster.__getstate__ = original
    return cases


def main():
    kind, out_dir = sys.argv[1:3]
    out = os.path.join(out_dir, kind)
    os.makedirs(out, exist_ok=True)
    cases = {"xgboost": gen_xgboost, "lightgbm": gen_lightgbm}[kind](out)
    for file, value in (("requests.json", REQUESTS), ("index.json", {"cases": cases})):
        with open(os.path.join(out, file), "w") as f:
            json.dump(value, f, indent=1)
    print(f"{kind}: {len(cases)} categorical cases in {out}")


if __name__ == "__main__":
    main()
