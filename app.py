"""Draw a digit, watch a convolutional network read it layer by layer, and train it live.

    streamlit run app.py
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from cnn_demo.architectures import ARCHITECTURES
from cnn_demo.data import load_mnist
from cnn_demo.inference import Prediction, Predictor, Scorecard, scorecard
from cnn_demo.preprocess import CANVAS_OPTIONS, Preprocessed, preprocess
from cnn_demo.pretrained import Shipped, load_metrics, load_shipped_models
from cnn_demo.training import TrainingConfig, TrainingJob, TrainingSlots
from cnn_demo import visuals

POLL_SECONDS = 1.0
ABANDON_AFTER_SECONDS = 30  # a training whose page has not polled for this long was closed
SHIPPED, TRAINED = "shipped", "trained"


def keep_keras_state_between_runs() -> None:
    """Stop Streamlit from calling keras.backend.clear_session() after every script run.

    Streamlit does that for scripts that build a model on each run. This app builds its
    models once and caches them; the clearing threw away TensorFlow's kernel cache, so each
    drawing rebuilt its kernels (measured: 800 ms from pen-up to prediction instead of 300)
    and a training thread lost its caches mid-run. Streamlit offers no option for it.
    """
    from streamlit.runtime.scriptrunner import script_runner

    script_runner._clean_problem_modules = lambda: None


keep_keras_state_between_runs()
st.set_page_config(page_title="See a CNN read your digit", page_icon="✏️", layout="wide")


# --- Shared by every session of this server: loaded once, never written. ---

@st.cache_resource(show_spinner="Loading the shipped models…")
def shipped_models() -> Shipped:
    return load_shipped_models()


@st.cache_resource
def shipped_predictor(name: str) -> Predictor:
    return Predictor(shipped_models().models[name])


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


# --- This session's own state: its trained models, one job per architecture. ---

def jobs() -> dict[str, TrainingJob]:
    return st.session_state.setdefault("jobs", {})


def draw_canvas() -> np.ndarray | None:
    """The drawing surface; returns the canvas as RGBA, or None before anything is drawn."""
    return st_canvas(**CANVAS_OPTIONS, key="canvas").image_data


def running_job() -> TrainingJob | None:
    """This session's job that is training or waiting for a slot, if any."""
    return next((job for job in jobs().values() if job.running), None)


def start_training(name: str) -> None:
    """Start button callback: reads the form's values, refuses a second concurrent run."""
    busy = running_job()
    if busy is not None:
        st.session_state["refused"] = (
            f"{busy.architecture.label} is still training: stop it before starting another.")
        return
    state = st.session_state
    config = TrainingConfig(int(state["epochs"]), state["batch_size"], state["learning_rate"],
                            state["train_size"], augment=ARCHITECTURES[name].augment,
                            decay=ARCHITECTURES[name].decay)
    jobs()[name] = TrainingJob(name, config, mnist(), training_slots(), ABANDON_AFTER_SECONDS).start()
    state[f"weights_{name}"] = TRAINED


def trained_state(job: TrainingJob) -> str:
    """What the session's model of an architecture is, in a few words."""
    snap = job.progress.snapshot()
    if job.running:
        return "still training: its answers change as it learns"
    if snap.stopped and snap.latest is not None:
        return f"stopped early, in epoch {snap.latest.epoch + 1} of {snap.epochs}: partly trained"
    if snap.stopped:
        return "stopped before it began: untrained"
    return f"trained for {snap.epochs} epoch(s) on {job.config.train_size:,} images"


