"""Looking inside one unit in Chromium: a click on a map cell shows how that number was computed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app_page import assert_no_exception, click_unit, screenshot, unit_explanation
from cnn_demo.browser import clear_canvas, draw, select_architecture, wait_for_app_run
from cnn_demo.strokes import digit

NEW_VIEWS = ["One unit", "What channels look for", "Where it sits"]


def recomputed_and_shown(page) -> tuple[float, float]:
    text = unit_explanation(page).inner_text()
    value, shown = re.search(r"= (-?[\d.]+) · the map shows (-?[\d.]+)", text).groups()
    return float(value), float(shown)


def test_clicking_a_first_layer_cell_shows_its_patch_kernel_and_sum_equal_to_the_map(page):
    draw(page, digit(4))
    page.get_by_role("tab", name="One unit").click()
    wait_for_app_run(page)
    click_unit(page, 14, 10, width=28)
    value, shown = recomputed_and_shown(page)
    assert value == shown
    expect(page.get_by_text("input patch")).to_be_visible()
    expect(page.locator("p").filter(has_text="sum of the products")).to_contain_text(f"{value:.4f}")
    expect(page.get_by_text("it sees these 3×3 input pixels")).to_be_visible()
    screenshot(page, "one_unit")


def test_the_clicked_unit_stays_chosen_when_the_drawing_changes(page):
    draw(page, digit(4))
    page.get_by_role("tab", name="One unit").click()
    wait_for_app_run(page)
    click_unit(page, 20, 16, width=28)
    clear_canvas(page)
    draw(page, digit(7))
    expect(unit_explanation(page)).to_contain_text("row 20, column 16, channel 0")


@pytest.mark.parametrize("architecture", ["Pooled", "Residual"])
def test_each_new_view_opens_without_errors(page, architecture):
    select_architecture(page, architecture)
    draw(page, digit(2))
    for view in NEW_VIEWS:
        page.get_by_role("tab", name=view).click()
        wait_for_app_run(page)
        compute = page.get_by_role("button", name="Compute what each channel looks for")
        if compute.count():
            compute.click()
            wait_for_app_run(page)
        assert_no_exception(page)
        screenshot(page, f"view_{architecture.lower()}_{view.lower().replace(' ', '_')}")
    expect(page.get_by_text("nearest training digits")).to_be_visible()
