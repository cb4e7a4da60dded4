#!/usr/bin/env bash
# Differential fixtures for the sklearn flavor's second set of estimators (SVMs, neighbours,
# GaussianNB, ColumnTransformer, encoders, imputers, scalers, PCA...): one run per reference
# scikit-learn (Debian's python3 = 1.2.1 / numpy 1, .venv-ref = 1.9.1 / numpy 2), into
# test/.generated/sklearn-more/sk<version>/. Idempotent: a version is regenerated only when
# the generator changed since its last run.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=test/.generated/sklearn-more
gen=test/fixtures-gen/sklearn-more.py
stamp=$(sha256sum "$gen" | cut -c1-16)
mkdir -p "$out"
for py in /usr/bin/python3 .venv-ref/bin/python; do
  if [ ! -x "$py" ] || ! "$py" -c 'import sklearn, pandas, scipy' 2>/dev/null; then
    echo "sklearn-more fixtures: skipping $py (no scikit-learn/pandas/scipy there)" >&2
    continue
  fi
  version=$("$py" -c 'import sklearn; print(sklearn.__version__)')
  dir="$out/sk$version"
  if [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ] && [ -f "$dir/cases.json" ]; then
    echo "sklearn-more fixtures: sk$version is up to date"
    continue
  fi
  rm -rf "$dir"
  # -P: keep test/fixtures-gen off sys.path (its sklearn.py would shadow the sklearn package).
  "$py" -P "$gen" "$out"
  echo "$stamp" >"$dir/.stamp"
done
