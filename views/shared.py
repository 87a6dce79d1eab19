"""What the page's parts share: the server-wide loaded models and data (cached once, never
written) and this visitor's Session."""

from __future__ import annotations

import ctypes
import gc
import os
import sys
import threading
import warnings
import weakref

import numpy as np
import streamlit as st

from cnn_demo import pretrained
from cnn_demo.data import load_mnist
from cnn_demo.detector import DigitDetector, load_detector
from cnn_demo.embedding import DigitSpace, load_space
from cnn_demo.feature_vis import load_channel_images
from cnn_demo.inference import Predictor, Scorecard, load_scorecard, scorecard
from cnn_demo.jobs import TrainingSlots
from cnn_demo.pretrained import Shipped, load_metrics
from cnn_demo.session import ABANDON_AFTER_SECONDS, REPORTING_SWEEPS, SWEEP_SECONDS, Session

# Every visitor Session still in memory, held weakly: what a sweep reports once it has let
# closed tabs go, so a leak (a cache, a thread keeping a closed tab's Session) shows as a number.
LIVE_SESSIONS: weakref.WeakSet[Session] = weakref.WeakSet()


@st.cache_resource(show_spinner="Loading the shipped models…")
def shipped_models() -> Shipped:
    return pretrained.load_shipped_models()  # looked up at call time: tests replace it


@st.cache_resource
def shipped_predictors() -> dict[str, Predictor]:
    return {name: Predictor(model) for name, model in shipped_models().models.items()}


@st.cache_resource(show_spinner="Loading the digit detector…")
def detector() -> tuple[DigitDetector | None, str | None]:
    return load_detector()


@st.cache_resource(show_spinner="Loading MNIST…")
def mnist():
    return load_mnist()


@st.cache_resource
def shipped_metrics() -> tuple[dict, str | None]:
    return load_metrics()


@st.cache_resource
def training_slots() -> TrainingSlots:
    """Trainings at once on this server, across all sessions (CNN_DEMO_MAX_TRAININGS, default 1)."""
    return TrainingSlots(int(os.environ.get("CNN_DEMO_MAX_TRAININGS", "1")))


@st.cache_resource(show_spinner="Reading the 10,000 test images…")
def shipped_scorecard(name: str) -> Scorecard:
    return (load_scorecard(name, shipped_models().models[name], mnist())
            or scorecard(shipped_predictors()[name], mnist().test.x, mnist().test.y))


@st.cache_resource(show_spinner=False)
def shipped_channel_images(name: str) -> dict[str, np.ndarray] | None:
    return load_channel_images(name, shipped_models().models[name], mnist())


@st.cache_resource(show_spinner="Placing the 10,000 test digits…")
def shipped_space(name: str) -> DigitSpace:
    model = shipped_models().models[name]
    return load_space(name, model, mnist()) or DigitSpace.build(model, mnist())


def session() -> Session:
    """This visitor's own state: its trained models and the rules for starting one."""
    if "session" not in st.session_state:
        st.session_state["session"] = Session(mnist(), training_slots(), ABANDON_AFTER_SECONDS)
        LIVE_SESSIONS.add(st.session_state["session"])
    return st.session_state["session"]


def show_refusal() -> None:
    if "refused" in st.session_state:
        st.warning(st.session_state.pop("refused"))


@st.cache_resource(show_spinner=False)
def release_closed_sessions() -> bool:
    """Let a closed tab's session go once it is past `server.disconnectedSessionTTL`.

    Streamlit keeps a closed tab's session in a store that drops expired entries only when
    another tab disconnects; measured here (`python -m cnn_demo.load`), the sessions of the
    last class to leave, with their trained models, stayed in memory until the next one left.
    So the store is swept every SWEEP_SECONDS on Streamlit's own event loop (its private
    attributes: if an upgrade renames them, say so instead of failing), and when a sweep let
    sessions go, their cycles are collected and glibc is asked to hand the freed pages back.

    One closed session may stay until another visitor's page is updated: Streamlit's own
    event loop keeps the last session it sent messages to in a loop variable (runtime.py,
    `_loop_coroutine`). Measured with `python -m cnn_demo.load`: after five sessions closed,
    four were freed and that one stayed.
    """
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return False
    runtime = Runtime.instance()
    loop = getattr(getattr(runtime, "_async_objs", None), "eventloop", None)
    if loop is None:  # a runtime that serves no websocket (AppTest): no closed tabs to let go
        return False
    store = getattr(getattr(getattr(runtime, "_session_mgr", None), "_session_storage", None), "_cache", None)
    if not hasattr(store, "expire"):
        warnings.warn("Streamlit's session store has changed: closed sessions may stay in memory until "
                      "another tab disconnects. Re-check release_closed_sessions in views/shared.py.",
                      RuntimeWarning, stacklevel=2)
        return False

    passes = [0]  # sweeps left that collect and report (REPORTING_SWEEPS after a release)

    def sweep() -> None:
        released = store.expire()
        if released:
            passes[0] = REPORTING_SWEEPS
        if passes[0]:
            passes[0] -= 1
            threading.Thread(target=give_back_memory, args=(len(released),), daemon=True).start()
        loop.call_later(SWEEP_SECONDS, sweep)

    loop.call_soon_threadsafe(sweep)
    return True


def give_back_memory(released: int) -> None:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: freed memory stays with the process
        pass
    # read by `python -m cnn_demo.load` (and its test) from the server's log; last, since the
    # command reads the server's memory once it sees this line
    print(f"cnn_demo: let go of {released} closed sessions; {len(LIVE_SESSIONS)} visitor sessions "
          "in memory", file=sys.stderr, flush=True)
