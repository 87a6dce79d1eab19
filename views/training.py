"""Train live (the sidebar), the training panel, and uploading a model of one's own."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnn_demo import visuals
from cnn_demo.architectures import ARCHITECTURES
from cnn_demo.fitting import LIVE_VALIDATION_IMAGES, PRESETS, live_config
from cnn_demo.jobs import KEEP_BACK_FROM, KEPT_BACK, TrainingJob
from cnn_demo.own_model import MAX_MODEL_BYTES, UploadError, load_uploaded_model
from cnn_demo.session import Choice
from views.model import TUTORIAL
from views.shared import session, shipped_metrics, show_refusal, training_slots

TRAIN_SIZES = [1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 55_000]


def apply_preset() -> None:
    for key, value in PRESETS[st.session_state["preset"]].items():
        st.session_state[key] = value


def start_training(name: str) -> None:
    state = st.session_state
    config = live_config(name, epochs=int(state["epochs"]), batch_size=state["batch_size"],
                         learning_rate=state["learning_rate"], train_size=state["train_size"])
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
                         help="Quick: 2 to 17 seconds for the tutorial's models here, above 91%. "
                              "As the article: its 10 epochs, minutes per model here.")
    st.number_input("Epochs", 1, 50, key="epochs",
                    help="Passes over the training images. More epochs: better fit, longer wait.")
    st.select_slider("Training images", TRAIN_SIZES, key="train_size",
                     format_func=lambda n: f"{n:,}",
                     help=f"Taken from MNIST's training set; another {LIVE_VALIDATION_IMAGES:,} are kept "
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


def stop_button(busy: TrainingJob | None) -> None:
    if busy is not None:
        st.button(f"Stop training {busy.title}", on_click=busy.stop,
                  disabled=busy.progress.stop_requested, key="stop")
        # on a phone this panel covers the page after Start, and the training seemed not to begin
        st.caption("Its progress, its curves and its answer to your drawing change on the page as it "
                   "learns (on a phone, close this panel with « to watch).")


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
        validation = (f"Validation: {LIVE_VALIDATION_IMAGES:,} training images the model never learns from, checked "
                      "at each epoch's end. " if job.kind == "trained" else "")
        st.caption("Train: the average over the batches of the current epoch so far (Keras's running mean, "
                   f"which restarts at each epoch). {validation}The test set is read once, at the end.")
    if job.test_accuracy is not None and job.kind == "fine-tuned":
        st.dataframe(pd.DataFrame([{"": name, "images": len(job.checks[name].y), "before": f"{job.before[name]:.2%}",
                                    "after": f"{job.after[name]:.2%}"} for name in job.after]), hide_index=True,
                     column_config={"images": st.column_config.NumberColumn(format="localized")})
        fairly = ("The drawings kept back (one in five) were never learned from: how it reads them, not the "
                  "others, tells whether it learned your handwriting rather than those drawings."
                  if KEPT_BACK in job.after else
                  f"From {KEEP_BACK_FROM} drawings on, one in five is kept back from the fine-tuning, to score "
                  "it on drawings it did not learn.")
        st.caption(f"Before: the {viewing.base_label} model as it was; after: fine-tuned on your drawings mixed "
                   f"with MNIST, so that it does not forget. {fairly}")
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
