"""Whatever a person scribbles, preprocessing and prediction answer without raising."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from cnn_demo.inference import Predictor
from cnn_demo.preprocess import preprocess
from cnn_demo.strokes import DIGITS, digit, place, render
from cnn_demo.verdict import judge


def _lines(points: list[tuple[float, float]], width: int) -> np.ndarray:
    return render([points], width=width)


def _scribble() -> np.ndarray:
    rng = np.random.default_rng(0)
    return _lines([tuple(p) for p in rng.uniform(0, 280, (60, 2))], width=20)


BAD_DRAWINGS = {
    "single dot": lambda: _lines([(140, 140), (140, 140)], width=20),
    "short tick": lambda: _lines([(130, 140), (138, 146)], width=20),
    "scribble over the whole canvas": _scribble,
    "ink touching every edge": lambda: _lines([(0, 0), (279, 0), (279, 279), (0, 279), (0, 0)], width=20),
    "very thin stroke": lambda: render(digit(3), width=1),
    "very thick stroke": lambda: render(digit(3), width=70),
    "not a digit (a star)": lambda: _lines(
        [(140, 20), (190, 260), (20, 100), (260, 100), (90, 260), (140, 20)], width=20),
    "one faint pixel": lambda: np.pad(np.full((1, 1, 4), 255, np.uint8), ((5, 274), (9, 270), (0, 0))),
}


@pytest.fixture(scope="module")
def pooled(shipped_models) -> Predictor:
    return Predictor(shipped_models.models["pooled"])


@pytest.mark.parametrize("name", BAD_DRAWINGS)
def test_bad_drawing_gives_a_valid_input_and_an_honest_verdict(name, pooled):
    steps = preprocess(BAD_DRAWINGS[name]())
    assert steps.input.shape == (28, 28, 1) and np.isfinite(steps.input).all()
    assert steps.input.min() >= 0 and steps.input.max() <= 1
    prediction = pooled(steps.input)
    assert prediction.probabilities.sum() == pytest.approx(1, abs=1e-3)
    verdict = judge(prediction.probabilities, None, steps.problem)
    assert re.fullmatch(r"\d|\d or \d\?|\?", verdict.text)


@pytest.mark.parametrize("name", ["single dot", "short tick", "one faint pixel"])
def test_a_mark_too_small_to_be_a_digit_is_not_read(name):
    assert preprocess(BAD_DRAWINGS[name]()).problem == "Too small to read: draw the digit bigger."


def test_a_scribble_denser_than_any_mnist_digit_is_not_read():
    assert "scribble" in preprocess(BAD_DRAWINGS["scribble over the whole canvas"]()).problem


SIDE_BY_SIDE = "Two drawings side by side: draw one digit at a time."


@pytest.mark.parametrize("left, right", [(4, 2), (1, 0), (7, 7)])
def test_two_digits_side_by_side_are_not_read_as_one(left, right):
    number = place(DIGITS[left], 10, 70, 120) + place(DIGITS[right], 150, 70, 120)
    assert preprocess(render(number)).problem == SIDE_BY_SIDE


@pytest.mark.parametrize("strokes", [
    [[(0.3, 0.05), (0.25, 0.45)] + DIGITS[5][0][3:], [(0.4, 0.05), (0.85, 0.05)]],  # a 5 with its flag lifted off
    [*DIGITS[7], [(0.3, 0.5), (0.8, 0.5)]],  # a crossed 7
    [[(0.5, 0.05), (0.5, 0.95)], [(0.2, 0.97), (0.8, 0.97)]],  # a 1 with a foot apart
], ids=["5 with its flag apart", "crossed 7", "1 with a foot apart"])
def test_a_digit_drawn_in_strokes_that_do_not_touch_is_still_read(strokes):
    assert preprocess(render(place(strokes, 45, 40, 190))).readable


def test_a_gap_beside_a_short_mark_is_no_second_digit():
    # a 1 with a dot of ink beside it: the dot's part is far under MIN_SPLIT_HEIGHT of the ink's height
    assert preprocess(render(digit(1) + [[(230, 130), (234, 134)]])).readable


@pytest.mark.parametrize("size", [90, 190, 260])
@pytest.mark.parametrize("d", range(10))
def test_real_digits_small_or_large_are_readable(d, size):
    assert preprocess(render(digit(d, (10, 10, size)))).readable


def test_a_thin_pen_and_a_thick_pen_still_read_the_digit(pooled):
    for width in (6, 40):
        assert pooled(preprocess(render(digit(3), width=width)).input).digit == 3


def test_a_canvas_of_another_size_and_grey_ink_is_accepted(pooled):
    image = Image.new("RGBA", (500, 300), (0, 0, 0, 255))
    ImageDraw.Draw(image).line([(250, 40), (250, 260)], fill=(140, 140, 140, 255), width=25)
    assert pooled(preprocess(np.asarray(image)).input).digit == 1


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def test_a_thousand_predictions_neither_grow_memory_nor_retrace(pooled):
    drawings = [render(digit(d)) for d in range(10)]
    for image in drawings:  # warm: first calls allocate caches that are then reused
        pooled(preprocess(image).input)
    before = _rss_mb()
    for i in range(1000):
        pooled(preprocess(drawings[i % 10]).input)
    assert _rss_mb() - before < 50
    assert pooled.traces == 1
