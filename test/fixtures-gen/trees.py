"""Reference models and predictions for the tree-ensemble flavors (xgboost, lightgbm).

Usage: trees.py xgboost|lightgbm OUT_DIR
  xgboost  runs with Debian's python3 (xgboost 1.7.4): every case is saved as JSON, UBJSON and,
           where the format allows it (no categorical splits), the legacy binary format.
  lightgbm runs with the reference venv (lightgbm 4.7): text model files (+ one pickled sklearn model).

Each case is a folder OUT_DIR/<case>/ with the model file(s), X.f64 (the test rows, float64
little-endian, row-major), one <output>.f64 per reference prediction, and case.json describing
them. Test rows include NaNs, zeros, unseen and negative categories. Everything is seeded.
"""
import json
import os
import pickle
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")
N_TEST = 600


def write_case(out_dir, name, X, outputs, meta, X_dense=None):
    """X_dense: the same rows without NaN (what most batches look like), for `*_dense` outputs."""
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    np.ascontiguousarray(X, dtype="<f8").tofile(os.path.join(d, "X.f64"))
    if X_dense is not None:
        np.ascontiguousarray(X_dense, dtype="<f8").tofile(os.path.join(d, "X_dense.f64"))
    described = {}
    for key, value in outputs.items():
        arr = np.asarray(value)
        np.ascontiguousarray(arr, dtype="<f8").tofile(os.path.join(d, key + ".f64"))
        described[key] = {"shape": list(arr.shape), "dtype": str(arr.dtype)}
    meta = dict(meta, rows=int(X.shape[0]), cols=int(X.shape[1]), outputs=described)
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return d


def numeric_data(rng, n, f=6, nan_rate=0.08):
    X = rng.normal(size=(n, f))
    X[:, 1] = np.round(X[:, 1] * 2) / 2  # ties on split thresholds
    X[:, 2] = np.where(rng.random(n) < 0.2, 0.0, X[:, 2])  # exact zeros
    mask = rng.random((n, f)) < nan_rate
    mask[:, 0] = False
    X[mask] = np.nan
    signal = 1.5 * X[:, 0] - np.nan_to_num(X[:, 1]) + 0.5 * np.nan_to_num(X[:, 2]) ** 2
    signal += np.where(np.isnan(X[:, 3]), 1.0, 0.3 * np.nan_to_num(X[:, 3]))
    return X, signal


# ----------------------------------------------------------------------------------- xgboost

