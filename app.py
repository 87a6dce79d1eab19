"""Draw a digit, watch a convolutional network read it layer by layer, and train it live.

    streamlit run app.py

This file puts the page together from its parts in `views/` (each lays out one part with
Streamlit); the rules and the numbers live in `cnn_demo`, which never imports Streamlit.
"""

from __future__ import annotations

import os
import warnings

import pandas as pd
import streamlit as st

from cnn_demo import visuals
from cnn_demo.preprocess import CANVAS_OPTIONS, preprocess
from cnn_demo.session import Choice, describe
from views.drawing import draw_canvas, read, show_prediction, show_steps, show_teach_message, teach
from views.inside import (
    every_layer_switch,
    show_all_models,
    show_channels,
    show_layers,
    show_saliency,
    show_space,
    show_unit,
)
from views.model import show_comparison, show_filters, show_test_set, show_your_drawings
from views.shared import release_closed_sessions, session, shipped_models, shipped_predictors, shipped_scorecard
from views.training import training_controls, training_panel, upload_model

POLL_SECONDS = 1.0
DEFAULT_ARCHITECTURE = "pooled"  # the article's best: convolutions and pooling, quick to read
DRAWING_VIEWS = ["Inside the network", "One unit", "What channels look for", "Where it sits",
                 "Where it looked", "All models"]


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
release_closed_sessions()


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


# On a phone the title is one line, so that the Prediction is on the first screen, under the
# canvas. The page starts 4rem down: Streamlit's header is opaque and 60 px tall, and at 3rem
# (2.5rem on a phone) it hid the title's top (nearly all of it on a phone).
# The canvas, the answer and the steps keep a width they can be read at, and the row wraps
# when they do not fit: on a 1024 px projector with the sidebar open the canvas's column was
# 190 px, so the 280 px canvas scrolled sideways, its right third out of reach of the pen, and
# the steps' captions broke inside words ("cen / tred"; they still did at 180 px, not at 200).
# The row is the one holding Clear. On a phone Streamlit stacks every row of columns, and the
# three preprocessing steps stood one under another: kept side by side, they take 204 px of
# the page instead of 472 (from "What the network sees" to the tabs, 390 px wide). One unit's
# map is drawn 20 px a cell (560 px for 28 columns); in a phone's 358 px its columns from 16
# on were cut off, out of reach of a tap: charts shrink to fit instead (Vega draws SVG with a
# viewBox, so a tap still lands on the cell under the finger). On a 1024 px projector with the
# sidebar open, the six drawing tabs took 595 px of a 564 px column, 80 of them the 16 px gaps:
# Streamlit scrolled the bar and "All models" showed as "All" beside its arrow; 8 px gaps fit.
DRAWING_ROW = '[data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] .st-key-clear)'
PAGE_STYLE = f"""<style>
{DRAWING_ROW} > [data-testid="stColumn"]:nth-child(1) {{ min-width: {CANVAS_OPTIONS["width"]}px; }}
{DRAWING_ROW} > [data-testid="stColumn"]:nth-child(2) {{ min-width: 240px; }}
{DRAWING_ROW} > [data-testid="stColumn"]:nth-child(3) {{ min-width: 200px; }}
.cnn-title {{ font-size: 1.6rem; font-weight: 700; margin: 0 0 0.4rem 0; line-height: 1.2; }}
[data-testid="stMainBlockContainer"] {{ padding-top: 4rem; }}
[data-testid="stVegaLiteChart"] svg {{ max-width: 100%; height: auto; }}
@media (max-width: 1200px) {{
  .stTabs [role="tablist"] {{ gap: 0.5rem; }}
}}
@media (max-width: 640px) {{
  .cnn-title {{ font-size: 1.15rem; }}
  .st-key-steps [data-testid="stHorizontalBlock"] {{ flex-wrap: nowrap; }}
  .st-key-steps [data-testid="stColumn"] {{ min-width: 0; width: auto; flex: 1 1 0; }}
}}
</style>"""


def main() -> None:
    st.html(PAGE_STYLE)
    st.html('<div class="cnn-title" role="heading" aria-level="1">Draw a digit. Watch a CNN read it.</div>')
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
                # on a phone the sidebar starts closed, and nothing else on the page said
                # that a network can be trained and watched learning here
                st.info("Draw a digit from 0 to 9 in the black square. "
                        "The network reads it when you lift the pen. To watch one learn, train it "
                        "yourself under **Train live** in the sidebar (» at the top left, if it is closed).")
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
                lambda: show_all_models(steps, own, reading[1].detector))):
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
