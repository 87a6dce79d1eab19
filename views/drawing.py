"""The canvas, the Prediction and the preprocessing steps; labelling a drawing for the visitor's collection."""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from cnn_demo import bars, visuals
from cnn_demo.collection import CollectionError
from cnn_demo.inference import Prediction
from cnn_demo.preprocess import CANVAS_OPTIONS, Preprocessed
from cnn_demo.session import Choice
from cnn_demo.verdict import DIGIT, DOUBT, NOT_A_DIGIT, SOFTMAX_ALWAYS_ANSWERS, Verdict, judge
from views.shared import detector, session

DIGIT_LABELS = [str(d) for d in range(10)]

# The canvas's hover toolbar (undo, redo, reset) rests invisible at 1rem above the canvas and
# is 46 px tall: until a mouse has hovered for 0.2 s, or always on a touch screen, it covers
# the top 30 px of the canvas's right half, and a stroke started there (the top of a 5 or a 7)
# was lost (tests/browser/test_robustness_in_chromium.py). It lives in the component's shadow
# DOM, out of the page's CSS, so this script gives each canvas a rule that parks it above, in
# a strip of its own (parked over the model's caption, it hid the caption's end on a phone).
TOOLBAR_ABOVE_THE_CANVAS = st.components.v2.component("toolbar_above_the_canvas", js="""
export default function() {
  const watched = new WeakSet();
  const observers = [];
  const watch = (node) => {  // a shadow root's changes are not seen from the document
    if (watched.has(node)) return;
    watched.add(node);
    const observer = new MutationObserver(park);
    observer.observe(node, { childList: true, subtree: true });
    observers.push(observer);
  };
  const park = () => document.querySelectorAll('[data-testid=stBidiComponentIsolated]').forEach(host => {
    const root = host.shadowRoot;
    if (!root) return;
    watch(root);
    if (!root.querySelector('.dc-toolbar') || root.querySelector('style[data-parked]')) return;
    const style = document.createElement('style');
    style.dataset.parked = '';
    style.textContent = '.dc-root { margin-top: 2.9rem; } .dc-toolbar, .dc-root:hover > .dc-toolbar { top: -2.9rem; }';
    root.appendChild(style);
  });
  watch(document.body);
  park();
  return () => observers.forEach(o => o.disconnect());
}
""")


def clear_canvas() -> None:
    st.session_state["canvas_version"] = st.session_state.get("canvas_version", 0) + 1


def draw_canvas() -> np.ndarray | None:
    """The drawing surface and its Clear button; the canvas as RGBA, or None before a stroke."""
    version = st.session_state.get("canvas_version", 0)
    image = st_canvas(**CANVAS_OPTIONS, key=f"canvas_{version}").image_data
    st.button("Clear", icon=":material/delete:", on_click=clear_canvas, key="clear",
              help="Start a new drawing (the open tabs stay as they are)")
    TOOLBAR_ABOVE_THE_CANVAS(key="toolbar_above_the_canvas")
    return image


def read(choice: Choice, steps: Preprocessed) -> tuple[Prediction, Verdict]:
    prediction = choice.predictor(steps.input)
    found, _ = detector()
    reading = found(steps.input) if found is not None else None
    return prediction, judge(prediction.probabilities, reading, steps.problem)


def show_steps(steps: Preprocessed) -> None:
    st.caption("**What the network sees**: your drawing made into an MNIST-style 28×28 input")
    cols = st.container(key="steps").columns(3, gap="small")
    for col, image, caption in zip(cols, (np.pad(steps.cropped, 12), steps.fitted, steps.centred),
                                   ("ink, cropped", "fit in 20×20", "centred 28×28")):
        col.image(visuals.enlarge(image, 72), caption=caption, width="content")


def show_prediction(verdict: Verdict, prediction: Prediction, choice: Choice) -> None:
    detector_help = "" if verdict.not_a_digit is None else (
        f" The digit detector gives {1 - verdict.not_a_digit:.0%} that it is a digit.")
    st.metric("Prediction", verdict.text, help=f"The {choice.label} model's answer.{detector_help}")
    if verdict.kind == DIGIT:
        st.caption(f"{verdict.confidence:.0%} sure")
    elif verdict.kind == DOUBT:
        st.caption(verdict.reason)
    elif verdict.kind == NOT_A_DIGIT:
        st.caption(f"{verdict.reason} The model alone would have said {verdict.softmax_says}. "
                   f"{SOFTMAX_ALWAYS_ANSWERS}")
    else:
        st.caption(verdict.reason)
        return
    st.html(bars.STYLE + bars.probability_bars(prediction.probabilities, verdict.digit))


def teach(steps: Preprocessed, image: np.ndarray) -> None:
    """"That's not a 7": the visitor says what they drew, and the drawing joins their collection."""
    with st.popover("Not right? Add it to your drawings", icon=":material/school:"):
        st.caption("Say what you drew: the drawing joins your own collection (Your drawings, below), "
                   "which can fine-tune the model on your handwriting.")
        st.segmented_control("It is a", DIGIT_LABELS, key="teach_label", default=None)
        st.button("Add to your drawings", key="teach_add", on_click=add_drawing, args=(steps, image),
                  disabled=st.session_state.get("teach_label") is None)


def add_drawing(steps: Preprocessed, image: np.ndarray) -> None:
    label = int(st.session_state["teach_label"])
    try:
        session().collection.add(label, steps.input, image)
    except CollectionError as refusal:
        st.session_state["teach_message"] = ("error", str(refusal))
        return
    st.session_state["teach_message"] = ("ok", f"Added as a {label}: {len(session().collection)} drawing(s) "
                                               "in your collection.")
    st.session_state["teach_label"] = None


def show_teach_message() -> None:
    if "teach_message" in st.session_state:
        kind, text = st.session_state.pop("teach_message")
        (st.success if kind == "ok" else st.warning)(text)
