"""How one number in a feature map came to be: the arithmetic of one unit, from the layer's input.

    explanation = explain(model, x, prediction.activations, "conv_1", (12, 9, 5))

A unit is one position (row, column) of one channel of a map, or one element of a vector.
`explain` recomputes its value with numpy from the layer's input and weights, the way
CNN Explainer does for its neurons, and says which input pixels it can see at all (its
receptive field). Nothing here imports Streamlit; the page only lays the result out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from cnn_demo.graph import inbound, is_input

if TYPE_CHECKING:
    import keras

CONTRIBUTIONS_SHOWN = 8  # the largest input channels (or dense inputs) listed for one unit


@dataclass
class Explanation:
    layer: str
    kind: str  # "conv", "pool", "dense", "add", "concatenate", "batchnorm", "activation", "average", "pass"
    unit: tuple  # (row, column, channel) of a map, or (index,) of a vector
    value: float  # recomputed here
    shown: float  # what the forward pass gave: the value in the map
    field: tuple[int, int, int, int] | None  # input pixels it sees: rows [top, bottom), columns [left, right)
    sources: list[str]  # the layers feeding this one
    details: dict = field(default_factory=dict)  # the numbers, by kind (see explain)


def _source_values(source, x: np.ndarray, activations: dict[str, np.ndarray]) -> np.ndarray:
    return np.asarray(x, np.float64) if is_input(source) else np.asarray(activations[source.name], np.float64)


def _same_padding(size: int, kernel: int, stride: int) -> int:
    """Rows (or columns) TensorFlow pads before the first one for padding="same"."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2


def _window(layer, size: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """(kernel, strides, leading padding) of a convolution or pooling layer, per axis."""
    kernel = tuple(getattr(layer, "kernel_size", None) or layer.pool_size)
    strides = tuple(layer.strides)
    if layer.padding == "same":
        pad = (_same_padding(size[0], kernel[0], strides[0]), _same_padding(size[1], kernel[1], strides[1]))
    else:
        pad = (0, 0)
    return kernel, strides, pad


def receptive_field(model: keras.Model, layer_name: str, rows: tuple[int, int], cols: tuple[int, int]
                    ) -> tuple[int, int, int, int]:
    """The input pixels (rows [top, bottom), columns [left, right)) that positions rows x cols
    of `layer_name`'s output depend on, through every path back to the image."""
    import keras

    height, width = model.input_shape[1:3]
    layer = model.get_layer(layer_name)

    def back(layer, rows, cols):
        if is_input(layer):
            return max(rows[0], 0), min(rows[1], height), max(cols[0], 0), min(cols[1], width)
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)):
            in_size = layer.input.shape[1:3]
            (kh, kw), (sh, sw), (ph, pw) = _window(layer, in_size)
            rows = (rows[0] * sh - ph, (rows[1] - 1) * sh - ph + kh)
            cols = (cols[0] * sw - pw, (cols[1] - 1) * sw - pw + kw)
        elif isinstance(layer, (keras.layers.GlobalAveragePooling2D, keras.layers.Flatten, keras.layers.Dense)):
            shape = inbound(layer)[0].output.shape
            if len(shape) == 4:
                rows, cols = (0, shape[1]), (0, shape[2])
        boxes = [back(source, rows, cols) for source in inbound(layer)]
        return (min(b[0] for b in boxes), max(b[1] for b in boxes),
                min(b[2] for b in boxes), max(b[3] for b in boxes))

    return back(layer, rows, cols)


def _activate(layer, value: np.ndarray) -> tuple[np.ndarray, str]:
    """The layer's own activation applied with numpy; and its name."""
    name = getattr(layer.activation, "__name__", "linear") if hasattr(layer, "activation") else "linear"
    if name == "relu":
        return np.maximum(value, 0), name
    if name == "softmax":
        e = np.exp(value - value.max())
        return e / e.sum(), name
    if name == "linear":
        return value, name
    raise ValueError(f"no numpy version of the {name} activation")


def _conv(layer, inputs: np.ndarray, output: np.ndarray, row: int, col: int, channel: int) -> dict:
    (kh, kw), (sh, sw), (ph, pw) = _window(layer, inputs.shape[:2])
    padded = np.pad(inputs, ((ph, kh), (pw, kw), (0, 0)))
    patch = padded[row * sh: row * sh + kh, col * sw: col * sw + kw, :]
    kernel = np.asarray(layer.kernel, np.float64)[:, :, :, channel]
    per_channel = (patch * kernel).sum(axis=(0, 1))
    bias = float(np.asarray(layer.bias, np.float64)[channel]) if layer.use_bias else 0.0
    total = float(per_channel.sum())
    before = total + bias
    if getattr(layer.activation, "__name__", "linear") == "softmax":
        raise ValueError("a convolution with softmax cannot be explained unit by unit")
    value, activation = _activate(layer, np.float64(before))
    order = np.argsort(-np.abs(per_channel))
    return {
        "patch": patch, "kernel": kernel, "products": patch * kernel,
        "per_channel": per_channel, "order": order[:CONTRIBUTIONS_SHOWN],
        "sum": total, "bias": bias, "before_activation": before, "activation": activation,
        "value": float(value),
    }


