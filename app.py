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
from cnn_demo.collection import MAX_ZIP_BYTES, Collection, CollectionError
from cnn_demo.data import load_mnist
from cnn_demo.detector import DigitDetector, load_detector
from cnn_demo.embedding import DigitSpace
from cnn_demo.feature_vis import channel_images, load_channel_images, optimisable_layers
from cnn_demo.fitting import TrainingConfig
from cnn_demo.inference import Prediction, Predictor, Scorecard, scorecard
from cnn_demo.jobs import TrainingJob, TrainingSlots
from cnn_demo.own_model import MAX_MODEL_BYTES, UploadError, load_uploaded_model
from cnn_demo.preprocess import CANVAS_OPTIONS, Preprocessed, ink_intensity, preprocess
from cnn_demo.pretrained import Shipped, load_metrics, load_pen_digit_figures, load_shipped_models
from cnn_demo.session import Choice, Session, describe
from cnn_demo.unit import Explanation, explain
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
DIGIT_LABELS = [str(d) for d in range(10)]
DRAWING_VIEWS = ["Inside the network", "One unit", "What channels look for", "Where it sits",
                 "Where it looked", "All models"]
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
    for name in own.names():
        label = own.label(name)
        readers = [("uploaded", own.own_models[name].predictor) if name in own.own_models
                   else ("shipped", shipped_predictors().get(name))]
        if name in own.jobs:
            readers.append((f"{own.jobs[name].kind} here", own.jobs[name].predictor))
        for weights, predictor in readers:
            if predictor is None:
                rows.append({"Architecture": label, "Weights": weights, "Prediction": "unavailable"})
                continue
            probabilities = predictor(steps.input).probabilities
            verdict = judge(probabilities, not_a_digit, steps.problem)
            rows.append({"Architecture": label, "Weights": weights, "Prediction": verdict.text,
                         "Softmax says": verdict.softmax_says, "Confidence": verdict.confidence})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
        "Confidence": st.column_config.ProgressColumn("Confidence", format="percent", min_value=0, max_value=1)})


# --- Look inside one unit; what channels look for; where the drawing sits ---

def _unit_key(choice: Choice) -> str:
    return f"unit_{choice.name}_{'trained' if choice.trained_here else 'shipped'}"  # one choice per model


def pick_unit(choice: Choice, prediction: Prediction) -> tuple[str, tuple]:
    """The layer, channel and cell the learner chose, kept per model while they draw again.
    Until a cell of a channel is clicked, its most active one is shown."""
    names = visuals.explainable_layers(choice.predictor.layers, prediction.activations)
    key = _unit_key(choice)
    clicked_cells = st.session_state.setdefault(f"{key}_cells", {})  # (layer, channel) -> the clicked cell
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    layer = left.selectbox("Layer", names, key=f"{key}_layer")
    values = prediction.activations[layer]
    channel = None
    if values.ndim == 3:
        channel = int(right.number_input(f"Channel (0–{values.shape[-1] - 1})", 0, values.shape[-1] - 1, 0,
                                         key=f"{key}_{layer}_channel"))
        shown = values[:, :, channel]
    else:
        shown = values
    cell = clicked_cells.get((layer, channel)) or tuple(int(i) for i in np.unravel_index(np.argmax(shown), shown.shape))
    event = st.altair_chart(visuals.unit_chart(shown, cell, st.context.theme.type == "dark"),
                            on_select="rerun", selection_mode=visuals.UNIT_SELECTION,
                            key=f"{key}_{layer}_{channel}_chart", width="content")
    picked = event.selection.get(visuals.UNIT_SELECTION) if event else None
    if picked:
        cell = (int(picked[0]["row"]), int(picked[0]["col"])) if values.ndim == 3 else (int(picked[0]["index"]),)
        clicked_cells[(layer, channel)] = cell
    return layer, (*cell, channel) if values.ndim == 3 else cell


