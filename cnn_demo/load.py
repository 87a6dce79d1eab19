"""A class at once: N sessions drawing digits on one running app, with one live training.

    python -m cnn_demo.load --sessions 30 --minutes 2                 # starts its own server
    python -m cnn_demo.load --sweep 1 10 20 30 40 --minutes 1 --plot docs/load.png
    python -m cnn_demo.load --url http://127.0.0.1:8501 --pid 1234 --sessions 30

Each session speaks Streamlit's own websocket protocol, as the browser does: it opens a
session, runs the page, then every few seconds (3 to 6, at random) sends the canvas's new
value, a PNG of one of the project's hand-made digits drawn at a random place, exactly as
the canvas component sends it 200 ms after pen-up. The time from that message to the
Prediction's arrival is the session's pen-up -> Prediction, less the canvas's fixed 200 ms
wait. One more session starts a training and polls it once a second, as the page does.

What this exercises: the whole server path (sessions, script and fragment runs, inference,
the detector, pictures and charts, protobuf deltas, the training thread). What it does not:
the browser's rendering and the canvas's own drawing, which cost the visitor's machine, not
the server's. Errors are refused connections and dropped sockets; exceptions are Streamlit
exception elements in the page.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import random
import re
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cnn_demo.paths import ROOT
from cnn_demo.preprocess import CANVAS_KEY

RESULTS = ROOT / "bench" / "results" / "load.json"
CANVAS_WAIT_MS = 200  # the canvas component's fixed debounce, not counted
PAUSE_SECONDS = (3.0, 6.0)  # between one session's drawings
ANSWER_TIMEOUT = 60.0


def drawing_values(n: int = 24, seed: int = 0) -> list[tuple[int, str]]:
    """(digit, the canvas component's JSON value) for hand-made digits at random places."""
    from PIL import Image

    from cnn_demo.strokes import digit, render

    rng = random.Random(seed)
    values = []
    for i in range(n):
        d = i % 10
        size = rng.uniform(140, 220)
        where = (rng.uniform(5, 275 - size), rng.uniform(5, 275 - size), size)
        buffer = io.BytesIO()
        Image.fromarray(render(digit(d, where))).save(buffer, format="PNG")
        data = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
        values.append((d, json.dumps({"drawing": {"raw": {"version": "7.4.0", "objects": [],
                                                          "background": "#000000"}, "data": data}})))
    return values


@dataclass
class Tally:
    answers_ms: list[float] = field(default_factory=list)
    wrong: int = 0  # a digit shown that is not the one drawn
    unclaimed: int = 0  # a doubt ("4 or 9?"), "Not a digit" or "?" for a digit drawn
    shown: set = field(default_factory=set)  # every Prediction text seen
    errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)


class PageSession:
    """One browser tab, spoken for over Streamlit's websocket protocol."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ws = None
        self.canvas_id = None
        self.fragment_id = ""
        self.ids: dict[str, str] = {}  # widget key -> widget id
        self.page_hash = ""

    async def open(self) -> None:
        import websockets

        host = self.url.split("//", 1)[1].rstrip("/")
        self.ws = await websockets.connect(f"ws://{host}/_stcore/stream", subprotocols=["streamlit"],
                                           origin=self.url, max_size=2**27, open_timeout=60)
        await self._run({}, fragment="")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    def _back_msg(self, widgets: dict[str, tuple[str, object]], fragment: str) -> bytes:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        msg.rerun_script.page_script_hash = self.page_hash
        msg.rerun_script.fragment_id = fragment
        for widget_id, (kind, value) in widgets.items():
            state = msg.rerun_script.widget_states.widgets.add()
            state.id = widget_id
            if kind == "string_array_value":
                state.string_array_value.data.extend(value)
            else:
                setattr(state, kind, value)
        return msg.SerializeToString()

    async def _run(self, widgets: dict, fragment: str, until_prediction: bool = False
                   ) -> tuple[float | None, str | None]:
        """Send a rerun and read until it finishes: (ms to the Prediction, its value)."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        sent = time.perf_counter()
        await self.ws.send(self._back_msg(widgets, fragment))
        answer_ms = shown = None
        deadline = sent + ANSWER_TIMEOUT
        while True:
            data = await asyncio.wait_for(self.ws.recv(), max(deadline - time.perf_counter(), 0.1))
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = msg.new_session.main_script_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                which = element.WhichOneof("type")
                if which == "bidi_component" and element.bidi_component.id.endswith(f"-{CANVAS_KEY}"):
                    self.canvas_id, self.fragment_id = element.bidi_component.id, msg.delta.fragment_id
                elif which == "metric" and element.metric.label == "Prediction" and answer_ms is None:
                    answer_ms, shown = (time.perf_counter() - sent) * 1000, element.metric.body
                elif which == "exception":
                    raise PageException(element.exception.message)
                elif which in ("button", "number_input", "slider"):
                    widget = getattr(element, which)
                    self.ids[widget.id.rsplit("-", 1)[-1]] = widget.id
            elif kind == "script_finished" and (not until_prediction or answer_ms is not None):
                return answer_ms, shown

    async def draw(self, value: str) -> tuple[float | None, str | None]:
        return await self._run({self.canvas_id: ("json_value", value)}, self.fragment_id, until_prediction=True)

    async def start_training(self, epochs: int) -> None:
        widgets = {self.ids["epochs"]: ("int_value", epochs),
                   self.ids["train_size"]: ("string_array_value", ["55,000"])}
        await self._run(widgets, "")
        await self._run({**widgets, self.ids["start"]: ("trigger_value", True)}, "")

    async def poll(self) -> None:
        await self._run({}, self.fragment_id)


