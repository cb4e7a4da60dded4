"""TensorFlow/Keras reference fixtures: models laid out as MLflow 2.17 saves them, plus
Keras/TensorFlow's own predictions, for the differential tests of flavors/tensorflow.

Usage: tensorflow-models.py OUT_DIR   (python with tensorflow-cpu 2.x and Keras 3; see tensorflow.sh)

Each case is OUT_DIR/<case>/ with an MLmodel (JSON, which is YAML), the model files under
data/ (or a SavedModel dir), and expected.json: {"input": ..., "predictions": ...} where
the input is {"tensor": T} | {"tensors": {name: T}} | {"frame": {"names", "columns"}}
(T = {"dtype", "shape", "values" (flat)}) and the predictions are what MLflow's scoring
server would write under "predictions".
Weights are random (seeded), not trained: the tests compare arithmetic, not accuracy.
"""
import json
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from absl import logging as absl_logging  # noqa: E402
from keras import layers  # noqa: E402

absl_logging.set_verbosity(absl_logging.ERROR)
tf.get_logger().setLevel("ERROR")

OUT = sys.argv[1]
ROWS = 7


def randomize(model, seed):
    rng = np.random.RandomState(seed)
    for w in model.weights:
        if w.path.startswith("normalization"):
            continue  # the statistics adapt() computed stay
        values = rng.standard_normal(w.shape).astype(w.dtype) * 0.5
        if "moving_variance" in w.path or w.path.endswith("variance"):
            values = np.abs(values) + 0.5
        w.assign(values)


def tensor(x):
    x = np.asarray(x)
    return {"dtype": str(x.dtype), "shape": list(x.shape), "values": x.ravel().tolist()}


def mlmodel(case_dir, flavors, loader):
    doc = {
        "flavors": {**flavors, "python_function": {"loader_module": loader, "python_version": "3.11.7", **({"data": "data"} if loader == "mlflow.tensorflow" else {})}},
        "mlflow_version": "2.17.2",
    }
    with open(os.path.join(case_dir, "MLmodel"), "w") as f:
        json.dump(doc, f, indent=1)


def tensorflow_keras_flavor(save_format="tf"):
    return {"tensorflow": {"code": None, "data": "data", "keras_version": tf.__version__, "model_type": "keras", "save_format": save_format}}


def keras_flavor(exported=False):
    return {"keras": {"data": "data", "keras_backend": "tensorflow", "keras_version": keras.__version__, "save_exported_model": exported}}


def new_case(name):
    case_dir = os.path.join(OUT, name)
    shutil.rmtree(case_dir, ignore_errors=True)
    os.makedirs(os.path.join(case_dir, "data"))
    return case_dir


def save_keras_case(name, model, inputs, flavor="tensorflow", file="model.keras"):
    """A Keras model saved as MLflow does with TF >= 2.16 (data/model.keras) or in h5 format."""
    case_dir = new_case(name)
    data = os.path.join(case_dir, "data")
    model.save(os.path.join(data, file))
    with open(os.path.join(data, "keras_module.txt"), "w") as f:
        f.write("tensorflow.keras" if flavor == "tensorflow" else "keras")
    if flavor == "tensorflow":
        with open(os.path.join(data, "save_format.txt"), "w") as f:
            f.write("h5" if file.endswith(".h5") else "tf")
        mlmodel(case_dir, tensorflow_keras_flavor("h5" if file.endswith(".h5") else "tf"), "mlflow.tensorflow")
    else:
        mlmodel(case_dir, keras_flavor(), "mlflow.keras")
    write_expected(case_dir, inputs, model.predict(inputs, verbose=0))


def write_expected(case_dir, inputs, outputs, input_json=None):
    if input_json is None:
        input_json = {"tensors": {k: tensor(v) for k, v in inputs.items()}} if isinstance(inputs, dict) else {"tensor": tensor(inputs)}
    if isinstance(outputs, (list, tuple)):
        predictions = [np.asarray(o).tolist() for o in outputs]
    elif isinstance(outputs, dict):
        predictions = {k: np.asarray(v).tolist() for k, v in outputs.items()}
    else:
        predictions = np.asarray(outputs).tolist()
    with open(os.path.join(case_dir, "expected.json"), "w") as f:
        json.dump({"input": input_json, "predictions": predictions}, f)


