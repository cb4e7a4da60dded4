"""flowgate's Python worker: loads one MLflow model and runs its predict for flowgate.

flowgate (Node.js) keeps HTTP, routing, schema and params enforcement and output
serialisation; this process only loads the model as MLflow does and runs predict.
Standard library + numpy + pandas only; mlflow is imported when the Python has it.

Channel: fd 3 carries requests in, fd 4 replies out (stdout/stderr are the model's own
prints, which flowgate logs). Every message is

    u32 body length | u32 request id | u32 header length | header (JSON) | buffers

little-endian. The header is JSON; numeric arrays travel in the buffer area as raw
little-endian float64 and are referenced from the header as {"buf": [offset, count]};
strings and other objects travel columnar, one JSON list per column.
"""

import importlib
import inspect
import json
import math
import os
import struct
import sys
import traceback

try:
    import numpy as np
    import pandas as pd

    _MISSING = None
except ModuleNotFoundError as _err:  # reported at load, naming the module
    _MISSING = _err

_HEAD = struct.Struct("<III")
_NUMERIC = {
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64",
}


class Channel:
    def __init__(self, fd_in, fd_out):
        self._in = os.fdopen(fd_in, "rb", buffering=1 << 16)
        # Buffered: a raw write to a pipe may be partial; BufferedWriter writes it all, then flush() sends it.
        self._out = os.fdopen(fd_out, "wb", buffering=1 << 16)

    def _read_exactly(self, n):
        data = self._in.read(n)
        if data is None or len(data) < n:
            return None
        return data

    def receive(self):
        """(id, header, buffer area) of the next message, or None when flowgate closed the channel."""
        head = self._read_exactly(4)
        if head is None:
            return None
        (length,) = struct.unpack("<I", head)
        body = self._read_exactly(length)
        if body is None:
            return None
        request_id, header_length = struct.unpack_from("<II", body, 0)
        header = json.loads(body[8:8 + header_length].decode("utf-8"))
        return request_id, header, memoryview(body)[8 + header_length:]

    def send(self, request_id, header, buffers=()):
        header_bytes = json.dumps(header, allow_nan=True, default=_json_default).encode("utf-8")
        size = 8 + len(header_bytes) + sum(len(b) for b in buffers)
        self._out.write(b"".join([_HEAD.pack(size, request_id, len(header_bytes)), header_bytes, *buffers]))
        self._out.flush()


# ---- input: flowgate's columnar data -> pandas / numpy, with the dtypes MLflow's schema enforcement gives


def _numeric(buffers, ref, dtype):
    offset, count = ref
    values = np.frombuffer(buffers, dtype="<f8", count=count, offset=offset)
    if dtype == "float64":
        return values.copy()
    if dtype != "bool" and not dtype.startswith("float") and np.isnan(values).any():
        return values.copy()  # pandas keeps an integer column with missing values as float64
    return values.astype(dtype)


def _objects(values, dtype):
    if dtype == "bytes":
        import base64

        return np.array([None if v is None else base64.b64decode(v) for v in values], dtype=object)
    if dtype == "datetime":
        return pd.to_datetime(pd.Series(values, dtype=object)).to_numpy()
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _array(encoded, buffers):
    dtype = encoded["dtype"]
    flat = _numeric(buffers, encoded["buf"], dtype) if "buf" in encoded else _objects(encoded["values"], dtype)
    shape = encoded.get("shape")
    return flat if shape is None else flat.reshape(shape)


def decode_input(encoded, buffers):
    kind = encoded["kind"]
    if kind == "frame":
        names = encoded["names"]
        if not names or len(set(names)) < len(names):
            columns = [_array(col, buffers) for col in encoded["columns"]]
            frame = pd.DataFrame(dict(enumerate(columns)), index=pd.RangeIndex(encoded["rows"]))
            frame.columns = names
            return frame
        # A dict in column order, without columns=/index= (which make pandas realign: ~6x slower).
        return pd.DataFrame({name: _array(col, buffers) for name, col in zip(names, encoded["columns"])}, copy=False)
    if kind == "tensor":
        return _array(encoded["tensor"], buffers)
    if kind == "tensors":
        return {name: _array(t, buffers) for name, t in encoded["tensors"].items()}
    raise ValueError(f"unknown input kind {kind!r}")


# ---- output: what predict returned -> flowgate's data model (MLflow's predictions_to_json decides the shape)


