"""Pen strokes are drawn as the browser's canvas draws them: a round, anti-aliased pen."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnn_demo.strokes import render


def test_a_stroke_covers_the_area_of_a_round_pen_dragged_along_it():
    image = render([[(100, 140), (180, 140)]], width=20)
    inked = image[..., 0].astype(float).sum() / 255
    assert inked == pytest.approx(80 * 20 + math.pi * 10 ** 2, rel=0.01)


def test_a_stroke_has_grey_edges_and_a_solid_middle():
    column = render([[(100, 140), (180, 140)]], width=20)[:, 140, 0]  # across the stroke
    assert column[140] == 255 and column[0] == 0
    assert set(np.unique(column)) - {0, 255}, "no grey edge: not anti-aliased"


def test_on_a_transparent_canvas_the_ink_is_white_with_its_coverage_as_opacity():
    opaque = render([[(60, 60), (200, 220)]])
    clear = render([[(60, 60), (200, 220)]], transparent=True)
    assert (clear[..., :3] == 255).all()
    np.testing.assert_array_equal(clear[..., 3], opaque[..., 0])
