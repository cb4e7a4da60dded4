#!/usr/bin/env bash
# Reference Python environment for differential tests and example generation.
# Debian packages give sklearn 1.2 / xgboost 1.7 / onnx; the venv (from the machine's
# offline pip wheelhouse) gives scikit-learn 1.9.1, LightGBM and onnxruntime.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  if ! python3 -c 'import sklearn, xgboost, onnx, pandas, cloudpickle' 2>/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-sklearn python3-xgboost python3-onnx python3-h5py python3-pandas python3-cloudpickle python3-venv >/dev/null
  fi
fi

if [ ! -x .venv-ref/bin/python ] || ! .venv-ref/bin/python -c 'import sklearn, lightgbm, onnxruntime' 2>/dev/null; then
  python3 -m venv .venv-ref
  # Prefer the local file: index over the unreachable public one.
  index=$(pip config list 2>/dev/null | sed -n "s/^global.extra-index-url='\([^ ']*\).*/\1/p")
  PIP_INDEX_URL=${index:-${PIP_INDEX_URL:-}} .venv-ref/bin/pip install -q \
    scikit-learn==1.9.1 lightgbm onnx onnxruntime pandas numpy
fi
echo "python reference environment ready: $(.venv-ref/bin/python -c 'import sklearn, lightgbm; print("sklearn", sklearn.__version__, "lightgbm", lightgbm.__version__)')"