def show_explanation(e: Explanation, steps: Preprocessed, image: np.ndarray) -> None:
    where = (f"row {e.unit[0]}, column {e.unit[1]}, channel {e.unit[2]}" if len(e.unit) == 3
             else f"unit {e.unit[0]}")
    st.markdown(f"**{e.layer}**, {where} = **{e.value:.4f}** · the map shows {e.shown:.4f}")
    if e.field is not None:
        top, bottom, left, right = e.field
        size = f"{bottom - top}×{right - left}"
        a, b = st.columns(2)
        a.image(visuals.with_box(steps.centred, (top, bottom, left, right), 196), width=196,
                caption=f"it sees these {size} input pixels")
        a_box = steps.canvas_box((top, bottom), (left, right))
        b.image(visuals.with_box(ink_intensity(image), a_box, 196), width=196, caption="…of your drawing")
    d = e.details
    if e.kind == "conv" and d["patch"].shape[-1] == 1:
        st.html(maps.STYLE + "".join(maps.number_grid_html(values, title) for title, values in (
            ("input patch", d["patch"][..., 0]), ("kernel (weights)", d["kernel"][..., 0]),
            ("patch × kernel", d["products"][..., 0]))))
        st.markdown(f"sum of the products **{d['sum']:.4f}** + bias **{d['bias']:.4f}** = {d['before_activation']:.4f}"
                    f" → {d['activation']} → **{e.value:.4f}**")
    elif e.kind == "conv":
        n = d["per_channel"].size
        st.markdown(f"Each of the **{n}** channels of `{e.sources[0]}` adds its patch × kernel, summed "
                    f"(the {len(d['order'])} largest, by size):")
        rows = [{"input channel": int(c), "contribution": float(d["per_channel"][c])} for c in d["order"]]
        st.dataframe(pd.DataFrame(rows), hide_index=True)
        top = d["order"][:3]
        st.html(maps.STYLE + "".join(
            f"<p style='margin:0.3rem 0 0 0'>channel {c}: input patch, kernel, patch × kernel</p>"
            + maps.grid_html(np.stack([d["patch"][:, :, c], d["kernel"][:, :, c], d["products"][:, :, c]], -1),
                             cell=56, labels=["in", "w", "×"]) for c in top))
        st.markdown(f"sum over all {n} channels **{d['sum']:.4f}** + bias **{d['bias']:.4f}** = "
                    f"{d['before_activation']:.4f} → {d['activation']} → **{e.value:.4f}**")
    elif e.kind == "pool":
        st.markdown(f"The largest of the {d['window'].shape[0]}×{d['window'].shape[1]} window of `{e.sources[0]}` "
                    f"channel {e.unit[2]} wins (in bold):")
        st.html(maps.STYLE + maps.number_grid_html(d["window"], f"{e.sources[0]}, channel {e.unit[2]}",
                                                   d["winner"]))
    elif e.kind == "dense":
        st.markdown(f"Each of the **{d['inputs'].size:,}** inputs from `{e.sources[0]}` times its weight; "
                    f"the {len(d['order'])} largest products:")
        rows = [{"input": int(i), "value": float(d["inputs"][i]), "weight": float(d["weights"][i]),
                 "product": float(d["products"][i])} for i in d["order"]]
        st.dataframe(pd.DataFrame(rows), hide_index=True)
        st.markdown(f"sum of all products **{d['sum']:.4f}** + bias **{d['bias']:.4f}** = "
                    f"{d['before_activation']:.4f} → {d['activation']} → **{e.value:.4f}**")
    elif e.kind == "add":
        st.markdown(" + ".join(f"`{name}` {v:.4f}" for name, v in d["parts"].items()) + f" = **{e.value:.4f}**")
        st.caption("A residual join adds the block's input (the skip path) to what the block computed.")
    elif e.kind == "concatenate":
        st.markdown(f"Channel {e.unit[2]} of this join is channel {d['branch_channel']} of the branch "
                    f"`{d['branch']}`: **{e.value:.4f}**. The branches, laid side by side: "
                    + ", ".join(f"`{n}` ({w} channels)" for n, w in d["widths"].items()) + ".")
    elif e.kind == "batchnorm":
        st.markdown(f"({d['input']:.4f} − mean {d['mean']:.4f}) / √(variance {d['variance']:.4f} + "
                    f"{d['epsilon']:g}) × γ {d['gamma']:.4f} + β {d['beta']:.4f} = **{e.value:.4f}**")
    elif e.kind == "activation":
        st.markdown(f"{d['activation']}({d['input']:.4f}) = **{e.value:.4f}**")
    elif e.kind == "average":
        st.markdown(f"the mean of the {d['map'].shape[0]}×{d['map'].shape[1]} map of `{e.sources[0]}` channel "
                    f"{e.unit[0]} = **{e.value:.4f}**")
    else:
        st.markdown(f"passes on `{e.sources[0]}`'s value unchanged: **{e.value:.4f}**")


