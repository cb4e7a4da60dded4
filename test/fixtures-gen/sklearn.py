"""Differential-test fixtures for the sklearn flavor.

Trains every supported estimator on seeded random data with the running scikit-learn, pickles
each model with pickle and with cloudpickle, and records what the library predicts on the
same rows flowgate will be given (including edge values: split thresholds, ties, NaN, zeros,
large magnitudes). Run once per reference Python; writes into OUT/sk<version>/:

  cases.json          every case: files, input columns, batches of rows, reference outputs
  <case>.<fmt>.pkl    the pickled model (fmt: pickle, cloudpickle)
  protocols/<case>.p<N>.pkl   a few models pickled with every protocol 0..5
  arrays/<name>.p<N>.pkl + arrays.json   numpy arrays/scalars/dtypes and their values
  attacks/<name>.pkl  pickles that would run code if Python loaded them (never loaded here)

Usage: python sklearn.py OUT_DIR
"""
import json
import math
import os
import pickle
import sys
import warnings

# This file is named sklearn.py: keep its own directory off the import path so `import sklearn` finds the library.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]

import numpy as np
import pandas as pd
import sklearn
from sklearn import dummy, ensemble, linear_model, pipeline, preprocessing, tree

try:
    import cloudpickle
except ImportError:  # the fixtures still cover pickle; cloudpickle output is then skipped
    cloudpickle = None
try:  # LightGBM is in the reference venv, XGBoost in Debian's python: each covers what it has
    import lightgbm
except ImportError:
    lightgbm = None
try:
    import xgboost
except ImportError:
    xgboost = None

warnings.filterwarnings("ignore")
VERSION = tuple(int(p) for p in sklearn.__version__.split(".")[:2])
N_FEATURES = 5
COLUMNS = [f"f{i}" for i in range(N_FEATURES)]


def rng(seed):
    return np.random.RandomState(seed)


def features(seed, n, integer=False):
    r = rng(seed)
    X = r.normal(size=(n, N_FEATURES)) * np.array([1.0, 10.0, 0.1, 100.0, 1.0])
    if integer:  # coarse values make ties in votes and at thresholds likely
        X = np.round(X * 2) / 2
    return X


def labels(X, kind, seed):
    r = rng(seed + 1)
    score = X[:, 0] + 0.1 * X[:, 1] - 5 * X[:, 2] + 0.01 * X[:, 3] + r.normal(scale=0.7, size=len(X))
    if kind == "binary":
        return (score > 0).astype(np.int64)
    if kind == "multi":
        return np.digitize(score, [-0.7, 0.7]).astype(np.int64)
    if kind == "multi_str":
        return np.array(["alpha", "beta", "gamma"], dtype=object)[np.digitize(score, [-0.7, 0.7])]
    if kind == "binary_str":
        return np.where(score > 0, "yes", "no").astype(object)
    if kind == "regression":
        return 3.0 * score + 10.0
    if kind == "regression2":
        return np.stack([3.0 * score + 10.0, -score * score], axis=1)
    raise ValueError(kind)


def tree_thresholds(model):
    """(feature, threshold) of split nodes of the tree(s) inside a fitted model."""
    trees = []
    est = model
    if isinstance(est, pipeline.Pipeline):
        est = est.steps[-1][1]
    if hasattr(est, "tree_"):
        trees = [est.tree_]
    elif hasattr(est, "estimators_"):
        for e in np.asarray(est.estimators_, dtype=object).ravel()[:5]:
            if hasattr(e, "tree_"):
                trees.append(e.tree_)
    out = []
    for t in trees:
        for f, th in zip(t.feature, t.threshold):
            if f >= 0:
                out.append((int(f), float(th)))
    return out[:40]


def edge_rows(model, X_train, seed):
    """Rows at split thresholds (exact, float32-rounded, one ulp off), copies of training rows, zeros, large values."""
    r = rng(seed + 7)
    base = X_train[r.randint(0, len(X_train), size=40)].copy()
    rows = []
    for i, (f, th) in enumerate(tree_thresholds(model)):
        row = base[i % len(base)].copy()
        variants = [th, float(np.float32(th)), float(np.nextafter(np.float32(th), np.float32(np.inf))), np.nextafter(th, -np.inf)]
        row[f] = variants[i % len(variants)]
        rows.append(row)
    rows.extend(X_train[:10])
    rows.append(np.zeros(N_FEATURES))
    rows.append(-np.zeros(N_FEATURES))
    rows.append(np.full(N_FEATURES, 1e30))
    rows.append(np.full(N_FEATURES, -1e30))
    rows.append(np.array([1e-300, -1e-300, 5e-324, 1.0, -1.0]))
    while len(rows) < 40:
        rows.append(base[len(rows) % len(base)])
    return np.array(rows[:60])


