"""Differential-test fixtures for the sklearn flavor's second set of estimators.

SVMs, nearest neighbours, GaussianNB, ColumnTransformer, the encoders, SimpleImputer, the
scalers, DictVectorizer, PolynomialFeatures, PCA and FunctionTransformer: each is trained on
seeded random data with the running scikit-learn, pickled (pickle and cloudpickle), and what
the library returns is recorded on the rows flowgate will be given, edge values included
(ties, unseen categories, None/NaN, numbers in string columns, exact training rows, zeros).
Run once per reference Python; writes into OUT/sk<version>/:

  cases.json          every case: family, files, input columns per batch, reference outputs
  <case>.<fmt>.pkl    the pickled model (fmt: pickle, cloudpickle)

Input columns are {name, dtype, values}: dtype float64/int64 hold numbers (null = NaN); str and
object columns hold JSON values, a float that is not a plain number as {"__float__": "nan"}.

Usage: python -P sklearn-more.py OUT_DIR
"""
import json
import math
import os
import pickle
import sys
import time
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
import sklearn
from sklearn import compose, decomposition, feature_extraction, impute, linear_model, naive_bayes, neighbors, pipeline, preprocessing, svm

try:
    import cloudpickle
except ImportError:  # cloudpickle output is then skipped
    cloudpickle = None

warnings.filterwarnings("ignore")
VERSION = tuple(int(p) for p in sklearn.__version__.split(".")[:2])
NUM = [f"f{i}" for i in range(5)]
# pandas 3 stores string columns as `str`, where a missing value is NaN (None before).
STR_MISSING = None if int(pd.__version__.split(".")[0]) < 3 else np.nan


def rng(seed):
    return np.random.RandomState(seed)


# ---------------------------------------------------------------- data

SCALES = np.array([1.0, 10.0, 0.1, 100.0, 1.0])


def numeric(seed, n, integer=False, unit=False):
    """Five features of different scales (unit: all of scale 1, for the kernels that need it)."""
    X = rng(seed).normal(size=(n, 5)) * (1.0 if unit else SCALES)
    if integer:  # coarse values: ties in distances and votes
        X = np.round(X * 2) / 2
    return X


def target(X, kind, seed):
    score = X[:, 0] + 0.1 * X[:, 1] - 5 * X[:, 2] + 0.01 * X[:, 3] + rng(seed + 1).normal(scale=0.7, size=len(X))
    if kind == "binary":
        return (score > 0).astype(np.int64)
    if kind == "multi":
        return np.digitize(score, [-0.7, 0.7]).astype(np.int64)
    if kind == "multi4":
        return np.digitize(score, [-1.0, 0.0, 1.0]).astype(np.int64)
    if kind == "multi_str":
        return np.array(["alpha", "beta", "gamma"], dtype=object)[np.digitize(score, [-0.7, 0.7])]
    if kind == "binary_str":
        return np.where(score > 0, "yes", "no").astype(object)
    if kind == "multi2":  # two outputs: a 3-class and a 2-class label
        return np.stack([np.digitize(score, [-0.7, 0.7]), (X[:, 4] > 0)], axis=1).astype(np.int64)
    if kind == "regression":
        return 3.0 * score + 10.0
    if kind == "regression2":
        return np.stack([3.0 * score + 10.0, -score * score], axis=1)
    raise ValueError(kind)


def numeric_edges(X_train, seed):
    """Exact training rows (distance 0), zeros, tiny and huge values, opposite signs."""
    r = rng(seed + 7)
    rows = list(X_train[:12])
    rows += list(X_train[r.randint(0, len(X_train), 8)] * -1)
    rows.append(np.zeros(5))
    rows.append(-np.zeros(5))
    rows.append(np.full(5, 1e-300))
    rows.append(np.array([1e6, -1e6, 1e-3, 5.0, -2.5]))
    rows.append(np.array([0.5, 0.0, 0.0, 0.0, 0.5]))
    return np.array(rows)


def nan_rows(X_train, seed):
    rows = X_train[rng(seed + 11).randint(0, len(X_train), size=20)].copy()
    for i in range(len(rows)):
        rows[i, i % 5] = np.nan
    rows[-1, :] = np.nan
    return rows


COLORS = ["red", "green", "blue", "black", "white", "teal"]
COLOR_P = [0.3, 0.25, 0.2, 0.15, 0.07, 0.03]
SIZES = ["S", "M", "L"]


