"""The app as a person uses it: real strokes drawn with a mouse or a finger in Chromium."""

from __future__ import annotations

import re

import pytest

from app_page import layer_names, screenshot
from cnn_demo.architectures import ARCHITECTURES
from cnn_demo.browser import (
    draw, draw_by_touch, prediction, reset_canvas, select_architecture, wait_for_app_run,
)
from cnn_demo.strokes import DIGITS, place

LABELS = [arch.label for arch in ARCHITECTURES.values()]
# (left, top, size) in canvas pixels: centred, top-left corner, bottom-right, nearly full
PLACEMENTS = [(45, 40, 190), (12, 12, 120), (140, 130, 125), (20, 20, 240)]


@pytest.mark.parametrize("digit", range(10))
def test_each_drawn_digit_is_read_correctly_by_every_architecture(page, digit):
    left, top, size = PLACEMENTS[digit % len(PLACEMENTS)]
    draw(page, place(DIGITS[digit], left, top, size))
    readings = {}
    for label in LABELS:
        select_architecture(page, label)
        readings[label] = prediction(page)
    assert readings == {label: str(digit) for label in LABELS}


def test_same_digit_small_in_a_corner_and_large_in_the_centre_is_read_the_same(page):
    readings = []
    for left, top, size in [(8, 8, 90), (30, 25, 230)]:
        draw(page, place(DIGITS[5], left, top, size))
        readings.append({label: (select_architecture(page, label), prediction(page))[1] for label in LABELS})
        reset_canvas(page)
    assert readings[0] == readings[1] == {label: "5" for label in LABELS}


def test_switching_architecture_changes_the_layers_shown(page):
    draw(page, place(DIGITS[4], 45, 40, 190))
    select_architecture(page, "Baseline")
    baseline = layer_names(page)
    select_architecture(page, "Pooled")
    pooled = layer_names(page)
    screenshot(page, "pooled_activations")
    assert "conv_1" not in baseline and "dense_1" in baseline
    assert {"conv_1", "pool_1", "conv_2", "pool_2", "dense_1", "softmax"} <= set(pooled)


def test_reset_canvas_removes_the_prediction(page):
    draw(page, place(DIGITS[8], 45, 40, 190))
    assert prediction(page) == "8"
    reset_canvas(page)
    assert prediction(page) is None
    assert page.get_by_text("Draw a digit from 0 to 9").is_visible()


def test_touch_drawing_is_read_like_mouse_drawing(touch_page):
    draw_by_touch(touch_page, place(DIGITS[3], 45, 40, 190))
    screenshot(touch_page, "touch_drawing")
    assert prediction(touch_page) == "3"


def progress_percent(page) -> float:
    bar = page.locator("[data-testid=stProgress] [role=progressbar]")
    return float(bar.get_attribute("aria-valuenow") or 0)


def test_short_training_run_moves_progress_to_the_end_and_drawing_works_meanwhile(page):
    select_architecture(page, "Pooled")
    page.get_by_label("Epochs").fill("1")
    page.get_by_label("Epochs").press("Enter")
    images = page.locator("input[type=range][aria-label='Training images']")
    images.focus()
    images.press("ArrowRight")  # 10,000 -> 20,000 images: long enough to draw meanwhile
    page.get_by_role("button", name="Start training Pooled").click()
    wait_for_app_run(page)

    draw(page, place(DIGITS[7], 45, 40, 190))
    assert re.fullmatch(r"\d|\d or \d\?", prediction(page) or "")
    seen = [progress_percent(page)]
    screenshot(page, "training")

    # the fragment polls once a second; the run ends with the test-set evaluation
    done = page.locator("[data-testid=stMetric]").filter(has_text="Test accuracy, trained here")
    while not done.count():
        page.wait_for_timeout(500)
        seen.append(progress_percent(page))
    wait_for_app_run(page)
    screenshot(page, "trained")
    accuracy = done.locator("[data-testid=stMetricValue]").inner_text()
    assert float(accuracy.rstrip("%")) > 80
    assert progress_percent(page) == 100
    assert seen == sorted(seen) and seen[0] < 100
    assert page.get_by_role("button", name="Download pooled.keras").is_visible()
    assert prediction(page) == "7"