def rand(*shape, seed=0):
    return np.random.RandomState(seed).standard_normal(shape).astype("float32")


def cnn():
    model = keras.Sequential(
        [
            keras.Input((12, 12, 1), name="image"),
            layers.Conv2D(4, 3, padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.MaxPooling2D(),
            layers.Conv2D(6, 3, activation="elu"),
            layers.DepthwiseConv2D(2, padding="same"),
            layers.SeparableConv2D(5, 2, activation="selu"),
            layers.AveragePooling2D(2),
            layers.Dropout(0.3),
            layers.Flatten(),
            layers.Dense(5, activation="softmax"),
        ],
        name="cnn",
    )
    randomize(model, 1)
    return model


def two_inputs():
    a = keras.Input((5,), name="a")
    b = keras.Input((3,), name="b")
    norm = layers.Normalization()
    norm.adapt(rand(40, 5, seed=11) * 3 + 2)
    x = layers.Dense(8, activation="gelu")(norm(a))
    y = layers.Dense(8, activation="selu")(b)
    z = layers.LayerNormalization()(layers.Add()([x, y]))
    z = layers.Concatenate()([z, b])
    z = layers.Dense(4, activation="swish")(z)
    z = layers.ReLU(max_value=1.5)(z)
    z = layers.Dense(3)(z)
    out = layers.Softmax()(layers.LeakyReLU(negative_slope=0.2)(z))
    model = keras.Model([a, b], out, name="two_inputs")
    randomize(model, 2)
    return model


def sequences():
    tokens = keras.Input((9,), dtype="int32", name="tokens")
    e = layers.Embedding(20, 6)(tokens)
    x = layers.Conv1D(5, 3, padding="same", activation="relu")(e)
    x = layers.LSTM(4, return_sequences=True)(x)
    x = layers.Bidirectional(layers.SimpleRNN(3))(x)
    g = layers.GRU(4, reset_after=False, return_sequences=True)(e)
    g = layers.GlobalMaxPooling1D()(g)
    a = layers.GlobalAveragePooling1D()(e)
    out = layers.Dense(2, activation="sigmoid")(layers.Concatenate()([x, g, a]))
    model = keras.Model(tokens, out, name="sequences")
    randomize(model, 3)
    return model


def nested():
    block = keras.Sequential([layers.Dense(6, activation="tanh"), layers.PReLU(), layers.Dense(6)], name="block")
    inp = keras.Input((4,), name="x")
    x = layers.Rescaling(0.5, offset=-1.0)(inp)
    x = block(x)
    x = layers.ELU()(x)
    x = layers.Reshape((3, 2))(x)
    x = layers.Permute((2, 1))(x)
    x = layers.Flatten()(x)
    probs = layers.Dense(3, activation="softmax", name="probs")(x)
    value = layers.Dense(1, name="value")(x)
    model = keras.Model(inp, [probs, value], name="nested")
    randomize(model, 4)
    return model


def zoo():
    """The remaining tfjs-supported layer types, in one functional graph."""
    img = keras.Input((6, 6, 2), name="img")
    x = layers.ZeroPadding2D(1)(img)
    x = layers.Conv2DTranspose(3, 3, strides=2, activation="relu")(x)
    x = layers.Cropping2D(2)(x)
    x = layers.UpSampling2D(2)(layers.MaxPooling2D(3)(x))
    x = layers.GaussianNoise(0.5)(x)
    avg = layers.GlobalAveragePooling2D()(x)
    mx = layers.GlobalMaxPooling2D()(x)
    v = layers.Average()([layers.Multiply()([avg, mx]), layers.Maximum()([avg, mx]), layers.Minimum()([avg, mx])])
    v = layers.Activation("sigmoid")(v)
    seq = layers.RepeatVector(4)(v)
    seq = layers.TimeDistributed(layers.Dense(5, activation="softsign"))(seq)
    seq = layers.SpatialDropout1D(0.5)(seq)
    seq = layers.MaxPooling1D(2)(seq)
    seq = layers.AveragePooling1D(2, padding="same")(seq)
    d = layers.Dot(axes=1)([layers.Flatten()(seq), layers.Dense(5)(v)])
    vol = keras.Input((4, 4, 4, 1), name="vol")
    w = layers.Conv3D(2, 2, activation="tanh")(vol)
    w = layers.MaxPooling3D(1)(w)
    w = layers.AveragePooling3D(3)(w)
    w = layers.Flatten()(w)
    out = layers.Dense(3, activation="log_softmax")(layers.Concatenate()([d, w, v]))
    model = keras.Model([img, vol], out, name="zoo")
    randomize(model, 6)
    return model


def masked():
    """Masks from Embedding(mask_zero=True) and Masking reach the RNNs."""
    tokens = keras.Input((6,), dtype="int32", name="tokens")
    x = layers.LSTM(3)(layers.Embedding(10, 4, mask_zero=True)(tokens))
    frames = keras.Input((5, 3), name="frames")
    y = layers.SimpleRNN(2)(layers.Masking(0.0)(frames))
    model = keras.Model([tokens, frames], layers.Dense(2)(layers.Concatenate()([x, y])), name="masked")
    randomize(model, 7)
    return model


def gru_reset_after():
    """Keras' default GRU (reset_after=True), forward, stacked, and inside Bidirectional."""
    x = keras.Input((7, 4), name="x")
    g = layers.GRU(5, return_sequences=True)(x)
    g = layers.Bidirectional(layers.GRU(3))(g)
    b = layers.GRU(2, go_backwards=True, use_bias=False)(x)
    model = keras.Model(x, layers.Dense(2)(layers.Concatenate()([g, b])), name="gru_reset_after")
    randomize(model, 8)
    return model


def conv1d_causal():
    """Causal Conv1D (WaveNet/TCN style), dilated and stacked."""
    x = keras.Input((10, 3), name="x")
    y = layers.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="relu")(x)
    y = layers.Conv1D(2, 2, padding="causal")(y)
    model = keras.Model(x, layers.Dense(2)(layers.Flatten()(y)), name="conv1d_causal")
    randomize(model, 9)
    return model