def explain(model: keras.Model, x: np.ndarray, activations: dict[str, np.ndarray], layer_name: str,
            unit: tuple) -> Explanation:
    """Recompute one unit of `layer_name` for the input `x` (28, 28, 1) from the layer's input,
    given the forward pass's `activations` (layer name -> output)."""
    import keras

    layer = model.get_layer(layer_name)
    sources = inbound(layer)
    names = [s.name for s in sources]
    output = np.asarray(activations[layer_name], np.float64)
    shown = float(output[unit])
    inputs = [_source_values(s, x, activations) for s in sources]
    is_map = output.ndim == 3
    field_ = (receptive_field(model, layer_name, (unit[0], unit[0] + 1), (unit[1], unit[1] + 1))
              if is_map else None)
    details: dict = {}
    if isinstance(layer, keras.layers.Conv2D):
        kind, details = "conv", _conv(layer, inputs[0], output, *unit)
        value = details["value"]
    elif isinstance(layer, keras.layers.MaxPooling2D):
        row, col, channel = unit
        (kh, kw), (sh, sw), (ph, pw) = _window(layer, inputs[0].shape[:2])
        padded = np.pad(inputs[0][:, :, channel], ((ph, kh), (pw, kw)), constant_values=-np.inf)
        window = padded[row * sh: row * sh + kh, col * sw: col * sw + kw]
        winner = np.unravel_index(int(np.argmax(window)), window.shape)
        kind, value = "pool", float(window.max())
        details = {"window": window, "winner": tuple(int(i) for i in winner),
                   "top_left": (row * sh - ph, col * sw - pw)}
    elif isinstance(layer, keras.layers.Dense):
        (index,) = unit
        flat = inputs[0].reshape(-1)
        weights = np.asarray(layer.kernel, np.float64)[:, index]
        products = flat * weights
        bias = float(np.asarray(layer.bias, np.float64)[index]) if layer.use_bias else 0.0
        if getattr(layer.activation, "__name__", "") == "softmax":
            logits = flat @ np.asarray(layer.kernel, np.float64) + np.asarray(layer.bias, np.float64)
            value = float(_activate(layer, logits)[0][index])
            activation = "softmax"
        else:
            value, activation = _activate(layer, np.float64(products.sum() + bias))
            value = float(value)
        order = np.argsort(-np.abs(products))[:CONTRIBUTIONS_SHOWN]
        kind = "dense"
        details = {"inputs": flat, "weights": weights, "products": products, "order": order,
                   "sum": float(products.sum()), "bias": bias, "before_activation": float(products.sum() + bias),
                   "activation": activation}
    elif isinstance(layer, keras.layers.Add):
        parts = [float(v[unit]) for v in inputs]
        kind, value = "add", float(sum(parts))
        details = {"parts": dict(zip(names, parts))}
    elif isinstance(layer, keras.layers.Concatenate):
        row, col, channel = unit
        start = 0
        for name, v in zip(names, inputs):
            if channel < start + v.shape[-1]:
                kind, value = "concatenate", float(v[row, col, channel - start])
                details = {"branch": name, "branch_channel": channel - start,
                           "widths": {n: int(i.shape[-1]) for n, i in zip(names, inputs)}}
                break
            start += v.shape[-1]
    elif isinstance(layer, keras.layers.BatchNormalization):
        channel = unit[-1]
        mean, var = (float(np.asarray(w, np.float64)[channel]) for w in (layer.moving_mean, layer.moving_variance))
        gamma = float(np.asarray(layer.gamma, np.float64)[channel]) if layer.scale else 1.0
        beta = float(np.asarray(layer.beta, np.float64)[channel]) if layer.center else 0.0
        before = float(inputs[0][unit])
        kind, value = "batchnorm", (before - mean) / np.sqrt(var + layer.epsilon) * gamma + beta
        details = {"input": before, "mean": mean, "variance": var, "gamma": gamma, "beta": beta,
                   "epsilon": float(layer.epsilon)}
    elif isinstance(layer, keras.layers.Activation):
        before = inputs[0][unit] if output.ndim == 3 else inputs[0]
        activated, name = _activate(layer, np.asarray(before, np.float64))
        value = float(activated if output.ndim == 3 else activated[unit])
        kind, details = "activation", {"input": float(inputs[0][unit]), "activation": name}
    elif isinstance(layer, keras.layers.GlobalAveragePooling2D):
        (channel,) = unit
        kind, value = "average", float(inputs[0][:, :, channel].mean())
        details = {"map": inputs[0][:, :, channel]}
    elif isinstance(layer, (keras.layers.Dropout, keras.layers.Flatten)):
        kind, value = "pass", float(inputs[0].reshape(-1)[np.ravel_multi_index(unit, output.shape)])
    else:
        raise ValueError(f"cannot explain a {type(layer).__name__} layer")
    return Explanation(layer_name, kind, tuple(int(u) for u in unit), float(value), shown, field_, names, details)
