"""The views of one drawing: every layer, one unit's arithmetic, what channels look for, where the
drawing sits, where the model looked, and every model's reading."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cnn_demo import bars, maps, visuals
from cnn_demo.embedding import DigitSpace
from cnn_demo.feature_vis import channel_images, optimisable_layers
from cnn_demo.inference import Prediction, Predictor
from cnn_demo.preprocess import Preprocessed, ink_intensity
from cnn_demo.session import Choice, Session
from cnn_demo.unit import Explanation, explain
from cnn_demo.verdict import NOT_A_DIGIT_THRESHOLD, DetectorReading, Verdict, judge, percent
from views.shared import mnist, session, shipped_channel_images, shipped_predictors, shipped_space


def every_layer_switch() -> bool:
    """Drawn on every run, drawing or not, so that Streamlit keeps its state across a Clear."""
    return st.toggle("Show every layer", key="every_layer",
                     help="Folded away by default: batch normalisation, activation and dropout "
                          "layers, which rescale, clip or pass on the layer before them, and the "
                          "layers inside a residual or inception block, whose join (Add, "
                          "Concatenate) shows what they made.")


def show_layers(predictor: Predictor, prediction: Prediction, every_layer: bool) -> None:
    st.caption("A **feature map** is one channel's response at every position of the image; a "
               "**channel** is one learned filter slid over the layer's input, bright where the input "
               "looks like what it looks for. Each layer has its own colour scale (the bar under it): "
               "dark is zero. Where a layer also has negative values, blue is below zero and orange "
               "above. Channel numbers match the Learned filters tab.")
    st.html(maps.STYLE + bars.STYLE)
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
            st.html(bars.vector_bars(view.values))


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


def show_all_models(steps: Preprocessed, own: Session, reading: DetectorReading | None) -> None:
    """Every model's verdict on the drawing, judged with the detector's `reading` of it (read
    once, for the Prediction above)."""
    if steps.problem is not None:  # "?" in every row: say why, not what the detector makes of it
        st.caption(f"{steps.problem} Each model below still gives the digit its softmax would pick.")
    elif reading is not None:
        refused = reading.not_a_digit >= NOT_A_DIGIT_THRESHOLD
        looks = "does not look like a digit" if refused else f"looks like a digit, a {reading.digit}"
        letter = reading.letter_phrase() if refused else ""
        st.caption(f"The digit detector: this {looks} ({percent(1 - reading.not_a_digit)} digit){letter}. "
                   "Each model below still gives the digit its softmax would pick.")
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
            verdict = judge(probabilities, reading, steps.problem)
            rows.append({"Architecture": label, "Weights": weights, "Prediction": verdict.text,
                         "Softmax says": verdict.softmax_says, "Confidence": verdict.confidence})
    table = pd.DataFrame(rows)
    if (table["Weights"] == "shipped").all():
        # says nothing until a model is trained or uploaded here; without it, a 390 px phone
        # shows the softmax's answer beside the verdict instead of cutting it off
        table = table.drop(columns="Weights")
    # The bar alone, no number: "Softmax says" beside it gives the percent without rounding a
    # saturated softmax up to "100%" (`verdict.percent`), which the column's format would.
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "Confidence": st.column_config.ProgressColumn("Confidence", format=" ", min_value=0, max_value=1)})


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
    event = st.vega_lite_chart(spec=visuals.unit_chart(shown, cell, st.context.theme.type == "dark"),
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


# Its own fragment: a click on a cell reruns this view alone, not the canvas, the model and the
# detector around it (`python -m cnn_demo.bench --sections unit_click`).
@st.fragment
def show_unit(choice: Choice, steps: Preprocessed, prediction: Prediction, image: np.ndarray) -> None:
    st.caption("Pick a layer and a channel, then click a cell of its map (or a bar of a dense layer): "
               "below, how that one number was computed from the layer before, and which pixels of your "
               "drawing it can see. The choice stays while you draw again.")
    layer, cell = pick_unit(choice, prediction)
    show_explanation(explain(choice.predictor.model, steps.input, prediction.activations, layer, cell),
                     steps, image)


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
