#!/usr/bin/env bash
# TensorFlow/Keras reference fixtures (test/.generated/tensorflow): Keras 3 models and SavedModels
# laid out as MLflow saves them, with Keras' own predictions. Needs a venv with tensorflow-cpu 2.x
# (.venv-tf, made here from the offline wheelhouse, ~2 minutes once). Idempotent: skips when the
# outputs were made by the current generator; exits 0 with a warning when TensorFlow is unavailable.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=test/.generated/tensorflow
stamp=$(cat test/fixtures-gen/tensorflow-models.py test/fixtures-gen/tensorflow.sh | sha256sum | cut -c1-16)
if [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "tensorflow: up to date"
  exit 0
fi

python=.venv-tf/bin/python
if ! "$python" -c 'import tensorflow, keras' 2>/dev/null; then
  echo "tensorflow: creating .venv-tf with tensorflow-cpu from the pip wheelhouse" >&2
  python3 -m venv .venv-tf
  # Prefer the local file: index over the unreachable public one.
  index=$(pip config list 2>/dev/null | sed -n "s/^global.extra-index-url='\([^ ']*\).*/\1/p")
  if ! PIP_INDEX_URL=${index:-${PIP_INDEX_URL:-}} .venv-tf/bin/pip install -q 'tensorflow-cpu>=2.16,<3' >&2; then
    echo "tensorflow: cannot install tensorflow-cpu (no wheel for this python?); TensorFlow reference tests will skip" >&2
    exit 0
  fi
fi

rm -rf "$out"
mkdir -p "$out"
TF_CPP_MIN_LOG_LEVEL=3 "$python" test/fixtures-gen/tensorflow-models.py "$out"
echo "$stamp" >"$out/.stamp"
echo "tensorflow: generated $(ls "$out" | wc -l) models in $out"
