"""Driving a Streamlit app in Debian's Chromium: for the browser tests and the benchmarks.

Playwright for Python is a test-time dependency (requirements-dev.txt); it is imported
only when a browser is launched.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import IO

from cnn_demo.paths import ROOT

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
# a cold server's first page: about 30 s with the suite in two processes, and over 60 s with
# three (2026-12-03); a hang detector, not a speed check
RUN_TIMEOUT_MS = 120_000
LAPTOP = {"width": 1400, "height": 1000}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}  # context options
SERVER_START_TIMEOUT = 120

Stroke = list[tuple[float, float]]


def chromium_path() -> str | None:
    """$CHROMIUM, else Debian's /usr/bin/chromium, else any chromium on PATH."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read() == b"ok"
    except OSError:
        return False


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """Terminate, and kill what does not end within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_until_healthy(url: str, process: subprocess.Popen, timeout: float) -> bool:
    """True once `url` answers its health check; False if the process ends or time runs out first."""
    deadline = time.monotonic() + timeout
    while not is_healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@contextmanager
def streamlit_server(script: Path = ROOT / "app.py", env: dict[str, str] | None = None,
                     log: IO[str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """`streamlit run script` headless on a free localhost port; yields (url, process).

    The server's output goes to `log` (a temporary file if none). The server is always
    stopped on exit; if it fails to start, its log is in the error.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with nullcontext(log) if log is not None else tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script),
             "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
             "--global.developmentMode", "false"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})},
        )
        try:
            if not wait_until_healthy(url, server, SERVER_START_TIMEOUT):
                log.seek(0)
                raise RuntimeError(f"streamlit did not start:\n{log.read()}")
            yield url, server
        finally:
            stop(server)


def peak_memory_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


@contextmanager
def chromium_browser(executable: str | None = None):
    from playwright.sync_api import sync_playwright

    executable = executable or chromium_path()
    if executable is None:
        raise RuntimeError("no Chromium found (apt-get install chromium, or set CHROMIUM=)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_app(browser, url: str, before_load=None, **context_options):
    """A new browser session on the app, returned once it is ready to draw on.

    `before_load(page)` runs before the page is loaded: to listen to its websocket from the start.
    """
    context = browser.new_context(**{"viewport": LAPTOP, **context_options})
    page = context.new_page()
    if before_load is not None:
        before_load(page)
    page.goto(url)
    page.wait_for_selector("[data-testid=stAppViewContainer]", timeout=RUN_TIMEOUT_MS, state="attached")
    wait_for_app_run(page)
    page.locator("canvas.upper-canvas").wait_for(timeout=RUN_TIMEOUT_MS)
    return page


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
    # centred, not just "in view": Streamlit's header stays on top of the page, and a pen put
    # down on a canvas edge scrolled under it lands on the header (nothing was drawn)
    surface.evaluate("c => c.scrollIntoView({block: 'center'})")
    return surface


def trace(page, box: dict, stroke: Stroke) -> None:
    """Put the mouse's pen down and move it along a stroke, without lifting it.

    The mouse-up that follows is what sends the drawing to the app.
    """
    page.mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
    page.mouse.down()
    for x, y in stroke[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=2)


def draw(page, strokes: list[Stroke]) -> None:
    """Draw pen strokes (canvas pixels) with the mouse, lifting the pen between strokes."""
    box = canvas(page).bounding_box()
    for stroke in strokes:
        trace(page, box, stroke)
        page.mouse.up()
        wait_for_app_run(page)


def interpolated(stroke: Stroke, step: float = 4.0) -> Stroke:
    """The stroke with a point every `step` pixels, as a finger or mouse would report it."""
    points = [stroke[0]]
    for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
        n = max(1, int(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 // step))
        points += [(x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n) for k in range(1, n + 1)]
    return points


def draw_by_touch(page, strokes: list[Stroke]) -> None:
    """Draw with a finger: raw touch events through the Chrome DevTools Protocol."""
    box = canvas(page).bounding_box()
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, x: float | None = None, y: float | None = None) -> None:
        points = [] if x is None else [{"x": box["x"] + x, "y": box["y"] + y}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    for stroke in strokes:
        touch("touchStart", *stroke[0])
        for x, y in interpolated(stroke)[1:]:
            touch("touchMove", x, y)
        touch("touchEnd")
        wait_for_app_run(page)
    cdp.detach()


def canvas_pixels(page):
    """What the canvas has drawn, as the (280, 280, 4) uint8 RGBA it sends the app."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    png = page.locator("canvas.dc-canvas.lower-canvas").first.evaluate("c => c.toDataURL('image/png')")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(png.split(",", 1)[1]))).convert("RGBA"))


def clear_canvas(page) -> None:
    """The app's Clear button: the canvas emptied, and the Prediction gone with the drawing."""
    page.get_by_role("button", name="Clear").click()
    prediction_metric(page).first.wait_for(state="detached", timeout=RUN_TIMEOUT_MS)
    wait_for_app_run(page)


def select_architecture(page, label: str) -> None:
    """Choose an architecture in the app's selector above the canvas and wait for the rerun."""
    page.get_by_role("combobox", name="Architecture", exact=True).click()
    # typing filters the list: it is virtualised, and an option below its fold is not in the
    # page at all (Residual, eighth, was missing when the list opened upwards)
    page.keyboard.type(label)
    page.get_by_role("option", name=label, exact=True).click()
    # the page looks idle until the server starts the click's run (under CI's load, later than
    # wait_for_app_run's 300 ms): its sign is the model's heading, which names the new choice
    heading = re.compile(f"^The model: {re.escape(label)}, ")
    page.get_by_role("heading", name=heading).wait_for(timeout=RUN_TIMEOUT_MS)
    wait_for_app_run(page)


def prediction_metric(page):
    return page.locator("[data-testid=stMetric]").filter(has_text="Prediction")


def prediction(page) -> str | None:
    """The Prediction metric's value, or None when the page shows none."""
    metric = prediction_metric(page)
    if metric.count() == 0:
        return None
    return metric.locator("[data-testid=stMetricValue]").inner_text().strip()
