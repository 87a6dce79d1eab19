"""The page's logic, run in-process by Streamlit's AppTest with a drawing handed in.

AppTest does not render custom components, so `st_canvas` is replaced by a stand-in
returning a known image: the rest of the page runs for real.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_demo.architectures import ARCHITECTURES
from cnn_demo.strokes import DIGITS, place, render

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def drawing(monkeypatch):
    """Holds the image the canvas returns; set `drawing.image` to draw.

    The stand-in module replaces the real one outright: a components-v2 package can only
    be imported inside a running server, which AppTest is not.
    """
    holder = SimpleNamespace(image=None)
    fake = ModuleType("streamlit_drawable_canvas")
    fake.st_canvas = lambda **kwargs: SimpleNamespace(image_data=holder.image)
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", fake)
    return holder


@pytest.fixture
def app(drawing) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    return at


def image_captions(at: AppTest) -> list[str]:
    return [image.caption for element in at.get("image") for image in element.proto.imgs]


def table_with(at: AppTest, column: str):
    """The first dataframe on the page that has `column`."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def prediction(at: AppTest) -> str | None:
    metrics = [m for m in at.metric if m.label == "Prediction"]
    return metrics[0].value if metrics else None


def test_empty_canvas_shows_a_hint_and_no_prediction(app):
    assert not app.exception
    assert prediction(app) is None
    assert any("Draw a digit" in info.value for info in app.info)


@pytest.mark.parametrize("name", ARCHITECTURES)
@pytest.mark.parametrize("digit", [3, 7])
def test_drawn_digit_is_predicted_under_each_architecture(app, drawing, name, digit):
    drawing.image = render(place(DIGITS[digit], 45, 40, 190))
    app.radio(key="architecture").set_value(name).run()
    assert not app.exception
    assert prediction(app) == str(digit)


def test_architecture_switch_changes_the_layers_shown(app, drawing):
    drawing.image = render(place(DIGITS[4], 45, 40, 190))
    app.run()
    baseline_text = " ".join(md.value for md in app.markdown)
    app.radio(key="architecture").set_value("pooled").run()
    pooled_text = " ".join(md.value for md in app.markdown)
    assert "conv_1" not in baseline_text and "pool_2" not in baseline_text
    assert "**conv_1** · Conv2D · 28×28×64" in pooled_text and "**pool_2** · MaxPooling2D · 7×7×32" in pooled_text


def test_model_summary_lists_every_layer_with_its_parameters(app):
    app.radio(key="architecture").set_value("conv").run()
    table = table_with(app, "Layer")
    assert list(table["Layer"]) == ["conv_1", "conv_2", "flatten", "dense_1", "dense_2", "softmax"]
    assert table["Params"].sum() == 823_338


def test_training_a_tiny_run_ends_with_a_test_accuracy_beside_the_shipped_and_the_articles(app, drawing):
    drawing.image = render(place(DIGITS[1], 45, 40, 190))
    app.number_input(key="epochs").set_value(1)
    app.select_slider(key="train_size").set_value(1_000)
    app.select_slider(key="batch_size").set_value(16)
    [start] = [b for b in app.button if b.label == "Start training Baseline"]
    start.click().run()
    assert not app.exception
    job = app.session_state["jobs"]["baseline"]
    job.join(timeout=120)
    app.run()
    labels = {m.label: m.value for m in app.metric}
    assert float(labels["Test accuracy, trained here"].rstrip("%")) > 50
    assert "Shipped model" in labels and labels["Article"] == "92.33%"
    assert app.radio(key="weights_baseline").value == "trained"
    assert len(app.get("download_button")) == 1


def test_second_start_while_training_is_refused_with_a_message(app):
    app.select_slider(key="train_size").set_value(60_000)
    [start] = [b for b in app.button if b.label.startswith("Start training")]
    start.click().run()
    job = app.session_state["jobs"]["baseline"]
    try:
        app.radio(key="architecture").set_value("pooled").run()
        [start] = [b for b in app.button if b.label.startswith("Start training")]
        start.click().run()
        assert any("still training" in w.value for w in app.warning)
        assert "pooled" not in app.session_state["jobs"]
    finally:
        job.stop()
        job.join(timeout=60)


def test_stop_button_ends_a_run_and_keeps_the_partly_trained_model_labelled(app, drawing):
    drawing.image = render(place(DIGITS[7], 45, 40, 190))
    app.select_slider(key="train_size").set_value(60_000)
    [start] = [b for b in app.button if b.label.startswith("Start training")]
    start.click().run()
    job = app.session_state["jobs"]["baseline"]
    [stop] = [b for b in app.button if b.label == "Stop training Baseline"]
    stop.click().run()
    job.join(timeout=60)
    app.run()
    assert not job.running and job.progress.snapshot().stopped
    assert any("Stopped in epoch" in p.proto.text for p in app.get("progress"))
    assert app.radio(key="weights_baseline").value == "trained"
    assert any("Trained here: stopped early, in epoch 1 of 3" in c.value for c in app.caption)
    assert prediction(app) is not None


def test_a_second_session_waits_in_line_for_the_training_slot_and_sees_its_place(drawing):
    first, second = AppTest.from_file(APP, default_timeout=120), AppTest.from_file(APP, default_timeout=120)
    for at in (first, second):
        at.run()
        at.select_slider(key="train_size").set_value(60_000)
    [start] = [b for b in first.button if b.label.startswith("Start training")]
    start.click().run()
    [start] = [b for b in second.button if b.label.startswith("Start training")]
    start.click().run()
    first_job, second_job = (at.session_state["jobs"]["baseline"] for at in (first, second))
    try:
        assert any("place 1 in line" in info.value for info in second.info)
        assert second_job.place_in_line == 1 and first_job.place_in_line is None
    finally:
        for job in (second_job, first_job):  # the waiting one first, so it never gets the slot
            job.stop()
            job.join(timeout=60)
    assert not second_job.running and second_job.progress.snapshot().batches == []


