"""The benchmark's measurements in Chromium: what a visitor's browser sees of the real app.

Run by `python -m cnn_demo.bench` (see there). All sections draw, each in a new browser
session, on one app server and browser (`SharedApp`), whose start `bench_app` times: with a
server and browser of their own each, the four drawing sections took 183 s of the quick
benchmark (`--quick --arch baseline pooled`), shared 152 s; `bench_app` sharing them too cut
the quick benchmark's browser sections from 97 to 89 s (`--quick --arch baseline`, 2026-12-03).
Speeds are compared within one run, never as absolute timings.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from statistics import median

import numpy as np

from cnn_demo.architectures import ARCHITECTURES
from cnn_demo.bench import p50_p95
from cnn_demo.browser import (
    PHONE,
    canvas,
    chromium_browser,
    clear_canvas,
    draw,
    draw_by_touch,
    interpolated,
    open_app,
    peak_memory_mb,
    prediction,
    prediction_metric,
    select_architecture,
    streamlit_server,
    trace,
    wait_for_app_run,
)
from cnn_demo.paths import ROOT
from cnn_demo.preprocess import CANVAS_OPTIONS
from cnn_demo.strokes import digit

FLOOR_APP = ROOT / "bench" / "floor_app.py"
ONE_STROKE_DIGITS = (0, 2, 3, 7, 8)
CANVAS_PX = CANVAS_OPTIONS["width"]


class SharedApp:
    """One app server and one browser for all the browser sections, each drawing in a session
    of its own: started when the first of them asks, stopped with `stack`."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._opened: tuple | None = None
        self.server_pid: int | None = None

    def __call__(self) -> tuple:
        """(browser, url)"""
        if self._opened is None:
            url, server = self._stack.enter_context(streamlit_server())
            self.server_pid = server.pid
            self._opened = (self._stack.enter_context(chromium_browser()), url)
        return self._opened


def bench_app(shared: SharedApp, names: list[str]) -> dict:
    """Seconds from `streamlit run app.py` to a page ready to draw on; the server's peak memory
    once the models of `names` (all eight, unless told) have read a drawing. It times the
    shared server's start, so it must be the first section to ask for it."""
    if shared.server_pid is not None:
        raise RuntimeError("bench_app times the server's start: run it before the other browser sections")
    start = time.perf_counter()
    with visiting(*shared()) as page:
        ready = time.perf_counter() - start
        draw(page, digit(3))
        for name in names:
            select_architecture(page, ARCHITECTURES[name].label)
        return {"seconds_to_ready": ready, "peak_memory_mb": peak_memory_mb(shared.server_pid)}


@contextmanager
def visiting(browser, url: str, **options) -> Iterator[object]:
    """A new browser session on the app (`open_app`), closed when done."""
    page = open_app(browser, url, **options)
    try:
        yield page
    finally:
        page.context.close()


def _time_to_prediction(page, stroke) -> float:
    """Milliseconds from the mouse-up that ends a one-stroke digit to the Prediction shown."""
    if prediction_metric(page).count():
        clear_canvas(page)
    trace(page, canvas(page).bounding_box(), stroke)
    start = time.perf_counter()
    page.mouse.up()
    prediction_metric(page).wait_for(state="visible", timeout=30_000)
    return (time.perf_counter() - start) * 1000


def bench_end_to_end(browser, app_url: str, names: list[str], samples: int) -> list[dict]:
    """Pen-up to Prediction in Chromium for each architecture, alternating digit by digit with
    the floor page (the same canvas and a constant Prediction: what Streamlit itself costs)."""
    strokes = [digit(d)[0] for d in ONE_STROKE_DIGITS]
    rows = []
    with streamlit_server(FLOOR_APP) as (floor_url, _), visiting(browser, app_url) as app, \
            visiting(browser, floor_url) as floor:
        for name in names:
            select_architecture(app, ARCHITECTURES[name].label)
            for page in (app, floor):  # a first drawing each, untimed: warm caches and traces
                _time_to_prediction(page, strokes[0])
            times: dict[str, list[float]] = {"app": [], "floor": []}
            for i in range(samples):
                for side, page in (("app", app), ("floor", floor))[:: 1 if i % 2 == 0 else -1]:
                    times[side].append(_time_to_prediction(page, strokes[i % len(strokes)]))
            (a50, a95), (f50, f95) = p50_p95(times["app"]), p50_p95(times["floor"])
            rows.append({"arch": name, "samples": samples, "app_p50_ms": a50, "app_p95_ms": a95,
                         "floor_p50_ms": f50, "floor_p95_ms": f95, "ratio_p50": a50 / f50})
    return rows


class WireMeter:
    """Bytes a page receives: its websocket frames and the media files it fetches."""

    def __init__(self, page) -> None:
        self.websocket = 0
        self._responses: list = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        page.on("response", lambda r: self._responses.append(r) if "/media/" in r.url else None)

    def _frame(self, payload) -> None:
        self.websocket += len(payload)

    def media(self) -> int:
        return sum(r.request.sizes()["responseBodySize"] for r in self._responses)

    def reset(self) -> None:
        self.websocket = 0
        self._responses.clear()