class PageException(RuntimeError):
    pass


async def drawing_session(url: str, values: list, stop_at: float, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    page = PageSession(url)
    try:
        await page.open()
        await asyncio.sleep(rng.uniform(0, PAUSE_SECONDS[1]))  # the class does not start in step
        while time.perf_counter() < stop_at:
            d, value = values[rng.randrange(len(values))]
            ms, shown = await page.draw(value)
            if ms is None:
                tally.errors.append("a drawing got no Prediction")
            else:
                tally.answers_ms.append(ms)
                tally.shown.add(shown)
                tally.wrong += shown.isdigit() and shown != str(d)
                tally.unclaimed += not shown.isdigit()
            await asyncio.sleep(rng.uniform(*PAUSE_SECONDS))
    except PageException as exc:
        tally.exceptions.append(str(exc)[:200])
    except Exception as exc:  # noqa: BLE001 -- any failure of a session is counted, the others go on
        tally.errors.append(f"{type(exc).__name__}: {exc}"[:200])
    finally:
        await page.close()


async def training_session(url: str, stop_at: float, tally: Tally) -> None:
    page = PageSession(url)
    try:
        await page.open()
        await page.start_training(epochs=20)
        while time.perf_counter() < stop_at:
            await asyncio.sleep(1.0)  # the page's run_every
            await page.poll()
    except Exception as exc:  # noqa: BLE001
        tally.errors.append(f"training session: {type(exc).__name__}: {exc}"[:200])
    finally:
        await page.close()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run_class(url: str, pid: int | None, sessions: int, minutes: float, training: bool = True) -> dict:
    values = drawing_values()
    tally = Tally()
    peak = [rss_mb(pid) if pid else float("nan")]

    async def watch_memory():
        while True:
            if pid:
                peak[0] = max(peak[0], rss_mb(pid))
            await asyncio.sleep(0.5)

    start_rss = rss_mb(pid) if pid else float("nan")
    stop_at = time.perf_counter() + minutes * 60
    watcher = asyncio.create_task(watch_memory())
    jobs = [drawing_session(url, values, stop_at, tally, seed) for seed in range(sessions)]
    if training:
        jobs.append(training_session(url, stop_at, tally))
    await asyncio.gather(*jobs)
    watcher.cancel()
    answers = tally.answers_ms or [float("nan")]
    return {"sessions": sessions, "minutes": minutes, "drawings": len(tally.answers_ms),
            "p50_ms": float(np.percentile(answers, 50)), "p95_ms": float(np.percentile(answers, 95)),
            "max_ms": float(np.max(answers)), "wrong_predictions": tally.wrong, "unclaimed": tally.unclaimed,
            "shown": sorted(tally.shown),
            "errors": len(tally.errors), "exceptions": len(tally.exceptions),
            "error_samples": tally.errors[:5] + tally.exceptions[:5],
            "rss_start_mb": start_rss, "rss_peak_mb": peak[0]}


def seconds_until_released() -> float:
    """How long after a class leaves its sessions are surely let go and reported: Streamlit's
    TTL for a closed tab (the environment's, else .streamlit/config.toml's), then the app's
    reporting sweeps (see cnn_demo.session), and 5 s to spare."""
    import tomllib

    from cnn_demo.session import REPORTING_SWEEPS, SWEEP_SECONDS

    # not streamlit.config.get_option: outside `streamlit run` it ignores the environment (it
    # gave 30 with the variable set to 2) and reads .streamlit/ from the working directory
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    ttl = float(os.environ.get("STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL",
                               config["server"]["disconnectedSessionTTL"]))
    return ttl + REPORTING_SWEEPS * SWEEP_SECONDS + 5


def sessions_in_memory(log, since: int) -> int | None:
    """How many visitor sessions the server held at its last report after byte `since` of its
    log (views/shared.py prints it on the two sweeps after one lets closed tabs go); None if
    none came. Read with pread: the server writes through the same file offset."""
    end = os.fstat(log.fileno()).st_size
    text = os.pread(log.fileno(), max(0, end - since), since).decode(errors="replace")
    counts = re.findall(r"cnn_demo: let go of \d+ closed sessions; (\d+) visitor sessions in memory", text)
    return int(counts[-1]) if counts else None


def after_release(pid: int, log, seconds: float) -> tuple[float, int | None]:
    """The server's memory, and the sessions it still held, once a class's sessions were let
    go: as soon as the log (if this command started the server) reports at most one (the one
    Streamlit's event loop keeps, see views/shared.py), else after `seconds`. Waiting the whole
    `seconds_until_released()` took 67 s a class with the tests' 2 s TTL."""
    deadline, since = time.monotonic() + seconds, (os.fstat(log.fileno()).st_size if log else 0)
    while True:
        held = sessions_in_memory(log, since) if log else None
        if (held is not None and held <= 1) or time.monotonic() >= deadline:
            return rss_mb(pid), held
        time.sleep(1.0)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["sessions"] for r in rows]
    fig, left = plt.subplots(figsize=(7, 4), dpi=120)
    left.plot(n, [r["p50_ms"] / 1000 for r in rows], "o-", label="p50")
    left.plot(n, [r["p95_ms"] / 1000 for r in rows], "s-", label="p95")
    left.axhline(1.5, color="grey", linestyle=":", label="target p95 1.5 s")
    left.set_xlabel("sessions drawing at once (plus one training)")
    left.set_ylabel("pen-up → Prediction, seconds (server side)")
    right = left.twinx()
    right.plot(n, [r["rss_peak_mb"] for r in rows], "^--", color="tab:red", label="peak memory (right)")
    right.set_ylabel("server memory, MB", color="tab:red")
    right.set_ylim(0, max(2000, 1.1 * max(r["rss_peak_mb"] for r in rows)))
    lines = left.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    left.legend(lines[0] + more[0], lines[1] + more[1], loc="center left")
    left.set_title("One app server on 2 CPU cores")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--sweep", type=int, nargs="+", help="several session counts, one after another")
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--url", help="a running app (default: start one here)")
    parser.add_argument("--pid", type=int, help="the running app's process, to read its memory")
    parser.add_argument("--no-training", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--plot", type=Path, help="write the sweep's curve as a PNG here")
    args = parser.parse_args(argv)
    from cnn_demo.browser import streamlit_server

    rows = []
    counts = args.sweep or [args.sessions]
    # the server's own output, when this command starts it
    with tempfile.TemporaryFile("w+") as log, \
            (nullcontext((args.url, None)) if args.url else streamlit_server(log=log)) as (url, server):
        pid = args.pid or (server.pid if server is not None else None)
        # warm caches and traces, a first training's among them: it adds ~480 MB of TensorFlow's
        # training machinery once, for the process's life, not per session
        asyncio.run(run_class(url, pid, 1, 0.3, training=not args.no_training))
        for sessions in counts:
            row = asyncio.run(run_class(url, pid, sessions, args.minutes, training=not args.no_training))
            if pid:
                row["rss_after_close_mb"], held = after_release(pid, log if server else None,
                                                                seconds_until_released())
                if server is not None:
                    row["sessions_in_memory_after_close"] = held
            rows.append(row)
            print(f"{sessions:3d} sessions: {row['drawings']:4d} drawings, p50 {row['p50_ms']:6.0f} ms, "
                  f"p95 {row['p95_ms']:6.0f} ms, max {row['max_ms']:6.0f} ms, errors {row['errors']}, "
                  f"exceptions {row['exceptions']}, wrong {row['wrong_predictions']}, memory "
                  f"{row['rss_start_mb']:.0f} -> peak {row['rss_peak_mb']:.0f} -> "
                  f"{row.get('rss_after_close_mb', float('nan')):.0f} MB after close, "
                  f"{row.get('sessions_in_memory_after_close')} sessions left in memory", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "rows": rows}, indent=2) + "\n")
    if args.plot:
        plot(rows, args.plot)
    return rows


if __name__ == "__main__":
    main()