def test_a_sessions_trained_model_is_invisible_to_another_session(drawing):
    drawing.image = render(place(DIGITS[7], 45, 40, 190))
    trainer, other = AppTest.from_file(APP, default_timeout=120), AppTest.from_file(APP, default_timeout=120)
    trainer.run()
    trainer.number_input(key="epochs").set_value(1)
    trainer.select_slider(key="train_size").set_value(1_000)
    [start] = [b for b in trainer.button if b.label.startswith("Start training")]
    start.click().run()
    trainer.session_state["jobs"]["baseline"].join(timeout=120)
    other.run()
    assert "jobs" not in other.session_state or other.session_state["jobs"] == {}
    assert not [r for r in other.radio if r.label == "Weights"]
    assert prediction(other) == "7"


def test_a_missing_shipped_model_is_named_with_its_reason_and_training_is_offered(drawing, monkeypatch):
    import streamlit as st

    from cnn_demo import pretrained

    broken = pretrained.Shipped(problems={name: f"{name}.keras is missing" for name in ARCHITECTURES})
    monkeypatch.setattr(pretrained, "load_shipped_models", lambda: broken)
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=120)
        drawing.image = render(place(DIGITS[7], 45, 40, 190))
        at.run()
        assert not at.exception
        assert any("Baseline model is unavailable: baseline.keras is missing" in w.value for w in at.warning)
        assert any(b.label == "Start training Baseline" for b in at.button)
        assert prediction(at) is None
    finally:
        st.cache_resource.clear()


def test_a_dot_shows_a_question_mark_and_why_instead_of_a_digit(app, drawing):
    image = np.zeros((280, 280, 4), np.uint8)
    image[..., 3] = 255
    image[130:150, 130:150] = 255
    drawing.image = image
    app.run()
    assert prediction(app) == "?"
    assert any("Too small to read" in c.value for c in app.caption)


def open_tab(at: AppTest, tabs_key: str, label: str) -> AppTest:
    """Select a lazy tab the way a click would: through its keyed state, then rerun."""
    at.session_state[tabs_key] = label
    return at.run()


def test_where_it_looked_shows_the_input_beside_its_saliency(app, drawing):
    drawing.image = render(place(DIGITS[7], 45, 40, 190))
    app.radio(key="architecture").set_value("pooled").run()
    open_tab(app, "drawing_tabs", "Where it looked")
    assert not app.exception
    assert "where a change would most sway the answer 7" in image_captions(app)
    assert any("SmoothGrad" in c.value for c in app.caption)


def test_all_models_reads_the_drawing_with_every_architecture(app, drawing):
    drawing.image = render(place(DIGITS[3], 45, 40, 190))
    app.run()
    open_tab(app, "drawing_tabs", "All models")
    assert not app.exception
    table = table_with(app, "Prediction")
    assert list(table["Architecture"]) == [a.label for a in ARCHITECTURES.values()]
    assert (table["Prediction"] == "3").all()


def test_branching_layers_say_which_layers_feed_them(app, drawing):
    drawing.image = render(place(DIGITS[3], 45, 40, 190))
    app.radio(key="architecture").set_value("inception").run()
    headings = [md.value for md in app.markdown]
    assert not app.exception
    assert any(h.startswith("**inception_1_join** · Concatenate") and
               "from inception_1_1x1 + inception_1_3x3 + inception_1_5x5 + inception_1_pool_proj" in h
               for h in headings)


def test_learned_filters_show_the_first_convolutions_kernels(app):
    app.radio(key="architecture").set_value("pooled").run()
    assert not app.exception
    assert any(md.value == "**conv_1** · 64 learned 3×3 filters" for md in app.markdown)


def test_baseline_filters_are_its_dense_units_as_28x28_pictures(app):
    assert any(md.value == "**dense_1** · 32 learned 28×28 filters" for md in app.markdown)


def test_test_set_view_shows_accuracy_confusion_matrix_and_misread_digits(app):
    app.radio(key="architecture").set_value("pooled").run()
    open_tab(app, "model_tabs", "Test set")
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    shipped = json.loads((Path(APP).parent / "pretrained" / "metrics.json").read_text())["pooled"]
    assert metrics["Test accuracy"] == f"{shipped['test_accuracy']:.2%}"
    assert any("misread test digits" in md.value for md in app.markdown)
    assert len(app.get("vega_lite_chart")) >= 1


def test_comparison_table_lists_every_architecture_beside_the_articles_figures(app):
    open_tab(app, "model_tabs", "Compare architectures")
    assert not app.exception
    table = table_with(app, "Article: test accuracy")
    assert list(table["Architecture"]) == [a.label for a in ARCHITECTURES.values()]
    assert table.set_index("Architecture").loc["Pooled", "Article: test accuracy"] == 0.9838
    assert table["Test accuracy here"].notna().all()


def test_the_app_stops_streamlit_clearing_the_keras_session_after_each_run(app, monkeypatch):
    import keras
    from streamlit.runtime.scriptrunner import script_runner

    cleared = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: cleared.append(True))
    script_runner._clean_problem_modules()
    assert cleared == []
