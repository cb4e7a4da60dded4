#!/usr/bin/env bash
# Regenerates examples/mlruns (committed) from examples/generate.py with Debian's python3, whose
# scikit-learn 1.2.1 / onnx 1.12.0 / numpy 1.24 produced the committed files: other versions give
# slightly different weights and version strings. Extra arguments go to generate.py (e.g. --out DIR).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=${EXAMPLES_PYTHON:-/usr/bin/python3}
if ! "$python" -c 'import sklearn, onnx, numpy, yaml' 2>/dev/null; then
  echo "examples/generate.sh: $python lacks scikit-learn/onnx/numpy/PyYAML;" \
    "install them with: apt-get install -y python3-sklearn python3-onnx python3-yaml" >&2
  exit 1
fi
exec "$python" "$here/generate.py" "$@"