class Output:
    def __init__(self):
        self.buffers = []
        self.size = 0

    def array(self, values):
        """An ndarray (any shape) as flowgate's tensor encoding."""
        values = np.asarray(values)
        shape = list(values.shape)
        kind = values.dtype.kind
        if kind in "biuf" and values.dtype.itemsize <= 8:
            data = np.ascontiguousarray(values, dtype="<f8").tobytes()
            ref = [self.size, int(values.size)]
            self.buffers.append(data)
            self.size += len(data)
            name = "bool" if kind == "b" else values.dtype.name
            return {"dtype": name if name in _NUMERIC else "float64", "shape": shape, "buf": ref}
        flat = values.reshape(-1).tolist() if values.ndim > 0 else [values.item()]
        dtype = "string" if kind == "U" else "object"
        return {"dtype": dtype, "shape": shape, "values": [_jsonable(v) for v in flat]}

    def column(self, series):
        if series.dtype.kind in "biuf" and series.dtype.itemsize <= 8:
            return self.array(series.to_numpy())
        if series.dtype.kind == "M":
            return {"dtype": "object", "values": [None if pd.isna(v) else v.isoformat() for v in series]}
        values = series.to_numpy(dtype=object, na_value=None) if isinstance(series.dtype, pd.api.extensions.ExtensionDtype) else series.to_numpy()
        return {"dtype": "object", "values": [_jsonable(v) for v in values.tolist()]}

    def encode(self, result):
        if isinstance(result, pd.DataFrame):
            names = [str(c) for c in result.columns]
            columns = [self.column(result.iloc[:, j]) for j in range(result.shape[1])]
            return {"kind": "frame", "names": names, "columns": columns, "rows": int(result.shape[0])}
        if isinstance(result, pd.Series):
            # MLflow serialises pd.DataFrame(series).to_dict("records"): an unnamed Series is column 0
            return {"kind": "series", "name": "0" if result.name is None else str(result.name), "column": self.column(result)}
        if isinstance(result, np.ndarray):
            return {"kind": "tensor", "tensor": self.array(result)}
        if isinstance(result, dict) and result and all(isinstance(v, np.ndarray) for v in result.values()):
            return {"kind": "tensors", "tensors": {str(k): self.array(v) for k, v in result.items()}}
        if isinstance(result, list) and result and _uniform_scalars(result):
            return {"kind": "tensor", "tensor": self.array(np.array(result))}
        return {"kind": "json", "value": _jsonable(result)}


def _uniform_scalars(values):
    """A non-empty list of one Python scalar type (str, float, int or bool): the same JSON as an ndarray of it."""
    first = type(values[0])
    return first in (str, float, int, bool) and all(type(v) is first for v in values) and (
        first is not int or all(-(2**53) <= v <= 2**53 for v in values)
    )


def _jsonable(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return [_jsonable(x) for x in v.tolist()]
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (pd.DataFrame, pd.Series)):
        return _jsonable(pd.DataFrame(v).to_dict(orient="records"))
    if isinstance(v, float) and math.isnan(v):
        return v
    return v


def _json_default(v):
    """MLflow's NumpyEncoder, for what _jsonable did not reach."""
    if isinstance(v, (bytes, bytearray)):
        import base64

        return base64.encodebytes(bytes(v)).decode("ascii")
    if isinstance(v, np.generic):
        return v.item()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


# ---- loading


class LoadFailure(Exception):
    def __init__(self, info):
        super().__init__(info.get("message", ""))
        self.info = info


def _import_mlflow():
    """mlflow.pyfunc, or the ImportError that importing it raised."""
    try:
        import mlflow.pyfunc

        return mlflow, None
    except ImportError as err:
        return None, err


def _load_without_mlflow(model_dir, conf, model_config):
    """What mlflow.pyfunc.load_model does for a loader_module outside mlflow (a custom flavor)."""
    code = conf.get("code")
    if code:
        sys.path.insert(0, os.path.join(model_dir, code))
    data = conf.get("data")
    data_path = os.path.join(model_dir, data) if data else model_dir
    loader = importlib.import_module(conf["loader_module"])
    merged = dict(conf.get("config") or {})
    merged.update(model_config or {})
    impl = loader._load_pyfunc(data_path, merged) if merged else loader._load_pyfunc(data_path)
    predict_fn = getattr(impl, conf.get("predict_fn", "predict"))
    return impl, predict_fn


