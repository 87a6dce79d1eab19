"""Fixtures for driving the real app in Debian's Chromium with Playwright.

The server is `streamlit run app.py` on a free localhost port, one per test session.
Without a Chromium these tests skip, unless REQUIRE_BROWSER_TESTS=1 (set by .ci/run),
which turns the skip into a failure.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from app_page import assert_no_exception
from cnn_demo.browser import PHONE, chromium_browser, chromium_path, open_app, streamlit_server

# Playwright's 5 s default for an `expect` is a hang detector here, not a speed check (speed is
# the benchmark's): a first drawing while a training starts took more than 5 s on a cold
# server, run alone (2026-12-03), and the suite's two processes share two cores.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        reason = "no Chromium found (apt-get install chromium, or set CHROMIUM=/path/to/chromium)"
        if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
            pytest.fail(f"REQUIRE_BROWSER_TESTS=1 but {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def app_server(chromium: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """The app's server for this test session: (url, process)."""
    with streamlit_server() as (url, server):
        yield url, server


@pytest.fixture(scope="session")
def app_url(app_server: tuple[str, subprocess.Popen]) -> str:
    return app_server[0]


@pytest.fixture(scope="session")
def browser(chromium: str):
    with chromium_browser(chromium) as browser:
        yield browser


@pytest.fixture
def page(browser, app_url: str):
    """A fresh session of the app, loaded and idle; fails the test if it shows an exception."""
    page = open_app(browser, app_url)
    yield page
    assert_no_exception(page)
    page.context.close()


@pytest.fixture
def touch_page(browser, app_url: str):
    """Like `page`, on a touch-enabled browser context."""
    page = open_app(browser, app_url, has_touch=True)
    yield page
    assert_no_exception(page)
    page.context.close()


@pytest.fixture
def phone_page(browser, app_url: str):
    """Like `page`, on a phone's screen (390x844, touch)."""
    page = open_app(browser, app_url, **PHONE)
    yield page
    assert_no_exception(page)
    page.context.close()