def mixed(seed, n, missing=True, nan_weight=False, unseen=False):
    """A frame like a user's: string categories (None missing), an int category, numbers (NaN weights)."""
    r = rng(seed)
    colors = r.choice(COLORS, size=n, p=COLOR_P).astype(object)
    sizes = r.choice(SIZES, size=n).astype(object)
    codes = r.randint(0, 4, size=n).astype(np.int64)
    weight = r.normal(60, 12, size=n)
    height = r.normal(170, 9, size=n)
    count = r.poisson(10, size=n).astype(np.int64)
    if missing:
        colors[r.rand(n) < 0.05] = None
    if nan_weight:
        weight[r.rand(n) < 0.05] = np.nan
    if unseen:
        colors[::17] = "purple"
        sizes[::23] = "XL"
        codes[::19] = 9
        colors[5::31] = 1  # a number in a string column (MLflow lets it through)
        colors[7::29] = None
        colors[9::37] = np.nan
    return pd.DataFrame({"color": colors, "size": sizes, "code": codes, "weight": weight, "height": height, "count": count})


def mixed_target(df, kind, seed):
    r = rng(seed + 1)
    score = (df["color"].map({"red": 1.0, "green": -0.5, "blue": 0.3}).fillna(0).to_numpy(dtype=float)
             + df["size"].map({"S": -0.6, "M": 0.0, "L": 0.6}).fillna(0).to_numpy(dtype=float)
             + 0.05 * (np.nan_to_num(df["weight"].to_numpy(dtype=float), nan=60.0) - 60) + r.normal(scale=0.5, size=len(df)))
    if kind == "binary":
        return (score > 0).astype(np.int64)
    if kind == "multi":
        return np.digitize(score, [-0.5, 0.5]).astype(np.int64)
    return 2.0 * score + 5.0


# ---------------------------------------------------------------- encoding