def show_unit(choice: Choice, steps: Preprocessed, prediction: Prediction, image: np.ndarray) -> None:
    st.caption("Pick a layer and a channel, then click a cell of its map (or a bar of a dense layer): "
               "below, how that one number was computed from the layer before, and which pixels of your "
               "drawing it can see. The choice stays while you draw again.")
    layer, cell = pick_unit(choice, prediction)
    show_explanation(explain(choice.predictor.model, steps.input, prediction.activations, layer, cell),
                     steps, image)


@st.cache_resource(show_spinner=False)
def shipped_channel_images(name: str) -> dict[str, np.ndarray] | None:
    return load_channel_images(name, shipped_models().models[name])


def channel_images_of(choice: Choice) -> dict[str, np.ndarray] | None:
    """Shipped: from pretrained/channels. Trained here, or not shipped: computed when asked."""
    if not choice.trained_here and not choice.is_own:
        found = shipped_channel_images(choice.name)
        if found is not None:
            return found
    store = st.session_state.setdefault("channel_images", {})
    key = choice.predictor.model
    if key in store:
        return store[key]
    st.info("What each channel looks for is found by gradient ascent on the input: a few seconds per "
            "layer here. " + ("It was not shipped for this model." if not (choice.trained_here or choice.is_own)
                             else "This model is yours, so it is computed for its weights now."))
    if st.button("Compute what each channel looks for", key="compute_channels"):
        bar = st.progress(0.0, text="Optimising inputs…")
        model = choice.predictor.model
        layers = optimisable_layers(model)
        images = {}
        for i, layer in enumerate(layers):
            images[layer] = channel_images(model, layer, progress=lambda f, i=i, layer=layer: bar.progress(
                (i + f) / len(layers), text=f"{layer}: optimising its channels' inputs…"))
        store[key] = images
        bar.empty()
        return images
    return None


def show_channels(choice: Choice, prediction: Prediction) -> None:
    st.caption("For each channel of a convolution: the input that makes it respond most (found by gradient "
               "ascent from faint noise, with jitter and blur so it shows a pattern, each picture stretched "
               "to its own contrast), its learned filter for the first layer, and its map for your "
               "drawing. The channel numbers are the ones used everywhere on this page.")
    if not optimisable_layers(choice.predictor.model):
        st.info("This model has no convolution: its dense units see every pixel at once (their weights "
                "are under Learned filters).")
        return
    images = channel_images_of(choice)
    if images is None:
        return
    layer = st.selectbox("Convolution", list(images), key=f"channels_layer_{choice.name}")
    looks_for = images[layer]
    stretched = (looks_for - looks_for.min(axis=(1, 2), keepdims=True)) / np.maximum(
        np.ptp(looks_for, axis=(1, 2), keepdims=True), 1e-6)
    st.html(maps.STYLE)
    st.markdown(f"**{layer}** · what each channel looks for")
    st.html(maps.grid_html(np.moveaxis(stretched, 0, -1), maps.Scale(False, 1.0, grey=True),
                           caption=f"{layer}: what each channel looks for"))
    model = choice.predictor.model
    kernel = np.asarray(model.get_layer(layer).kernel, np.float32)
    if kernel.shape[2] == 1:
        st.markdown(f"**{layer}** · its filters")
        weights = kernel[:, :, 0, :]
        st.html(maps.grid_html(weights, maps.Scale(True, float(np.abs(weights).max())), cell=56))
    st.markdown(f"**{layer}** · its maps for your drawing")
    st.html(maps.grid_html(prediction.activations[layer]))


@st.cache_resource(show_spinner="Placing the 10,000 test digits…")
def shipped_space(name: str) -> DigitSpace:
    return DigitSpace.build(shipped_models().models[name], mnist())


def space_of(choice: Choice) -> DigitSpace:
    """Shipped models' spaces are shared; a model of this session's gets its own, refreshed at
    each epoch's end while it trains."""
    if not choice.trained_here and not choice.is_own:
        return shipped_space(choice.name)
    job = session().jobs.get(choice.name) if choice.trained_here else None
    epochs = len(job.progress.snapshot().epoch_ends) if job is not None else 0
    store = st.session_state.setdefault("spaces", {})
    key = (choice.predictor.model, epochs)
    if key not in store:
        store.clear()
        with st.spinner("Placing the 10,000 test digits…"):
            store[key] = DigitSpace.build(choice.predictor.model, mnist())
    return store[key]


