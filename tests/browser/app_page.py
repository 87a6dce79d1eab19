"""What a person does on the page, as Playwright calls: draw, reset, switch, read."""

from __future__ import annotations

from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
RUN_TIMEOUT_MS = 60_000

Stroke = list[tuple[float, float]]


def wait_for_app_run(page, settle_ms: int = 300) -> None:
    """Wait until the script run started by the last interaction has ended.

    The short first wait lets the rerun begin before its end is awaited: right after
    a click, the app can still report the previous run's notRunning state.
    """
    page.wait_for_timeout(settle_ms)
    page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for(
        timeout=RUN_TIMEOUT_MS, state="attached")
    page.locator("[data-testid=stSkeleton]").first.wait_for(timeout=RUN_TIMEOUT_MS, state="detached")


def canvas(page):
    surface = page.locator("canvas.upper-canvas").first
    surface.scroll_into_view_if_needed()
    return surface


def draw(page, strokes: list[Stroke]) -> None:
    """Draw pen strokes (canvas pixels) with the mouse, lifting the pen between strokes."""
    box = canvas(page).bounding_box()
    for stroke in strokes:
        page.mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=2)
        page.mouse.up()
        wait_for_app_run(page)


def draw_by_touch(page, strokes: list[Stroke]) -> None:
    """Draw with a finger: raw touch events through the Chrome DevTools Protocol."""
    box = canvas(page).bounding_box()
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, x: float | None = None, y: float | None = None) -> None:
        points = [] if x is None else [{"x": box["x"] + x, "y": box["y"] + y}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    for stroke in strokes:
        touch("touchStart", *stroke[0])
        for x, y in stroke[1:]:
            touch("touchMove", x, y)
        touch("touchEnd")
        wait_for_app_run(page)
    cdp.detach()


def reset_canvas(page) -> None:
    canvas(page).hover()
    page.get_by_label("Reset canvas & history").click()
    wait_for_app_run(page)


def select_architecture(page, label: str) -> None:
    page.locator("[data-testid=stSidebar]").get_by_text(label, exact=True).click()
    wait_for_app_run(page)


def prediction(page) -> str | None:
    """The Prediction metric's value, or None when the page shows none."""
    metric = page.locator("[data-testid=stMetric]").filter(has_text="Prediction")
    if metric.count() == 0:
        return None
    return metric.locator("[data-testid=stMetricValue]").inner_text().strip()


def layer_names(page) -> list[str]:
    """The bold layer names heading the activation section."""
    return [t.split(" · ")[0].strip() for t in page.locator("[data-testid=stMarkdownContainer] p")
            .filter(has_text=" · ").all_inner_texts()]


def assert_no_exception(page) -> None:
    errors = page.locator("[data-testid=stException]").all_inner_texts()
    assert not errors, f"the page shows an exception: {errors}"


def screenshot(page, name: str) -> Path:
    """The whole page: Streamlit scrolls inside its own container, so the viewport is
    stretched to the content's height for the shot, then put back."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    viewport = page.viewport_size
    height = page.locator("[data-testid=stMainBlockContainer]").evaluate("e => e.scrollHeight")
    page.set_viewport_size({"width": viewport["width"], "height": max(viewport["height"], height + 120)})
    page.wait_for_timeout(300)  # let charts re-lay out at the new size
    page.screenshot(path=str(path))
    page.set_viewport_size(viewport)
    return path
