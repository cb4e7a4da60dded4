#!/usr/bin/env bash
# A float16 ONNX model (test/.generated/onnx/onnx_fp16) for the FP16 tests; Debian's python3 with python3-onnx.
# Idempotent: regenerated only when the generator changed.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=test/.generated/onnx
gen=test/fixtures-gen/onnx-fp16.py
if [ -f "$out/onnx_fp16/expected.json" ] && [ "$out/onnx_fp16/expected.json" -nt "$gen" ]; then
  echo "onnx fp16: up to date"
  exit 0
fi
if ! /usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null; then
  echo "onnx fp16: Debian's python3 has no onnx (apt-get install python3-onnx); the FP16 model tests will skip" >&2
  exit 0
fi
/usr/bin/python3 "$gen" "$out"
echo "onnx fp16: generated $out/onnx_fp16"