def load(header):
    model_dir = header["model_dir"]
    conf = header["conf"]
    loader_module = conf.get("loader_module") or ""
    model_config = header.get("model_config")
    if _MISSING is not None:
        raise LoadFailure({"type": "ModuleNotFoundError", "module": _MISSING.name, "message": str(_MISSING),
                           "traceback": "flowgate's worker needs numpy and pandas"})
    try:
        mlflow, import_error = _import_mlflow()
        if mlflow is not None:
            model = mlflow.pyfunc.load_model(model_dir, model_config=model_config or None)
            predict_fn, mlflow_version, how = model._predict_fn, mlflow.__version__, "mlflow.pyfunc.load_model"
        elif loader_module == "mlflow" or loader_module.startswith("mlflow."):
            raise import_error
        else:
            # A custom flavor loads without mlflow, as MLflow itself would load it.
            if not (isinstance(import_error, ModuleNotFoundError) and import_error.name == "mlflow"):
                print(f"flowgate worker: mlflow is installed but cannot be imported ({import_error}); "
                      f"loading {loader_module} without it", file=sys.stderr)
            predict_fn = _load_without_mlflow(model_dir, conf, model_config)[1]
            mlflow_version, how = None, f"{loader_module}._load_pyfunc (without mlflow)"
    except ModuleNotFoundError as err:
        raise LoadFailure(
            {"type": "ModuleNotFoundError", "module": err.name, "message": str(err), "traceback": traceback.format_exc()}
        ) from None
    except BaseException as err:  # noqa: BLE001 - any failure of the model's own code is reported
        raise LoadFailure(
            {"type": type(err).__name__, "message": str(err), "traceback": traceback.format_exc()}
        ) from None
    params_arg = inspect.signature(predict_fn).parameters.get("params")
    takes_params = params_arg is not None and params_arg.kind != inspect.Parameter.VAR_KEYWORD
    return predict_fn, takes_params, {"mlflow": mlflow_version, "loaded_by": how}


def _typed_params(params, specs):
    """JSON numbers as the Python types of the params schema (flowgate enforced the values)."""
    if not params:
        return params
    out = dict(params)
    for spec in specs or []:
        name, kind = spec["name"], spec["type"]
        if name not in out or out[name] is None or spec.get("shape") is not None:
            continue
        if kind in ("double", "float"):
            out[name] = float(out[name])
        elif kind in ("long", "integer"):
            out[name] = int(out[name])
    return out


def _error(err):
    info = {"type": type(err).__name__, "message": str(err), "traceback": traceback.format_exc()}
    cls = type(err)
    if cls.__name__ == "MlflowException" and cls.__module__.startswith("mlflow"):
        info["error_code"] = getattr(err, "error_code", "INTERNAL_ERROR")
        info["message"] = getattr(err, "message", str(err))
    return info


def main():
    channel = Channel(3, 4)
    predict_fn = None
    takes_params = False
    param_specs = None
    while True:
        message = channel.receive()
        if message is None:
            return
        request_id, header, buffers = message
        op = header.get("op")
        if op == "load":
            try:
                predict_fn, takes_params, info = load(header)
                param_specs = header.get("param_specs")
                info.update(python=sys.executable, python_version=sys.version.split()[0], pid=os.getpid())
                channel.send(request_id, {"ok": True, **info})
            except LoadFailure as failure:
                channel.send(request_id, {"ok": False, "error": failure.info, "python": sys.executable,
                                          "python_version": sys.version.split()[0]})
        elif op == "predict":
            # The model's own failures are the request's (MLflow's 400); decoding and encoding are flowgate's (500).
            stage = "decode"
            try:
                data = decode_input(header["input"], buffers)
                params = _typed_params(header.get("params"), param_specs)
                stage = "predict"
                result = predict_fn(data, params=params) if takes_params else predict_fn(data)
                stage = "encode"
                output = Output()
                encoded = output.encode(result)
                channel.send(request_id, {"ok": True, "output": encoded}, output.buffers)
            except Exception as err:  # noqa: BLE001 - every failure goes back to its request
                info = _error(err)
                if stage != "predict":
                    info["internal"] = stage
                channel.send(request_id, {"ok": False, "error": info})
        else:
            channel.send(request_id, {"ok": False, "error": {"type": "ValueError", "message": f"unknown op {op!r}"}})


if __name__ == "__main__":
    main()
