"""More tree models for the real-MLflow differential check (test/differential/real-mlflow-trees.test.ts):
scikit-learn pipelines with an XGBoost/LightGBM classifier inside, column transformers that hand the
trees their columns in another order, and signatures whose column order is not the training order.
Saved with MLflow's own save_model, in the real-MLflow environment (Debian's scikit-learn/xgboost,
lightgbm from the local wheelhouse).

Usage: tree_variants.py OUT_DIR   -> OUT_DIR/<case>/ (MLmodel + model files), OUT_DIR/index.json
"""
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")

import lightgbm as lgb  # noqa: E402
import mlflow.lightgbm  # noqa: E402
import mlflow.sklearn  # noqa: E402
import mlflow.xgboost  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xgboost as xgb  # noqa: E402
from mlflow.models import infer_signature  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

NAMES = ["a", "b", "c", "d"]
SHUFFLED = ["c", "a", "d", "b"]


def training(n=300):
    rng = np.random.default_rng(23)
    X = rng.normal(size=(n, 4)) * np.array([1.0, 1.5, 0.8, 1.2])
    score = 3 * X[:, 0] - 2 * X[:, 1] + X[:, 2] * X[:, 3] + 0.5 * np.abs(X[:, 3])
    return pd.DataFrame(X, columns=NAMES), score, (score > 0.2).astype(int)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    df, score, y = training()
    xgb_params = {"n_estimators": 15, "max_depth": 4, "random_state": 1}
    lgb_params = {"n_estimators": 15, "min_child_samples": 5, "verbose": -1, "random_state": 1}

    def reordering():
        # hands the tree an ndarray of d, c, b, a (by name from the request frame)
        return ColumnTransformer([("num", StandardScaler(), ["d", "c", "b", "a"])])

    def sig(names):
        return infer_signature(df[names])

    cases = {
        "sk_xgb_classifier": (mlflow.sklearn, Pipeline([("model", xgb.XGBClassifier(**xgb_params))]).fit(df, y), None),
        "sk_xgb_scaled_classifier": (mlflow.sklearn, Pipeline([("scale", StandardScaler()), ("model", xgb.XGBClassifier(**xgb_params))]).fit(df, y), None),
        "sk_xgb_reordering_regressor": (mlflow.sklearn, Pipeline([("cols", reordering()), ("model", xgb.XGBRegressor(**xgb_params))]).fit(df, score), None),
        "sk_xgb_classifier_signed_shuffled": (mlflow.sklearn, Pipeline([("model", xgb.XGBClassifier(**xgb_params))]).fit(df, y), sig(SHUFFLED)),
        "sk_lgb_classifier": (mlflow.sklearn, Pipeline([("model", lgb.LGBMClassifier(**lgb_params))]).fit(df, y), None),
        "sk_lgb_scaled_classifier": (mlflow.sklearn, Pipeline([("scale", StandardScaler()), ("model", lgb.LGBMClassifier(**lgb_params))]).fit(df, y), None),
        "sk_lgb_reordering_classifier": (mlflow.sklearn, Pipeline([("cols", reordering()), ("model", lgb.LGBMClassifier(**lgb_params))]).fit(df, y), None),
        "sk_lgb_classifier_signed_shuffled": (mlflow.sklearn, Pipeline([("model", lgb.LGBMClassifier(**lgb_params))]).fit(df, y), sig(SHUFFLED)),
        "xgb_classifier_signed_shuffled": (mlflow.xgboost, xgb.XGBClassifier(**xgb_params).fit(df, y), sig(SHUFFLED)),
        "xgb_regressor_signed": (mlflow.xgboost, xgb.XGBRegressor(**xgb_params).fit(df, score), sig(NAMES)),
        "lgb_classifier_signed_shuffled": (mlflow.lightgbm, lgb.LGBMClassifier(**lgb_params).fit(df, y), sig(SHUFFLED)),
        "lgb_classifier_unnamed": (mlflow.lightgbm, lgb.LGBMClassifier(**lgb_params).fit(df.to_numpy(), y), None),
    }
    for name, (flavor, model, signature) in cases.items():
        path = os.path.join(out, name)
        if not os.path.exists(os.path.join(path, "MLmodel")):
            # explicit requirements: no inference (it imports the model in a subprocess, seconds each)
            flavor.save_model(model, path, signature=signature, pip_requirements=["mlflow==2.17.2"])
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"cases": list(cases)}, f, indent=1)
    print(f"{len(cases)} tree variants in {out}")


if __name__ == "__main__":
    main()