def show_space(choice: Choice, prediction: Prediction, verdict: Verdict) -> None:
    space = space_of(choice)
    xy, neighbours = space.place(prediction.activations[space.layer])
    st.caption(f"Each dot is a test digit, placed by what the `{space.layer}` layer (the one the softmax reads) "
               f"makes of it, flattened to two dimensions by PCA ({space.variance_shown:.0%} of its spread "
               f"shown). The star is your drawing. A model that tells digits apart puts them in separate "
               f"clusters; while a model trains here, the picture is redrawn at each epoch's end.")
    st.altair_chart(visuals.space_chart(space, xy, verdict.digit), width="stretch")
    st.markdown(f"**Its {len(neighbours)} nearest training digits** in that layer")
    train = mnist().train
    st.image([visuals.enlarge(visuals.to_grey(train.x[i]), 64) for i in neighbours],
             caption=[f"a {train.y[i]}" for i in neighbours])


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
    own = session()
    for mine in own.own_models.values():
        card = own.scorecard(mine.model, mine.predictor)
        rows.append(visuals.own_comparison_row(mine.label, mine.model.count_params(), card.accuracy))
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
        "Params": st.column_config.NumberColumn(format="localized"),
    })
    st.caption(f"Here: the shipped weights, trained with `python -m cnn_demo.train` on this project's "
               f"2-core CPU machine; MNIST accuracy on all 10,000 test images; pen digits: real "
               f"pen-written digits by people none of the models learned from "
               f"(`python -m cnn_demo.evaluate`). Recipe: what each was trained on. Tutorial: the "
               f"published figures of {TUTORIAL}, for its three models.")


def take_collection_upload() -> None:
    uploaded = st.session_state.get("collection_upload")
    if uploaded is None:
        return
    own = session()
    try:
        found = Collection.from_zip(uploaded.getvalue())
        own.collection.extend(found)
    except CollectionError as refusal:
        st.session_state["collection_message"] = ("error", f"{uploaded.name} was not added: {refusal}")
        return
    st.session_state["collection_message"] = ("ok", f"{len(found)} drawing(s) from {uploaded.name} added: "
                                                    f"{len(own.collection)} in all.")


def fine_tune(choice: Choice) -> None:
    refusal = session().fine_tune(choice)
    if refusal:
        st.session_state["refused"] = refusal
    else:
        st.session_state[f"weights_{choice.name}"] = True