def attention():
    """keras.layers.Attention: dot and concat scores, scaled, with a separate key, and causal."""
    q = keras.Input((5, 4), name="q")
    v = keras.Input((6, 4), name="v")
    a = layers.Attention(use_scale=True)([q, v])
    b = layers.Attention(score_mode="concat")([q, v, layers.Dense(4)(v)])
    c = layers.Attention()([q, q], use_causal_mask=True)
    out = layers.Dense(3)(layers.Flatten()(layers.Concatenate()([a, b, c])))
    model = keras.Model([q, v], out, name="attention")
    randomize(model, 10)
    return model


def multi_head_attention():
    """A transformer block: self-attention, cross-attention with its own value/output sizes, causal self-attention."""
    x = keras.Input((6, 8), name="x")
    m = keras.Input((4, 5), name="memory")
    h = layers.LayerNormalization()(layers.Add()([x, layers.MultiHeadAttention(num_heads=2, key_dim=3)(x, x)]))
    c = layers.MultiHeadAttention(num_heads=3, key_dim=4, value_dim=2, output_shape=7, use_bias=False)(h, m)
    s = layers.MultiHeadAttention(num_heads=2, key_dim=4)(query=h, value=h, key=h, use_causal_mask=True)
    out = layers.Dense(2)(layers.GlobalAveragePooling1D()(layers.Concatenate()([c, s])))
    model = keras.Model([x, m], out, name="mha")
    randomize(model, 11)
    return model


def mlp():
    model = keras.Sequential([keras.Input((6,)), layers.Dense(10, activation="relu"), layers.Dense(10, activation="softplus"), layers.Dense(2)], name="mlp")
    randomize(model, 5)
    return model


