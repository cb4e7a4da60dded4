#!/usr/bin/env bash
# Categorical tree models (pandas category columns, OrdinalEncoder pipelines, old LightGBM pickle layouts)
# and what xgboost 1.7 (Debian's python3) and lightgbm 4.7 (the reference venv) answer to MLflow-built requests.
# Idempotent: skips a library whose outputs were made by the current generator.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=test/.generated/categorical
stamp=$(sha256sum test/fixtures-gen/categorical.py | cut -c1-16)

generate() { # kind python
  local kind=$1 python=$2
  if [ "$(cat "$out/$kind/.stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "categorical/$kind: up to date"
    return
  fi
  if ! "$python" -c "import $kind, sklearn, pandas" 2>/dev/null; then
    echo "categorical/$kind: $python cannot import $kind, sklearn and pandas; run scripts/setup-python.sh (skipped)" >&2
    return
  fi
  rm -rf "${out:?}/$kind"
  # -P: keep this folder off sys.path (its sklearn.py generator would shadow the sklearn package).
  "$python" -P test/fixtures-gen/categorical.py "$kind" "$out"
  echo "$stamp" >"$out/$kind/.stamp"
}

generate xgboost /usr/bin/python3
generate lightgbm .venv-ref/bin/python
