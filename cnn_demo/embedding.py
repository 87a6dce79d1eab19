"""Where a drawing sits among the digits the model knows: its last hidden layer, in two dimensions.

    space = DigitSpace.build(model, mnist)          # once per model: 20,000 digits through it
    xy, neighbours = space.place(features)          # per drawing: a dot product
    python -m cnn_demo.embedding [--arch NAME ...]  # ship the shipped models' spaces

The shipped models' spaces are shipped beside their weights (`pretrained/spaces/`, written by
`python -m cnn_demo.train` too): built on an AVX2 CPU, without bfloat16, they took 10 s
(Pooled) to 38 s (Residual, Inception) the first time anyone opened "Where it sits"
(2026-12-03); read from the file, well under a second.

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
SPACES_DIR = "spaces"
CHECKED_DIGITS = 16  # test digits whose stored features show that a shipped space fits the weights


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


def space_path(name: str, directory: Path = PRETRAINED_DIR) -> Path:
    return Path(directory) / SPACES_DIR / f"{name}.npz"


def save_space(space: DigitSpace, model: keras.Model, mnist: Mnist, name: str,
               directory: Path = PRETRAINED_DIR) -> Path:
    """The space in one file, with the features of a few test digits that `load_space` checks.

    The training digits' features are kept as float16, which halves the file (Residual's
    4.4 -> 2.2 MB); the nearest neighbours barely move (see test_embedding.py)."""
    from cnn_demo.pretrained import atomic_write

    arrays = {**asdict(space), "layer": np.array(space.layer),
              "pool_features": space.pool_features.astype(np.float16),
              "checked": layer_features(model, space.layer, mnist.test.x[:CHECKED_DIGITS])}
    path = space_path(name, directory)
    with atomic_write(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)
    return path


def load_space(name: str, model: keras.Model, mnist: Mnist, directory: Path = PRETRAINED_DIR) -> DigitSpace | None:
    """The space shipped for `name`, or None when the file is missing or was built by other
    weights (its test digits' features differ): then it is built."""
    try:
        with np.load(space_path(name, directory)) as f:
            arrays = {key: f[key] for key in f.files}
    except (OSError, ValueError):
        return None
    layer = str(arrays.pop("layer"))
    checked = arrays.pop("checked")
    if layer not in [lay.name for lay in model.layers] or not np.allclose(
            checked, layer_features(model, layer, mnist.test.x[:CHECKED_DIGITS]), rtol=1e-3, atol=1e-4):
        return None
    return DigitSpace(layer=layer, mean=arrays["mean"], axes=arrays["axes"],
                      variance_shown=float(arrays["variance_shown"]), test_xy=arrays["test_xy"],
                      test_labels=arrays["test_labels"], pool_features=arrays["pool_features"].astype(np.float32),
                      pool_indices=arrays["pool_indices"])


def main(argv: list[str] | None = None) -> None:
    """python -m cnn_demo.embedding [--arch NAME ...]: build and ship the shipped models' spaces."""
    import argparse
    import time

    from cnn_demo.architectures import ARCHITECTURES
    from cnn_demo.data import load_mnist
    from cnn_demo.pretrained import load_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", nargs="+", choices=list(ARCHITECTURES), default=list(ARCHITECTURES))
    args = parser.parse_args(argv)
    mnist = load_mnist()
    for name in args.arch:
        start = time.perf_counter()
        model = load_model(name)
        path = save_space(DigitSpace.build(model, mnist), model, mnist, name)
        print(f"{name}: {path} ({path.stat().st_size / 1024:.0f} KiB, {time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