def nan_rows(X_train, seed):
    r = rng(seed + 11)
    rows = X_train[r.randint(0, len(X_train), size=30)].copy()
    for i in range(len(rows)):
        rows[i, i % N_FEATURES] = np.nan
        if i % 3 == 0:
            rows[i, (i + 2) % N_FEATURES] = np.nan
    rows[-1, :] = np.nan
    return rows


def special(v):
    """Floats strict JSON cannot hold, as strings: NaN, inf, -inf."""
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def encode(values):
    """An ndarray as {dtype, shape, values}; NaN and infinities as strings."""
    a = np.asarray(values)
    def clean(v):
        return special(v)
    flat = [clean(v.item() if hasattr(v, "item") else v) for v in a.ravel()]
    kind = a.dtype.kind
    dtype = {"U": "str", "O": "object", "S": "bytes"}.get(kind, str(a.dtype))
    return {"dtype": dtype, "shape": list(a.shape), "values": flat}


def outcome(fn, X):
    try:
        return encode(fn(X))
    except Exception as e:  # noqa: BLE001 - the reference error is the expected outcome
        return {"error": f"{type(e).__name__}: {e}"}


def rows_json(X):
    """Input rows; a missing value (NaN) is null, as in MLflow's JSON requests."""
    return [[None if math.isnan(v) else special(float(v)) for v in row] for row in X]


METHODS = ["predict", "predict_proba", "predict_log_proba"]


def record(name, model, X_train, y, *, frame=True, integer=False, seed=0, methods=None, rtol=1e-9, atol=0.0):
    if frame:
        model.fit(pd.DataFrame(X_train, columns=COLUMNS), y)
    else:
        model.fit(X_train, y)
    X_main = np.vstack([features(seed + 100, 200, integer), edge_rows(model, X_train, seed)])
    batches = {"main": X_main, "nan": nan_rows(X_train, seed)}
    case = {"name": name, "estimator": type(model).__name__, "frame": frame, "columns": COLUMNS if frame else None,
            "rtol": rtol, "atol": atol, "files": {}, "batches": {}}
    for batch, X in batches.items():
        Xin = pd.DataFrame(X, columns=COLUMNS) if frame else X
        entry = {"rows": rows_json(X)}
        for m in methods or METHODS:
            if hasattr(model, m):
                entry[m] = outcome(getattr(model, m), Xin)
        case["batches"][batch] = entry
    return model, case