def sidebar() -> tuple[str, str]:
    """Architecture and weights choosers plus the training controls; returns (architecture, weights)."""
    with st.sidebar:
        name = st.radio(
            "Architecture", list(ARCHITECTURES), key="architecture",
            format_func=lambda n: ARCHITECTURES[n].label,
        )
        arch = ARCHITECTURES[name]
        st.caption(arch.description)
        job = jobs().get(name)
        weights = SHIPPED
        if job is not None:
            # labels stay fixed: a label that changed would make Streamlit reset the choice
            weights = st.radio("Weights", [SHIPPED, TRAINED], key=f"weights_{name}", horizontal=True,
                               format_func=lambda w: "Shipped" if w == SHIPPED else "Trained here")
            st.caption(f"Trained here: {trained_state(job)}")

        st.subheader("Train live")
        with st.form("train"):
            st.number_input("Epochs", 1, 50, 3, key="epochs")
            st.select_slider(
                "Training images", [1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000], 10_000,
                key="train_size")
            st.select_slider("Batch size", [16, 32, 64, 128, 256, 512], 128, key="batch_size")
            st.select_slider(
                "Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], 1e-3, key="learning_rate",
                format_func=lambda v: f"{v:g}")
            st.form_submit_button(f"Start training {arch.label}", type="primary",
                                  on_click=start_training, args=(name,))
        if "refused" in st.session_state:
            st.warning(st.session_state.pop("refused"))
        busy = running_job()
        if busy is not None:
            st.button(f"Stop training {busy.architecture.label}", on_click=busy.stop,
                      disabled=busy.progress.stop_requested)
    return name, weights


def model_summary(model) -> None:
    with st.expander("Model summary: layers, output shapes, parameters"):
        st.dataframe(pd.DataFrame(visuals.summary_rows(model)), hide_index=True, width="stretch")
        st.caption(f"{model.count_params():,} parameters in all")


def show_steps(steps: Preprocessed) -> None:
    st.markdown("**What the network sees**")
    cols = st.columns(3)
    for col, (image, caption) in zip(cols, [
        (steps.cropped, "ink, cropped"), (steps.fitted, "fit in 20×20"), (steps.centred, "centred 28×28"),
    ]):
        col.image(visuals.enlarge(image, 84), caption=caption)


def show_prediction(prediction: Prediction, label: str, problem: str | None) -> None:
    if problem is not None:
        st.metric("Prediction", "?", help=f"The {label} model's answer is not shown: {problem}")
        st.caption(problem)
        return
    st.metric("Prediction", prediction.verdict, help=f"The {label} model's most probable digit")
    if prediction.sure:
        st.caption(f"{prediction.confidence:.0%} sure")
    else:
        st.caption(f"Not sure: at most {prediction.confidence:.0%} for any digit")
    probabilities = pd.DataFrame({"probability": prediction.probabilities}, index=list("0123456789"))
    st.bar_chart(probabilities, height=180, y_label="", x_label="digit")


def show_layers(predictor: Predictor, prediction: Prediction) -> None:
    st.caption("Each convolution or pooling layer's channels as one map each, on one colour scale per "
               "layer (dark: silent, yellow: the layer's strongest response). Dense layers as bars. "
               "Where paths branch and merge, each layer says which layers feed it.")
    vectors, previous = [], None
    for layer in predictor.layers:
        act = prediction.activations[layer.name]
        kind = type(layer).__name__
        shape = "×".join(str(d) for d in act.shape)
        sources = visuals.layer_inputs(layer)
        fed_by = f" · from {' + '.join(sources)}" if previous and sources != [previous] else ""
        previous = layer.name
        if kind == "Dropout":
            st.caption(f"**{layer.name}** · Dropout · passes everything through when reading; "
                       "while training it silences random units")
        elif visuals.is_map(act):
            st.markdown(f"**{layer.name}** · {kind} · {shape}{fed_by}")
            st.image(visuals.activation_grid(act), width="content")
        elif kind == "Flatten":
            st.caption(f"**{layer.name}** · {' + '.join(sources)} laid end to end: "
                       f"{act.size:,} numbers into the dense layers")
        else:
            vectors.append((f"**{layer.name}** · {kind} · {act.size} units{fed_by}", act))
    for col, (title, act) in zip(st.columns(len(vectors)), vectors):
        with col:
            st.markdown(title)
            index = list("0123456789") if act.size == 10 else [f"{i:03d}" for i in range(act.size)]
            st.bar_chart(pd.DataFrame({"activation": act}, index=index), height=160, y_label="", x_label="unit")


def show_saliency(predictor: Predictor, steps: Preprocessed, prediction: Prediction) -> None:
    saliency = predictor.saliency(steps.input, prediction.digit)
    left, right = st.columns(2)
    left.image(visuals.enlarge(steps.centred, 224), caption="the 28×28 input")
    right.image(visuals.saliency_overlay(steps.input, saliency),
                caption=f"where a change would most sway the answer {prediction.digit}")
    st.caption("SmoothGrad: the gradient of the predicted digit's probability with respect to each input "
               "pixel, averaged over 16 noisy copies of the drawing. Bright pixels are the ones the "
               "network's answer depends on most.")


