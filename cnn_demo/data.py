"""MNIST from the copy shipped in `data/mnist.npz`: nothing is downloaded at run time."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from cnn_demo.paths import MNIST_PATH

NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28, 1)


class Split(NamedTuple):
    """Images as float32 in [0, 1] shaped (N, 28, 28, 1); labels as integer classes."""

    x: np.ndarray
    y: np.ndarray


class Mnist(NamedTuple):
    train: Split
    test: Split


def to_model_input(images: np.ndarray) -> np.ndarray:
    """Turn uint8 images (N, 28, 28) into the float32 (N, 28, 28, 1) in [0, 1] the models take."""
    return (images.astype(np.float32) / 255.0)[..., np.newaxis]


@lru_cache(maxsize=1)
def load_mnist(path: str | Path = MNIST_PATH) -> Mnist:
    """Load the 60,000 training and 10,000 test images once per process (read-only arrays)."""
    with np.load(path) as f:
        splits = [
            Split(to_model_input(f[f"x_{name}"]), f[f"y_{name}"].astype(np.int64))
            for name in ("train", "test")
        ]
    for split in splits:
        split.x.setflags(write=False)
        split.y.setflags(write=False)
    return Mnist(*splits)