def cases():
    """(name, estimator factory, target kind, options): the supported estimators, common configurations first."""
    c = []
    add = lambda name, make, kind, **opt: c.append((name, make, kind, opt))
    # trees and forests
    add("dt_clf_multi_str", lambda: tree.DecisionTreeClassifier(max_depth=6, random_state=0), "multi_str")
    add("dt_clf_binary", lambda: tree.DecisionTreeClassifier(random_state=0), "binary", integer=True)
    add("dt_reg", lambda: tree.DecisionTreeRegressor(max_depth=8, random_state=0), "regression")
    add("dt_reg_mae", lambda: tree.DecisionTreeRegressor(max_depth=4, criterion="absolute_error", random_state=0), "regression")
    add("dt_reg_multi", lambda: tree.DecisionTreeRegressor(max_depth=5, random_state=0), "regression2")
    add("rf_clf_str", lambda: ensemble.RandomForestClassifier(n_estimators=10, max_depth=5, random_state=0), "multi_str")
    add("rf_clf_ties", lambda: ensemble.RandomForestClassifier(n_estimators=4, max_depth=3, random_state=1), "binary", integer=True)
    add("rf_clf_nparray", lambda: ensemble.RandomForestClassifier(n_estimators=8, random_state=2), "multi", frame=False)
    add("rf_reg", lambda: ensemble.RandomForestRegressor(n_estimators=12, max_depth=6, random_state=0), "regression")
    add("rf_reg_multi", lambda: ensemble.RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0), "regression2")
    add("et_clf", lambda: ensemble.ExtraTreesClassifier(n_estimators=10, max_depth=6, random_state=0), "multi")
    add("et_reg", lambda: ensemble.ExtraTreesRegressor(n_estimators=10, max_depth=6, random_state=0), "regression")
    # linear models
    add("logreg_binary", lambda: linear_model.LogisticRegression(), "binary_str")
    add("logreg_multinomial", lambda: linear_model.LogisticRegression(max_iter=500), "multi")
    add("logreg_liblinear", lambda: linear_model.LogisticRegression(solver="liblinear"), "multi" if VERSION < (1, 8) else "binary")
    if VERSION < (1, 5):
        add("logreg_ovr", lambda: linear_model.LogisticRegression(multi_class="ovr", max_iter=500), "multi")
        add("logreg_multinomial_binary", lambda: linear_model.LogisticRegression(multi_class="multinomial"), "binary")
    add("logreg_nparray", lambda: linear_model.LogisticRegression(C=0.1), "multi_str", frame=False)
    add("linreg", lambda: linear_model.LinearRegression(), "regression")
    add("linreg_multi", lambda: linear_model.LinearRegression(), "regression2")
    add("ridge", lambda: linear_model.Ridge(alpha=2.0), "regression")
    add("ridge_multi", lambda: linear_model.Ridge(alpha=0.5), "regression2")
    add("lasso", lambda: linear_model.Lasso(alpha=0.05), "regression")
    add("elasticnet", lambda: linear_model.ElasticNet(alpha=0.05, l1_ratio=0.3), "regression")
    add("sgd_clf_hinge", lambda: linear_model.SGDClassifier(random_state=0), "multi")
    add("sgd_clf_log", lambda: linear_model.SGDClassifier(loss="log_loss", random_state=0), "binary")
    add("sgd_clf_log_multi", lambda: linear_model.SGDClassifier(loss="log_loss", random_state=0), "multi_str")
    add("sgd_clf_mhuber", lambda: linear_model.SGDClassifier(loss="modified_huber", random_state=0), "multi")
    add("sgd_reg", lambda: linear_model.SGDRegressor(random_state=0), "regression")
    # boosting
    add("gb_clf_binary", lambda: ensemble.GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=0), "binary_str")
    add("gb_clf_multi", lambda: ensemble.GradientBoostingClassifier(n_estimators=20, max_depth=2, random_state=0), "multi")
    add("gb_clf_exponential", lambda: ensemble.GradientBoostingClassifier(loss="exponential", n_estimators=20, random_state=0), "binary")
    add("gb_clf_zero_init", lambda: ensemble.GradientBoostingClassifier(init="zero", n_estimators=15, random_state=0), "multi")
    add("gb_reg", lambda: ensemble.GradientBoostingRegressor(n_estimators=40, max_depth=3, random_state=0), "regression")
    add("gb_reg_huber", lambda: ensemble.GradientBoostingRegressor(loss="huber", n_estimators=20, random_state=0), "regression")
    add("gb_reg_quantile", lambda: ensemble.GradientBoostingRegressor(loss="quantile", alpha=0.8, n_estimators=20, random_state=0), "regression")
    add("gb_reg_lad_subsample", lambda: ensemble.GradientBoostingRegressor(loss="absolute_error", subsample=0.7, n_estimators=20, random_state=0), "regression")
    # init_ is fitted on float32 X, so its coef_ is float32 and numpy predicts it in float32 BLAS
    # (CPU-specific summation order): compare to float32 precision of the init values (~10).
    add("gb_reg_linear_init", lambda: ensemble.GradientBoostingRegressor(init=linear_model.LinearRegression(), n_estimators=10, random_state=0), "regression", rtol=1e-6, atol=1e-5)
    add("hgb_clf_binary", lambda: ensemble.HistGradientBoostingClassifier(max_iter=30, random_state=0), "binary", nan_train=True)
    add("hgb_clf_multi", lambda: ensemble.HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=7, random_state=0), "multi_str")
    add("hgb_reg", lambda: ensemble.HistGradientBoostingRegressor(max_iter=30, random_state=0), "regression", nan_train=True)
    add("hgb_reg_categorical", lambda: ensemble.HistGradientBoostingRegressor(max_iter=20, categorical_features=[4], random_state=0), "regression", categorical=True)
    add("hgb_clf_categorical", lambda: ensemble.HistGradientBoostingClassifier(max_iter=15, categorical_features=[4], random_state=0), "multi", categorical=True)
    # dummies
    add("dummy_clf_prior", lambda: dummy.DummyClassifier(strategy="prior"), "multi_str")
    add("dummy_clf_most_frequent", lambda: dummy.DummyClassifier(strategy="most_frequent"), "multi")
    add("dummy_clf_constant", lambda: dummy.DummyClassifier(strategy="constant", constant="beta"), "multi_str")
    add("dummy_reg_mean", lambda: dummy.DummyRegressor(), "regression")
    add("dummy_reg_median", lambda: dummy.DummyRegressor(strategy="median"), "regression")
    add("dummy_reg_quantile", lambda: dummy.DummyRegressor(strategy="quantile", quantile=0.3), "regression2")
    add("dummy_reg_constant", lambda: dummy.DummyRegressor(strategy="constant", constant=4.5), "regression")
    # composition
    add("pipe_scaler_logreg", lambda: pipeline.Pipeline([("scale", preprocessing.StandardScaler()), ("lr", linear_model.LogisticRegression())]), "multi")
    add("pipe_passthrough_ridge", lambda: pipeline.Pipeline([("noop", "passthrough"), ("scale", preprocessing.StandardScaler(with_mean=False)), ("ridge", linear_model.Ridge())]), "regression")
    add("pipe_scaler_rf", lambda: pipeline.make_pipeline(preprocessing.StandardScaler(), ensemble.RandomForestClassifier(n_estimators=6, random_state=0)), "binary_str", integer=True)
    add("pipe_scaler_hgb_nan", lambda: pipeline.make_pipeline(preprocessing.StandardScaler(), ensemble.HistGradientBoostingRegressor(max_iter=10)), "regression", nan_train=True)
    # LightGBM / XGBoost estimators inside scikit-learn models (their booster state is in the pickle)
    if lightgbm is not None:
        add("lgbm_clf_pipe", lambda: pipeline.make_pipeline(preprocessing.StandardScaler(), lightgbm.LGBMClassifier(n_estimators=20, num_leaves=7, verbose=-1)), "multi_str")
        add("lgbm_clf_binary", lambda: lightgbm.LGBMClassifier(n_estimators=15, num_leaves=5, verbose=-1), "binary", nan_train=True)
        add("lgbm_reg", lambda: lightgbm.LGBMRegressor(n_estimators=25, verbose=-1), "regression")
    if xgboost is not None:
        # XGBoost computes in float32 (its softmax too): compare its outputs to float32 precision.
        add("xgb_clf_pipe", lambda: pipeline.make_pipeline(preprocessing.StandardScaler(), xgboost.XGBClassifier(n_estimators=15, max_depth=3)), "multi", rtol=1e-6)
        add("xgb_clf_binary", lambda: xgboost.XGBClassifier(n_estimators=10, max_depth=2), "binary", nan_train=True, rtol=1e-6)
        add("xgb_reg", lambda: xgboost.XGBRegressor(n_estimators=20, max_depth=3), "regression", rtol=1e-6)
    return c


