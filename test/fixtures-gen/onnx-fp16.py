"""An ONNX model with float16 inputs and outputs, laid out as mlflow.onnx saves it, for the
FP16 tests of the V2 binary tensor extension and the ONNX flavor.

Usage: onnx-fp16.py OUT_DIR   (python with onnx and numpy; Debian's python3-onnx is enough)

OUT_DIR/onnx_fp16/: MLmodel, model.onnx and expected.json {"input": [[...]], "half": [[...]], "single": [[...]]}:
"half" is the input rounded to float16 (the Identity output), "single" the same as float32 (a Cast).
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

out = os.path.join(sys.argv[1], "onnx_fp16")
os.makedirs(out, exist_ok=True)
graph = helper.make_graph(
    [helper.make_node("Identity", ["x"], ["half"]), helper.make_node("Cast", ["x"], ["single"], to=TensorProto.FLOAT)],
    "fp16",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT16, [None, 3])],
    [helper.make_tensor_value_info("half", TensorProto.FLOAT16, [None, 3]), helper.make_tensor_value_info("single", TensorProto.FLOAT, [None, 3])],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 7
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "model.onnx"))
spec = lambda name, dtype: {"name": name, "type": "tensor", "tensor-spec": {"dtype": dtype, "shape": [-1, 3]}}
mlmodel = {
    "flavors": {
        "onnx": {"code": None, "data": "model.onnx", "onnx_session_options": None, "onnx_version": onnx.__version__, "providers": ["CPUExecutionProvider"]},
        "python_function": {"data": "model.onnx", "loader_module": "mlflow.onnx", "python_version": "3.11.2"},
    },
    "mlflow_version": "2.17.2",
    "signature": {"inputs": json.dumps([spec("x", "float16")]), "outputs": json.dumps([spec("half", "float16"), spec("single", "float32")]), "params": None},
}
with open(os.path.join(out, "MLmodel"), "w") as f:
    json.dump(mlmodel, f, indent=1)
# values that need rounding, a tie, subnormals, the largest half, and one that overflows to inf
x = np.array([[0.1, 1.0 + 2**-11, 3.14159], [6.1e-5, 3e-8, -2.5], [65504.0, 70000.0, -0.0]], dtype=np.float64)
half = x.astype(np.float16)
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump({"input": x.tolist(), "half": [[float(v) for v in r] for r in half], "single": half.astype(np.float32).astype(float).tolist(), "half_bits": half.view(np.uint16).tolist()}, f)
