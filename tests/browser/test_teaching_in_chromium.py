"""A first-time visitor on a laptop, a phone and a projector, in light and dark: what they see first.

Screenshots of the main states land in tests/screenshots/ (the README's pictures come
from them).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app_page import (
    SCREENSHOTS,
    assert_no_exception,
    click_unit,
    expect_no_prediction,
    expect_prediction,
    prediction_value,
    screenshot,
    scroll_to_top,
    unit_map,
)
from cnn_demo.browser import (
    PHONE,
    clear_canvas,
    draw,
    draw_by_touch,
    interpolated,
    open_app,
    prediction_metric,
    select_architecture,
    wait_for_app_run,
)
from cnn_demo.strokes import PLACEMENTS, TOUCHING_42, digit

SCHEMES = ["light", "dark"]
PROJECTOR = {"width": 1024, "height": 768}  # a common classroom projector; the sidebar stays open


@pytest.fixture(params=SCHEMES)
def scheme(request) -> str:
    return request.param


# for the tests of where things stand, which a colour scheme does not move
light_only = pytest.mark.parametrize("scheme", ["light"])


def visitor(browser, app_url: str, scheme: str, **context_options):
    """A fresh session in `scheme`, failing the test if it ends showing an exception."""
    page = open_app(browser, app_url, color_scheme=scheme, **context_options)
    yield page
    assert_no_exception(page)
    page.context.close()


@pytest.fixture
def laptop(browser, app_url, scheme):
    yield from visitor(browser, app_url, scheme)


@pytest.fixture
def projector(browser, app_url, scheme):
    yield from visitor(browser, app_url, scheme, viewport=PROJECTOR)


@pytest.fixture
def phone(browser, app_url, scheme):
    yield from visitor(browser, app_url, scheme, **PHONE)


def test_the_first_drawing_shows_the_pooled_models_feature_maps(laptop, scheme):
    expect(laptop.get_by_role("combobox", name="Architecture")).to_have_value("Pooled")
    draw(laptop, digit(4))
    expect_prediction(laptop, "4")
    expect(laptop.locator(".cnn-maps")).to_have_count(5)  # conv_1, pool_1, conv_2, pool_2; the filters
    expect(laptop.get_by_text("conv_1 · Conv2D · 28×28×64")).to_be_visible()
    screenshot(laptop, f"laptop_{scheme}")


def test_on_a_phone_the_prediction_is_on_the_first_screen_under_the_canvas(phone, scheme):
    draw_by_touch(phone, digit(4))
    expect_prediction(phone, "4")
    scroll_to_top(phone)
    box = prediction_metric(phone).bounding_box()
    canvas_box = phone.locator("canvas.upper-canvas").bounding_box()
    assert canvas_box["y"] + canvas_box["height"] < box["y"]
    assert box["y"] + box["height"] <= 844
    phone.screenshot(path=str(SCREENSHOTS / f"phone_first_screen_{scheme}.png"))
    screenshot(phone, f"phone_{scheme}")


@light_only
def test_on_a_phone_the_three_preprocessing_steps_stand_side_by_side(phone, scheme):
    draw_by_touch(phone, digit(4))
    expect_prediction(phone, "4")
    pictures = phone.locator(".st-key-steps img")
    expect(pictures).to_have_count(3)
    boxes = [pictures.nth(i).bounding_box() for i in range(3)]
    assert len({round(box["y"]) for box in boxes}) == 1  # one row, not three stacked
    assert [box["x"] for box in boxes] == sorted(box["x"] for box in boxes)
    assert boxes[-1]["x"] + boxes[-1]["width"] <= PHONE["viewport"]["width"]


@light_only
def test_on_a_phone_the_whole_unit_map_is_on_screen_and_a_tap_picks_a_cell_of_its_last_column(phone, scheme):
    draw_by_touch(phone, digit(7))
    expect_prediction(phone, "7")
    phone.get_by_role("tab", name="One unit").tap()
    wait_for_app_run(phone)
    box = unit_map(phone).locator("svg").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["viewport"]["width"]
    click_unit(phone, 9, 27, width=28, by_touch=True)


def test_clear_is_visible_and_works_by_touch_on_a_phone(phone, scheme):
    clear = phone.get_by_role("button", name="Clear")
    expect(clear).to_be_visible()
    draw_by_touch(phone, digit(2))
    expect_prediction(phone, "2")
    clear.tap()
    wait_for_app_run(phone)
    expect_no_prediction(phone)


def test_the_chosen_tab_stays_chosen_after_clear_and_a_new_drawing(laptop, scheme):
    draw(laptop, digit(7))
    tab = laptop.get_by_role("tab", name="Where it looked")
    tab.click()
    wait_for_app_run(laptop)
    clear_canvas(laptop)
    expect(tab).to_have_attribute("aria-selected", "true")
    draw(laptop, digit(1))
    expect_prediction(laptop, "1")
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(laptop.get_by_text("where a change would most sway the answer 1")).to_be_visible()
    screenshot(laptop, f"where_it_looked_{scheme}")


def test_a_drawn_letter_is_called_not_a_digit(laptop, scheme):
    draw(laptop, [[(60, 240), (140, 40), (220, 240)], [(95, 160), (185, 160)]])
    expect_prediction(laptop, "Not a digit")
    expect(laptop.get_by_text("The model alone would have said")).to_be_visible()
    expect(laptop.get_by_text("a network taught capital letters reads the letter A")).to_be_visible()
    screenshot(laptop, f"not_a_digit_{scheme}")


@light_only
def test_two_digits_drawn_side_by_side_ask_for_one_digit_at_a_time(laptop, scheme):
    draw(laptop, digit(4, (10, 70, 120)) + digit(2, (150, 70, 120)))
    expect_prediction(laptop, "?")
    expect(laptop.get_by_text("Two drawings side by side: draw one digit at a time.")).to_be_visible()


def test_two_digits_drawn_touching_are_not_a_digit(laptop, scheme):
    draw(laptop, [interpolated(stroke) for stroke in TOUCHING_42])
    expect_prediction(laptop, "Not a digit")
    expect(laptop.get_by_text("two digits?")).to_be_visible()


def test_no_deploy_button_and_no_console_error_or_warning_from_any_view(browser, app_url, scheme):
    page = open_app(browser, app_url, color_scheme=scheme)
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    expect(page.get_by_role("button", name="Deploy")).to_have_count(0)
    draw(page, digit(5))
    for label in ("Pooled", "Residual", "Baseline"):
        select_architecture(page, label)
        for view in ("Inside the network", "Where it looked", "All models", "Learned filters", "Test set",
                     "Compare architectures"):
            page.get_by_role("tab", name=view).click()
            wait_for_app_run(page)
            # look at each view before the next click: Streamlit drops a run's images once the
            # next run ends, and a click before they had loaded made one fetch a 404 (once, in CI)
            page.wait_for_function("() => [...document.images].every(image => image.complete)")
    expect(prediction_value(page)).to_have_text("5")
    assert_no_exception(page)
    page.context.close()
    assert messages == []


@light_only
def test_the_title_is_not_under_streamlits_header_on_a_laptop_or_a_phone(laptop, phone, scheme):
    for page in (laptop, phone):
        header = page.get_by_test_id("stHeader").bounding_box()
        title = page.get_by_role("heading", name="Draw a digit. Watch a CNN read it.").bounding_box()
        assert title["y"] >= header["y"] + header["height"]


def test_on_a_projector_the_whole_canvas_is_in_reach_and_a_digit_at_its_right_edge_is_read(projector, scheme):
    # in a column narrower than itself the canvas scrolls sideways; there, this 4's strokes,
    # which begin in its hidden right third (x = 215 of 280), drew nothing
    scroll = projector.locator(".dc-scroll")
    assert scroll.evaluate("e => e.scrollWidth <= e.clientWidth")
    # with a point every 4 px, as a pen reports them: from the sparse corners alone, this 4 was
    # read "4 or 6?" once in a CI run under load (2026-12-07; never in 10 runs here, loaded or not),
    # as if a corner of its strokes had been cut
    draw(projector, [interpolated(s) for s in digit(4, PLACEMENTS["bottom-right"])])
    expect_prediction(projector, "4")
    screenshot(projector, f"projector_{scheme}")


@light_only
def test_on_a_projector_every_tab_of_both_tab_bars_is_in_view_without_scrolling(projector, scheme):
    # with Streamlit's 16 px gaps the six drawing tabs took 595 px of a 564 px column, and
    # "All models" showed as "All" beside a scroll arrow
    expect(projector.get_by_role("tab", name="All models")).to_be_visible()
    bars = projector.locator(".stTabs [role=tablist]")
    expect(bars).to_have_count(2)
    assert bars.evaluate_all("bars => bars.map(b => b.scrollWidth - b.clientWidth)") == [0, 0]


# For each dense layer's chart: each written number's centre and its bar's, and the number's ends.
BAR_LABELS_JS = """() => [...document.querySelectorAll('.cnn-bars')].map(chart => {
  const bars = [...chart.querySelectorAll('.cnn-bars-plot > div')].map(b => b.getBoundingClientRect());
  return [...chart.querySelectorAll('.cnn-bars-labels > span')].flatMap((label, i) => {
    if (!label.textContent) return [];
    const range = document.createRange();
    range.selectNodeContents(label);
    const text = range.getBoundingClientRect();
    return [{centre: (text.left + text.right) / 2, bar: (bars[i].left + bars[i].right) / 2,
             left: text.left, right: text.right}];
  });
})"""


@light_only
def test_on_a_projector_each_unit_number_stands_under_its_bar_and_none_overlap(projector, scheme):
    draw(projector, digit(4))
    expect_prediction(projector, "4")
    charts = projector.evaluate(BAR_LABELS_JS)
    assert len(charts) == 4  # the ten probabilities, and Pooled's three dense layers
    for labels in charts:
        assert all(abs(label["centre"] - label["bar"]) < 1.5 for label in labels)
        assert all(a["right"] < b["left"] for a, b in zip(labels, labels[1:]))
