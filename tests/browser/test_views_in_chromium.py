"""Every view of the app opens in Chromium, for a branching model, without an error."""

from __future__ import annotations

from playwright.sync_api import expect

from app_page import assert_no_exception, screenshot
from cnn_demo.browser import draw, select_architecture, wait_for_app_run
from cnn_demo.strokes import digit

DRAWING_VIEWS = ["Inside the network", "Where it looked", "All models"]
MODEL_VIEWS = ["Learned filters", "Test set", "Compare architectures"]


def test_each_view_opens_without_errors(page):
    select_architecture(page, "Residual")
    draw(page, digit(6))
    for view in DRAWING_VIEWS + MODEL_VIEWS:
        tab = page.get_by_role("tab", name=view)
        tab.click()
        wait_for_app_run(page)
        expect(tab).to_have_attribute("aria-selected", "true")
        assert_no_exception(page)
        screenshot(page, "view_" + view.lower().replace(" ", "_"))
    expect(page.get_by_text("misread test digits")).to_have_count(0)  # the test-set tab is closed now
    page.get_by_role("tab", name="Test set").click()
    expect(page.get_by_text("misread test digits")).to_be_visible(timeout=60_000)
