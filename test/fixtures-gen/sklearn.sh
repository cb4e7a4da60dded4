#!/usr/bin/env bash
# Differential fixtures for the sklearn flavor: one run per reference scikit-learn
# (Debian's python3 = 1.2.1 / numpy 1, .venv-ref = 1.9.1 / numpy 2), into test/.generated/sklearn/.
# Idempotent: a version is regenerated only when the generator changed since its last run.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=test/.generated/sklearn
gen=test/fixtures-gen/sklearn.py
mkdir -p "$out"
for py in /usr/bin/python3 .venv-ref/bin/python; do
  if [ ! -x "$py" ] || ! "$py" -c 'import sklearn, pandas' 2>/dev/null; then
    echo "sklearn fixtures: skipping $py (no scikit-learn/pandas there)" >&2
    continue
  fi
  version=$("$py" -c 'import sklearn; print(sklearn.__version__)')
  if [ -f "$out/sk$version/cases.json" ] && [ "$out/sk$version/cases.json" -nt "$gen" ]; then
    echo "sklearn fixtures: sk$version is up to date"
    continue
  fi
  rm -rf "$out/sk$version"
  "$py" "$gen" "$out"
done
