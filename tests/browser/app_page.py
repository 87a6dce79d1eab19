"""What a person does on this app's page, as Playwright calls, and what they should then see.

Generic driving (server, browser, drawing, waiting for a run) is in `cnn_demo.browser`;
this is the app-specific part. Assertions wait, as Streamlit's own e2e suite writes them.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from cnn_demo.browser import prediction_metric, wait_for_app_run

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
# hang detectors, not speed checks: with the suite in two processes (pytest.ini) an answer
# can wait on the other process's TensorFlow work; at three, 30 s ran out (2026-12-03)
ANSWER_TIMEOUT_MS = 60_000
TRAINING_TIMEOUT_MS = 300_000


def prediction_value(page: Page) -> Locator:
    return prediction_metric(page).locator("[data-testid=stMetricValue]")


def expect_prediction(page: Page, text: str) -> None:
    """The Prediction shows `text` (waiting for the run that reads the drawing)."""
    expect(prediction_value(page)).to_have_text(text, timeout=ANSWER_TIMEOUT_MS)


def expect_no_prediction(page: Page) -> None:
    expect(prediction_metric(page)).to_have_count(0, timeout=ANSWER_TIMEOUT_MS)


def weights_choice(page: Page) -> Locator:
    """The Shipped / Trained here choice, shown once this session trained the chosen model."""
    return page.get_by_test_id("stRadio").filter(has_text="Weights")


def layer_names(page: Page) -> list[str]:
    """The bold layer names heading the activation section."""
    return [t.split(" · ")[0].strip() for t in page.locator("[data-testid=stMarkdownContainer] p")
            .filter(has_text=" · ").all_inner_texts()]


def start_training(page: Page, architecture: str, epochs: int, images: str | None = None) -> None:
    """Fill in Train live (epochs, and the training-images slider moved to `images`: "Home",
    "End" or an arrow key; left at its 10,000 without) and press Start."""
    field = page.get_by_role("spinbutton", name="Epochs", exact=True)
    field.fill(str(epochs))
    field.press("Enter")
    wait_for_app_run(page)
    if images is not None:
        slider = page.locator("input[type=range][aria-label='Training images']")
        slider.focus()
        slider.press(images)
        wait_for_app_run(page)
    page.get_by_role("button", name=f"Start training {architecture}").click()
    wait_for_app_run(page)


def record_progress(page: Page) -> None:
    """Have the page remember every value its training progress bar takes (read it with
    `recorded_progress`): a MutationObserver, so nothing polls."""
    page.evaluate("""() => {
        window.__progress = [];
        new MutationObserver(() => {
            const bar = document.querySelector('[data-testid=stProgress] [role=progressbar]');
            if (bar) window.__progress.push(Number(bar.getAttribute('aria-valuenow') || 0));
        }).observe(document.body, {subtree: true, childList: true, attributes: true,
                                    attributeFilter: ['aria-valuenow']});
    }""")


def recorded_progress(page: Page) -> list[float]:
    return page.evaluate("() => window.__progress")


def assert_no_exception(page: Page) -> None:
    errors = page.locator("[data-testid=stException]").all_inner_texts()
    assert not errors, f"the page shows an exception: {errors}"


def scroll_to_top(page: Page) -> None:
    """Back to the page's top: drawing centres the canvas, which scrolls the title out of view.
    Streamlit scrolls its own container, not the window."""
    page.evaluate("() => document.querySelectorAll('[data-testid=stMain], [data-testid=stAppViewContainer]')"
                  ".forEach(e => { e.scrollTop = 0; })")
    page.wait_for_timeout(100)


def screenshot(page: Page, name: str) -> Path:
    """The whole page: Streamlit scrolls inside its own container, so the viewport is
    stretched to the content's height for the shot, then put back."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    viewport = page.viewport_size
    height = page.locator("[data-testid=stMainBlockContainer]").evaluate("e => e.scrollHeight")
    page.set_viewport_size({"width": viewport["width"], "height": max(viewport["height"], height + 120)})
    page.wait_for_timeout(300)  # let charts re-lay out at the new size
    scroll_to_top(page)
    page.screenshot(path=str(path))
    page.set_viewport_size(viewport)
    return path


def unit_explanation(page: Page) -> Locator:
    """The line that states the chosen unit's recomputed value beside the map's."""
    return page.locator("p").filter(has_text="· the map shows")


def unit_map(page: Page) -> Locator:
    """The clickable map under "One unit"."""
    panel = page.get_by_role("tabpanel").filter(has_text="Pick a layer and a channel")
    return panel.get_by_test_id("stVegaLiteChart").first


def click_unit(page: Page, row: int, col: int, width: int, by_touch: bool = False) -> None:
    """Click (or tap) cell (row, col) of the map under "One unit" (`width` cells a row)."""
    cell = unit_map(page).locator("g.mark-rect path").nth(row * width + col)
    cell.tap() if by_touch else cell.click()
    expect(unit_explanation(page)).to_contain_text(f"row {row}, column {col},", timeout=ANSWER_TIMEOUT_MS)
