"""The canvas, the Prediction and the preprocessing steps; labelling a drawing for the visitor's collection."""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from cnn_demo import bars, visuals
from cnn_demo.collection import CollectionError
from cnn_demo.inference import Prediction
from cnn_demo.preprocess import CANVAS_KEY, CANVAS_OPTIONS, Preprocessed
from cnn_demo.session import Choice
from cnn_demo.verdict import DIGIT, DOUBT, NOT_A_DIGIT, SOFTMAX_ALWAYS_ANSWERS, Verdict, judge, percent
from views.canvas_script import canvas_script
from views.shared import detector, session

DIGIT_LABELS = [str(d) for d in range(10)]


def draw_canvas() -> np.ndarray | None:
    """The drawing surface and its Clear button; the canvas as RGBA, or None before a stroke."""
    image = st_canvas(**CANVAS_OPTIONS, key=CANVAS_KEY).image_data
    # emptied in the browser by canvas_script, which keeps the click from the server
    st.button("Clear", icon=":material/delete:", key="clear",
              help="Start a new drawing (the open tabs stay as they are)")
    canvas_script()
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
        f" The digit detector gives {percent(1 - verdict.not_a_digit)} that it is a digit.")
    st.metric("Prediction", verdict.text, help=f"The {choice.label} model's answer.{detector_help}")
    if verdict.kind == DIGIT:
        st.caption(f"{percent(verdict.confidence)} sure")
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