def special(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def cell(v):
    """One object-column value as JSON."""
    if isinstance(v, (np.generic,)):
        v = v.item()
    if v is None or isinstance(v, (str, bool, int)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else {"__float__": special(v)}
    if isinstance(v, dict):
        return {str(k): cell(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [cell(x) for x in v]
    raise TypeError(type(v))


def column_json(name, values):
    a = np.asarray(values)
    if a.dtype.kind == "f":
        return {"name": name, "dtype": "float64" if a.dtype.itemsize == 8 else "float32",
                "values": [None if math.isnan(v) else special(float(v)) for v in a]}
    if a.dtype.kind in "iu":
        return {"name": name, "dtype": "int64", "values": [int(v) for v in a]}
    if a.dtype.kind == "b":
        return {"name": name, "dtype": "bool", "values": [bool(v) for v in a]}
    return {"name": name, "dtype": "str" if all(isinstance(v, str) for v in a) else "object", "values": [cell(v) for v in a]}


def input_json(X):
    """A DataFrame keeps its names and column dtypes; an ndarray is columns named by position."""
    if isinstance(X, pd.DataFrame):
        return {"frame": True, "columns": [column_json(str(c), X[c].to_numpy()) for c in X.columns]}
    X = np.asarray(X)
    return {"frame": False, "columns": [column_json(str(j), X[:, j]) for j in range(X.shape[1])]}


def encode(values):
    """An output as {dtype, shape, values}; a sparse matrix densified; a DataFrame with its names."""
    names = None
    if isinstance(values, pd.DataFrame):
        names = [str(c) for c in values.columns]
        values = values.to_numpy()
    if sp.issparse(values):
        values = values.toarray()
    a = np.asarray(values)
    dtype = {"U": "str", "O": "object", "S": "bytes"}.get(a.dtype.kind, str(a.dtype))
    out = {"dtype": dtype, "shape": list(a.shape), "values": [cell(v) if a.dtype.kind == "O" else special(v.item()) for v in a.ravel()]}
    if names is not None:
        out["names"] = names
    return out


def outcome(fn, X):
    """The encoded answer, the error sklearn raised, or None for a list of arrays (multi-output
    predict_proba), which is no single array for flowgate to return."""
    try:
        result = fn(X)
    except Exception as e:  # noqa: BLE001 - the reference error is the expected outcome
        return {"error": f"{type(e).__name__}: {e}"}
    return None if isinstance(result, list) else encode(result)


METHODS = ["predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba", "transform"]


# ---------------------------------------------------------------- cases

class Case:
    def __init__(self, name, family, make, data, rtol=1e-9, atol=0.0, note=None):
        self.name, self.family, self.make, self.data = name, family, make, data
        self.rtol, self.atol, self.note = rtol, atol, note


def numeric_data(kind, seed, frame=True, integer=False, nan_batch=True, unit=False, big=False, f32=False):
    """(fit X, y, batches) for a numeric model: 200 fresh rows + edge rows, NaN rows, (big) more rows than
    fitted, (f32) float32 columns, which numpy keeps float32 through these transformers."""
    def data():
        X = numeric(seed, 300, integer, unit)
        y = target(X, kind, seed) if kind else None
        main = np.vstack([numeric(seed + 100, 200, integer, unit), numeric_edges(X, seed)])
        batches = {"main": main}
        if big:  # more queries than training rows: sklearn's brute force changes strategy
            batches["big"] = numeric(seed + 300, 400, integer, unit)
        if f32:
            batches["f32"] = main.astype(np.float32)
        if nan_batch:
            batches["nan"] = nan_rows(X, seed)
        wrap = (lambda A: pd.DataFrame(A, columns=NUM)) if frame else (lambda A: A)
        return wrap(X), y, {k: wrap(v) for k, v in batches.items()}
    return data


def mixed_data(kind, seed, columns=None, missing=True, nan_weight=False):
    def data():
        df = mixed(seed, 300, missing, nan_weight)
        y = mixed_target(df, kind, seed) if kind else None
        main = mixed(seed + 100, 200, missing, nan_weight)
        unseen = mixed(seed + 200, 60, missing, nan_weight, unseen=True)
        cols = columns or list(df.columns)
        return df[cols], y, {"main": main[cols], "unseen": unseen[cols]}
    return data


def sparse_data(kind, seed):
    """Fit on a CSR matrix (libsvm's sparse path); predict on the same rows, dense."""
    def data():
        X = numeric(seed, 300)
        X[np.abs(X) < np.array([1.0, 10.0, 0.1, 100.0, 1.0]) * 0.8] = 0.0
        y = target(X, kind, seed)
        main = np.vstack([numeric(seed + 100, 200), numeric_edges(X, seed)])
        return sp.csr_matrix(X), y, {"main": main}
    return data


def dicts_data(seed):
    """A DataFrame with a column of dicts (DictVectorizer inside a ColumnTransformer) and a number."""
    def rows(n, s, unseen=False):
        r = rng(s)
        out = []
        for i in range(n):
            d = {"city": str(r.choice(["paris", "rome", "oslo"])), "temp": float(np.round(r.normal(15, 8), 2))}
            if r.rand() < 0.3:
                d["tags"] = [str(t) for t in r.choice(["a", "b", "c"], size=r.randint(1, 3), replace=False)]
            if r.rand() < 0.2:
                d["rain"] = bool(r.rand() < 0.5)
            if unseen and i % 7 == 0:
                d["city"] = "lima"
                d["wind"] = 3.5
            out.append(d)
        return pd.DataFrame({"feats": out, "x": r.normal(size=n)})
    def data():
        df = rows(300, seed)
        y = (df["x"] + df["feats"].map(lambda d: d["temp"] / 10) > 1.5).astype(np.int64).to_numpy()
        main = pd.concat([rows(200, seed + 100), rows(40, seed + 200, unseen=True)], ignore_index=True)
        return df, y, {"main": main}
    return data


def label_data(seed):
    def data():
        r = rng(seed)
        y = r.choice(["cat", "dog", "emu"], size=100)
        fit = pd.DataFrame({"label": y})
        main = pd.DataFrame({"label": ["dog", "cat", "emu", "emu"] * 50})
        unseen = pd.DataFrame({"label": ["dog", "yak"]})
        return fit, None, {"main": main, "unseen": unseen}
    return data


def make_ct_mixed(**kw):
    return compose.ColumnTransformer(
        [("cat", preprocessing.OneHotEncoder(handle_unknown="ignore"), ["color", "size"]),
         ("num", preprocessing.StandardScaler(), ["weight", "height", "count"])], **kw)


def cases():
    c = []
    add = lambda *a, **k: c.append(Case(*a, **k))
    # --- SVMs
    add("svc_rbf_multi_str", "svm", lambda: svm.SVC(), numeric_data("multi_str", 1))
    add("svc_rbf_proba", "svm", lambda: svm.SVC(probability=True, random_state=0), numeric_data("multi", 2))
    add("svc_proba_binary_str", "svm", lambda: svm.SVC(probability=True, C=0.5, random_state=0), numeric_data("binary_str", 3))
    add("svc_linear_binary", "svm", lambda: svm.SVC(kernel="linear", C=0.1), numeric_data("binary", 4, unit=True))
    add("svc_poly", "svm", lambda: svm.SVC(kernel="poly", degree=3, coef0=1.0, gamma=0.05, probability=True, random_state=0), numeric_data("multi", 5, unit=True))
    add("svc_sigmoid", "svm", lambda: svm.SVC(kernel="sigmoid", gamma=0.01, coef0=-0.5), numeric_data("multi", 6, unit=True))
    add("svc_votes_4class_ties", "svm", lambda: svm.SVC(C=10.0, gamma=1.0), numeric_data("multi4", 7, integer=True, unit=True))
    add("svc_ovr_break_ties", "svm", lambda: svm.SVC(C=10.0, gamma=1.0, decision_function_shape="ovr", break_ties=True), numeric_data("multi4", 7, integer=True, unit=True))
    add("svc_nparray", "svm", lambda: svm.SVC(gamma=0.3), numeric_data("multi", 8, frame=False))
    add("svc_sparse_fit", "svm", lambda: svm.SVC(probability=True, random_state=0), sparse_data("multi", 9))
    add("nusvc_proba", "svm", lambda: svm.NuSVC(nu=0.3, probability=True, random_state=0), numeric_data("multi_str", 10))
    add("svr_rbf", "svm", lambda: svm.SVR(C=5.0, epsilon=0.2), numeric_data("regression", 11))
    add("svr_linear", "svm", lambda: svm.SVR(kernel="linear", C=0.5), numeric_data("regression", 12, unit=True))
    add("nusvr_poly", "svm", lambda: svm.NuSVR(kernel="poly", degree=2, gamma="auto", coef0=0.5), numeric_data("regression", 13, unit=True))
    add("linearsvc_binary", "svm", lambda: svm.LinearSVC(C=0.5, max_iter=5000), numeric_data("binary_str", 14, unit=True))
    add("linearsvc_multi", "svm", lambda: svm.LinearSVC(max_iter=5000), numeric_data("multi", 15, unit=True))
    add("linearsvr", "svm", lambda: svm.LinearSVR(C=0.5, max_iter=5000, random_state=0), numeric_data("regression", 16, unit=True))
    add("pipe_scaler_svc_proba", "svm", lambda: pipeline.make_pipeline(preprocessing.StandardScaler(), svm.SVC(probability=True, random_state=0)), numeric_data("multi_str", 17))
    # --- nearest neighbours
    add("knn_clf_uniform", "neighbors", lambda: neighbors.KNeighborsClassifier(), numeric_data("multi_str", 20))
    add("knn_clf_distance", "neighbors", lambda: neighbors.KNeighborsClassifier(n_neighbors=7, weights="distance"), numeric_data("multi", 21))
    add("knn_clf_ties_kd", "neighbors", lambda: neighbors.KNeighborsClassifier(n_neighbors=4, algorithm="kd_tree", leaf_size=5), numeric_data("multi", 22, integer=True))
    add("knn_clf_ties_ball", "neighbors", lambda: neighbors.KNeighborsClassifier(n_neighbors=6, algorithm="ball_tree", leaf_size=4), numeric_data("multi4", 23, integer=True))
    add("knn_clf_ties_brute", "neighbors", lambda: neighbors.KNeighborsClassifier(n_neighbors=4, algorithm="brute", p=1), numeric_data("multi", 22, integer=True, big=True))
    add("knn_clf_ties_brute_nparray", "neighbors", lambda: neighbors.KNeighborsClassifier(n_neighbors=4, algorithm="brute", metric="manhattan"), numeric_data("multi", 22, frame=False, integer=True, big=True))
    add("knn_reg_ties_brute_distance", "neighbors", lambda: neighbors.KNeighborsRegressor(n_neighbors=5, algorithm="brute", weights="distance"), numeric_data("regression", 34, integer=True, big=True))
    add("knn_clf_ball_manhattan", "neighbors", lambda: neighbors.KNeighborsClassifier(algorithm="ball_tree", p=1, weights="distance"), numeric_data("multi4", 24))
    add("knn_clf_brute_euclid", "neighbors", lambda: neighbors.KNeighborsClassifier(n_neighbors=9, algorithm="brute"), numeric_data("binary_str", 25))
    add("knn_clf_brute_distance", "neighbors", lambda: neighbors.KNeighborsClassifier(n_neighbors=5, algorithm="brute", weights="distance"), numeric_data("multi", 25))
    add("knn_clf_kd_chebyshev", "neighbors", lambda: neighbors.KNeighborsClassifier(metric="chebyshev", algorithm="kd_tree"), numeric_data("multi", 26))
    add("knn_clf_ball_minkowski3", "neighbors", lambda: neighbors.KNeighborsClassifier(p=3, algorithm="ball_tree", weights="distance"), numeric_data("multi", 27))
    add("knn_clf_nparray", "neighbors", lambda: neighbors.KNeighborsClassifier(n_neighbors=3), numeric_data("multi", 28, frame=False))
    add("knn_reg_uniform", "neighbors", lambda: neighbors.KNeighborsRegressor(), numeric_data("regression", 29))
    add("knn_reg_uniform_k12", "neighbors", lambda: neighbors.KNeighborsRegressor(n_neighbors=12, algorithm="kd_tree"), numeric_data("regression", 35))
    add("knn_clf_two_outputs", "neighbors", lambda: neighbors.KNeighborsClassifier(n_neighbors=5, weights="distance"), numeric_data("multi2", 36))
    add("knn_reg_distance_k10", "neighbors", lambda: neighbors.KNeighborsRegressor(n_neighbors=10, weights="distance"), numeric_data("regression", 30))
    add("knn_reg_multi_brute", "neighbors", lambda: neighbors.KNeighborsRegressor(n_neighbors=8, algorithm="brute"), numeric_data("regression2", 31))
    add("knn_reg_ties_kd", "neighbors", lambda: neighbors.KNeighborsRegressor(n_neighbors=3, algorithm="kd_tree", leaf_size=3), numeric_data("regression", 32, integer=True))
    add("pipe_poly_knn_auto_brute", "neighbors", lambda: pipeline.make_pipeline(preprocessing.PolynomialFeatures(2), preprocessing.StandardScaler(), neighbors.KNeighborsClassifier()), numeric_data("multi", 33))
    # --- naive Bayes
    add("gnb_multi_str", "naive-bayes", lambda: naive_bayes.GaussianNB(), numeric_data("multi_str", 40))
    add("gnb_binary", "naive-bayes", lambda: naive_bayes.GaussianNB(), numeric_data("binary", 41))
    add("gnb_priors", "naive-bayes", lambda: naive_bayes.GaussianNB(priors=[0.2, 0.3, 0.5], var_smoothing=1e-3), numeric_data("multi", 42))
    add("gnb_nparray", "naive-bayes", lambda: naive_bayes.GaussianNB(), numeric_data("multi4", 43, frame=False))
    # --- encoders
    cats = ["color", "size", "code"]
    ohe_dense = {"sparse_output": False} if VERSION >= (1, 2) else {"sparse": False}
    add("ohe_ignore", "one-hot-encoder", lambda: preprocessing.OneHotEncoder(handle_unknown="ignore", **ohe_dense), mixed_data(None, 50, cats, nan_weight=True))
    add("ohe_error", "one-hot-encoder", lambda: preprocessing.OneHotEncoder(**ohe_dense), mixed_data(None, 51, cats))
    add("ohe_sparse", "one-hot-encoder", lambda: preprocessing.OneHotEncoder(handle_unknown="ignore"), mixed_data(None, 52, cats))
    add("ohe_drop_first", "one-hot-encoder", lambda: preprocessing.OneHotEncoder(drop="first", handle_unknown="ignore", **ohe_dense), mixed_data(None, 53, cats))
    add("ohe_drop_if_binary", "one-hot-encoder", lambda: preprocessing.OneHotEncoder(drop="if_binary", handle_unknown="ignore", **ohe_dense), mixed_data(None, 54, ["color", "code"]))
    add("ohe_drop_array", "one-hot-encoder", lambda: preprocessing.OneHotEncoder(drop=["M", 2], handle_unknown="ignore", dtype=np.float32, **ohe_dense), mixed_data(None, 55, ["size", "code"]))
    add("ohe_min_frequency", "one-hot-encoder", lambda: preprocessing.OneHotEncoder(min_frequency=20, handle_unknown="infrequent_if_exist", **ohe_dense), mixed_data(None, 56, cats))
    add("ohe_max_categories", "one-hot-encoder", lambda: preprocessing.OneHotEncoder(max_categories=3, handle_unknown="ignore", **ohe_dense), mixed_data(None, 57, cats))
    add("ohe_infrequent_drop_first", "one-hot-encoder", lambda: preprocessing.OneHotEncoder(max_categories=4, drop="first", handle_unknown="infrequent_if_exist", **ohe_dense), mixed_data(None, 58, ["color", "size"]))
    add("ohe_pandas_names", "one-hot-encoder", lambda: preprocessing.OneHotEncoder(max_categories=3, drop="first", handle_unknown="ignore", **ohe_dense).set_output(transform="pandas"), mixed_data(None, 66, cats))
    add("ohe_numeric_float", "one-hot-encoder", lambda: preprocessing.OneHotEncoder(handle_unknown="ignore", **ohe_dense), mixed_data(None, 59, ["code", "count"]))
    add("ordinal_error", "ordinal-encoder", lambda: preprocessing.OrdinalEncoder(), mixed_data(None, 60, cats))
    add("ordinal_unknown_value", "ordinal-encoder", lambda: preprocessing.OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), mixed_data(None, 61, cats))
    add("ordinal_unknown_nan_missing", "ordinal-encoder", lambda: preprocessing.OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=-2), mixed_data(None, 62, cats))
    add("ordinal_categories_given", "ordinal-encoder", lambda: preprocessing.OrdinalEncoder(categories=[["S", "M", "L"]], handle_unknown="use_encoded_value", unknown_value=-1), mixed_data(None, 63, ["size"]))
    if VERSION >= (1, 3):
        add("ordinal_infrequent", "ordinal-encoder", lambda: preprocessing.OrdinalEncoder(min_frequency=30, handle_unknown="use_encoded_value", unknown_value=-1), mixed_data(None, 64, cats))
    add("label_encoder", "label-encoder", lambda: preprocessing.LabelEncoder(), label_data(65))
    # --- imputers
    add("imp_mean", "simple-imputer", lambda: impute.SimpleImputer(), numeric_data(None, 70, f32=True))
    add("imp_median_indicator", "simple-imputer", lambda: impute.SimpleImputer(strategy="median", add_indicator=True), numeric_data(None, 71, f32=True))
    add("imp_most_frequent_int", "simple-imputer", lambda: impute.SimpleImputer(strategy="most_frequent"), numeric_data(None, 72, integer=True))
    add("imp_constant", "simple-imputer", lambda: impute.SimpleImputer(strategy="constant", fill_value=-7.5, add_indicator=True), numeric_data(None, 73))
    add("imp_missing_value", "simple-imputer", lambda: impute.SimpleImputer(missing_values=0.5, strategy="mean"), numeric_data(None, 74, integer=True))
    add("imp_strings_most_frequent", "simple-imputer", lambda: impute.SimpleImputer(strategy="most_frequent", missing_values=STR_MISSING), mixed_data(None, 75, ["color", "size"]))
    add("imp_strings_constant", "simple-imputer", lambda: impute.SimpleImputer(strategy="constant", fill_value="none", missing_values=STR_MISSING, add_indicator=True), mixed_data(None, 76, ["color", "size"]))
    add("imp_empty_feature", "simple-imputer", lambda: impute.SimpleImputer(strategy="mean"), empty_feature_data(77))
    if VERSION >= (1, 2):
        add("imp_keep_empty", "simple-imputer", lambda: impute.SimpleImputer(strategy="median", keep_empty_features=True), empty_feature_data(78))
    add("pipe_impute_scale_lr", "simple-imputer", lambda: pipeline.make_pipeline(impute.SimpleImputer(strategy="median"), preprocessing.StandardScaler(), linear_model.LogisticRegression()), numeric_nan_fit_data("multi", 79))
    # --- scalers and other numeric transformers
    add("minmax", "scalers", lambda: preprocessing.MinMaxScaler(), numeric_data(None, 80, f32=True))
    add("minmax_clip_range", "scalers", lambda: preprocessing.MinMaxScaler(feature_range=(-1, 2), clip=True), numeric_data(None, 81, f32=True))
    add("robust", "scalers", lambda: preprocessing.RobustScaler(), numeric_data(None, 82, f32=True))
    add("robust_no_center", "scalers", lambda: preprocessing.RobustScaler(with_centering=False, quantile_range=(10, 90), unit_variance=True), numeric_data(None, 83))
    add("maxabs", "scalers", lambda: preprocessing.MaxAbsScaler(), numeric_data(None, 84, f32=True))
    add("normalizer_l2", "scalers", lambda: preprocessing.Normalizer(), numeric_data(None, 85, nan_batch=False))
    add("normalizer_l1", "scalers", lambda: preprocessing.Normalizer(norm="l1"), numeric_data(None, 86, f32=True))
    add("normalizer_max", "scalers", lambda: preprocessing.Normalizer(norm="max"), numeric_data(None, 87, nan_batch=False))
    add("poly2", "polynomial-features", lambda: preprocessing.PolynomialFeatures(2), numeric_data(None, 90, f32=True))
    add("poly3_interaction", "polynomial-features", lambda: preprocessing.PolynomialFeatures(3, interaction_only=True, include_bias=False), numeric_data(None, 91))
    add("poly_range_2_3", "polynomial-features", lambda: preprocessing.PolynomialFeatures((2, 3)), numeric_data(None, 92, nan_batch=False))
    add("pca3", "pca", lambda: decomposition.PCA(n_components=3), numeric_data(None, 93, f32=True))
    add("pca_whiten", "pca", lambda: decomposition.PCA(n_components=4, whiten=True, svd_solver="full"), numeric_data(None, 94))
    add("pca_pandas", "pca", lambda: decomposition.PCA(n_components=2).set_output(transform="pandas"), numeric_data(None, 98))
    add("pipe_pca_lr", "pca", lambda: pipeline.make_pipeline(preprocessing.StandardScaler(), decomposition.PCA(whiten=True), linear_model.LogisticRegression()), numeric_data("multi_str", 95))
    add("function_identity_lr", "function-transformer", lambda: pipeline.make_pipeline(preprocessing.FunctionTransformer(), linear_model.LogisticRegression()), numeric_data("binary", 96))
    add("function_identity_validate", "function-transformer", lambda: preprocessing.FunctionTransformer(validate=True), numeric_data(None, 97))
    # --- ColumnTransformer
    add("ct_mixed_lr", "column-transformer", lambda: pipeline.make_pipeline(make_ct_mixed(), linear_model.LogisticRegression()), mixed_data("binary", 100))
    add("ct_mixed_dense_lr", "column-transformer", lambda: pipeline.make_pipeline(make_ct_mixed(sparse_threshold=0), linear_model.LogisticRegression(C=0.3)), mixed_data("multi", 101))
    add("ct_onehot_ordinal_lr", "column-transformer", lambda: pipeline.make_pipeline(compose.ColumnTransformer(
        [("color", preprocessing.OneHotEncoder(handle_unknown="ignore"), ["color"]),
         ("size", preprocessing.OrdinalEncoder(categories=[["S", "M", "L"]], handle_unknown="use_encoded_value", unknown_value=-1), ["size"]),
         ("num", preprocessing.StandardScaler(), ["weight", "height", "count"])]), linear_model.LogisticRegression()), mixed_data("binary", 102, missing=False))
    add("ct_remainder_passthrough", "column-transformer", lambda: compose.ColumnTransformer(
        [("cat", preprocessing.OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), ["color", "size"])], remainder="passthrough"), mixed_data(None, 103))
    add("ct_remainder_scaler_knn", "column-transformer", lambda: pipeline.make_pipeline(compose.ColumnTransformer(
        [("cat", preprocessing.OneHotEncoder(handle_unknown="ignore", **ohe_dense), [0, 1]),
         ("drop", "drop", [2])], remainder=preprocessing.MinMaxScaler()), neighbors.KNeighborsClassifier()), mixed_data("multi", 104, missing=False))
    add("ct_bool_mask_slice", "column-transformer", lambda: compose.ColumnTransformer(
        [("cat", preprocessing.OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), [True, True, False, False, False, False]),
         ("num", preprocessing.RobustScaler(), slice(3, 6)), ("keep", "passthrough", slice(2, 3))]), mixed_data(None, 105, nan_weight=True))
    add("ct_nested_pipeline", "column-transformer", lambda: pipeline.make_pipeline(compose.ColumnTransformer(
        [("cat", pipeline.make_pipeline(impute.SimpleImputer(strategy="constant", fill_value="missing", missing_values=STR_MISSING), preprocessing.OneHotEncoder(handle_unknown="ignore")), ["color", "size"]),
         ("num", pipeline.make_pipeline(impute.SimpleImputer(), preprocessing.StandardScaler()), ["weight", "height"])],
        transformer_weights={"cat": 2.0, "num": 0.5}), linear_model.LogisticRegression()), mixed_data("binary", 106, nan_weight=True))
    add("ct_sparse_output_svc", "column-transformer", lambda: pipeline.make_pipeline(compose.ColumnTransformer(
        [("cat", preprocessing.OneHotEncoder(handle_unknown="ignore"), ["color", "size", "code"]),
         ("num", preprocessing.StandardScaler(), ["height", "count"])], sparse_threshold=1.0), svm.SVC(probability=True, random_state=0)), mixed_data("multi", 107, missing=False))
    add("ct_pandas_output_lr", "column-transformer", lambda: pipeline.make_pipeline(compose.ColumnTransformer(
        [("cat", preprocessing.OneHotEncoder(handle_unknown="ignore", **ohe_dense), ["color", "size"]),
         ("num", impute.SimpleImputer(add_indicator=True), ["weight", "height"])], remainder="passthrough").set_output(transform="pandas"),
        linear_model.LogisticRegression(max_iter=500)), mixed_data("binary", 108, nan_weight=True))
    add("ct_not_verbose_pandas", "column-transformer", lambda: compose.ColumnTransformer(
        [("cat", preprocessing.OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), ["size"]),
         ("poly", preprocessing.PolynomialFeatures(2), ["weight", "count"])], verbose_feature_names_out=False).set_output(transform="pandas"), mixed_data(None, 109))
    if VERSION >= (1, 6):
        add("ct_format_names_pandas", "column-transformer", lambda: compose.ColumnTransformer(
            [("ord", preprocessing.OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), ["color", "size"]),
             ("mm", preprocessing.MaxAbsScaler(), ["count"])], verbose_feature_names_out="{feature_name}:{transformer_name}").set_output(transform="pandas"), mixed_data(None, 112))
    add("ct_dictvectorizer", "column-transformer", lambda: pipeline.make_pipeline(compose.ColumnTransformer(
        [("dv", feature_extraction.DictVectorizer(), "feats"), ("x", "passthrough", ["x"])]), linear_model.LogisticRegression()), dicts_data(110))
    add("ct_dictvectorizer_dense", "column-transformer", lambda: compose.ColumnTransformer(
        [("dv", feature_extraction.DictVectorizer(sparse=False, separator=":"), "feats")]), dicts_data(111))
    return c