def train_data(seed, kind, opt):
    X = features(seed, 300, opt.get("integer", False))
    y = labels(X, kind, seed)
    if opt.get("categorical"):
        X[:, 4] = rng(seed + 3).randint(0, 6, size=len(X))
        y = y + (X[:, 4] % 3 if kind == "regression" else 0)
        if kind == "multi":
            y = ((y + X[:, 4]) % 3).astype(np.int64)
    if opt.get("nan_train"):
        mask = rng(seed + 5).rand(*X.shape) < 0.1
        X = X.copy()
        X[mask] = np.nan
    return X, y


def write_models(out):
    index = []
    proto_dir = os.path.join(out, "protocols")
    os.makedirs(proto_dir, exist_ok=True)
    for seed, (name, make, kind, opt) in enumerate(cases()):
        X, y = train_data(seed, kind, opt)
        model, case = record(name, make(), X, y, frame=opt.get("frame", True), integer=opt.get("integer", False), seed=seed,
                             rtol=opt.get("rtol", 1e-9), atol=opt.get("atol", 0.0))
        with open(os.path.join(out, f"{name}.pickle.pkl"), "wb") as f:
            pickle.dump(model, f)
        case["files"]["pickle"] = f"{name}.pickle.pkl"
        if cloudpickle is not None:
            with open(os.path.join(out, f"{name}.cloudpickle.pkl"), "wb") as f:
                cloudpickle.dump(model, f)
            case["files"]["cloudpickle"] = f"{name}.cloudpickle.pkl"
        if name in ("logreg_multinomial", "rf_clf_str", "hgb_clf_multi", "pipe_scaler_logreg", "gb_clf_multi"):
            case["protocols"] = {}
            for p in range(0, pickle.HIGHEST_PROTOCOL + 1):
                path = os.path.join("protocols", f"{name}.p{p}.pkl")
                with open(os.path.join(out, path), "wb") as f:
                    pickle.dump(model, f, protocol=p)
                case["protocols"][str(p)] = path
        index.append(case)
    return index