def show_all_models(steps: Preprocessed, sessions_models: dict[str, TrainingJob]) -> None:
    rows = []
    for name, arch in ARCHITECTURES.items():
        readers = [("shipped", shipped_predictor(name) if name in shipped_models().models else None)]
        if name in sessions_models:
            readers.append(("trained here", sessions_models[name].predictor))
        for weights, predictor in readers:
            if predictor is None:
                rows.append({"Architecture": arch.label, "Weights": weights, "Prediction": "unavailable"})
                continue
            answer = predictor(steps.input)
            rows.append({"Architecture": arch.label, "Weights": weights,
                         "Prediction": answer.verdict if steps.readable else "?",
                         "Confidence": answer.confidence})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
        "Confidence": st.column_config.ProgressColumn("Confidence", format="percent", min_value=0, max_value=1)})


def show_filters(model) -> None:
    found = visuals.first_layer_weights(model)
    if found is None:
        st.info("This model has no layer that looks at the image directly.")
        return
    name, weights = found
    st.markdown(f"**{name}** · {weights.shape[-1]} learned {weights.shape[0]}×{weights.shape[1]} filters")
    st.image(visuals.weight_grid(weights, cell=96 if weights.shape[0] < 10 else 56), width="content")
    st.caption("Red weights add the pixel's ink to the unit's response, blue ones subtract it. "
               "A 3×3 filter that is red on one side and blue on the other detects an edge.")


@st.cache_resource(show_spinner="Reading the 10,000 test images…")
def shipped_scorecard(name: str) -> Scorecard:
    return scorecard(shipped_predictor(name), mnist().test.x, mnist().test.y)


def session_scorecard(job: TrainingJob) -> Scorecard:
    cards = st.session_state.setdefault("scorecards", {})
    if id(job) not in cards:
        cards[id(job)] = scorecard(job.predictor, mnist().test.x, mnist().test.y)
    return cards[id(job)]


def show_test_set(card: Scorecard) -> None:
    st.metric("Test accuracy", f"{card.accuracy:.2%}", help="all 10,000 MNIST test images")
    left, right = st.columns([1, 1], gap="large")
    with left:
        st.markdown("**Confusion matrix** · rows: true digit, columns: what the model read")
        st.altair_chart(visuals.confusion_chart(card.confusion), width="stretch")
    with right:
        shown = card.misclassified[:24]
        st.markdown(f"**{len(card.misclassified)} misread test digits** · the {len(shown)} it was surest of")
        test = mnist().test
        st.image([visuals.enlarge(visuals.to_grey(test.x[i]), 84) for i in shown],
                 caption=[f"{test.y[i]} read as {card.predicted[i]}" for i in shown])


def show_comparison() -> None:
    metrics, problem = shipped_metrics()
    if problem:
        st.warning(f"Measured figures unavailable: {problem}")
    st.dataframe(pd.DataFrame(visuals.comparison_rows(metrics)), hide_index=True, width="stretch",
                 column_config={
                     "Test accuracy here": st.column_config.NumberColumn(format="percent"),
                     "Article: test accuracy": st.column_config.NumberColumn(format="percent"),
                     "Params": st.column_config.NumberColumn(format="localized"),
                 })
    st.caption("Here: the shipped weights, trained with `python -m cnn_demo.train` on this project's "
               "2-core CPU machine, accuracy on all 10,000 test images. Article: its published figures, "
               "for its three models.")


