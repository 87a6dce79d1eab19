"""MNIST comes from the committed file, in the layout the models take."""

from __future__ import annotations

import numpy as np


def test_mnist_has_60000_training_and_10000_test_images_as_float_in_unit_range(mnist):
    assert mnist.train.x.shape == (60_000, 28, 28, 1)
    assert mnist.test.x.shape == (10_000, 28, 28, 1)
    assert mnist.train.x.dtype == np.float32
    assert mnist.train.x.min() == 0.0 and mnist.train.x.max() == 1.0


def test_mnist_labels_are_the_originals_in_the_original_order(mnist):
    assert mnist.train.y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert mnist.test.y[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(mnist.test.y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_mnist_arrays_are_read_only_so_sessions_cannot_corrupt_them(mnist):
    assert not mnist.train.x.flags.writeable


def test_readme_test_command_is_the_one_ci_runs():
    from cnn_demo.paths import ROOT as root

    command = "pip install -r requirements-dev.txt && ruff check . && python -m pytest"
    assert command in (root / "README.md").read_text()
    assert command in (root / ".ci" / "run").read_text().splitlines()
