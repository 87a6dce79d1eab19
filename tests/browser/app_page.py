"""What a person does on this app's page, as Playwright calls: the app-specific part.

Generic driving (server, browser, drawing, waiting) is in `cnn_demo.browser`.
"""

from __future__ import annotations

from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


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
