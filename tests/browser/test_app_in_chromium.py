"""The app as a person uses it: real strokes drawn with a mouse or a finger in Chromium."""

from __future__ import annotations

import os
import signal
import threading

import pytest
from playwright.sync_api import expect

from app_page import (
    TRAINING_TIMEOUT_MS,
    expect_no_prediction,
    expect_prediction,
    layer_names,
    record_progress,
    recorded_progress,
    screenshot,
    start_training,
)
from cnn_demo.architectures import ARCHITECTURES
from cnn_demo.browser import canvas_pixels, clear_canvas, draw, draw_by_touch, select_architecture
from cnn_demo.preprocess import ink_intensity
from cnn_demo.strokes import PLACEMENTS, digit

LABELS = [arch.label for arch in ARCHITECTURES.values()]
WHERE = list(PLACEMENTS.values())


# Three digits here, each through the real canvas and every architecture's selection; all ten
# are read by every architecture in test_app.py's All models test, at a tenth of the time.
@pytest.mark.parametrize("d", [1, 4, 7])
def test_each_drawn_digit_is_read_correctly_by_every_architecture(page, d):
    draw(page, digit(d, WHERE[d % len(WHERE)]))
    for label in LABELS:
        select_architecture(page, label)
        expect_prediction(page, str(d))


def test_same_digit_small_in_a_corner_and_large_in_the_centre_is_read_the_same(page):
    for where in [(8, 8, 90), (30, 25, 230)]:
        draw(page, digit(5, where))
        for label in LABELS:
            select_architecture(page, label)
            expect_prediction(page, "5")
        clear_canvas(page)


def test_switching_architecture_changes_the_layers_shown(page):
    draw(page, digit(4))
    select_architecture(page, "Baseline")
    baseline = layer_names(page)
    select_architecture(page, "Pooled")
    pooled = layer_names(page)
    screenshot(page, "pooled_activations")
    assert "conv_1" not in baseline and "dense_1" in baseline
    assert {"conv_1", "pool_1", "conv_2", "pool_2", "dense_1", "softmax"} <= set(pooled)


def test_clear_removes_the_drawing_and_the_prediction(page):
    draw(page, digit(8))
    expect_prediction(page, "8")
    clear_canvas(page)
    expect_no_prediction(page)
    expect(page.get_by_text("Draw a digit from 0 to 9")).to_be_visible()


def test_clear_empties_the_canvas_at_once_and_the_next_digit_is_read_while_the_server_is_busy(
        page, app_server):
    # The server is paused for a second from the click: the canvas is empty without it, and the 7
    # drawn meanwhile is read. Done on the server, Clear waited for it, and the 7 was lost.
    draw(page, digit(4))
    expect_prediction(page, "4")
    server = app_server[1]
    os.kill(server.pid, signal.SIGSTOP)
    threading.Timer(1.0, os.kill, (server.pid, signal.SIGCONT)).start()
    page.get_by_role("button", name="Clear").click()  # not clear_canvas: it waits for the server
    assert not ink_intensity(canvas_pixels(page)).any()
    draw(page, digit(7))
    expect_prediction(page, "7")


def test_touch_drawing_is_read_like_mouse_drawing(touch_page):
    draw_by_touch(touch_page, digit(3))
    expect_prediction(touch_page, "3")
    screenshot(touch_page, "touch_drawing")


def test_short_training_run_moves_progress_to_the_end_and_drawing_works_meanwhile(page):
    select_architecture(page, "Pooled")
    record_progress(page)
    start_training(page, "Pooled", epochs=1)  # 10,000 images
    draw(page, digit(7))
    expect(page.get_by_test_id("stMetric").filter(has_text="Prediction")).to_be_visible()
    loss_curve = page.get_by_test_id("stVegaLiteChart").filter(has_text="loss").locator("svg")
    expect(loss_curve).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    screenshot(page, "training")  # with the curves drawn, not their grey placeholders

    # the fragment polls once a second; the run ends with the test-set evaluation
    done = page.get_by_test_id("stMetric").filter(has_text="Test accuracy, trained here")
    expect(done).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Download pooled.keras")).to_be_visible()
    screenshot(page, "trained")
    accuracy = done.get_by_test_id("stMetricValue").inner_text()
    assert float(accuracy.rstrip("%")) > 80
    seen = recorded_progress(page)
    assert seen[-1] == 100 and min(seen) < 100 and seen == sorted(seen)
    expect_prediction(page, "7")
