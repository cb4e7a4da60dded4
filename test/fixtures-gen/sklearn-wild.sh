#!/usr/bin/env bash
# Differential fixtures for the sklearn flavor's third set of estimators (MLPs, AdaBoost,
# Bagging, Voting/Stacking, calibration, IsolationForest, KMeans, quantile/power transforms,
# text vectorizers, TransformedTargetRegressor, numpy-ufunc FunctionTransformers, OneHotEncoder
# pickles shaped like scikit-learn 1.0/1.1): one run per reference scikit-learn (Debian's
# python3 = 1.2.1, .venv-ref = 1.9.1), into test/.generated/sklearn-wild/sk<version>/.
# Idempotent: a version is regenerated only when a generator it uses changed.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=test/.generated/sklearn-wild
# sklearn-wild.py borrows sklearn-more.py's data and encoding helpers: both stamp the output.
stamp=$(cat test/fixtures-gen/sklearn-wild.py test/fixtures-gen/sklearn-more.py | sha256sum | cut -c1-16)
mkdir -p "$out"
for py in /usr/bin/python3 .venv-ref/bin/python; do
  if [ ! -x "$py" ] || ! "$py" -c 'import sklearn, pandas, scipy' 2>/dev/null; then
    echo "sklearn-wild fixtures: skipping $py (no scikit-learn/pandas/scipy there)" >&2
    continue
  fi
  version=$("$py" -c 'import sklearn; print(sklearn.__version__)')
  dir="$out/sk$version"
  if [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ] && [ -f "$dir/cases.json" ]; then
    echo "sklearn-wild fixtures: sk$version is up to date"
    continue
  fi
  rm -rf "$dir"
  # -P: keep test/fixtures-gen off sys.path (its sklearn.py would shadow the sklearn package).
  "$py" -P test/fixtures-gen/sklearn-wild.py "$out"
  echo "$stamp" >"$dir/.stamp"
done
