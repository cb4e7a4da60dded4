#!/bin/sh
# Container entrypoint: picks the model like an `mlflow models build-docker` image, then runs
# `flowgate serve`, which reads MODEL_URI, MLFLOW_TRACKING_URI, MLFLOW_HOST/PORT (0.0.0.0:8080 here)
# and MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT from the environment. Extra arguments go to `serve`.
#   MODEL_URI set             -> that model (models:/..., runs:/..., s3://..., a path)
#   /opt/ml/model/MLmodel     -> the mounted model directory
#   otherwise                 -> the bundled example registry, models:/iris/Production
set -eu
if [ -z "${MODEL_URI:-}" ]; then
  if [ -f /opt/ml/model/MLmodel ]; then
    MODEL_URI=/opt/ml/model
  else
    MODEL_URI=models:/iris/Production
    MLFLOW_TRACKING_URI=${MLFLOW_TRACKING_URI:-file:///app/examples/mlruns}
    export MLFLOW_TRACKING_URI
  fi
  export MODEL_URI
fi
exec node /app/dist/src/cli/main.js serve "$@"