def array_samples():
    """numpy values that exercise the unpickler's numpy support, with their expected contents."""
    s = {}
    s["f8"] = np.array([1.5, -0.0, np.inf, -np.inf, 1e-310, 3.141592653589793])
    s["f8_big_endian"] = np.array([1.5, -2.25, 1e300], dtype=">f8")
    s["f4"] = np.array([0.1, 1e30, -7.5], dtype=np.float32)
    s["f4_big_endian"] = np.array([0.1, 2.5], dtype=">f4")
    s["f2"] = np.array([0.5, 65504.0, -1e-7, 1.0 / 3.0], dtype=np.float16)
    s["i8"] = np.array([[1, -2, 3], [2**53, -(2**40), 0]], dtype=np.int64)
    s["i8_big_endian"] = np.array([1, -2, 300000], dtype=">i8")
    s["i4_fortran"] = np.asfortranarray(np.arange(24, dtype=np.int32).reshape(2, 3, 4))
    s["f8_fortran"] = np.asfortranarray(np.arange(12, dtype=np.float64).reshape(3, 4) / 7)
    s["u1"] = np.array([0, 255, 7], dtype=np.uint8)
    s["i1_i2_u2_u4"] = np.array([-128, 127], dtype=np.int8)
    s["u8"] = np.array([0, 2**53], dtype=np.uint64)
    s["bool"] = np.array([[True, False], [False, True]])
    s["str_labels"] = np.array(["setosa", "versicolor", "virginica", "é✓"])
    s["str_big_endian"] = np.array(["ab", "c"], dtype=">U2")
    s["object_labels"] = np.array(["yes", "no", None, 3], dtype=object)
    s["object_2d_fortran"] = np.asfortranarray(np.array([["a", "b", "c"], ["d", "e", "f"]], dtype=object))
    s["bytes"] = np.array([b"ab", b"c\x00d", b""], dtype="S3")
    s["empty"] = np.zeros((0, 3))
    s["scalar_f8"] = np.float64(2.5)
    s["scalar_i8"] = np.int64(-7)
    s["scalar_f4"] = np.float32(0.1)
    s["scalar_bool"] = np.bool_(True)
    s["scalar_str"] = np.str_("beta")
    s["structured"] = np.array([(1, 2.5, b"x"), (-3, 1e10, b"yz")], dtype=[("a", "<i8"), ("b", ">f8"), ("c", "S2")])
    s["structured_subarray"] = np.array([((1.0, 2.0), 7)], dtype=[("v", "<f4", (2,)), ("n", "u1")])
    s["zero_d"] = np.array(4.25)
    return s


def expected_json(v):
    a = np.asarray(v)
    if a.dtype.names:
        return {"fields": {n: expected_json(a[n]) for n in a.dtype.names}, "shape": list(a.shape)}
    def item(x):
        if isinstance(x, bytes):
            return {"bytes": list(x)}
        if isinstance(x, float):
            if math.isnan(x):
                return "nan"
            if math.isinf(x):
                return "inf" if x > 0 else "-inf"
            if x == 0 and math.copysign(1, x) < 0:
                return "-0"
        return x
    values = [item(x.item() if hasattr(x, "item") and not isinstance(x, (str, bytes)) else x) for x in a.ravel(order="C")]
    return {"dtype": a.dtype.str, "shape": list(a.shape), "values": values, "scalar": not isinstance(v, np.ndarray)}


