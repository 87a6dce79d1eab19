"""Fixtures and helpers for driving the real app in Debian's Chromium with Playwright.

The server is `streamlit run app.py` on a free localhost port, one per test session.
Without a Chromium these tests skip, unless REQUIRE_BROWSER_TESTS=1 (set by .ci/run),
which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from app_page import CHROMIUM_ARGS, RUN_TIMEOUT_MS, assert_no_exception, wait_for_app_run

ROOT = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT = 120


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        reason = "no Chromium found (apt-get install chromium, or set CHROMIUM=/path/to/chromium)"
        if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
            pytest.fail(f"REQUIRE_BROWSER_TESTS=1 but {reason}")
        pytest.skip(reason)
    return path


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


@pytest.fixture(scope="session")
def app_url(chromium: str) -> Iterator[str]:
    """Start the app headless on a free port; always stop it, printing its log on failure."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile("w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
         "--global.developmentMode", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not is_healthy(url):
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"streamlit did not start:\n{log.read()}")
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
def browser(chromium: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_app(browser, app_url: str, **context_options):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, **context_options)
    page = context.new_page()
    page.goto(app_url)
    page.wait_for_selector("[data-testid=stAppViewContainer]", timeout=RUN_TIMEOUT_MS, state="attached")
    wait_for_app_run(page)
    page.locator("canvas.upper-canvas").wait_for(timeout=RUN_TIMEOUT_MS)
    return page


@pytest.fixture
def page(browser, app_url: str):
    """A fresh session of the app, loaded and idle; fails the test if it shows an exception."""
    page = open_app(browser, app_url)
    yield page
    assert_no_exception(page)
    page.context.close()


@pytest.fixture
def touch_page(browser, app_url: str):
    page = open_app(browser, app_url, has_touch=True, is_mobile=False)
    yield page
    assert_no_exception(page)
    page.context.close()