def training_panel(job: TrainingJob, polling: bool) -> None:
    snap = job.progress.snapshot()
    st.subheader(f"Training {job.architecture.label}")
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
                f"{b.samples_per_second:,.0f} samples/s" + (f" · {left:,.0f} s left" if left is not None else ""))
    st.progress(snap.fraction_done, text=text)
    if snap.batches:
        loss_col, acc_col = st.columns(2)
        rows = visuals.training_curves(snap)
        loss_col.altair_chart(visuals.curves_chart(rows, "loss", snap.epochs), width="stretch")
        acc_col.altair_chart(visuals.curves_chart(rows, "accuracy", snap.epochs), width="stretch")
    if job.test_accuracy is not None:
        arch = job.architecture
        shipped_row = shipped_metrics()[0].get(arch.name, {})
        mine, shipped, article = st.columns(3)
        mine.metric("Test accuracy, trained here", f"{job.test_accuracy:.2%}",
                    help=f"{job.config.epochs} epochs on {job.config.train_size:,} images; 10,000 test images")
        if "test_accuracy" in shipped_row:
            shipped.metric("Shipped model", f"{shipped_row['test_accuracy']:.2%}",
                           help=f"{shipped_row.get('epochs')} epochs on 60,000 images")
        if arch.article_accuracy is not None:
            article.metric("Article", f"{arch.article_accuracy:.2%}")
        st.download_button(f"Download {arch.name}.keras", job.keras_bytes(),
                           file_name=f"{arch.name}.keras", mime="application/octet-stream")
    if polling and not job.running:
        st.rerun()  # the run just ended: one full rerun turns the polling off


def main() -> None:
    st.title("Draw a digit. Watch a CNN read it.")
    st.caption("A Keras network classifies your drawing as you draw; below, every layer's response. "
               "Pick an architecture on the left, or train one live and watch it learn.")
    name, weights = sidebar()
    arch = ARCHITECTURES[name]
    job = jobs().get(name)
    use_trained = weights == TRAINED and job is not None
    shipped = shipped_models()
    predictor = None
    if use_trained:
        predictor = job.predictor
    elif name in shipped.models:
        predictor = shipped_predictor(name)
    else:
        st.warning(f"The shipped {arch.label} model is unavailable: {shipped.problems[name]}. "
                   "Train it from the sidebar to use it here.")
    if predictor is not None:
        with st.sidebar:
            model_summary(predictor.model)
    label = f"{arch.label}, {'trained here' if use_trained else 'shipped'}"
    busy = running_job()
    polling = busy is not None
    panel_job = busy or job

    # While a model trains, rerun every second: the drawing is read again by the weights
    # as they are now, and the progress moves. Otherwise only a new drawing reruns this.
    @st.fragment(run_every=POLL_SECONDS if polling else None)
    def live_view() -> None:
        if busy is not None:
            busy.progress.keep_alive()
        canvas_col, steps_col, answer_col = st.columns([3, 3, 2], gap="medium")
        with canvas_col:
            st.markdown("**Your digit**")
            image = draw_canvas()
        steps = preprocess(image)
        prediction = predictor(steps.input) if steps is not None and predictor is not None else None
        with steps_col:
            if steps is None:
                st.info("Draw a digit from 0 to 9 in the black square. "
                        "The network reads it when you lift the pen.")
            else:
                show_steps(steps)
        if prediction is not None:
            with answer_col:
                show_prediction(prediction, label, steps.problem)
        if panel_job is not None:
            training_panel(panel_job, polling)
        if prediction is None:
            return
        # lazy tabs: only the open one is computed on each drawing
        layers_tab, saliency_tab, all_tab = st.tabs(
            ["Inside the network", "Where it looked", "All models"], key="drawing_tabs", on_change="rerun")
        if layers_tab.open:
            with layers_tab:
                show_layers(predictor, prediction)
        if saliency_tab.open:
            with saliency_tab:
                show_saliency(predictor, steps, prediction)
        if all_tab.open:
            with all_tab:
                show_all_models(steps, jobs())

    live_view()

    st.divider()
    st.subheader(f"The {label} model")
    filters_tab, test_tab, compare_tab = st.tabs(
        ["Learned filters", "Test set", "Compare architectures"], key="model_tabs", on_change="rerun")
    if predictor is not None and filters_tab.open:
        with filters_tab:
            show_filters(predictor.model)
    if predictor is not None and test_tab.open:
        with test_tab:
            if use_trained and job.running:
                st.info("The test-set report appears when training ends.")
            else:
                show_test_set(session_scorecard(job) if use_trained else shipped_scorecard(name))
    if compare_tab.open:
        with compare_tab:
            show_comparison()


main()
