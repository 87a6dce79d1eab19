"""Scribbles and crowds: the real app stays correct and error-free in Chromium."""

from __future__ import annotations

import re

from app_page import assert_no_exception
from cnn_demo.browser import (
    canvas, draw, open_app, prediction, reset_canvas, select_architecture, trace, wait_for_app_run,
)
from cnn_demo.strokes import DIGITS, place


def test_bad_drawings_get_a_question_mark_or_an_answer_and_never_an_error(page):
    # back and forth every 14 px: ink over the whole canvas
    scribble = [[(x, y) for y in range(6, 280, 14) for x in ((6, 274) if y % 28 == 6 else (274, 6))]]
    cases = {
        "dot": ([[(140, 140), (141, 141)]], "?"),
        "tick": ([[(130, 140), (140, 148)]], "?"),
        "scribble": (scribble, "?"),
        "edges": ([[(2, 2), (278, 2), (278, 278), (2, 278), (2, 2)]], None),
        "star": ([[(140, 20), (190, 260), (20, 100), (260, 100), (90, 260), (140, 20)]], None),
    }
    for name, (strokes, expected) in cases.items():
        draw(page, strokes)
        shown = prediction(page)
        assert_no_exception(page)
        if expected is not None:
            assert shown == expected, name
        else:
            assert re.fullmatch(r"\d|\d or \d\?", shown or ""), name
        reset_canvas(page)


def test_five_sessions_drawing_at_once_while_a_sixth_trains_each_read_their_own_digit(browser, app_url):
    trainer = open_app(browser, app_url)
    select_architecture(trainer, "Conv")
    trainer.get_by_label("Epochs").fill("5")  # far longer than the drawing below takes
    trainer.get_by_label("Epochs").press("Enter")
    images = trainer.locator("input[type=range][aria-label='Training images']")
    images.focus()
    images.press("End")  # all 60,000 images: it trains throughout
    trainer.get_by_role("button", name="Start training Conv").click()
    wait_for_app_run(trainer)

    digits = [0, 2, 3, 7, 8]  # one stroke each, so all five land at once
    drawers = [open_app(browser, app_url) for _ in digits]
    for page, label in zip(drawers, ["Baseline", "Conv", "Pooled", "Conv", "Pooled"]):
        select_architecture(page, label)
    for page, digit in zip(drawers, digits):
        trace(page, canvas(page).bounding_box(), place(DIGITS[digit], 45, 40, 190)[0])
    for page in drawers:
        page.mouse.up()
    stop = trainer.get_by_role("button", name="Stop training Conv")
    try:
        for page, digit in zip(drawers, digits):
            wait_for_app_run(page)
            page.locator("[data-testid=stMetric]").filter(has_text="Prediction").wait_for()
            assert prediction(page) == str(digit)
            assert page.get_by_text("Weights", exact=True).count() == 0  # no one else's model
            assert_no_exception(page)
        assert trainer.get_by_role("heading", name="Training Conv").is_visible()
        assert trainer.get_by_text("Weights", exact=True).is_visible()
        assert stop.is_visible()  # still training after all five were read
    finally:
        stop.click()
        wait_for_app_run(trainer)
        assert_no_exception(trainer)
        for page in [trainer, *drawers]:
            page.context.close()
