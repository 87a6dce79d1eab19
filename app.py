"""Draw a digit, watch a convolutional network read it layer by layer, and train it live.

    streamlit run app.py

This file lays out the page and wires widgets to `cnn_demo`; the rules live there.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from cnn_demo import maps, visuals
from cnn_demo.architectures import ARCHITECTURES
from cnn_demo.data import load_mnist
from cnn_demo.detector import DigitDetector, load_detector
from cnn_demo.fitting import TrainingConfig
from cnn_demo.inference import Prediction, Predictor, Scorecard, scorecard
from cnn_demo.jobs import TrainingJob, TrainingSlots
from cnn_demo.preprocess import CANVAS_OPTIONS, Preprocessed, preprocess
from cnn_demo.pretrained import Shipped, load_metrics, load_pen_digit_figures, load_shipped_models
from cnn_demo.session import Choice, Session, describe
from cnn_demo.verdict import DIGIT, DOUBT, NOT_A_DIGIT, SOFTMAX_ALWAYS_ANSWERS, Verdict, judge

POLL_SECONDS = 1.0
ABANDON_AFTER_SECONDS = 30  # a training whose page has not polled for this long was closed
DEFAULT_ARCHITECTURE = "pooled"  # the article's best: convolutions and pooling, quick to read
VALIDATION_IMAGES = 5_000  # kept out of the live training images, read after each epoch
TRAIN_SIZES = [1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 55_000]
# Measured here (2 cores, bfloat16): Pooled reaches ~95% in about 25 s with these settings,
# Baseline ~90% in 8 s, Conv ~95% in 35 s: quick enough to watch, good enough to trust.
PRESETS = {
    "Quick": dict(epochs=3, train_size=10_000, batch_size=64, learning_rate=1e-3),
    "As the article": dict(epochs=10, train_size=55_000, batch_size=128, learning_rate=1e-3),
}
TUTORIAL = ("the Keras tutorial this lab grew out of, which compares a dense baseline, "
            "a convolutional net and a pooled convolutional net on MNIST")


def keep_keras_state_between_runs() -> None:
    """Stop Streamlit from calling keras.backend.clear_session() after every script run.

    Streamlit does that for scripts that build a model on each run. This app builds its
    models once and caches them; the clearing threw away TensorFlow's kernel cache, so each
    drawing rebuilt its kernels (measured: 800 ms from pen-up to prediction instead of 300)
    and a training thread lost its caches mid-run. Streamlit offers no option for it, so a
    private hook is replaced; if a Streamlit upgrade renames it, say so instead of failing.
    """
    from streamlit.runtime.scriptrunner import script_runner

    if not hasattr(script_runner, "_clean_problem_modules"):
        warnings.warn("Streamlit no longer has script_runner._clean_problem_modules: it may clear the "
                      "Keras session after every run again (about 500 ms per drawing, and caches lost "
                      "under a running training). Re-check keep_keras_state_between_runs in app.py.",
                      RuntimeWarning, stacklevel=2)
        return
    script_runner._clean_problem_modules = lambda: None


keep_keras_state_between_runs()
st.set_page_config(page_title="See a CNN read your digit", page_icon="✏️", layout="wide")


# --- Shared by every session of this server: loaded once, never written. ---

@st.cache_resource(show_spinner="Loading the shipped models…")
def shipped_models() -> Shipped:
    return load_shipped_models()


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
    return scorecard(shipped_predictors()[name], mnist().test.x, mnist().test.y)


def session() -> Session:
    """This visitor's own state: its trained models and the rules for starting one."""
    if "session" not in st.session_state:
        st.session_state["session"] = Session(mnist(), training_slots(), ABANDON_AFTER_SECONDS)
    return st.session_state["session"]


# --- The drawing and its answer ---

def clear_canvas() -> None:
    st.session_state["canvas_version"] = st.session_state.get("canvas_version", 0) + 1


def draw_canvas() -> np.ndarray | None:
    """The drawing surface and its Clear button; the canvas as RGBA, or None before a stroke."""
    version = st.session_state.get("canvas_version", 0)
    image = st_canvas(**CANVAS_OPTIONS, key=f"canvas_{version}").image_data
    st.button("Clear", icon=":material/delete:", on_click=clear_canvas, key="clear",
              help="Start a new drawing (the open tabs stay as they are)")
    return image


