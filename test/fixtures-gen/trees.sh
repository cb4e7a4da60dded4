#!/usr/bin/env bash
# Tree-ensemble reference fixtures: xgboost 1.7 (Debian's python3) and lightgbm 4.7 (the reference venv).
#   trees.py        -> test/.generated/trees: every objective and file format, predictions on test rows
#   categorical.py  -> test/.generated/categorical: categorical models, pipelines, old LightGBM pickle
#                      layouts, and what each library answers to MLflow-built requests
#   feature-names.py -> test/.generated/feature-names: requests whose columns differ from the model's
#                      features (order, extra, missing, records, dicts), with and without a signature
# Idempotent: skips a generator/library pair whose outputs were made by the current generator.
set -euo pipefail
cd "$(dirname "$0")/../.."

generate() { # generator kind python
  local generator=$1 kind=$2 python=$3
  local out=test/.generated/$generator
  local stamp
  stamp=$(cat "test/fixtures-gen/$generator.py" test/fixtures-gen/mlflow_pickles.py | sha256sum | cut -c1-16)
  if [ "$(cat "$out/$kind/.stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "$generator/$kind: up to date"
    return
  fi
  if ! "$python" -c "import $kind, sklearn, pandas" 2>/dev/null; then
    echo "$generator/$kind: $python cannot import $kind, sklearn and pandas; run scripts/setup-python.sh (skipped)" >&2
    return
  fi
  rm -rf "${out:?}/$kind"
  # -P: keep this folder off sys.path (its sklearn.py generator would shadow the sklearn package).
  "$python" -P "test/fixtures-gen/$generator.py" "$kind" "$out"
  echo "$stamp" >"$out/$kind/.stamp"
}

for generator in trees categorical feature-names; do
  generate "$generator" xgboost /usr/bin/python3
  generate "$generator" lightgbm .venv-ref/bin/python
done
