"""Differential-test fixtures for the sklearn flavor's third set of estimators.

The estimators MLflow users commit next most often: MLPs, AdaBoost, Bagging, Voting and
Stacking, CalibratedClassifierCV, IsolationForest, KMeans, QuantileTransformer and
PowerTransformer, text pipelines (CountVectorizer, TfidfVectorizer), TransformedTargetRegressor,
FunctionTransformer with numpy ufuncs, and OneHotEncoder pickles shaped like scikit-learn 1.0/1.1
ones. Same format as sklearn-more.py (whose data and encoding helpers it borrows): each case is
trained on seeded data, pickled (pickle and cloudpickle), and what the library answers on the
batches flowgate will be given is recorded. Writes into OUT/sk<version>/cases.json.

Usage: python -P sklearn-wild.py OUT_DIR
"""
import importlib.util
import json
import os
import pickle
import sys
import time
import warnings

import numpy as np
import pandas as pd
import sklearn
from sklearn import (calibration, cluster, compose, ensemble, feature_extraction, linear_model, naive_bayes, neighbors,
                     neural_network, pipeline, preprocessing, svm, tree)

_spec = importlib.util.spec_from_file_location("sklearn_more", os.path.join(os.path.dirname(os.path.abspath(__file__)), "sklearn-more.py"))
more = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(more)
# decision_function too: stacking and calibration read it from their members, IsolationForest answers it.
more.METHODS = more.METHODS + ["decision_function"]
Case, numeric_data, numeric, target, rng, NUM = more.Case, more.numeric_data, more.numeric, more.target, more.rng, more.NUM
cloudpickle = more.cloudpickle

warnings.filterwarnings("ignore")
VERSION = more.VERSION


# ---------------------------------------------------------------- data

def multilabel_data(seed):
    """Three 0/1 labels per row (MLPClassifier's multilabel-indicator output)."""
    def data():
        X = numeric(seed, 300, unit=True)
        Y = np.stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] * X[:, 4] > 0], axis=1).astype(np.int64)
        main = np.vstack([numeric(seed + 100, 200, unit=True), more.numeric_edges(X, seed)])
        return X, Y, {"main": main}
    return data


def positive_data(kind, seed, f32=False):
    """Strictly positive features (Box-Cox) and a positive target (log1p/expm1 round trips)."""
    def data():
        X = np.abs(numeric(seed, 300)) + 0.05
        y = np.abs(target(X, "regression", seed)) + 1.0 if kind else None
        main = np.abs(numeric(seed + 100, 200)) + 0.01
        batches = {"main": pd.DataFrame(main, columns=NUM)}
        if f32:
            batches["f32"] = pd.DataFrame(main.astype(np.float32), columns=NUM)
        return pd.DataFrame(X, columns=NUM), y, batches
    return data


WORDS = ["the", "The", "a", "and", "data", "model", "Model", "MODEL", "serving", "python", "café", "naïve", "résumé",
         "Ünïcödé", "日本語", "テキスト", "data_science", "x2", "42", "3.14", "I", "don't", "e-mail", "U.S.A.", "ﬁne", "İstanbul",
         "ΣΟΦΙΑ", "straße", "Ǆemal", "k8s", "ml-ops", "v1.2.3", "über", "Æsir", "ǅ", "good", "bad", "not", "very", "is",
         "was", "fast", "slow", "Ⅻ", "①", "٣٤", "😀", "x", "_", "__init__"]
SEPARATORS = [" ", " ", " ", "  ", ", ", ". ", "\t", "\n", " - ", "!", "\u00a0", "\u2003", "\u3000", "/", "\x1c", "\ufeff"]


def document(r, unseen=False):
    n = r.randint(0, 14)
    words = list(r.choice(WORDS, size=n))
    if unseen and r.rand() < 0.5:
        words.append(r.choice(["zebra", "ZEBRA", "unseen-word", "Ölçü", "ǈ"]))
    out = ""
    for w in words:
        out += w + str(r.choice(SEPARATORS))
    return out


