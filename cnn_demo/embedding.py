"""Where a drawing sits among the digits the model knows: its last hidden layer, in two dimensions.

    space = DigitSpace.build(model, mnist)          # once per model: 20,000 digits through it
    xy, neighbours = space.place(features)          # per drawing: a dot product

The shipped models' spaces are shipped beside their weights (`pretrained/spaces/`, written by
`python -m cnn_demo.train`): on an AVX2 CPU, without bfloat16, building one took 9 s (Pooled)
to 34 s (Inception), and choosing Residual on "Where it sits" in Chromium took 43 s the first
time; read from the file, 0.1 s and 3 s (2026-12-03).

The penultimate layer's outputs (what the softmax layer reads) for the 10,000 test digits,
projected on their two principal components: digits the model tells apart land apart.
PCA rather than t-SNE or UMAP because it is a fixed linear map, so a new drawing is
placed in the same picture instantly, without refitting, and the picture is the same on
every visit. The nearest neighbours are searched in the full layer, not in the picture.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cnn_demo.data import Mnist
from cnn_demo.graph import penultimate_layer
from cnn_demo.paths import PRETRAINED_DIR

if TYPE_CHECKING:
    import keras

NEIGHBOURS = 8
TRAINING_POOL = 10_000  # training digits searched for neighbours: enough to find close ones, quick to read
SHOWN_TEST_DIGITS = 1_500  # drawn as dots: the clusters are as clear as with all 10,000, the chart 7x lighter
SPACES = "spaces"  # pretrained/spaces/NAME.npz


def layer_features(model: keras.Model, layer_name: str, x: np.ndarray, batch: int = 1000) -> np.ndarray:
    import keras

    probe = keras.Model(model.inputs[0], model.get_layer(layer_name).output)
    return np.concatenate([np.asarray(probe(x[i: i + batch], training=False), np.float32).reshape(
        len(x[i: i + batch]), -1) for i in range(0, len(x), batch)])


@dataclass(frozen=True)
class DigitSpace:
    layer: str
    mean: np.ndarray  # (D,)
    axes: np.ndarray  # (2, D): the two principal directions
    variance_shown: float  # share of the layer's variance the two axes show
    test_xy: np.ndarray  # (n, 2) the shown test digits, projected
    test_labels: np.ndarray  # (n,)
    pool_features: np.ndarray  # (TRAINING_POOL, D)
    pool_indices: np.ndarray  # indices into MNIST's training images

    @classmethod
    def build(cls, model: keras.Model, mnist: Mnist) -> DigitSpace:
        layer = penultimate_layer(model)
        test = layer_features(model, layer, mnist.test.x)
        mean = test.mean(axis=0)
        _, singular, vt = np.linalg.svd(test - mean, full_matrices=False)
        variance = singular ** 2
        shown = np.random.default_rng(0).choice(len(test), SHOWN_TEST_DIGITS, replace=False)
        pool = np.random.default_rng(1).choice(len(mnist.train.x), TRAINING_POOL, replace=False)
        return cls(layer, mean, vt[:2], float(variance[:2].sum() / variance.sum()),
                   (test[shown] - mean) @ vt[:2].T, mnist.test.y[shown],
                   layer_features(model, layer, mnist.train.x[pool]), pool)

    def place(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of one drawing's penultimate features, and its nearest training digits
        (indices into MNIST's training set, nearest first)."""
        features = np.asarray(features, np.float32).reshape(-1)
        distances = np.linalg.norm(self.pool_features - features, axis=1)
        nearest = np.argsort(distances)[:NEIGHBOURS]
        return (features - self.mean) @ self.axes.T, self.pool_indices[nearest]


def save_space(space: DigitSpace, model: keras.Model, mnist: Mnist, name: str,
               directory: Path = PRETRAINED_DIR) -> Path:
    """The space of shipped model `name`, in `pretrained/spaces/`. The training digits' features
    are kept as float16, which halves the file (Residual's 4.4 -> 2.2 MB); the nearest
    neighbours barely move (see test_embedding.py)."""
    from cnn_demo.pretrained import save_derived

    return save_derived(SPACES, name, model, mnist, {**asdict(space), "layer": np.array(space.layer),
                                                      "pool_features": space.pool_features.astype(np.float16)},
                        directory)


def load_space(name: str, model: keras.Model, mnist: Mnist, directory: Path = PRETRAINED_DIR) -> DigitSpace | None:
    """The space shipped for `name`, or None when it is missing or was built by other weights."""
    from cnn_demo.pretrained import load_derived

    arrays = load_derived(SPACES, name, model, mnist, directory)
    if arrays is None:
        return None
    return DigitSpace(layer=str(arrays["layer"]), mean=arrays["mean"], axes=arrays["axes"],
                      variance_shown=float(arrays["variance_shown"]), test_xy=arrays["test_xy"],
                      test_labels=arrays["test_labels"], pool_features=arrays["pool_features"].astype(np.float32),
                      pool_indices=arrays["pool_indices"])