def empty_feature_data(seed):
    def data():
        X = numeric(seed, 300)
        X[:, 2] = np.nan
        X[rng(seed).rand(300) < 0.1, 0] = np.nan
        main = np.vstack([numeric(seed + 100, 200), numeric_edges(X, seed)])
        main[::9, 0] = np.nan
        main[::4, 2] = np.nan
        return pd.DataFrame(X, columns=NUM), None, {"main": pd.DataFrame(main, columns=NUM)}
    return data


def numeric_nan_fit_data(kind, seed):
    def data():
        X = numeric(seed, 300)
        y = target(X, kind, seed)
        X[rng(seed + 5).rand(*X.shape) < 0.15] = np.nan
        main = np.vstack([numeric(seed + 100, 200), numeric_edges(np.nan_to_num(X), seed)])
        main[rng(seed + 6).rand(*main.shape) < 0.15] = np.nan
        return pd.DataFrame(X, columns=NUM), y, {"main": pd.DataFrame(main, columns=NUM), "nan": pd.DataFrame(nan_rows(X, seed), columns=NUM)}
    return data


# ---------------------------------------------------------------- run

def run_case(out, case):
    X, y, batches = case.data()
    model = case.make()
    if y is None:
        if case.family == "label-encoder":
            model.fit(X.iloc[:, 0])
        else:
            model.fit(X)
    else:
        model.fit(X, y)
    entry = {"name": case.name, "family": case.family, "estimator": type(model).__name__, "rtol": case.rtol, "atol": case.atol,
             "files": {}, "batches": {}}
    for batch, Xb in batches.items():
        record = {"input": input_json(Xb)}
        for m in METHODS:
            if not hasattr(model, m):
                continue
            fn = getattr(model, m)
            answer = outcome(lambda A: fn(A.iloc[:, 0]), Xb) if case.family == "label-encoder" else outcome(fn, Xb)
            if answer is not None:
                record[m] = answer
        entry["batches"][batch] = record
    with open(os.path.join(out, f"{case.name}.pickle.pkl"), "wb") as f:
        pickle.dump(model, f)
    entry["files"]["pickle"] = f"{case.name}.pickle.pkl"
    if cloudpickle is not None:
        with open(os.path.join(out, f"{case.name}.cloudpickle.pkl"), "wb") as f:
            cloudpickle.dump(model, f)
        entry["files"]["cloudpickle"] = f"{case.name}.cloudpickle.pkl"
    return entry


