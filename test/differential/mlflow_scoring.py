"""Real MLflow's answers to /invocations requests, from its own scoring server run in-process.

Usage (in the real-MLflow environment, ../shared/tools/real-mlflow/env.sh):
  python3 mlflow_scoring.py < spec.json > answers.json
spec.json: [{"model": DIR, "requests": [{"name": ..., "content_type": ..., "body": TEXT}, ...]}, ...]
answers.json: [{"model": DIR, "name": ..., "status": int, "content_type": ..., "body": TEXT}, ...]

Each request is answered by a freshly loaded model and a fresh mlflow.pyfunc.scoring_server app, as
a freshly started `mlflow models serve` answers it: an XGBoost Booster trained without feature names
adopts the first DataFrame's names on its first predict, so a shared model would answer a request
differently depending on the ones before it.
"""
import json
import logging
import sys
import warnings

warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)

import mlflow.pyfunc  # noqa: E402
from mlflow.pyfunc import scoring_server  # noqa: E402


def main():
    spec = json.load(sys.stdin)
    out = []
    for entry in spec:
        for req in entry["requests"]:
            app = scoring_server.init(mlflow.pyfunc.load_model(entry["model"]))
            res = app.test_client().post("/invocations", data=req["body"].encode("utf-8"),
                                         headers={"Content-Type": req["content_type"]})
            out.append({"model": entry["model"], "name": req["name"], "status": res.status_code,
                        "content_type": res.headers.get("Content-Type"), "body": res.get_data(as_text=True)})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