def write_arrays(out):
    d = os.path.join(out, "arrays")
    os.makedirs(d, exist_ok=True)
    expected = {}
    for name, value in array_samples().items():
        expected[name] = expected_json(value)
        for p in range(0, pickle.HIGHEST_PROTOCOL + 1):
            with open(os.path.join(d, f"{name}.p{p}.pkl"), "wb") as f:
                pickle.dump(value, f, protocol=p)
        if cloudpickle is not None:
            with open(os.path.join(d, f"{name}.cloudpickle.pkl"), "wb") as f:
                cloudpickle.dump(value, f)
    # a dtype object itself, and a container mixing everything
    with open(os.path.join(d, "dtype_structured.p4.pkl"), "wb") as f:
        pickle.dump(np.dtype([("left", "<i8"), ("thr", "<f8")]), f, protocol=4)
    # protocol 5 with out-of-band buffers: the pickle plus each buffer in its own file
    buffers = []
    data = pickle.dumps({"a": np.arange(6, dtype=np.float64).reshape(2, 3), "b": np.array([1, 2], dtype=">i4")},
                        protocol=5, buffer_callback=buffers.append)
    with open(os.path.join(d, "out_of_band.pkl"), "wb") as f:
        f.write(data)
    for i, b in enumerate(buffers):
        with open(os.path.join(d, f"out_of_band.buf{i}"), "wb") as f:
            f.write(b.raw())
    # plain Python containers, as every protocol writes them
    mixed = {"ints": [0, 1, -1, 255, 256, 65535, 65536, 2**31 - 1, -(2**31), 2**63, -(2**70)], "floats": [0.5, -1e300],
             "text": ["", "é", "✓", "a\nb"], "bytes": b"\x00\xff", "tuple": (1, (2, 3)), "set": {1}, "frozenset": frozenset([2]),
             "none": None, "bools": [True, False], "nested": {"k": [{"x": 1}]}, "bytearray": bytearray(b"ab"),
             (1, "t"): "tuple key", 3: "int key"}
    for p in range(0, pickle.HIGHEST_PROTOCOL + 1):
        with open(os.path.join(d, f"mixed.p{p}.pkl"), "wb") as f:
            pickle.dump(mixed, f, protocol=p)
    with open(os.path.join(out, "arrays.json"), "w") as f:
        json.dump(expected, f, indent=1, allow_nan=False)


class Attack:
    """An object whose __reduce__ asks the unpickler to call something (never loaded here)."""

    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def write_attacks(out):
    import builtins
    import subprocess
    d = os.path.join(out, "attacks")
    os.makedirs(d, exist_ok=True)
    attacks = {
        "os_system": Attack(os.system, ("touch /tmp/flowgate-pwned",)),
        "subprocess_popen": Attack(subprocess.Popen, (["touch", "/tmp/flowgate-pwned"],)),
        "builtins_eval": Attack(builtins.eval, ("__import__('os').system('touch /tmp/flowgate-pwned')",)),
        "builtins_exec": Attack(builtins.exec, ("import os; os.system('touch /tmp/flowgate-pwned')",)),
        "getattr_trick": Attack(builtins.getattr, (Attack(builtins.__import__, ("os",)), "system")),
        # the attack hidden inside an otherwise valid model's state
        "inside_estimator": linear_model.LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0]),
    }
    attacks["inside_estimator"].coef_ = Attack(os.system, ("touch /tmp/flowgate-pwned",))
    for name, obj in attacks.items():
        for p in (0, 2, 4, 5):
            with open(os.path.join(d, f"{name}.p{p}.pkl"), "wb") as f:
                pickle.dump(obj, f, protocol=p)


def main():
    root = sys.argv[1]
    out = os.path.join(root, f"sk{sklearn.__version__}")
    os.makedirs(out, exist_ok=True)
    index = write_models(out)
    write_arrays(out)
    write_attacks(out)
    meta = {"sklearn": sklearn.__version__, "numpy": np.__version__, "python": sys.version.split()[0],
            "cloudpickle": getattr(cloudpickle, "__version__", None), "cases": index}
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(meta, f, allow_nan=False)
    print(f"sklearn {sklearn.__version__}: {len(index)} cases -> {out}")


if __name__ == "__main__":
    main()