def export_savedmodel(model, path):
    model.export(path, verbose=False)


def tf1_signature_case():
    """A SavedModel with a named-input, dict-output signature, as mlflow.tensorflow logs tf1-estimator models."""
    case_dir = new_case("tf1_signature")
    w = tf.constant(rand(2, 2, seed=6))

    class Scorer(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x1"), tf.TensorSpec([None], tf.float32, name="x2")])
        def predict(self, x1, x2):
            z = tf.stack([x1, x2], axis=1) @ w
            return {"score": tf.reduce_sum(z, axis=1, keepdims=True), "probs": tf.nn.softmax(z)}

    scorer = Scorer()
    tf.saved_model.save(scorer, os.path.join(case_dir, "tfmodel"), signatures={"predict": scorer.predict})
    shutil.rmtree(os.path.join(case_dir, "data"))
    doc = {
        "flavors": {
            "python_function": {"loader_module": "mlflow.tensorflow", "python_version": "3.11.7"},
            "tensorflow": {"saved_model_dir": "tfmodel", "meta_graph_tags": ["serve"], "signature_def_key": "predict", "model_type": "tf1-estimator"},
        },
        "mlflow_version": "2.17.2",
    }
    with open(os.path.join(case_dir, "MLmodel"), "w") as f:
        json.dump(doc, f, indent=1)
    x1, x2 = rand(ROWS, seed=7), rand(ROWS, seed=8)
    out = scorer.predict(tf.constant(x1), tf.constant(x2))
    score, probs = out["score"].numpy().ravel(), out["probs"].numpy()
    # The frame request gives a DataFrame back: records with a number and a list per row.
    frame = {"names": ["x1", "x2"], "columns": [x1.tolist(), x2.tolist()]}
    records = [{"score": float(s), "probs": p.tolist()} for s, p in zip(score, probs)]
    with open(os.path.join(case_dir, "expected.json"), "w") as f:
        json.dump({"input": {"tensors": {"x1": tensor(x1), "x2": tensor(x2)}}, "predictions": {"score": score.tolist(), "probs": probs.tolist()},
                   "frame_input": {"frame": frame}, "frame_predictions": records}, f)


def main():
    os.makedirs(OUT, exist_ok=True)
    save_keras_case("keras_cnn", cnn(), rand(ROWS, 12, 12, 1, seed=21), flavor="keras")
    save_keras_case("keras_two_inputs", two_inputs(), {"a": rand(ROWS, 5, seed=22) * 3 + 2, "b": rand(ROWS, 3, seed=23)})
    tokens = np.random.RandomState(24).randint(0, 20, size=(ROWS, 9)).astype("int32")
    save_keras_case("keras_sequences", sequences(), tokens, flavor="keras")
    save_keras_case("keras_nested_two_outputs", nested(), rand(ROWS, 4, seed=25))
    save_keras_case("h5_cnn", cnn(), rand(ROWS, 12, 12, 1, seed=26), file="model.h5")
    tokens = np.random.RandomState(33).randint(1, 10, size=(ROWS, 6)).astype("int32")
    tokens[:, 4:] = 0  # padding at the end
    tokens[2, 2:] = 0
    frames = rand(ROWS, 5, 3, seed=34)
    frames[:, 3:, :] = 0.0
    save_keras_case("keras_masked_rnn", masked(), {"tokens": tokens, "frames": frames}, flavor="keras")
    save_keras_case("keras_zoo", zoo(), {"img": rand(ROWS, 6, 6, 2, seed=31), "vol": rand(ROWS, 4, 4, 4, 1, seed=32)})
    save_keras_case("keras_gru_reset_after", gru_reset_after(), rand(ROWS, 7, 4, seed=35), flavor="keras")
    save_keras_case("h5_gru_reset_after", gru_reset_after(), rand(ROWS, 7, 4, seed=36), file="model.h5")
    save_keras_case("keras_conv1d_causal", conv1d_causal(), rand(ROWS, 10, 3, seed=37))
    save_keras_case("keras_attention", attention(), {"q": rand(ROWS, 5, 4, seed=38), "v": rand(ROWS, 6, 4, seed=39)}, flavor="keras")
    save_keras_case("keras_multi_head_attention", multi_head_attention(), {"x": rand(ROWS, 6, 8, seed=40), "memory": rand(ROWS, 4, 5, seed=41)}, flavor="keras")

    # A DataFrame request to a Keras model: DataFrame(model.predict(df.values)).
    model = mlp()
    case_dir = new_case("keras_mlp_frame")
    model.save(os.path.join(case_dir, "data", "model.keras"))
    mlmodel(case_dir, keras_flavor(), "mlflow.keras")
    x = rand(ROWS, 6, seed=27).astype("float64")
    y = model.predict(x, verbose=0)
    frame = {"names": [f"c{i}" for i in range(6)], "columns": x.T.tolist()}
    write_expected(case_dir, None, None, input_json={"frame": frame})
    with open(os.path.join(case_dir, "expected.json"), "w") as f:
        json.dump({"input": {"frame": frame}, "predictions": [{str(j): float(v) for j, v in enumerate(row)} for row in y]}, f)

    # SavedModels: a Keras export under each flavor, and a tf1-estimator-style signature.
    model = two_inputs()
    inputs = {"a": rand(ROWS, 5, seed=28) * 3 + 2, "b": rand(ROWS, 3, seed=29)}
    case_dir = new_case("keras_exported_two_inputs")
    export_savedmodel(model, os.path.join(case_dir, "data", "model"))
    mlmodel(case_dir, keras_flavor(exported=True), "mlflow.keras")
    write_expected(case_dir, inputs, model.predict(inputs, verbose=0))

    model = cnn()
    case_dir = new_case("tf_savedmodel_cnn")
    export_savedmodel(model, os.path.join(case_dir, "data", "model"))
    mlmodel(case_dir, tensorflow_keras_flavor(), "mlflow.tensorflow")
    x = rand(ROWS, 12, 12, 1, seed=30)
    write_expected(case_dir, x, model.predict(x, verbose=0))

    tf1_signature_case()

    # What flowgate must refuse at load, naming the layer.
    inp = keras.Input((3,))
    model = keras.Model(inp, layers.Dense(2)(layers.Lambda(lambda t: t * 2.0)(inp)))
    case_dir = new_case("unsupported_lambda")
    model.save(os.path.join(case_dir, "data", "model.keras"))
    mlmodel(case_dir, keras_flavor(), "mlflow.keras")

    inp = keras.Input((3,))
    model = keras.Model(inp, layers.Dense(2)(keras.ops.multiply(inp, 2.0)))
    case_dir = new_case("unsupported_op")
    model.save(os.path.join(case_dir, "data", "model.keras"))
    mlmodel(case_dir, keras_flavor(), "mlflow.keras")

    tokens = keras.Input((5,), dtype="int32")
    e = layers.Embedding(10, 4, mask_zero=True)(tokens)
    model = keras.Model(tokens, layers.GlobalAveragePooling1D()(layers.Attention()([e, e])))
    case_dir = new_case("unsupported_attention_masked")
    model.save(os.path.join(case_dir, "data", "model.keras"))
    mlmodel(case_dir, keras_flavor(), "mlflow.keras")

    inp = keras.Input((4, 3))
    out, scores = layers.MultiHeadAttention(num_heads=2, key_dim=2)(inp, inp, return_attention_scores=True)
    model = keras.Model(inp, [out, scores])
    case_dir = new_case("unsupported_mha_scores")
    model.save(os.path.join(case_dir, "data", "model.keras"))
    mlmodel(case_dir, keras_flavor(), "mlflow.keras")

    inp = keras.Input((3, 4, 2))
    model = keras.Model(inp, layers.MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=(1, 2))(inp, inp))
    case_dir = new_case("unsupported_mha_attention_axes")
    model.save(os.path.join(case_dir, "data", "model.keras"))
    mlmodel(case_dir, keras_flavor(), "mlflow.keras")


main()