def read(choice: Choice, steps: Preprocessed) -> tuple[Prediction, Verdict]:
    prediction = choice.predictor(steps.input)
    found, _ = detector()
    not_a_digit = found(steps.input) if found is not None else None
    return prediction, judge(prediction.probabilities, not_a_digit, steps.problem)


def show_steps(steps: Preprocessed) -> None:
    st.caption("**What the network sees**: your drawing made into an MNIST-style 28×28 input")
    cols = st.columns(3, gap="small")
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
        st.caption(f"Not sure: at most {verdict.confidence:.0%} for any digit")
    elif verdict.kind == NOT_A_DIGIT:
        st.caption(f"{verdict.reason} The model alone would have said {verdict.softmax_says}. "
                   f"{SOFTMAX_ALWAYS_ANSWERS}")
    else:
        st.caption(verdict.reason)
        return
    st.altair_chart(visuals.probability_chart(prediction.probabilities, verdict.digit), width="stretch")


# --- Inside the network ---

def every_layer_switch() -> bool:
    """Drawn on every run, drawing or not, so that Streamlit keeps its state across a Clear."""
    return st.toggle("Show every layer", key="every_layer",
                     help="Batch normalisation, activation and dropout layers are folded away "
                          "by default: they rescale, clip or pass on the layer before them.")


def show_layers(predictor: Predictor, prediction: Prediction, every_layer: bool) -> None:
    st.caption("A **feature map** is one channel's response at every position of the image; a "
               "**channel** is one learned filter slid over the layer's input, bright where the input "
               "looks like what it looks for. Each layer has its own colour scale (the bar under it): "
               "dark is zero. Where a layer also has negative values, blue is below zero and orange "
               "above. Channel numbers match the Learned filters tab.")
    st.html(maps.STYLE)
    vectors = []
    for view in visuals.layer_views(predictor.layers, prediction.activations, every_layer):
        if view.kind == "folded":
            st.caption(view.heading)
        elif view.kind == "maps":
            st.markdown(view.heading)
            st.html(maps.grid_html(view.values, caption=view.heading))
        elif view.kind == "note":
            st.caption(view.heading)
        else:
            vectors.append(view)
    for col, view in zip(st.columns(len(vectors)), vectors):
        with col:
            st.markdown(view.heading)
            st.altair_chart(visuals.vector_chart(view.values), width="stretch")


def show_saliency(predictor: Predictor, steps: Preprocessed, verdict: Verdict) -> None:
    saliency = predictor.saliency(steps.input, verdict.digit)
    left, right = st.columns(2)
    left.image(visuals.enlarge(steps.centred, 224), caption="the 28×28 input", width=224)
    right.image(visuals.saliency_overlay(steps.input, saliency, 224), width=224,
                caption=f"where a change would most sway the answer {verdict.digit}")
    st.html(maps.STYLE + maps.colour_bar_html(maps.Scale(False, 1.0), "less", "more"))
    st.caption("SmoothGrad: the gradient of the predicted digit's probability with respect to each input "
               "pixel, averaged over 16 noisy copies of the drawing. Bright pixels are the ones the "
               "network's answer depends on most.")


def show_all_models(steps: Preprocessed, own: Session) -> None:
    found, _ = detector()
    not_a_digit = found(steps.input) if found is not None else None
    if not_a_digit is not None:
        looks = "does not look like a digit" if not_a_digit >= 0.5 else "looks like a digit"
        st.caption(f"The digit detector: this {looks} ({1 - not_a_digit:.0%} digit). Each model below "
                   "still gives the digit its softmax would pick.")
    rows = []
    for name, arch in ARCHITECTURES.items():
        readers = [("shipped", shipped_predictors().get(name))]
        if name in own.jobs:
            readers.append(("trained here", own.jobs[name].predictor))
        for weights, predictor in readers:
            if predictor is None:
                rows.append({"Architecture": arch.label, "Weights": weights, "Prediction": "unavailable"})
                continue
            probabilities = predictor(steps.input).probabilities
            verdict = judge(probabilities, not_a_digit, steps.problem)
            rows.append({"Architecture": arch.label, "Weights": weights, "Prediction": verdict.text,
                         "Softmax says": verdict.softmax_says, "Confidence": verdict.confidence})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
        "Confidence": st.column_config.ProgressColumn("Confidence", format="percent", min_value=0, max_value=1)})


