"""The views of the chosen model: its learned filters, its test-set report, the visitor's own
drawings (and fine-tuning on them), and the comparison of every architecture."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cnn_demo import maps, visuals
from cnn_demo.collection import MAX_ZIP_BYTES, Collection, CollectionError
from cnn_demo.inference import Scorecard
from cnn_demo.jobs import KEEP_BACK_FROM
from cnn_demo.pretrained import load_pen_digit_figures
from cnn_demo.session import Choice
from views.shared import mnist, session, shipped_metrics, show_refusal

TUTORIAL = ("the Keras tutorial this lab grew out of, which compares a dense baseline, "
            "a convolutional net and a pooled convolutional net on MNIST")


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
    # Each filter on its own scale by default: on one scale, 31 of the shipped Residual's 32 stem
    # filters stayed under a third of the colour range (its strongest weight is 2.91, the median
    # filter's largest 0.17; Pooled: 10 of 64), so nearly all of them looked black.
    noun = "unit" if dense else "filter"
    own_scales = st.toggle(f"Each {noun} on its own colour scale", value=True, key="filter_scales",
                           help="Off: one colour scale for all of them, to compare their strengths.")
    cell = 72 if weights.shape[0] < 10 else 56
    if own_scales:
        st.html(maps.grid_html(maps.each_channel_scaled(weights), maps.Scale(True, 1.0), cell=cell,
                               ends=("−its largest", "+its largest")))
        st.caption(f"Each {noun} is drawn on its own scale, its largest weight in full colour, so a weak "
                   f"one shows its pattern as clearly as a strong one.")
    else:
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
               f"(`python -m cnn_demo.evaluate`). Recipe: what each was trained on; distilled: taught "
               f"the answers of two trained models too, one that knows MNIST for MNIST's images and one "
               f"that knows the pen drawings for those. Tutorial: the "
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
               f"does not forget what it knew; from {KEEP_BACK_FROM} drawings on, one in five is kept back to test it. "
               "Download them to continue in a later visit.")
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
