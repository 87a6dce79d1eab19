"""Scribbles and crowds: the real app stays correct and error-free in Chromium."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from app_page import (
    ANSWER_TIMEOUT_MS,
    assert_no_exception,
    expect_prediction,
    prediction_value,
    start_training,
    weights_choice,
)
from cnn_demo.browser import (
    canvas,
    clear_canvas,
    draw,
    draw_by_touch,
    open_app,
    select_architecture,
    trace,
    wait_for_app_run,
)
from cnn_demo.strokes import digit


def test_bad_drawings_get_a_question_mark_or_an_answer_and_never_an_error(page):
    # back and forth every 14 px: ink over the whole canvas
    scribble = [[(x, y) for y in range(6, 280, 14) for x in ((6, 274) if y % 28 == 6 else (274, 6))]]
    cases = {  # what is drawn, and what the Prediction may then show
        "dot": ([[(140, 140), (141, 141)]], r"\?"),
        "tick": ([[(130, 140), (140, 148)]], r"\?"),
        "scribble": (scribble, r"\?|Not a digit"),
        "edges": ([[(2, 2), (278, 2), (278, 278), (2, 278), (2, 2)]], r"\d|\d or \d\?|Not a digit"),
        "star": ([[(140, 20), (190, 260), (20, 100), (260, 100), (90, 260), (140, 20)]],
                 r"\d|\d or \d\?|Not a digit"),
    }
    for strokes, shown in cases.values():
        draw(page, strokes)
        expect(prediction_value(page)).to_have_text(re.compile(f"^({shown})$"), timeout=ANSWER_TIMEOUT_MS)
        assert_no_exception(page)
        clear_canvas(page)


def test_five_sessions_drawing_at_once_while_a_sixth_trains_each_read_their_own_digit(browser, app_url):
    digits = [0, 2, 3, 7, 8]  # one stroke each, so all five land at once
    drawers = [open_app(browser, app_url) for _ in digits]
    for page, label in zip(drawers, ["Baseline", "Conv", "Pooled", "Conv", "Pooled"]):
        select_architecture(page, label)
    # the training starts once the five pages are open and set (opened under it, they took 7 s
    # each, not 3), and it runs throughout their drawings
    trainer = open_app(browser, app_url)
    select_architecture(trainer, "Conv")
    start_training(trainer, "Conv", epochs=5, images="End")  # 55,000 images
    for page, d in zip(drawers, digits):
        trace(page, canvas(page).bounding_box(), digit(d)[0])
    for page in drawers:
        page.mouse.up()
    stop = trainer.get_by_role("button", name="Stop training Conv")
    try:
        for page, d in zip(drawers, digits):
            wait_for_app_run(page)
            expect_prediction(page, str(d))
            expect(weights_choice(page)).to_have_count(0)  # no one else's model
            assert_no_exception(page)
        expect(trainer.get_by_role("heading", name="Training Conv")).to_be_visible()
        expect(weights_choice(trainer)).to_be_visible()
        expect(stop).to_be_visible()  # still training after all five were read
    finally:
        stop.click()
        wait_for_app_run(trainer)
        assert_no_exception(trainer)
        for page in [trainer, *drawers]:
            page.context.close()


def test_a_stroke_started_at_the_top_right_corner_is_drawn_though_the_toolbar_rests_near_it(page):
    draw(page, [[(262, 10), (150, 262)]])  # one quick move in and the pen is down
    expect(prediction_value(page)).to_have_text(re.compile(r"\S"))


def test_a_finger_put_down_at_the_top_right_corner_draws(touch_page):
    draw_by_touch(touch_page, [[(262, 10), (150, 262)]])  # no hover at all on a touch screen
    expect(prediction_value(touch_page)).to_have_text(re.compile(r"\S"))
