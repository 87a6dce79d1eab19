"""Pictures of a network: activation grids, model summaries. Plain numpy in, numpy/rows out."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    import keras

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


def activation_grid(maps: np.ndarray, cell: int = 56, gap: int = 2,
                    vmax: float | None = None) -> np.ndarray:
    """Tile an (H, W, C) activation into one RGB image, a cell per channel.

    All channels share one scale (the layer's maximum unless `vmax` is given), so a bright
    map is a strongly active one, not merely the brightest of a dim channel.
    """
    h, w, channels = maps.shape
    rows, columns = grid_shape(channels)
    coloured = colourise(np.maximum(maps, 0), vmax)
    grid = np.full((rows * (cell + gap) - gap, columns * (cell + gap) - gap, 3), GAP_COLOUR, np.uint8)
    for c in range(channels):
        r, k = divmod(c, columns)
        tile = Image.fromarray(coloured[:, :, c]).resize((cell, cell), Image.Resampling.NEAREST)
        grid[r * (cell + gap): r * (cell + gap) + cell, k * (cell + gap): k * (cell + gap) + cell] = tile
    return grid


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
