"""Pictures of a network: activation grids, model summaries. Plain numpy in, numpy/rows out."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    import altair
    import keras

    from cnn_demo.training import ProgressSnapshot

MAX_CURVE_POINTS = 300

# Viridis sampled at nine points: perceptually even, readable for colour-blind eyes.
_VIRIDIS_ANCHORS = np.array([
    [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
    [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
], dtype=np.float32)
VIRIDIS = np.stack(
    [np.interp(np.linspace(0, 1, 256), np.linspace(0, 1, len(_VIRIDIS_ANCHORS)), _VIRIDIS_ANCHORS[:, c])
     for c in range(3)], axis=-1,
).round().astype(np.uint8)

GAP_COLOUR = (255, 255, 255)


def colourise(values: np.ndarray, vmax: float | None = None) -> np.ndarray:
    """Map non-negative values to viridis RGB, 0 -> dark purple, vmax -> yellow."""
    vmax = float(values.max()) if vmax is None else vmax
    scaled = np.clip(values / vmax, 0, 1) if vmax > 0 else np.zeros_like(values)
    return VIRIDIS[(scaled * 255).round().astype(np.uint8)]


def grid_shape(channels: int) -> tuple[int, int]:
    """(rows, columns) near a 2:1 landscape rectangle: 64 -> 4x16, 32 -> 4x8, 16 -> 2x8."""
    columns = 2 ** math.ceil(math.log2(math.sqrt(channels * 2))) if channels > 1 else 1
    return math.ceil(channels / columns), columns


def _tile(coloured: np.ndarray, cell: int, gap: int) -> np.ndarray:
    """(H, W, N, 3) coloured maps -> one RGB grid image, each map enlarged to `cell` pixels."""
    n = coloured.shape[2]
    rows, columns = grid_shape(n)
    grid = np.full((rows * (cell + gap) - gap, columns * (cell + gap) - gap, 3), GAP_COLOUR, np.uint8)
    for i in range(n):
        r, k = divmod(i, columns)
        tile = Image.fromarray(coloured[:, :, i]).resize((cell, cell), Image.Resampling.NEAREST)
        grid[r * (cell + gap): r * (cell + gap) + cell, k * (cell + gap): k * (cell + gap) + cell] = tile
    return grid


def activation_grid(maps: np.ndarray, cell: int = 56, gap: int = 2,
                    vmax: float | None = None) -> np.ndarray:
    """Tile an (H, W, C) activation into one RGB image, a cell per channel.

    All channels share one scale (the layer's maximum unless `vmax` is given), so a bright
    map is a strongly active one, not merely the brightest of a dim channel.
    """
    return _tile(colourise(np.maximum(maps, 0), vmax), cell, gap)


def to_grey(image: np.ndarray) -> np.ndarray:
    """A model input (28, 28, 1) in [0, 1] as a (28, 28) uint8 picture."""
    return (np.asarray(image).reshape(image.shape[0], image.shape[1]) * 255).round().astype(np.uint8)


def enlarge(image: np.ndarray, size: int = 112) -> np.ndarray:
    """Upscale a small greyscale image with hard pixel edges, so each pixel stays visible."""
    image = np.asarray(image, dtype=np.uint8)
    h, w = image.shape[:2]
    scale = size / max(h, w)
    return np.asarray(Image.fromarray(image).resize(
        (max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.NEAREST))


def is_map(activation: np.ndarray) -> bool:
    """True for (H, W, C) feature maps, False for flat vectors."""
    return activation.ndim == 3


def summary_rows(model: "keras.Model") -> list[dict]:
    """One row per layer: name, type, output shape, params (what `model.summary()` prints)."""
    import keras

    return [
        {
            "Layer": layer.name,
            "Type": type(layer).__name__,
            "Output shape": str(tuple(layer.output.shape[1:])),
            "Params": layer.count_params(),
        }
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]


def training_curves(snapshot: "ProgressSnapshot", max_points: int = MAX_CURVE_POINTS) -> list[dict]:
    """Long-format rows (epoch, metric, split, value) for loss and accuracy curves.

    Training values come from the batches (thinned to at most `max_points`), validation
    values from each completed epoch's end.
    """
    batches = snapshot.batches
    step = max(1, -(-len(batches) // max_points))
    kept = batches[step - 1::step]
    if batches and (not kept or kept[-1] is not batches[-1]):
        kept.append(batches[-1])
    rows = []
    for b in kept:
        x = b.epoch + b.batch / b.batches_per_epoch
        rows += [{"epoch": x, "metric": "loss", "split": "train", "value": b.loss},
                 {"epoch": x, "metric": "accuracy", "split": "train", "value": b.accuracy}]
    for e in snapshot.epoch_ends:
        if e.val_loss is not None:
            rows += [{"epoch": e.epoch + 1, "metric": "loss", "split": "validation", "value": e.val_loss},
                     {"epoch": e.epoch + 1, "metric": "accuracy", "split": "validation", "value": e.val_accuracy}]
    return rows


def curves_chart(rows: list[dict], metric: str, epochs: int) -> "altair.Chart":
    """Train line and validation points for one metric, on an x axis spanning all epochs."""
    import altair as alt

    values = [r for r in rows if r["metric"] == metric]
    base = alt.Chart(alt.Data(values=values)).encode(
        x=alt.X("epoch:Q", title="epoch", scale=alt.Scale(domain=[0, epochs])),
        y=alt.Y("value:Q", title=metric, scale=alt.Scale(zero=False)),
        color=alt.Color("split:N", title=None, scale=alt.Scale(
            domain=["train", "validation"], range=["#3b528b", "#f28e2b"])),
    )
    return (base.mark_line() + base.mark_point(filled=True, size=60).transform_filter(
        alt.datum.split == "validation")).properties(height=200)


def layer_inputs(layer) -> list[str]:
    """Names of the layers feeding `layer`: one for a chain, several where branches merge."""
    import keras

    if isinstance(layer, keras.layers.InputLayer):
        return []
    return [t._keras_history.operation.name for t in keras.tree.flatten(layer.input)]


def diverging(values: np.ndarray) -> np.ndarray:
    """Signed values to RGB: blue negative, white zero, red positive, symmetric scale."""
    limit = float(np.abs(values).max()) or 1.0
    t = np.clip(values / limit, -1, 1)[..., np.newaxis]
    white, red, blue = np.array([255, 255, 255.0]), np.array([178, 24, 43.0]), np.array([33, 102, 172.0])
    rgb = np.where(t >= 0, white + t * (red - white), white - t * (blue - white))
    return rgb.round().astype(np.uint8)


def first_layer_weights(model: "keras.Model") -> tuple[str, np.ndarray] | None:
    """(layer name, (H, W, N) weights) of the first layer that looks at the image directly.

    For a convolution: its N kernels. For a dense layer on the flattened image: each
    unit's 784 weights as a 28x28 picture of what the unit looks for.
    """
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D) and layer.kernel.shape[2] == 1:
            return layer.name, np.asarray(layer.kernel, dtype=np.float32)[:, :, 0, :]
        if isinstance(layer, keras.layers.Dense):
            kernel = np.asarray(layer.kernel, dtype=np.float32)
            if kernel.shape[0] == 28 * 28:
                return layer.name, kernel.reshape(28, 28, -1)
            return None
    return None


def weight_grid(weights: np.ndarray, cell: int = 48, gap: int = 8) -> np.ndarray:
    """Tile (H, W, N) signed weights into one RGB image, diverging colours, one shared scale."""
    return _tile(diverging(weights), cell, gap)


def saliency_overlay(image: np.ndarray, saliency: np.ndarray, size: int = 224) -> np.ndarray:
    """The 28x28 input in grey with the saliency laid over it in viridis, enlarged."""
    grey = np.repeat(np.asarray(image, np.float32).reshape(28, 28, 1) * 255, 3, axis=-1)
    heat = colourise(saliency, 1.0).astype(np.float32)
    alpha = 0.35 + 0.65 * saliency[..., np.newaxis]
    blended = (alpha * heat + (1 - alpha) * grey * 0.6).round().astype(np.uint8)
    return np.asarray(Image.fromarray(blended).resize((size, size), Image.Resampling.NEAREST))


def confusion_chart(confusion: np.ndarray) -> "altair.Chart":
    """Counts of true digit (rows) against predicted digit (columns), mistakes highlighted."""
    import altair as alt

    values = [{"true": t, "predicted": p, "count": int(confusion[t, p]), "correct": t == p}
              for t in range(10) for p in range(10)]
    base = alt.Chart(alt.Data(values=values)).encode(
        x=alt.X("predicted:O", title="predicted digit"), y=alt.Y("true:O", title="true digit"))
    cells = base.mark_rect().encode(color=alt.condition(
        "datum.correct", alt.value("#e8f0e8"),
        alt.Color("count:Q", scale=alt.Scale(scheme="orangered", type="symlog"), legend=None)))
    text = base.mark_text(fontSize=11).encode(
        text=alt.condition("datum.count > 0", "count:Q", alt.value("")))
    return (cells + text).properties(height=360)


def comparison_rows(metrics: dict[str, dict]) -> list[dict]:
    """One row per registry architecture: measured here beside the article's published figures."""
    from cnn_demo.architectures import ARCHITECTURES

    rows = []
    for name, arch in ARCHITECTURES.items():
        row = metrics.get(name, {})
        rows.append({
            "Architecture": arch.label,
            "Params": row.get("params"),
            "Epochs": row.get("epochs"),
            "Seconds per epoch here": row.get("seconds_per_epoch"),
            "Test accuracy here": row.get("test_accuracy"),
            "Article: seconds per epoch": arch.article_seconds_per_epoch,
            "Article: test accuracy": arch.article_accuracy,
        })
    return rows