def text_data(kind, seed):
    def frame(n, s, unseen=False):
        r = rng(s)
        docs = [document(r, unseen) for _ in range(n)]
        return pd.DataFrame({"text": docs, "x": r.normal(size=n)})

    def data():
        df = frame(300, seed)
        good = df["text"].str.contains("good|fast|café", regex=True).to_numpy()
        bad = df["text"].str.contains("bad|slow|not", regex=True).to_numpy()
        score = good.astype(float) - bad.astype(float) + 0.3 * df["x"].to_numpy()
        if kind == "binary":
            y = (score > 0).astype(np.int64)
        else:
            y = np.array(["neg", "mixed", "pos"], dtype=object)[np.digitize(score, [-0.5, 0.5])]
        main = pd.concat([frame(120, seed + 100), frame(40, seed + 200, unseen=True),
                          pd.DataFrame({"text": ["", "   ", "THE The the", "café cafe\u0301 CAFÉ", "a b c d"], "x": [0.0] * 5})],
                         ignore_index=True)
        return df, y, {"main": main}
    return data


def text_series_data(kind, seed):
    """Fit on the text Series (as users do); the batches are DataFrames, as MLflow passes them."""
    def data():
        df, y, batches = text_data(kind, seed)()
        return df["text"], y, {k: v[["text"]] for k, v in batches.items()}
    return data


def text_ct(vectorizer, *rest):
    return pipeline.make_pipeline(compose.ColumnTransformer([("text", vectorizer, "text")]), *rest)


def ohe_legacy_data(seed):
    return more.mixed_data(None, seed, ["color", "size", "code"])


# scikit-learn 1.0's and 1.1's fitted OneHotEncoder state (their __getstate__ is __dict__ plus
# _sklearn_version): everything later versions added is deleted before pickling.
OHE_LATER = {
    "1.0.2": ["min_frequency", "max_categories", "sparse_output", "feature_name_combiner", "_infrequent_enabled",
              "_n_features_outs", "_drop_idx_after_grouping", "_default_to_infrequent_mappings", "_infrequent_indices"],
    "1.1.3": ["sparse_output", "feature_name_combiner", "_drop_idx_after_grouping"],
}


def legacy_one_hot(version, **params):
    """A OneHotEncoder that pickles as scikit-learn `version` wrote it (see OHE_LATER). The
    instance's own __getstate__ is what pickle calls (object.__reduce_ex__ looks it up on the
    instance); fitting keeps it, so pass it where nothing clones it (a Pipeline, not a ColumnTransformer)."""
    enc = preprocessing.OneHotEncoder(**params)

    def getstate():
        state = {k: v for k, v in enc.__dict__.items() if k not in OHE_LATER[version] and k != "__getstate__"}
        state["sparse"] = enc.__dict__.get("sparse_output", True)
        state["_sklearn_version"] = version
        return state
    enc.__getstate__ = getstate
    return enc


# ---------------------------------------------------------------- cases

def tree_stump(**kw):
    return tree.DecisionTreeClassifier(max_depth=1, **kw)


def ada(**kw):
    if VERSION < (1, 6):
        kw.setdefault("algorithm", "SAMME.R")
    return ensemble.AdaBoostClassifier(**kw)