# --- The model: filters, test set, comparison ---

def show_filters(model) -> None:
    found = visuals.first_layer_weights(model)
    if found is None:
        st.info("This model has no layer that looks at the image directly.")
        return
    name, weights, dense = found
    st.html(maps.STYLE)
    if dense:
        st.markdown(f"**{name}** · {weights.shape[-1]} dense units, each weighing all 784 pixels")
        st.caption("A dense layer has no filters that slide: each unit has one weight per pixel, drawn "
                   "here as a 28×28 picture. Orange pixels add to the unit's response, blue ones "
                   "subtract from it. Unit numbers match the dense_1 bars in Inside the network.")
    else:
        st.markdown(f"**{name}** · {weights.shape[-1]} learned {weights.shape[0]}×{weights.shape[1]} filters")
        st.caption("Each filter is slid over the image; its channel (same number in Inside the network) "
                   "lights up where the ink matches it. Orange weights add the pixel's ink to the "
                   "response, blue ones subtract it: a filter orange on one side and blue on the other "
                   "responds to an edge.")
    cell = 72 if weights.shape[0] < 10 else 56
    st.html(maps.grid_html(weights, maps.Scale(True, float(np.abs(weights).max())), cell=cell))


def show_test_set(card: Scorecard) -> None:
    st.metric("Test accuracy", f"{card.accuracy:.2%}", help="all 10,000 MNIST test images")
    left, right = st.columns([1, 1], gap="large")
    with left:
        st.markdown("**Confusion matrix** · rows: true digit, columns: what the model read")
        st.altair_chart(visuals.confusion_chart(card.confusion), width="stretch")
    with right:
        shown = card.misclassified[:24]
        st.markdown(f"**{len(card.misclassified):,} misread test digits** · the {len(shown)} it was surest of")
        test = mnist().test
        st.image([visuals.enlarge(visuals.to_grey(test.x[i]), 84) for i in shown],
                 caption=[f"{test.y[i]} read as {card.predicted[i]}" for i in shown])


def show_comparison() -> None:
    metrics, problem = shipped_metrics()
    if problem:
        st.warning(f"Measured figures unavailable: {problem}")
    rows = visuals.comparison_rows(metrics, load_pen_digit_figures())
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
        "Params": st.column_config.NumberColumn(format="localized"),
    })
    st.caption(f"Here: the shipped weights, trained with `python -m cnn_demo.train` on this project's "
               f"2-core CPU machine; MNIST accuracy on all 10,000 test images; pen digits: real "
               f"pen-written digits by people none of the models learned from "
               f"(`python -m cnn_demo.evaluate`). Recipe: what each was trained on. Tutorial: the "
               f"published figures of {TUTORIAL}, for its three models.")


# --- Training ---

def apply_preset() -> None:
    for key, value in PRESETS[st.session_state["preset"]].items():
        st.session_state[key] = value


def start_training(name: str) -> None:
    state = st.session_state
    config = TrainingConfig(
        epochs=int(state["epochs"]), batch_size=state["batch_size"], learning_rate=state["learning_rate"],
        train_size=state["train_size"], validation_size=VALIDATION_IMAGES,
        augment=ARCHITECTURES[name].augment, decay=ARCHITECTURES[name].decay)
    refusal = session().start(name, config)
    if refusal:
        state["refused"] = refusal
    else:
        state[f"weights_{name}"] = True


