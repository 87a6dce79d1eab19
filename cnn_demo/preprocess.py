"""Canvas image -> the 28x28x1 input a model expects, the way MNIST itself was made.

MNIST digits were cropped to their ink, scaled to fit a 20x20 box keeping the aspect
ratio (anti-aliased), and placed in 28x28 with their centre of mass at the centre.
A drawing treated the same way reads like an MNIST digit; a plain resize does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

SIZE = 28
BOX = 20
INK_THRESHOLD = 16  # below this (0-255) a pixel counts as background, not ink


@dataclass(frozen=True)
class Preprocessed:
    """The model input and each step that led to it (uint8 images, for showing)."""

    input: np.ndarray  # (28, 28, 1) float32 in [0, 1]
    cropped: np.ndarray  # the ink's bounding box, full resolution
    fitted: np.ndarray  # scaled to fit 20x20, aspect kept
    centred: np.ndarray  # 28x28, centre of mass at the centre


def ink_intensity(image: np.ndarray) -> np.ndarray:
    """(H, W) uint8 ink: the brightest colour channel times alpha.

    White ink reads 255 whether the background is opaque black or transparent.
    """
    image = np.asarray(image)
    if image.ndim == 2:
        return image.astype(np.uint8)
    brightness = image[..., :3].max(axis=-1).astype(np.float32)
    if image.shape[-1] == 4:
        brightness *= image[..., 3] / 255.0
    return np.clip(brightness.round(), 0, 255).astype(np.uint8)


def _ink_box(ink: np.ndarray) -> tuple[int, int, int, int] | None:
    rows = np.flatnonzero((ink > INK_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((ink > INK_THRESHOLD).any(axis=0))
    if rows.size == 0:
        return None
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def _centre_of_mass_shift(image: np.ndarray) -> tuple[int, int]:
    """Whole-pixel (dx, dy) that moves the intensity's centre of mass to the image centre."""
    weights = image.astype(np.float64)
    total = weights.sum()
    ys, xs = np.indices(image.shape)
    cy, cx = (ys * weights).sum() / total, (xs * weights).sum() / total
    centre = SIZE / 2  # where MNIST's own centres of mass sit: pixel (14, 14)
    return int(round(centre - cx)), int(round(centre - cy))


def preprocess(image: np.ndarray | None) -> Preprocessed | None:
    """RGBA (or grey) canvas of any size -> model input and steps; None when there is no ink."""
    if image is None:
        return None
    ink = ink_intensity(image)
    box = _ink_box(ink)
    if box is None:
        return None
    top, bottom, left, right = box
    cropped = ink[top:bottom, left:right]

    h, w = cropped.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    fitted_img = Image.fromarray(cropped).resize(size, Image.Resampling.LANCZOS)

    canvas = Image.new("L", (SIZE, SIZE))
    canvas.paste(fitted_img, ((SIZE - size[0]) // 2, (SIZE - size[1]) // 2))
    dx, dy = _centre_of_mass_shift(np.asarray(canvas))
    centred = np.asarray(canvas.rotate(0, translate=(dx, dy)))

    return Preprocessed(
        input=(centred.astype(np.float32) / 255.0)[..., np.newaxis],
        cropped=cropped,
        fitted=np.asarray(fitted_img),
        centred=centred,
    )