def gen_xgboost(out_dir):
    import xgboost as xgb

    rng = np.random.default_rng(7)
    cases = []

    def save_booster(d, booster, binary=True):
        booster.save_model(os.path.join(d, "model.json"))
        booster.save_model(os.path.join(d, "model.ubj"))
        if binary:
            booster.save_model(os.path.join(d, "model.xgb"))

    def booster_case(name, params, make_label, rounds=30, binary=True, extra=None, qid=False):
        Xtr, sig = numeric_data(rng, 2000)
        ytr = make_label(sig, rng)
        Xte, _ = numeric_data(rng, N_TEST)
        dtr = xgb.DMatrix(Xtr, label=ytr, feature_names=[f"f{i}" for i in range(Xtr.shape[1])])
        if qid:
            dtr.set_group([20] * (Xtr.shape[0] // 20))
        booster = xgb.train(dict(params, seed=1, nthread=1), dtr, rounds)
        dte = xgb.DMatrix(Xte, feature_names=[f"f{i}" for i in range(Xte.shape[1])])
        Xd = np.nan_to_num(Xte, nan=0.25)
        outputs = {
            "predict": booster.predict(dte),
            "predict_dense": booster.predict(xgb.DMatrix(Xd, feature_names=dte.feature_names)),
            "margin": booster.predict(dte, output_margin=True),
            "range": booster.predict(dte, iteration_range=(2, min(7, rounds - 1))),
        }
        if extra:
            outputs.update(extra(booster, dte))
        d = write_case(out_dir, name, Xte, outputs, {
            "library": "xgboost", "objective": params["objective"], "model_class": "xgboost.core.Booster",
            "feature_names": dtr.feature_names, "formats": ["json", "ubj"] + (["xgb"] if binary else []),
            "iteration_range": [2, min(7, rounds - 1)],
        }, X_dense=Xd)
        save_booster(d, booster, binary)
        cases.append(name)

    pos = lambda s, r: np.exp(0.4 * s) * r.gamma(2.0, 0.5, size=s.shape)
    booster_case("reg_squarederror", {"objective": "reg:squarederror", "max_depth": 5, "eta": 0.3},
                 lambda s, r: s + r.normal(scale=0.3, size=s.shape))
    booster_case("reg_squaredlogerror", {"objective": "reg:squaredlogerror", "max_depth": 4},
                 lambda s, r: pos(s, r))
    booster_case("reg_absoluteerror", {"objective": "reg:absoluteerror", "max_depth": 4},
                 lambda s, r: s + r.laplace(size=s.shape))
    booster_case("reg_logistic", {"objective": "reg:logistic", "base_score": 0.3, "max_depth": 4},
                 lambda s, r: 1 / (1 + np.exp(-s)))
    booster_case("reg_tweedie", {"objective": "reg:tweedie", "tweedie_variance_power": 1.4, "max_depth": 4},
                 lambda s, r: pos(s, r) * (r.random(s.shape) < 0.7))
    booster_case("count_poisson", {"objective": "count:poisson", "max_depth": 4},
                 lambda s, r: r.poisson(np.exp(0.5 * s)))
    booster_case("reg_gamma", {"objective": "reg:gamma", "max_depth": 4, "base_score": 2.0},
                 lambda s, r: pos(s, r))
    booster_case("survival_cox", {"objective": "survival:cox", "max_depth": 3},
                 lambda s, r: pos(s, r) * np.where(r.random(s.shape) < 0.8, 1, -1))
    booster_case("binary_logistic", {"objective": "binary:logistic", "max_depth": 5},
                 lambda s, r: (s + r.normal(size=s.shape) > 0.5).astype(float))
    booster_case("binary_logitraw", {"objective": "binary:logitraw", "max_depth": 4},
                 lambda s, r: (s + r.normal(size=s.shape) > 0.5).astype(float))
    booster_case("binary_hinge", {"objective": "binary:hinge", "max_depth": 4},
                 lambda s, r: (s + r.normal(size=s.shape) > 0.5).astype(float))
    cls4 = lambda s, r: np.digitize(s + r.normal(scale=0.5, size=s.shape), [-1, 0.5, 2]).astype(float)
    booster_case("multi_softprob", {"objective": "multi:softprob", "num_class": 4, "max_depth": 4}, cls4)
    booster_case("multi_softmax", {"objective": "multi:softmax", "num_class": 4, "max_depth": 4}, cls4)
    rel = lambda s, r: np.digitize(s + r.normal(scale=0.5, size=s.shape), [-1, 0.5, 2]).astype(float)
    for obj in ("rank:pairwise", "rank:ndcg", "rank:map"):
        label = (lambda s, r: (s > 0.5).astype(float)) if obj == "rank:map" else rel
        booster_case(obj.replace(":", "_"), {"objective": obj, "max_depth": 4}, label, qid=True)
    booster_case("parallel_tree", {"objective": "reg:squarederror", "num_parallel_tree": 4, "subsample": 0.7,
                                   "colsample_bynode": 0.8, "max_depth": 5}, lambda s, r: s, rounds=6)
    booster_case("dart", {"objective": "reg:squarederror", "booster": "dart", "rate_drop": 0.3, "skip_drop": 0.0,
                          "max_depth": 4}, lambda s, r: s + r.normal(scale=0.3, size=s.shape), rounds=15)

    # Categorical splits: a one-hot feature (4 categories) and a partition feature (40 categories),
    # test rows with unseen, negative, fractional and missing categories.
    def cat_data(n, unseen):
        X = rng.normal(size=(n, 4))
        X[:, 0] = rng.integers(0, 4, size=n)
        X[:, 1] = rng.integers(0, 40, size=n)
        X[rng.random(n) < 0.05, 1] = np.nan
        if unseen:
            k = rng.random(n)
            X[k < 0.04, 1] = 45  # unseen, beyond every bitset
            X[(k >= 0.04) & (k < 0.07), 1] = 33.7  # fractional: truncated
            X[(k >= 0.07) & (k < 0.09), 0] = -1  # negative: invalid
            X[(k >= 0.09) & (k < 0.12), 0] = np.nan
        return X

    Xtr = cat_data(3000, False)
    codes = Xtr[:, 1]
    effect = np.sin(np.nan_to_num(codes, nan=7.0) * 1.3) * 2
    ytr = effect + (Xtr[:, 0] == 2) * 1.5 + Xtr[:, 2] + rng.normal(scale=0.2, size=3000)
    Xte = cat_data(N_TEST, True)
    ft = ["c", "c", "q", "q"]
    names = ["small_cat", "big_cat", "x1", "x2"]
    dtr = xgb.DMatrix(Xtr, label=ytr, feature_types=ft, feature_names=names, enable_categorical=True)
    dte = xgb.DMatrix(Xte, feature_types=ft, feature_names=names, enable_categorical=True)
    for name, extra in (("categorical", {"objective": "reg:squarederror"}),
                        ("categorical_multi", {"objective": "multi:softprob", "num_class": 3})):
        y = ytr if extra["objective"] == "reg:squarederror" else np.digitize(ytr, [-0.5, 1.0]).astype(float)
        dtr.set_label(y)
        booster = xgb.train(dict(extra, tree_method="hist", max_cat_to_onehot=5, max_depth=5, seed=1, nthread=1),
                            dtr, 25)
        d = write_case(out_dir, name, Xte, {"predict": booster.predict(dte)}, {
            "library": "xgboost", "objective": extra["objective"], "model_class": "xgboost.core.Booster",
            "feature_names": names, "formats": ["json", "ubj"],
        })
        save_booster(d, booster, binary=False)
        cases.append(name)

    # scikit-learn API: labels, predict_proba, best_iteration from early stopping, `missing`.
    Xtr, sig = numeric_data(rng, 2000)
    Xva, sigva = numeric_data(rng, 500)
    Xte, _ = numeric_data(rng, N_TEST)
    for name, n_cls in (("sk_classifier_multi", 3), ("sk_classifier_binary", 2)):
        bins = [-0.5, 1.0] if n_cls == 3 else [0.5]
        clf = xgb.XGBClassifier(n_estimators=200, max_depth=4, learning_rate=0.3, early_stopping_rounds=5,
                                random_state=0, n_jobs=1)
        clf.fit(Xtr, np.digitize(sig, bins), eval_set=[(Xva, np.digitize(sigva, bins))], verbose=False)
        d = write_case(out_dir, name, Xte, {
            "predict": clf.predict(Xte), "predict_proba": clf.predict_proba(Xte),
            "booster_predict": clf.get_booster().predict(xgb.DMatrix(Xte)),
        }, {
            "library": "xgboost", "objective": clf.objective, "model_class": "xgboost.sklearn.XGBClassifier",
            "feature_names": None, "formats": ["json", "ubj", "xgb"], "best_iteration": int(clf.best_iteration),
        })
        for fmt in ("json", "ubj", "xgb"):
            clf.save_model(os.path.join(d, "model." + fmt))
        cases.append(name)

    Xm = np.where(np.isnan(Xtr), -999.0, Xtr)
    Xme = np.where(np.isnan(Xte), -999.0, Xte)
    reg = xgb.XGBRegressor(n_estimators=20, max_depth=4, missing=-999.0, random_state=0, n_jobs=1)
    reg.fit(Xm, sig)
    d = write_case(out_dir, "sk_regressor_missing", Xme, {"predict": reg.predict(Xme)}, {
        "library": "xgboost", "objective": "reg:squarederror", "model_class": "xgboost.sklearn.XGBRegressor",
        "feature_names": None, "formats": ["json", "ubj", "xgb"],
    })
    for fmt in ("json", "ubj", "xgb"):
        reg.save_model(os.path.join(d, "model." + fmt))
    cases.append("sk_regressor_missing")

    qid = np.repeat(np.arange(100), 20)
    rank = xgb.XGBRanker(n_estimators=15, max_depth=4, objective="rank:ndcg", random_state=0, n_jobs=1)
    rank.fit(Xtr, np.digitize(sig, [-1, 0.5, 2]), qid=qid)
    d = write_case(out_dir, "sk_ranker", Xte, {"predict": rank.predict(Xte)}, {
        "library": "xgboost", "objective": "rank:ndcg", "model_class": "xgboost.sklearn.XGBRanker",
        "feature_names": None, "formats": ["json", "ubj", "xgb"],
    })
    for fmt in ("json", "ubj", "xgb"):
        rank.save_model(os.path.join(d, "model." + fmt))
    cases.append("sk_ranker")
    return cases


# ---------------------------------------------------------------------------------- lightgbm

def gen_lightgbm(out_dir):
    import lightgbm as lgb

    rng = np.random.default_rng(11)
    cases = []
    base = {"verbose": -1, "num_threads": 1, "seed": 3, "deterministic": True, "num_leaves": 15,
            "min_data_in_leaf": 10}

    def lgb_case(name, params, make_label, rounds=30, data=numeric_data, group=False, extra=None):
        Xtr, sig = data(rng, 2000)
        ytr = make_label(sig, rng)
        Xte, _ = data(rng, N_TEST)
        ds = lgb.Dataset(Xtr, label=ytr, feature_name=[f"f{i}" for i in range(Xtr.shape[1])],
                         group=[20] * 100 if group else None, params={"verbose": -1})
        booster = lgb.train(dict(base, **params), ds, rounds)
        Xd = np.nan_to_num(Xte, nan=0.25)
        outputs = {
            "predict": booster.predict(Xte),
            "predict_dense": booster.predict(Xd),
            "raw": booster.predict(Xte, raw_score=True),
            "iter_7": booster.predict(Xte, num_iteration=7),
        }
        if extra:
            outputs.update(extra(booster, Xte))
        d = write_case(out_dir, name, Xte, outputs, {
            "library": "lightgbm", "objective": params.get("objective", ""), "model_class": "lightgbm.basic.Booster",
            "feature_names": booster.feature_name(), "formats": ["lgb"],
        }, X_dense=Xd)
        booster.save_model(os.path.join(d, "model.lgb"))
        cases.append(name)

    pos = lambda s, r: np.exp(0.4 * s) * r.gamma(2.0, 0.5, size=s.shape)
    noisy = lambda s, r: s + r.normal(scale=0.3, size=s.shape)
    for obj in ("regression", "regression_l1", "huber", "fair", "quantile"):
        lgb_case(obj, {"objective": obj}, noisy)
    lgb_case("regression_sqrt", {"objective": "regression", "reg_sqrt": True}, lambda s, r: pos(s, r) * 5)
    for obj in ("poisson", "gamma", "tweedie", "mape"):
        lgb_case(obj, {"objective": obj}, lambda s, r: pos(s, r) + 0.1)
    binary = lambda s, r: (s + r.normal(size=s.shape) > 0.5).astype(float)
    lgb_case("binary", {"objective": "binary", "sigmoid": 1.3}, binary)
    lgb_case("cross_entropy", {"objective": "cross_entropy"}, lambda s, r: 1 / (1 + np.exp(-s)))
    lgb_case("cross_entropy_lambda", {"objective": "cross_entropy_lambda"}, lambda s, r: 1 / (1 + np.exp(-s)))
    cls4 = lambda s, r: np.digitize(s + r.normal(scale=0.5, size=s.shape), [-1, 0.5, 2]).astype(float)
    lgb_case("multiclass", {"objective": "multiclass", "num_class": 4}, cls4)
    lgb_case("multiclassova", {"objective": "multiclassova", "num_class": 4}, cls4)
    for obj in ("lambdarank", "rank_xendcg"):
        lgb_case(obj, {"objective": obj}, cls4, group=True)
    # Missing-value types: Zero (zero_as_missing) and None (use_missing=false); NaN is the default above.
    lgb_case("zero_as_missing", {"objective": "regression", "zero_as_missing": True}, noisy)
    lgb_case("use_missing_false", {"objective": "regression", "use_missing": False}, noisy)
    lgb_case("linear_tree", {"objective": "regression", "linear_tree": True, "linear_lambda": 0.1}, noisy)
    lgb_case("rf", {"objective": "regression", "boosting": "rf", "bagging_fraction": 0.7, "bagging_freq": 1,
                    "feature_fraction": 0.8}, noisy)
    lgb_case("dart", {"objective": "regression", "boosting": "dart", "drop_rate": 0.3}, noisy)
    lgb_case("goss_binary", {"objective": "binary", "data_sample_strategy": "goss"}, binary)
    lgb_case("single_leaf", {"objective": "regression", "min_data_in_leaf": 5000}, noisy, rounds=5)

    # Categorical splits: 70 categories (several bitset words), NaN in training; unseen,
    # negative, fractional and missing categories in the test rows.
    def cat_data(r, n):
        X = r.normal(size=(n, 4))
        X[:, 0] = r.integers(0, 70, size=n)
        X[:, 1] = r.integers(0, 5, size=n)
        X[r.random(n) < 0.05, 0] = np.nan
        if n == N_TEST:
            k = r.random(n)
            X[k < 0.04, 0] = 80
            X[(k >= 0.04) & (k < 0.07), 0] = 33.7
            X[(k >= 0.07) & (k < 0.09), 0] = -3
            X[(k >= 0.09) & (k < 0.1), 0] = -0.5
            X[(k >= 0.1) & (k < 0.13), 1] = np.nan
        s = np.sin(np.nan_to_num(X[:, 0], nan=3.0) * 0.7) * 2 + (X[:, 1] == 3) + X[:, 2]
        return X, s

    for name, obj in (("categorical", "regression"), ("categorical_multiclass", "multiclass")):
        params = {"objective": obj, "max_cat_to_onehot": 4, "min_data_per_group": 5, "cat_smooth": 1}
        if obj == "multiclass":
            params["num_class"] = 3
        label = noisy if obj == "regression" else (lambda s, r: np.digitize(s, [-0.5, 1.0]).astype(float))
        Xtr, sig = cat_data(rng, 3000)
        Xte, _ = cat_data(rng, N_TEST)
        ds = lgb.Dataset(Xtr, label=label(sig, rng), categorical_feature=[0, 1], feature_name=["big", "small", "x1", "x2"],
                         params={"verbose": -1})
        booster = lgb.train(dict(base, **params), ds, 25)
        d = write_case(out_dir, name, Xte, {"predict": booster.predict(Xte), "raw": booster.predict(Xte, raw_score=True)},
                       {"library": "lightgbm", "objective": obj, "model_class": "lightgbm.basic.Booster",
                        "feature_names": booster.feature_name(), "formats": ["lgb"]})
        booster.save_model(os.path.join(d, "model.lgb"))
        cases.append(name)

    # scikit-learn API, pickled as MLflow does (string labels; early stopping -> best_iteration).
    Xtr, sig = numeric_data(rng, 2000)
    Xva, sigva = numeric_data(rng, 500)
    Xte, _ = numeric_data(rng, N_TEST)
    labels = np.array(["low", "mid", "high"])
    clf = lgb.LGBMClassifier(n_estimators=200, num_leaves=7, random_state=0, n_jobs=1, verbose=-1)
    clf.fit(Xtr, labels[np.digitize(sig, [-0.5, 1.0])], eval_set=[(Xva, labels[np.digitize(sigva, [-0.5, 1.0])])],
            callbacks=[lgb.early_stopping(5, verbose=False)])
    d = write_case(out_dir, "sk_classifier", Xte, {
        "predict_proba": clf.predict_proba(Xte), "booster_predict": clf.booster_.predict(Xte),
    }, {
        "library": "lightgbm", "objective": "multiclass", "model_class": "lightgbm.sklearn.LGBMClassifier",
        "feature_names": clf.booster_.feature_name(), "formats": ["lgb", "pkl"],
        "predict_labels": [str(v) for v in clf.predict(Xte)], "classes": [str(c) for c in clf.classes_],
        "best_iteration": int(clf.best_iteration_),
    })
    clf.booster_.save_model(os.path.join(d, "model.lgb"))
    with open(os.path.join(d, "model.pkl"), "wb") as f:
        pickle.dump(clf, f)
    cases.append("sk_classifier")
    return cases


def main():
    kind, out_dir = sys.argv[1], sys.argv[2]
    out = os.path.join(out_dir, kind)
    os.makedirs(out, exist_ok=True)
    cases = gen_xgboost(out) if kind == "xgboost" else gen_lightgbm(out)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"cases": cases}, f, indent=1)
    print(f"{kind}: {len(cases)} cases in {out}")


if __name__ == "__main__":
    main()