def training_controls(name: str) -> None:
    arch = ARCHITECTURES[name]
    own = session()
    busy = own.running_job()
    st.subheader("Train live")
    st.caption(f"Train a fresh {arch.label} on MNIST here and watch its answer to your drawing change as "
               "it learns. Nothing is saved on the server; you can download the result.")
    if "preset" not in st.session_state:
        st.session_state["preset"] = "Quick"
        apply_preset()
    st.segmented_control("Settings", list(PRESETS), key="preset", on_change=apply_preset,
                         help="Quick: about half a minute for the tutorial's models. "
                              "As the article: its 10 epochs, minutes per model here.")
    st.number_input("Epochs", 1, 50, key="epochs",
                    help="Passes over the training images. More epochs: better fit, longer wait.")
    st.select_slider("Training images", TRAIN_SIZES, key="train_size",
                     format_func=lambda n: f"{n:,}",
                     help=f"Taken from MNIST's training set; another {VALIDATION_IMAGES:,} are kept "
                          "aside to check the model after each epoch (validation).")
    st.select_slider("Batch size", [16, 32, 64, 128, 256, 512], key="batch_size",
                     help="Images per weight update. Smaller batches: more updates per epoch, noisier.")
    st.select_slider("Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], key="learning_rate",
                     format_func=lambda v: f"{v:g}",
                     help="How big each step of Adam is. Too high and training jumps around; too low "
                          "and it crawls.")
    st.button(f"Start training {arch.label}", type="primary", on_click=start_training, args=(name,),
              disabled=busy is not None, key="start",
              help="One training at a time per visitor: stop the running one first." if busy else None)
    if "refused" in st.session_state:
        st.warning(st.session_state.pop("refused"))
    if busy is not None:
        st.button(f"Stop training {busy.architecture.label}", on_click=busy.stop,
                  disabled=busy.progress.stop_requested, key="stop")


def training_panel(job: TrainingJob, polling: bool, viewing: str) -> None:
    snap = job.progress.snapshot()
    arch = job.architecture
    st.subheader(f"Training {arch.label}")
    if arch.name != viewing:
        st.caption(f"This panel shows the {arch.label} training; the drawing above is read by "
                   f"{ARCHITECTURES[viewing].label}. Choose {arch.label} to watch its answer change.")
    if snap.error:
        st.error(f"Training failed: {snap.error}")
        return
    place = job.place_in_line
    if place is not None:
        st.info(f"Waiting for a free training slot: place {place} in line. This server trains "
                f"{training_slots().limit} model(s) at a time; yours starts when a slot frees.")
        return
    b = snap.latest
    if b is None:
        text = "Starting…"
    elif snap.stopped:
        text = (f"Stopped in epoch {b.epoch + 1} of {snap.epochs}, batch {b.batch}/{b.batches_per_epoch}. "
                "The partly trained model stays in this session: switch Weights to Shipped to go back.")
    elif snap.finished:
        text = "Done" if job.test_accuracy is not None else "Measuring accuracy on the 10,000 test images…"
    else:
        left = snap.seconds_left
        text = (f"Epoch {b.epoch + 1}/{snap.epochs} · batch {b.batch}/{b.batches_per_epoch} · "
                f"{b.samples_per_second:,.0f} images/s" + (f" · {left:,.0f} s left" if left is not None else ""))
    st.progress(snap.fraction_done, text=text)
    if snap.batches:
        rows = visuals.training_curves(snap)
        loss_col, acc_col = st.columns(2)
        dark = st.context.theme.type == "dark"
        loss_col.altair_chart(visuals.curves_chart(rows, "loss", snap.epochs, dark), width="stretch")
        acc_col.altair_chart(visuals.curves_chart(rows, "accuracy", snap.epochs, dark), width="stretch")
        st.caption(f"Train: the average over the batches of the current epoch so far (Keras's running "
                   f"mean, which restarts at each epoch). Validation: {VALIDATION_IMAGES:,} training "
                   "images the model never learns from, checked at each epoch's end. The test set is "
                   "read once, at the end.")
    if job.test_accuracy is not None:
        shipped_row = shipped_metrics()[0].get(arch.name, {})
        mine, shipped, article = st.columns(3)
        mine.metric("Test accuracy, trained here", f"{job.test_accuracy:.2%}",
                    help=f"{job.config.epochs} epochs on {job.config.train_size:,} images; 10,000 test images")
        if "test_accuracy" in shipped_row:
            shipped.metric("Shipped model", f"{shipped_row['test_accuracy']:.2%}",
                           help=f"{shipped_row.get('epochs')} epochs on {shipped_row.get('train_size', 0):,} images")
        if arch.article_accuracy is not None:
            article.metric("Tutorial", f"{arch.article_accuracy:.2%}", help=f"The published figure of {TUTORIAL}")
        st.download_button(f"Download {arch.name}.keras", job.keras_bytes(),
                           file_name=f"{arch.name}.keras", mime="application/octet-stream")
    if polling and not job.running:
        st.rerun()  # the run just ended: one full rerun turns the polling off


# --- The page ---

