#!/usr/bin/env bash
# `npm run fixtures`: regenerates the differential-test fixtures (test/.generated/, gitignored) by running
# every test/fixtures-gen/*.sh in name order. Each script is idempotent and picks its own Python.
# Stops at the first failure and names it; prints each script's time.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
scripts=(test/fixtures-gen/*.sh)
if [ ${#scripts[@]} = 0 ]; then
  echo "fixtures: no test/fixtures-gen/*.sh scripts"
  exit 0
fi
for script in "${scripts[@]}"; do
  echo "fixtures: $script"
  start=$SECONDS
  bash "$script" || { rc=$?; echo "fixtures: $script FAILED (exit $rc)" >&2; exit 1; }
  echo "fixtures: $script done in $((SECONDS - start)) s"
done