def show_your_drawings(choice: Choice) -> None:
    own = session()
    drawings = own.collection
    st.caption("Drawings you labelled yourself (“Not right? Add it to your drawings” under the Prediction). "
               "Fine-tuning teaches the chosen model your handwriting from them, mixed with MNIST images so it "
               "does not forget what it knew. Download them to continue in a later visit.")
    if "collection_message" in st.session_state:
        kind, text = st.session_state.pop("collection_message")
        (st.success if kind == "ok" else st.error)(text)
    if len(drawings):
        x, y = drawings.split()
        read_as = choice.predictor.probabilities(x).argmax(axis=1) if choice.predictor is not None else y
        right = int((read_as == y).sum())
        st.markdown(f"**{len(drawings)} drawing(s)** · the {choice.label} model reads {right} of them right")
        st.image([visuals.enlarge(visuals.to_grey(image), 64) for image in x],
                 caption=[f"{label} · read {read}" for label, read in zip(y, read_as)])
        busy = own.running_job()
        left, middle, _ = st.columns([2, 2, 1])
        left.button(f"Fine-tune {choice.base_label} on them", type="primary", on_click=fine_tune, args=(choice,),
                    disabled=busy is not None or choice.predictor is None, key="fine_tune",
                    help="A few seconds for the tutorial's models: it runs like a live training, with "
                         "progress and Stop, and shows the accuracy before and after.")
        middle.download_button("Download your drawings (.zip)", drawings.to_zip(), file_name="my_digits.zip",
                                mime="application/zip", key="collection_download")
        show_refusal()
    else:
        st.info("No drawings yet: draw a digit, then use “Not right? Add it to your drawings” under the "
                "Prediction.")
    st.file_uploader("Continue with a collection you downloaded (.zip)", type=["zip"], key="collection_upload",
                     on_change=take_collection_upload, max_upload_size=MAX_ZIP_BYTES // 2**20)


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


def training_controls(choice: Choice) -> None:
    own = session()
    busy = own.running_job()
    st.subheader("Train live")
    if choice.is_own:
        st.caption("Training from scratch needs an architecture from the list; your uploaded model can be "
                   "fine-tuned on your own drawings (Your drawings, below the page's drawing views).")
        stop_button(busy)
        return
    name = choice.name
    arch = ARCHITECTURES[name]
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
    show_refusal()
    stop_button(busy)


def show_refusal() -> None:
    if "refused" in st.session_state:
        st.warning(st.session_state.pop("refused"))


def stop_button(busy: TrainingJob | None) -> None:
    if busy is not None:
        st.button(f"Stop training {busy.title}", on_click=busy.stop,
                  disabled=busy.progress.stop_requested, key="stop")


def upload_model() -> None:
    """Sidebar: a visitor's own .keras model joins the choices for this session only."""
    st.subheader("Your own model")
    st.caption("A Keras model (.keras, at most 20 MB) that takes 28×28×1 images with pixels from 0 to 1 "
               "and ends in a ten-way softmax. It joins the Architecture list for your session only; "
               "nothing is kept on the server.")
    st.file_uploader("Upload a .keras model", type=["keras"], key="model_upload", on_change=take_model_upload,
                     max_upload_size=MAX_MODEL_BYTES // 2**20)
    if "upload_message" in st.session_state:
        kind, text = st.session_state.pop("upload_message")
        (st.success if kind == "ok" else st.error)(text)


def take_model_upload() -> None:
    uploaded = st.session_state.get("model_upload")
    if uploaded is None:
        return
    try:
        model = load_uploaded_model(uploaded.getvalue())
    except UploadError as refusal:
        st.session_state["upload_message"] = ("error", f"{uploaded.name} was not added: {refusal}")
        return
    name = session().add_own_model(uploaded.name, model)
    st.session_state["architecture"] = name
    st.session_state["upload_message"] = ("ok", f"{uploaded.name} is now in the Architecture list.")


def training_panel(job: TrainingJob, polling: bool, viewing: Choice) -> None:
    snap = job.progress.snapshot()
    st.subheader(f"Training {job.title}")
    if not job.title.startswith(viewing.base_label):
        st.caption(f"This panel shows the {job.title} training; the drawing above is read by "
                   f"{viewing.base_label}. Choose that model to watch its answer change.")
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
        validation = (f"Validation: {VALIDATION_IMAGES:,} training images the model never learns from, checked "
                      "at each epoch's end. " if job.kind == "trained" else "")
        st.caption("Train: the average over the batches of the current epoch so far (Keras's running mean, "
                   f"which restarts at each epoch). {validation}The test set is read once, at the end.")
    if job.test_accuracy is not None and job.kind == "fine-tuned":
        st.dataframe(pd.DataFrame([{"": name, "before": f"{job.before[name]:.2%}", "after": f"{job.after[name]:.2%}"}
                                   for name in job.after]), hide_index=True)
        st.caption(f"Before: the {viewing.base_label} model as it was; after: fine-tuned on your "
                   f"{len(session().collection)} drawings mixed with MNIST, so that it does not forget.")
        st.download_button(f"Download {job.file_name}.keras", job.keras_bytes(),
                           file_name=f"{job.file_name}.keras", mime="application/octet-stream")
    elif job.test_accuracy is not None:
        shipped_row = shipped_metrics()[0].get(job.file_name, {})
        tutorial = ARCHITECTURES[job.file_name].article_accuracy if job.file_name in ARCHITECTURES else None
        mine, shipped, article = st.columns(3)
        mine.metric("Test accuracy, trained here", f"{job.test_accuracy:.2%}",
                    help=f"{job.config.epochs} epochs on {job.images:,} images; 10,000 test images")
        if "test_accuracy" in shipped_row:
            shipped.metric("Shipped model", f"{shipped_row['test_accuracy']:.2%}",
                           help=f"{shipped_row.get('epochs')} epochs on {shipped_row.get('train_size', 0):,} images")
        if tutorial is not None:
            article.metric("Tutorial", f"{tutorial:.2%}", help=f"The published figure of {TUTORIAL}")
        st.download_button(f"Download {job.file_name}.keras", job.keras_bytes(),
                           file_name=f"{job.file_name}.keras", mime="application/octet-stream")
    if polling and not job.running:
        st.rerun()  # the run just ended: one full rerun turns the polling off


# --- The page ---

def choose_model() -> Choice:
    """The architecture selector (above the canvas, so a phone reaches it) and, once this
    session trained one, the choice between shipped and trained weights."""
    own = session()
    st.session_state.setdefault("architecture", DEFAULT_ARCHITECTURE)
    if st.session_state["architecture"] not in own.names():  # an uploaded model was replaced
        st.session_state["architecture"] = DEFAULT_ARCHITECTURE
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    name = left.selectbox("Architecture", own.names(), key="architecture", format_func=own.label)
    job = own.jobs.get(name)
    trained = False
    if job is not None:
        # labels stay fixed: a label that changed would make Streamlit reset the choice
        first = "Uploaded" if name in own.own_models else "Shipped"
        trained = right.radio("Weights", [False, True], key=f"weights_{name}", horizontal=True,
                              format_func=lambda t: ("Fine-tuned here" if job.kind == "fine-tuned" else
                                                     "Trained here") if t else first)
    choice = own.choose(name, trained, shipped_predictors())
    caption = choice.description
    if job is not None:
        caption += f" {'Fine-tuned' if job.kind == 'fine-tuned' else 'Trained'} here: {describe(job)}."
    st.caption(caption)
    return choice


# The canvas keeps a visible edge on a dark page too.
PAGE_STYLE = "<style>.canvas-container { outline: 1px solid rgba(128, 128, 128, 0.6); }</style>"


def main() -> None:
    st.html(PAGE_STYLE)
    st.markdown("### Draw a digit. Watch a CNN read it.")
    choice = choose_model()
    if choice.predictor is None:
        st.warning(f"The shipped {choice.base_label} model is unavailable: "
                   f"{shipped_models().problems.get(choice.name, 'not loaded')}. "
                   "Train it under Train live (the sidebar) to use it here.")
    own = session()
    with st.sidebar:
        training_controls(choice)
        upload_model()
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
                teach(steps, image)
            show_teach_message()
        if steps is not None:
            with steps_col:
                show_steps(steps)
        if panel_job is not None:
            training_panel(panel_job, polling, choice)
        # lazy tabs, always drawn so the chosen one stays chosen when the canvas is cleared:
        # only the open one is computed on each drawing
        tabs = st.tabs(DRAWING_VIEWS, key="drawing_tabs", on_change="rerun")
        with tabs[0]:
            every_layer = every_layer_switch()
        for tab, show in zip(tabs, (
                lambda: show_layers(choice.predictor, reading[0], every_layer),
                lambda: show_unit(choice, steps, reading[0], image),
                lambda: show_channels(choice, reading[0]),
                lambda: show_space(choice, reading[0], reading[1]),
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
    st.markdown(f"#### The model: {choice.label}")
    filters_tab, test_tab, drawings_tab, compare_tab = st.tabs(
        ["Learned filters", "Test set", "Your drawings", "Compare architectures"], key="model_tabs",
        on_change="rerun")
    if choice.predictor is not None and filters_tab.open:
        with filters_tab:
            show_filters(choice.predictor.model)
    if choice.predictor is not None and test_tab.open:
        with test_tab:
            job = own.jobs.get(choice.name)
            if choice.trained_here and job.running:
                st.info("The test-set report appears when training ends.")
            elif choice.trained_here:
                show_test_set(own.scorecard(job, job.predictor))
            elif choice.is_own:
                show_test_set(own.scorecard(choice.predictor.model, choice.predictor))
            else:
                show_test_set(shipped_scorecard(choice.name))
    if drawings_tab.open:
        with drawings_tab:
            show_your_drawings(choice)
    if compare_tab.open:
        with compare_tab:
            show_comparison()
    replica = os.environ.get("CNN_DEMO_REPLICA")
    if replica:  # behind a balancer: which replica holds this visitor's session
        st.caption(f"Served by replica {replica}")


main()