def cases():
    c = []
    add = lambda *a, **k: c.append(Case(*a, **k))
    scaled = lambda *steps: pipeline.make_pipeline(preprocessing.StandardScaler(), *steps)
    # --- neural networks
    add("mlp_clf_multi_str", "mlp", lambda: scaled(neural_network.MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=400, random_state=0)), numeric_data("multi_str", 300), rtol=1e-7)
    add("mlp_clf_binary_tanh", "mlp", lambda: scaled(neural_network.MLPClassifier(hidden_layer_sizes=(12,), activation="tanh", max_iter=400, random_state=1)), numeric_data("binary_str", 301), rtol=1e-7)
    add("mlp_clf_logistic_nparray", "mlp", lambda: neural_network.MLPClassifier(hidden_layer_sizes=(10, 10, 6), activation="logistic", solver="lbfgs", max_iter=300, random_state=2), numeric_data("multi4", 302, frame=False, unit=True), rtol=1e-7)
    add("mlp_clf_identity", "mlp", lambda: scaled(neural_network.MLPClassifier(hidden_layer_sizes=(5,), activation="identity", max_iter=300, random_state=3)), numeric_data("multi", 303), rtol=1e-7)
    add("mlp_clf_multilabel", "mlp", lambda: neural_network.MLPClassifier(hidden_layer_sizes=(20,), max_iter=400, random_state=4), multilabel_data(304), rtol=1e-7)
    add("mlp_reg_relu", "mlp", lambda: scaled(neural_network.MLPRegressor(hidden_layer_sizes=(32, 16), max_iter=500, random_state=5)), numeric_data("regression", 305), rtol=1e-7, atol=1e-9)
    add("mlp_reg_two_outputs", "mlp", lambda: scaled(neural_network.MLPRegressor(hidden_layer_sizes=(8,), activation="tanh", solver="lbfgs", max_iter=300, random_state=6)), numeric_data("regression2", 306), rtol=1e-7, atol=1e-9)
    # --- AdaBoost
    add("ada_default_multi_str", "adaboost", lambda: ada(n_estimators=25, random_state=0), numeric_data("multi_str", 310))
    add("ada_samme_stumps", "adaboost", lambda: ensemble.AdaBoostClassifier(tree_stump(), n_estimators=40, random_state=0, **({"algorithm": "SAMME"} if VERSION < (1, 8) else {})), numeric_data("multi4", 311))
    add("ada_binary_depth2", "adaboost", lambda: ada(estimator=tree.DecisionTreeClassifier(max_depth=2), n_estimators=15, learning_rate=0.5, random_state=1), numeric_data("binary_str", 312))
    add("ada_logistic", "adaboost", lambda: scaled(ada(estimator=linear_model.LogisticRegression(), n_estimators=6, random_state=2)), numeric_data("multi", 313))
    add("ada_regressor", "adaboost", lambda: ensemble.AdaBoostRegressor(tree.DecisionTreeRegressor(max_depth=3), n_estimators=30, random_state=0), numeric_data("regression", 314))
    add("ada_regressor_square_nparray", "adaboost", lambda: ensemble.AdaBoostRegressor(n_estimators=12, loss="square", random_state=1), numeric_data("regression", 315, frame=False, integer=True))
    # --- Bagging
    add("bag_tree_features", "bagging", lambda: ensemble.BaggingClassifier(tree.DecisionTreeClassifier(), n_estimators=12, max_features=0.6, bootstrap_features=True, random_state=0), numeric_data("multi_str", 320))
    add("bag_knn_half", "bagging", lambda: ensemble.BaggingClassifier(neighbors.KNeighborsClassifier(), n_estimators=8, max_samples=0.5, random_state=1), numeric_data("multi", 321))
    add("bag_svc_votes", "bagging", lambda: scaled(ensemble.BaggingClassifier(svm.SVC(), n_estimators=7, max_samples=0.3, random_state=2)), numeric_data("multi4", 322))
    add("bag_logistic_log_proba", "bagging", lambda: scaled(ensemble.BaggingClassifier(linear_model.LogisticRegression(), n_estimators=9, max_features=3, random_state=3)), numeric_data("binary", 323))
    add("bag_regressor", "bagging", lambda: ensemble.BaggingRegressor(tree.DecisionTreeRegressor(max_depth=6), n_estimators=10, random_state=0), numeric_data("regression", 324))
    add("bag_linear_features_nparray", "bagging", lambda: ensemble.BaggingRegressor(linear_model.LinearRegression(), n_estimators=11, max_features=2, bootstrap=False, random_state=4), numeric_data("regression", 325, frame=False))
    # --- Voting and Stacking
    members = lambda: [("lr", scaled(linear_model.LogisticRegression())), ("dt", tree.DecisionTreeClassifier(max_depth=4, random_state=0)), ("knn", neighbors.KNeighborsClassifier())]
    add("vote_hard_weights", "ensembles", lambda: ensemble.VotingClassifier(members(), voting="hard", weights=[2, 1, 1]), numeric_data("multi_str", 330))
    add("vote_hard_ties", "ensembles", lambda: ensemble.VotingClassifier(members() + [("nb", naive_bayes.GaussianNB())], voting="hard"), numeric_data("multi4", 331))
    add("vote_soft", "ensembles", lambda: ensemble.VotingClassifier(members() + [("rf", ensemble.RandomForestClassifier(n_estimators=10, random_state=0))], voting="soft"), numeric_data("binary_str", 332))
    add("vote_soft_weights_drop", "ensembles", lambda: ensemble.VotingClassifier(members() + [("gone", "drop")], voting="soft", weights=[0.5, 2.0, 1.0, 3.0]), numeric_data("multi", 333))
    add("vote_regressor", "ensembles", lambda: ensemble.VotingRegressor([("lin", linear_model.LinearRegression()), ("dt", tree.DecisionTreeRegressor(max_depth=5, random_state=0)), ("knn", neighbors.KNeighborsRegressor())], weights=[1, 2, 0.5]), numeric_data("regression", 334))
    add("stack_clf_multi", "ensembles", lambda: ensemble.StackingClassifier([("rf", ensemble.RandomForestClassifier(n_estimators=8, random_state=0)), ("svc", scaled(svm.LinearSVC(max_iter=5000))), ("lr", scaled(linear_model.LogisticRegression()))], final_estimator=linear_model.LogisticRegression(C=0.5)), numeric_data("multi_str", 335))
    add("stack_clf_binary_passthrough", "ensembles", lambda: ensemble.StackingClassifier([("svc", scaled(svm.SVC())), ("gnb", naive_bayes.GaussianNB()), ("knn", neighbors.KNeighborsClassifier())], passthrough=True, stack_method="auto"), numeric_data("binary_str", 336))
    add("stack_clf_predict_method", "ensembles", lambda: ensemble.StackingClassifier([("dt", tree.DecisionTreeClassifier(max_depth=3, random_state=0)), ("knn", neighbors.KNeighborsClassifier())], final_estimator=tree.DecisionTreeClassifier(max_depth=3, random_state=0), stack_method="predict"), numeric_data("multi", 337))
    add("stack_regressor", "ensembles", lambda: ensemble.StackingRegressor([("lin", linear_model.Ridge()), ("dt", tree.DecisionTreeRegressor(max_depth=4, random_state=0)), ("svr", scaled(svm.SVR()))], final_estimator=linear_model.LinearRegression()), numeric_data("regression", 338))
    add("stack_regressor_passthrough", "ensembles", lambda: ensemble.StackingRegressor([("knn", neighbors.KNeighborsRegressor()), ("gb", ensemble.GradientBoostingRegressor(n_estimators=20, random_state=0))], passthrough=True), numeric_data("regression", 339))
    # --- calibration
    add("cal_sigmoid_linearsvc", "calibration", lambda: calibration.CalibratedClassifierCV(scaled(svm.LinearSVC(max_iter=5000)), method="sigmoid", cv=3), numeric_data("multi_str", 340))
    add("cal_isotonic_forest", "calibration", lambda: calibration.CalibratedClassifierCV(ensemble.RandomForestClassifier(n_estimators=10, random_state=0), method="isotonic", cv=4), numeric_data("binary", 341))
    add("cal_sigmoid_lr_single", "calibration", lambda: calibration.CalibratedClassifierCV(scaled(linear_model.LogisticRegression()), cv=3, ensemble=False), numeric_data("multi4", 342))
    add("cal_isotonic_gnb_multi", "calibration", lambda: calibration.CalibratedClassifierCV(naive_bayes.GaussianNB(), method="isotonic", cv=3), numeric_data("multi_str", 343))
    add("cal_sigmoid_svc_binary_str", "calibration", lambda: calibration.CalibratedClassifierCV(scaled(svm.SVC()), cv=2), numeric_data("binary_str", 344))
    add("cal_isotonic_gradient_boosting", "calibration", lambda: calibration.CalibratedClassifierCV(ensemble.GradientBoostingClassifier(n_estimators=15, random_state=0), method="isotonic", cv=3), numeric_data("multi", 346))
    add("cal_sigmoid_hist_gradient_boosting", "calibration", lambda: calibration.CalibratedClassifierCV(ensemble.HistGradientBoostingClassifier(max_iter=15, random_state=0), cv=3), numeric_data("binary", 347))
    if VERSION >= (1, 8):
        add("cal_temperature_lr", "calibration", lambda: calibration.CalibratedClassifierCV(scaled(linear_model.LogisticRegression()), method="temperature", cv=3), numeric_data("multi", 345))
    # --- outlier detection and clustering
    add("iforest_default", "iforest", lambda: ensemble.IsolationForest(random_state=0), numeric_data(None, 350, nan_batch=False))
    add("iforest_features_contamination", "iforest", lambda: ensemble.IsolationForest(n_estimators=40, max_samples=64, max_features=0.6, bootstrap=True, contamination=0.1, random_state=1), numeric_data(None, 351, nan_batch=False))
    add("iforest_nparray_ties", "iforest", lambda: ensemble.IsolationForest(n_estimators=30, max_samples=0.5, random_state=2), numeric_data(None, 352, frame=False, integer=True, nan_batch=False))
    add("kmeans", "kmeans", lambda: cluster.KMeans(n_clusters=4, n_init=3, random_state=0), numeric_data(None, 355, f32=True), atol=1e-9)
    add("kmeans_scaled_pipeline", "kmeans", lambda: scaled(cluster.KMeans(n_clusters=6, n_init=2, random_state=1)), numeric_data(None, 356), atol=1e-9)
    add("minibatch_kmeans_nparray", "kmeans", lambda: cluster.MiniBatchKMeans(n_clusters=3, n_init=3, random_state=2), numeric_data(None, 357, frame=False), atol=1e-9)
    # --- quantile and power transforms
    add("quantile_uniform", "quantile-power", lambda: preprocessing.QuantileTransformer(n_quantiles=100), numeric_data(None, 360, f32=True), atol=1e-12)
    add("quantile_normal_ties", "quantile-power", lambda: preprocessing.QuantileTransformer(n_quantiles=40, output_distribution="normal"), numeric_data(None, 361, integer=True), atol=1e-12)
    add("quantile_normal_lr", "quantile-power", lambda: pipeline.make_pipeline(preprocessing.QuantileTransformer(n_quantiles=120, output_distribution="normal", subsample=150, random_state=0), linear_model.LogisticRegression()), numeric_data("multi", 362))
    add("power_yeo_johnson", "quantile-power", lambda: preprocessing.PowerTransformer(), numeric_data(None, 363, f32=True), atol=1e-12)
    add("power_yeo_johnson_raw", "quantile-power", lambda: preprocessing.PowerTransformer(standardize=False), numeric_data(None, 364, integer=True), atol=1e-12)
    add("power_box_cox", "quantile-power", lambda: preprocessing.PowerTransformer(method="box-cox"), positive_data(None, 365, f32=True), atol=1e-12)
    # --- text
    add("count_lr", "text", lambda: text_ct(feature_extraction.text.CountVectorizer(), linear_model.LogisticRegression(max_iter=500)), text_data("binary", 370))
    add("tfidf_lr_multi", "text", lambda: text_ct(feature_extraction.text.TfidfVectorizer(), linear_model.LogisticRegression(max_iter=500)), text_data("multi", 371))
    add("tfidf_bigrams_stop_list", "text", lambda: text_ct(feature_extraction.text.TfidfVectorizer(ngram_range=(1, 2), stop_words=["the", "a", "and", "is"], sublinear_tf=True, min_df=2, max_features=60), linear_model.LogisticRegression()), text_data("binary", 372))
    add("tfidf_char_wb_l1", "text", lambda: text_ct(feature_extraction.text.TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), norm="l1", smooth_idf=False), linear_model.LogisticRegression(max_iter=500)), text_data("multi", 373))
    add("count_char_binary_cased", "text", lambda: text_ct(feature_extraction.text.CountVectorizer(analyzer="char", ngram_range=(1, 3), binary=True, lowercase=False, max_df=0.9), naive_bayes.MultinomialNB()), text_data("multi", 374))
    add("count_accents_unicode_pattern", "text", lambda: text_ct(feature_extraction.text.CountVectorizer(strip_accents="unicode", token_pattern=r"(?u)\b\w+\b", ngram_range=(1, 3))), text_data(None, 375))
    add("count_accents_ascii_stop_english", "text", lambda: text_ct(feature_extraction.text.CountVectorizer(strip_accents="ascii", stop_words="english"), naive_bayes.MultinomialNB(alpha=0.5)), text_data("binary", 376))
    add("tfidf_custom_pattern_no_idf", "text", lambda: text_ct(feature_extraction.text.TfidfVectorizer(token_pattern=r"[a-zA-Z]{2,}", use_idf=False, dtype=np.float32)), text_data(None, 377), rtol=1e-6)
    add("count_tfidf_transformer_svc", "text", lambda: pipeline.make_pipeline(compose.ColumnTransformer([("text", pipeline.make_pipeline(feature_extraction.text.CountVectorizer(ngram_range=(1, 2)), feature_extraction.text.TfidfTransformer()), "text"), ("x", "passthrough", ["x"])]), svm.LinearSVC(max_iter=5000)), text_data("multi", 378))
    add("tfidf_complement_nb", "text", lambda: text_ct(feature_extraction.text.TfidfVectorizer(min_df=3), naive_bayes.ComplementNB()), text_data("multi", 379))
    # A vectorizer given the whole DataFrame reads its column names as the documents (one answer per column):
    # recorded so the test can show sklearn's misreading and flowgate's refusal.
    add("tfidf_top_level_frame", "text-frame", lambda: pipeline.make_pipeline(feature_extraction.text.TfidfVectorizer(), linear_model.LogisticRegression()), text_series_data("binary", 381))
    add("count_bernoulli_nb", "text", lambda: text_ct(feature_extraction.text.CountVectorizer(max_features=30), naive_bayes.BernoulliNB()), text_data("binary", 380))
    # --- TransformedTargetRegressor and ufunc FunctionTransformers
    add("ttr_log1p", "target-transform", lambda: compose.TransformedTargetRegressor(regressor=linear_model.LinearRegression(), func=np.log1p, inverse_func=np.expm1), positive_data("regression", 390))
    add("ttr_scaler_forest", "target-transform", lambda: compose.TransformedTargetRegressor(regressor=ensemble.RandomForestRegressor(n_estimators=5, random_state=0), transformer=preprocessing.StandardScaler()), numeric_data("regression", 391))
    add("ttr_quantile_knn", "target-transform", lambda: compose.TransformedTargetRegressor(regressor=neighbors.KNeighborsRegressor(), transformer=preprocessing.QuantileTransformer(n_quantiles=50, output_distribution="normal")), numeric_data("regression", 392))
    add("ttr_power_mlp", "target-transform", lambda: compose.TransformedTargetRegressor(regressor=scaled(neural_network.MLPRegressor(hidden_layer_sizes=(8,), max_iter=300, random_state=0)), transformer=preprocessing.PowerTransformer()), numeric_data("regression", 393), rtol=1e-7, atol=1e-9)
    add("ttr_identity", "target-transform", lambda: compose.TransformedTargetRegressor(regressor=linear_model.Ridge()), numeric_data("regression", 394))
    add("ttr_minmax_two_targets", "target-transform", lambda: compose.TransformedTargetRegressor(regressor=linear_model.LinearRegression(), transformer=preprocessing.MinMaxScaler()), numeric_data("regression2", 395))
    add("ufunc_log1p_lr", "function-ufunc", lambda: pipeline.make_pipeline(preprocessing.FunctionTransformer(np.log1p), linear_model.LogisticRegression(max_iter=500)), positive_data_clf(396))
    add("ufunc_exp_validate", "function-ufunc", lambda: preprocessing.FunctionTransformer(np.exp, validate=True), numeric_data(None, 397, unit=True, f32=True, nan_batch=False))
    add("ufunc_columns", "function-ufunc", lambda: compose.ColumnTransformer([("log", preprocessing.FunctionTransformer(np.log), ["f0", "f1"]), ("sqrt", preprocessing.FunctionTransformer(np.sqrt), ["f2"]), ("abs", preprocessing.FunctionTransformer(np.abs), ["f3"]), ("sq", preprocessing.FunctionTransformer(np.square), ["f4"])]), numeric_data(None, 398, f32=True))
    add("ufunc_tanh_arcsinh", "function-ufunc", lambda: pipeline.make_pipeline(preprocessing.FunctionTransformer(np.arcsinh), preprocessing.FunctionTransformer(np.tanh), preprocessing.StandardScaler()), numeric_data(None, 399))
    # --- OneHotEncoder as scikit-learn 1.0 and 1.1 pickled it
    if (1, 2) <= VERSION < (1, 3):
        add("ohe_1_0_ignore", "ohe-legacy", lambda: legacy_one_hot("1.0.2", handle_unknown="ignore", sparse_output=False), ohe_legacy_data(400))
        add("ohe_1_0_drop_first", "ohe-legacy", lambda: legacy_one_hot("1.0.2", drop="first", sparse_output=False), ohe_legacy_data(401))
        add("ohe_1_0_if_binary_sparse", "ohe-legacy", lambda: legacy_one_hot("1.0.2", drop="if_binary"), more.mixed_data(None, 402, ["color", "code"]))
        add("ohe_1_1_ignore_drop", "ohe-legacy", lambda: legacy_one_hot("1.1.3", handle_unknown="ignore", drop="first", sparse_output=False), ohe_legacy_data(403))
        add("ohe_1_1_infrequent", "ohe-legacy", lambda: legacy_one_hot("1.1.3", handle_unknown="infrequent_if_exist", min_frequency=30, sparse_output=False), ohe_legacy_data(404))
        add("ohe_1_0_in_pipeline_lr", "ohe-legacy", lambda: pipeline.make_pipeline(legacy_one_hot("1.0.2", handle_unknown="ignore"), linear_model.LogisticRegression()), more.mixed_data("binary", 405, ["color", "size"]))
    return c


