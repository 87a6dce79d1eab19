"""Drawings become MNIST-like 28x28 inputs, wherever and however large they are drawn."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cnn_demo.preprocess import preprocess
from cnn_demo.strokes import DIGITS, place, render
from cnn_demo.visuals import to_grey


def test_empty_canvas_gives_no_input():
    assert preprocess(np.zeros((280, 280, 4), np.uint8)) is None
    assert preprocess(None) is None


def test_input_is_28x28x1_float_in_unit_range():
    out = preprocess(render(place(DIGITS[7], 40, 40, 200)))
    assert out.input.shape == (28, 28, 1) and out.input.dtype == np.float32
    assert out.input.min() == 0.0 and out.input.max() == pytest.approx(1.0, abs=0.05)


def test_digit_fits_a_20_pixel_box_keeping_its_aspect_ratio():
    out = preprocess(render(place(DIGITS[1], 40, 40, 200)))
    assert out.fitted.shape[0] == 20 and out.fitted.shape[1] < 10


def test_centre_of_mass_lands_at_the_centre():
    out = preprocess(render(place(DIGITS[2], 10, 150, 100)))
    ys, xs = np.indices((28, 28))
    w = out.centred.astype(float)
    assert abs((ys * w).sum() / w.sum() - 14) <= 0.5
    assert abs((xs * w).sum() / w.sum() - 14) <= 0.5


def test_transparent_background_reads_like_black():
    strokes = place(DIGITS[3], 40, 40, 200)
    np.testing.assert_array_equal(
        preprocess(render(strokes, transparent=True)).input, preprocess(render(strokes)).input)


def _distance_up_to_one_pixel(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference at the best of the nine one-pixel alignments.

    MNIST centres by whole pixels, so a centre of mass on a half pixel may round either way.
    """
    return min(
        float(np.abs(np.roll(a, (dy, dx), (0, 1)) - b).mean())
        for dy in (-1, 0, 1) for dx in (-1, 0, 1)
    )


@pytest.mark.parametrize("digit", range(10))
def test_same_digit_small_in_a_corner_and_large_in_the_centre_gives_nearly_the_same_input(digit):
    # the small one is drawn with a pen scaled down with it, as if the picture were shrunk
    small = preprocess(render(place(DIGITS[digit], 8, 8, 70), width=7)).input
    large = [preprocess(render(place(DIGITS[d], 40, 40, 200), width=20)).input for d in range(10)]
    distances = [_distance_up_to_one_pixel(small, other) for other in large]
    assert distances[digit] < 0.03
    assert np.argmin(distances) == digit


def test_mnist_digit_upscaled_to_canvas_size_comes_back_nearly_unchanged(mnist):
    image = to_grey(mnist.test.x[0])
    big = np.asarray(Image.fromarray(image).resize((280, 280), Image.Resampling.BILINEAR))
    assert np.abs(preprocess(big).input - mnist.test.x[0]).mean() < 0.05
