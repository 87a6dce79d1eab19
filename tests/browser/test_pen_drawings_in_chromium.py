"""Real pen drawings by writers the models never saw, drawn with the mouse: the page says what
`python -m cnn_demo.evaluate` says for the same drawing, size and position."""

from __future__ import annotations

from app_page import expect_prediction
from cnn_demo.bench_browser import draw_pen_drawing, unseen_sample
from cnn_demo.browser import clear_canvas
from cnn_demo.evaluate import verdicts
from cnn_demo.stroke_files import PLACEMENTS


def test_a_handful_of_unseen_writers_drawings_get_the_commands_verdict_on_the_page(page):
    drawings = unseen_sample(digits=4, letters=2, seed=3)
    where = [PLACEMENTS[i % len(PLACEMENTS)] for i in range(len(drawings))]
    expected = verdicts(drawings, where, "pooled")
    for drawing, placement, verdict in zip(drawings, where, expected):
        draw_pen_drawing(page, drawing, placement)
        expect_prediction(page, verdict.text)
        clear_canvas(page)
