"""Real pen drawings by writers the models never saw, drawn with the mouse or by touch on a phone:
the page says what `python -m cnn_demo.evaluate` says for the same drawing, size and position."""

from __future__ import annotations

from playwright.sync_api import expect

from app_page import ANSWER_TIMEOUT_MS, expect_prediction, prediction_value
from cnn_demo.bench_browser import draw_pen_drawing, unseen_sample
from cnn_demo.browser import canvas_pixels, clear_canvas
from cnn_demo.evaluate import verdicts
from cnn_demo.preprocess import CANVAS_OPTIONS, ink_intensity
from cnn_demo.stroke_files import PLACEMENTS, placed
from cnn_demo.strokes import render


def test_a_handful_of_unseen_writers_drawings_get_the_commands_verdict_on_the_page(page):
    drawings = unseen_sample(digits=4, letters=2, seed=3)
    where = [PLACEMENTS[i % len(PLACEMENTS)] for i in range(len(drawings))]
    expected = verdicts(drawings, where, "pooled")
    for drawing, placement, verdict in zip(drawings, where, expected):
        draw_pen_drawing(page, drawing, placement)
        expect_prediction(page, verdict.text)
        clear_canvas(page)


def test_unseen_writers_drawings_drawn_by_touch_on_a_phone_get_the_commands_verdict(phone_page):
    drawings = unseen_sample(digits=2, letters=1, seed=4)
    where = [PLACEMENTS[i % len(PLACEMENTS)] for i in range(len(drawings))]
    expected = verdicts(drawings, where, "pooled")
    for drawing, placement, verdict in zip(drawings, where, expected):
        draw_pen_drawing(phone_page, drawing, placement, by_touch=True)
        expect_prediction(phone_page, verdict.text)
        clear_canvas(phone_page)


def test_the_canvas_draws_a_pen_drawing_as_the_evaluation_command_renders_it(page):
    drawing = unseen_sample(digits=1, letters=0, seed=5)[0]
    draw_pen_drawing(page, drawing, PLACEMENTS[0])
    expect(prediction_value(page)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)  # the drawing was sent
    browser = ink_intensity(canvas_pixels(page)).astype(float)
    command = ink_intensity(render(placed(drawing, *PLACEMENTS[0], CANVAS_OPTIONS["width"]))).astype(float)
    # over 30 drawings the pixels differed by 2.4% of the ink (at most 3.1%); without
    # anti-aliasing by 7.8% (at least 6.3%)
    assert abs(browser - command).sum() / browser.sum() < 0.045