def choose_model() -> Choice:
    """The architecture selector (above the canvas, so a phone reaches it) and, once this
    session trained one, the choice between shipped and trained weights."""
    st.session_state.setdefault("architecture", DEFAULT_ARCHITECTURE)
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    name = left.selectbox("Architecture", list(ARCHITECTURES), key="architecture",
                          format_func=lambda n: ARCHITECTURES[n].label)
    own = session()
    job = own.jobs.get(name)
    trained = False
    if job is not None:
        # labels stay fixed: a label that changed would make Streamlit reset the choice
        trained = right.radio("Weights", [False, True], key=f"weights_{name}", horizontal=True,
                              format_func=lambda t: "Trained here" if t else "Shipped")
    caption = ARCHITECTURES[name].description
    if job is not None:
        caption += f" Trained here: {describe(job)}."
    st.caption(caption)
    return own.choose(name, trained, shipped_predictors())


# The canvas keeps a visible edge on a dark page too.
PAGE_STYLE = "<style>.canvas-container { outline: 1px solid rgba(128, 128, 128, 0.6); }</style>"


def main() -> None:
    st.html(PAGE_STYLE)
    st.markdown("### Draw a digit. Watch a CNN read it.")
    choice = choose_model()
    if choice.predictor is None:
        st.warning(f"The shipped {ARCHITECTURES[choice.name].label} model is unavailable: "
                   f"{shipped_models().problems.get(choice.name, 'not loaded')}. "
                   "Train it under Train live (the sidebar) to use it here.")
    own = session()
    with st.sidebar:
        training_controls(choice.name)
        if choice.predictor is not None:
            with st.expander("Model summary: layers, output shapes, parameters"):
                st.dataframe(pd.DataFrame(visuals.summary_rows(choice.predictor.model)), hide_index=True,
                             width="stretch")
                st.caption(f"{choice.predictor.model.count_params():,} parameters in all")
    busy = own.running_job()
    polling = busy is not None
    panel_job = busy or own.jobs.get(choice.name)

    # While a model trains, rerun every second: the drawing is read again by the weights
    # as they are now, and the progress moves. Otherwise only a new drawing reruns this.
    @st.fragment(run_every=POLL_SECONDS if polling else None)
    def live_view() -> None:
        if busy is not None:
            busy.progress.keep_alive()
        canvas_col, answer_col, steps_col = st.columns([3, 3, 2], gap="medium")
        with canvas_col:
            image = draw_canvas()
        steps = preprocess(image)
        reading = read(choice, steps) if steps is not None and choice.predictor is not None else None
        with answer_col:
            if steps is None:
                st.info("Draw a digit from 0 to 9 in the black square. "
                        "The network reads it when you lift the pen.")
            elif reading is not None:
                show_prediction(reading[1], reading[0], choice)
        if steps is not None:
            with steps_col:
                show_steps(steps)
        if panel_job is not None:
            training_panel(panel_job, polling, choice.name)
        # lazy tabs, always drawn so the chosen one stays chosen when the canvas is cleared:
        # only the open one is computed on each drawing
        tabs = st.tabs(["Inside the network", "Where it looked", "All models"], key="drawing_tabs",
                       on_change="rerun")
        with tabs[0]:
            every_layer = every_layer_switch()
        for tab, show in zip(tabs, (
                lambda: show_layers(choice.predictor, reading[0], every_layer),
                lambda: show_saliency(choice.predictor, steps, reading[1]),
                lambda: show_all_models(steps, own))):
            if tab.open:
                with tab:
                    if reading is None:
                        st.caption("Draw a digit to see this.")
                    else:
                        show()

    live_view()

    st.divider()
    st.markdown(f"#### The {choice.label} model")
    filters_tab, test_tab, compare_tab = st.tabs(
        ["Learned filters", "Test set", "Compare architectures"], key="model_tabs", on_change="rerun")
    if choice.predictor is not None and filters_tab.open:
        with filters_tab:
            show_filters(choice.predictor.model)
    if choice.predictor is not None and test_tab.open:
        with test_tab:
            job = own.jobs.get(choice.name)
            if choice.trained_here and job.running:
                st.info("The test-set report appears when training ends.")
            else:
                show_test_set(own.scorecard(job) if choice.trained_here else shipped_scorecard(choice.name))
    if compare_tab.open:
        with compare_tab:
            show_comparison()


main()