def positive_data_clf(seed):
    def data():
        X, _, batches = positive_data(None, seed)()
        y = target(X.to_numpy(), "multi", seed)
        return X, y, batches
    return data


def write_refusals(out):
    """Models flowgate must refuse at load, each with the words its message must contain."""
    refusals = []

    def save(name, model, words):
        path = f"refuse_{name}.pkl"
        with open(os.path.join(out, path), "wb") as f:
            (cloudpickle or pickle).dump(model, f)
        refusals.append({"name": name, "file": path, "words": words})
    X = np.abs(numeric(500, 60)) + 0.1
    y = target(X, "multi", 500)
    save("function_cumsum", preprocessing.FunctionTransformer(np.cumsum).fit(X), ["numpy.cumsum"])
    save("function_ufunc_kwargs", preprocessing.FunctionTransformer(np.log, kw_args={"where": X > 1}).fit(X), ["FunctionTransformer", "kw_args", "--runtime python"])
    save("function_lambda", preprocessing.FunctionTransformer(lambda A: A * 2).fit(X), ["--runtime python"])
    save("vectorizer_callable_analyzer", feature_extraction.text.CountVectorizer(analyzer=str.split).fit(["a b", "c d"]), ["builtins.getattr"])
    save("tfidf_english_bigrams", feature_extraction.text.TfidfVectorizer(stop_words="english", ngram_range=(1, 2)).fit(["the cat sat", "a dog ran"]), ["TfidfVectorizer", "english", "--runtime python"])
    save("bagging_onnx_hint", ensemble.BaggingClassifier(linear_model.RidgeClassifierCV(), n_estimators=2, random_state=0).fit(X, y), ["RidgeClassifierCV", "skl2onnx", "--runtime python"])
    return refusals


def main():
    out = os.path.join(sys.argv[1], f"sk{sklearn.__version__}")
    os.makedirs(out, exist_ok=True)
    index = []
    for case in cases():
        start = time.time()
        index.append(more.run_case(out, case))
        if time.time() - start > 2:
            print(f"  slow case {case.name}: {time.time() - start:.1f}s")
    meta = {"sklearn": sklearn.__version__, "numpy": np.__version__, "python": sys.version.split()[0],
            "cloudpickle": getattr(cloudpickle, "__version__", None), "cases": index, "refusals": write_refusals(out)}
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(meta, f, allow_nan=False)
    print(f"sklearn {sklearn.__version__}: {len(index)} cases -> {out}")


if __name__ == "__main__":
    main()