def bench_bytes_per_drawing(browser, url: str, names: list[str], drawings: int) -> list[dict]:
    """Bytes sent to the browser per new drawing (median), in the default view ("Inside the
    network", BatchNorm/Activation/Dropout folded) and with "Show every layer" on."""
    rows = []
    meters: list[WireMeter] = []
    with visiting(browser, url, before_load=lambda p: meters.append(WireMeter(p))) as page:
        meter = meters[0]
        draw(page, digit(ONE_STROKE_DIGITS[0]))  # the layer views, and their switch, appear
        switch = page.get_by_role("switch", name="Show every layer")
        switch_label = page.get_by_test_id("stCheckbox").filter(has=switch).locator("label").first
        for name in names:
            select_architecture(page, ARCHITECTURES[name].label)
            row = {"arch": name, "drawings": drawings}
            for view in ("default", "every_layer"):
                if switch.is_checked() != (view == "every_layer"):
                    switch_label.click()
                    wait_for_app_run(page)
                sizes = []
                for i in range(drawings + 1):  # the first is a warm-up
                    if prediction_metric(page).count():
                        clear_canvas(page)
                    page.wait_for_timeout(300)
                    meter.reset()
                    draw(page, digit(ONE_STROKE_DIGITS[i % len(ONE_STROKE_DIGITS)]))
                    page.wait_for_timeout(500)  # media are fetched after the run
                    if i:
                        sizes.append((meter.websocket, meter.media()))
                row[f"{view}_websocket_kib"] = median(s[0] for s in sizes) / 1024
                row[f"{view}_media_kib"] = median(s[1] for s in sizes) / 1024
                row[f"{view}_kib"] = median(s[0] + s[1] for s in sizes) / 1024
            rows.append(row)
    return rows


def draw_pen_drawing(page, drawing, placement: tuple, by_touch: bool = False) -> None:
    """A stroke-file drawing drawn with the mouse (or a finger) at `placement` (size, x, y as
    canvas fractions), its sparse points filled in as a pen's would be."""
    from cnn_demo.stroke_files import placed

    # with the mouse's halfway moves (`trace`) though the points are 4 px apart: without them a
    # drawing took 2-3 s, not 4.7, but the page agreed with the command on 95.0% of the full
    # benchmark's 180 drawings (96.7% with them) and one figure moved 1.7 points (2026-12-03)
    strokes = [interpolated(s) for s in placed(drawing, *placement, CANVAS_PX)]
    (draw_by_touch if by_touch else draw)(page, strokes)


def unseen_sample(digits: int, letters: int, seed: int = 0) -> list:
    """Digits and letters by writers no shipped model trained on, picked at random (seeded)."""
    from cnn_demo.stroke_files import DEFAULT_FILES, read_stroke_files
    from cnn_demo.training_data import training_writers

    seen = training_writers()
    pool = [d for d in read_stroke_files(DEFAULT_FILES) if d.writer not in seen]
    order = np.random.default_rng(seed).permutation(len(pool))
    return ([pool[i] for i in order if pool[i].is_digit][:digits]
            + [pool[i] for i in order if not pool[i].is_digit][:letters])


def bench_pen_drawings(browser, url: str, name: str, digits: int, letters: int, seed: int = 0,
                       phone: bool = False) -> dict:
    """Real pen drawings by writers no model trained on, drawn with the mouse in Chromium (or,
    with `phone`, by touch on a phone's screen): the page's verdict beside `python -m
    cnn_demo.evaluate`'s verdict for the same drawing, size and position. Both are tallied the
    evaluation's way; agreement is per drawing."""
    from cnn_demo.evaluate import ShownTally, verdicts
    from cnn_demo.stroke_files import PLACEMENTS

    chosen = unseen_sample(digits, letters, seed)
    where = [PLACEMENTS[i % len(PLACEMENTS)] for i in range(len(chosen))]
    expected = verdicts(chosen, where, name)
    page_tally, command_tally, agree, disagreements = ShownTally(), ShownTally(), 0, []
    with visiting(browser, url, **(PHONE if phone else {})) as page:
        select_architecture(page, ARCHITECTURES[name].label)
        for drawing, placement, verdict in zip(chosen, where, expected):
            if prediction_metric(page).count():
                clear_canvas(page)
            draw_pen_drawing(page, drawing, placement, by_touch=phone)
            prediction_metric(page).wait_for(state="visible", timeout=30_000)
            shown = prediction(page)
            command_tally.add(verdict.text, drawing)
            page_tally.add(shown, drawing)
            if shown == verdict.text:
                agree += 1
            else:
                disagreements.append({"drawing": drawing.source, "page": shown, "command": verdict.text})
    page_shares, command_shares = page_tally.shares(), command_tally.shares()
    return {"arch": name, "device": "phone, by touch" if phone else "laptop, with the mouse",
            "digits": digits, "non_digits": letters, "agreement": agree / len(chosen),
            "page": page_shares, "command": command_shares,
            "largest_difference_points": 100 * max(abs(page_shares[k] - command_shares[k]) for k in page_shares),
            "disagreements": disagreements}


def bench_unit_click(browser, url: str, clicks: int) -> dict:
    """Milliseconds from a click on a cell of a map under "One unit" to that unit's numbers shown."""
    with visiting(browser, url) as page:
        draw(page, digit(4))
        page.get_by_role("tab", name="One unit").click()
        wait_for_app_run(page)
        panel = page.get_by_role("tabpanel").filter(has_text="Pick a layer and a channel")
        cells = panel.get_by_test_id("stVegaLiteChart").first.locator("g.mark-rect path")
        line = page.locator("p").filter(has_text="· the map shows")
        times = []
        for i in range(clicks + 1):  # the first is a warm-up
            row, col = 6 + (i * 5) % 16, 4 + (i * 7) % 20
            start = time.perf_counter()
            cells.nth(row * 28 + col).click()
            line.filter(has_text=f"row {row}, column {col},").wait_for(timeout=30_000)
            if i:
                times.append((time.perf_counter() - start) * 1000)
    p50, p95 = p50_p95(times)
    return {"clicks": clicks, "p50_ms": p50, "p95_ms": p95, "max_ms": max(times)}
