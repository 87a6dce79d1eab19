"""The bar charts drawn for every drawing: heights from a zero line, the answer highlighted."""

from __future__ import annotations

import re

import numpy as np

from cnn_demo.bars import bars_html, probability_bars, vector_bars


def bar_styles(html: str) -> list[tuple[float, float]]:
    """(bottom %, height %) of each bar, in order."""
    return [(float(b), float(h)) for b, h in re.findall(r'<b style="bottom:([-\d.]+)%;height:([\d.]+)%"', html)]


def test_probabilities_are_bars_from_zero_to_a_hundred_percent_with_the_answer_highlighted():
    p = np.full(10, 0.02)
    p[4] = 0.82
    html = probability_bars(p, top=4)
    assert bar_styles(html)[4] == (0.0, 82.0) and bar_styles(html)[0] == (0.0, 2.0)
    assert html.count('class="top"') == 1 and "<span>82.0%</span>" in html
    assert 'title="4: 82.0%"' in html


def test_negative_values_hang_below_a_zero_line_that_splits_the_range():
    html = vector_bars(np.array([-1.0, 3.0]))
    assert 'class="cnn-bars-zero" style="bottom:25.00%"' in html
    assert bar_styles(html) == [(0.0, 25.0), (25.0, 75.0)]


def test_all_positive_values_have_no_zero_line_and_reach_the_top():
    html = vector_bars(np.array([0.5, 2.0, 0.0]))
    assert "cnn-bars-zero" not in html and bar_styles(html)[1] == (0.0, 100.0)


def written_labels(html: str) -> list[str]:
    return re.findall(r"<span>(\d+)</span>", html.split("cnn-bars-labels")[1])


def test_ten_digits_are_each_written_under_their_bar():
    assert written_labels(probability_bars(np.full(10, 0.1), top=0)) == [str(d) for d in range(10)]


def test_thirty_two_units_are_numbered_every_fourth_to_fit_a_chart_a_third_of_a_projectors_width():
    assert written_labels(vector_bars(np.ones(32))) == [str(i) for i in range(0, 32, 4)]


def test_a_long_layer_writes_a_few_unit_numbers_but_every_value_in_a_tooltip():
    html = vector_bars(np.arange(128.0))
    assert written_labels(html) == ["0", "32", "64", "96"]
    assert html.count("<div title=") == 128


def test_the_chart_describes_itself_for_a_screen_reader():
    html = bars_html(np.array([0.25, 0.75]), ["a", "b"], "unit", lambda v: f"{v:.2f}")
    assert 'role="img" aria-label="unit: a 0.25, b 0.75"' in html