def write_refusals(out):
    """Models flowgate must refuse at load, each with the words its message must contain."""
    refusals = []
    def save(name, model, words):
        path = f"refuse_{name}.pkl"
        with open(os.path.join(out, path), "wb") as f:
            (cloudpickle or pickle).dump(model, f)
        refusals.append({"name": name, "file": path, "words": words})
    X = numeric(200, 60)
    y = target(X, "multi", 200)
    save("svc_precomputed", svm.SVC(kernel="precomputed").fit(X @ X.T, y), ["SVC", "kernel", "precomputed"])
    save("knn_weights_callable", neighbors.KNeighborsClassifier(weights=np.reciprocal).fit(X, y), ["reciprocal"])
    save("knn_haversine", neighbors.KNeighborsClassifier(metric="haversine", algorithm="brute").fit(X[:, :2] / 100, y), ["KNeighborsClassifier", "haversine"])
    save("ohe_complex_dtype", preprocessing.OneHotEncoder(dtype=np.complex128).fit(X[:, :1].round()), ["complex128"])
    save("ohe_str_dtype", preprocessing.OneHotEncoder(dtype=str).fit(X[:, :1].round()), ["OneHotEncoder", "dtype=str"])
    save("knn_mahalanobis", neighbors.KNeighborsClassifier(metric="mahalanobis", metric_params={"VI": np.eye(5)}, algorithm="brute").fit(X, y), ["KNeighborsClassifier", "mahalanobis"])
    return refusals


def main():
    out = os.path.join(sys.argv[1], f"sk{sklearn.__version__}")
    os.makedirs(out, exist_ok=True)
    index = []
    for case in cases():
        start = time.time()
        index.append(run_case(out, case))
        if time.time() - start > 2:
            print(f"  slow case {case.name}: {time.time() - start:.1f}s")
    meta = {"sklearn": sklearn.__version__, "numpy": np.__version__, "python": sys.version.split()[0],
            "cloudpickle": getattr(cloudpickle, "__version__", None), "cases": index, "refusals": write_refusals(out)}
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(meta, f, allow_nan=False)
    print(f"sklearn {sklearn.__version__}: {len(index)} cases -> {out}")


if __name__ == "__main__":
    main()
