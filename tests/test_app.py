"""The page's logic, run in-process by Streamlit's AppTest with a drawing handed in.

AppTest does not render custom components, so `st_canvas` is replaced by a stand-in
returning a known image: the rest of the page runs for real.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_demo.architectures import ARCHITECTURES
from cnn_demo.strokes import PLACEMENTS, TOUCHING_42, digit, render

APP = str(Path(__file__).resolve().parent.parent / "app.py")
A_DIGIT = digit(3)
EMPTY_CANVAS = np.zeros((280, 280, 4), np.uint8)


@pytest.fixture(scope="module", autouse=True)
def components_scanned_once() -> Iterator[None]:
    """Each new AppTest scans every installed package's metadata for Streamlit components (0.14 s
    at best, more under load), though the packages do not change while the tests run: scanned
    once, this file's 65 tests took 77 s instead of 93 (2026-12-03)."""
    from streamlit.components.v2 import manifest_scanner

    patch = pytest.MonkeyPatch()
    patch.setattr(manifest_scanner, "scan_component_manifests",
                  functools.cache(manifest_scanner.scan_component_manifests))
    yield
    patch.undo()


@pytest.fixture
def drawing(monkeypatch):
    """Holds the image the canvas returns; set `drawing.image` to draw.

    The stand-in module replaces the real one outright: a components-v2 package can only be
    imported inside a running server, which AppTest is not.
    """
    holder = SimpleNamespace(image=None)

    def st_canvas(key: str, **kwargs):
        return SimpleNamespace(image_data=holder.image)

    fake = ModuleType("streamlit_drawable_canvas")
    fake.st_canvas = st_canvas
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", fake)
    if "views.drawing" in sys.modules:  # imported by an earlier test: hand it this test's canvas
        monkeypatch.setattr(sys.modules["views.drawing"], "st_canvas", st_canvas)
    return holder


@pytest.fixture
def app(drawing) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    return at


def image_captions(at: AppTest) -> list[str]:
    return [image.caption for element in at.get("image") for image in element.proto.imgs]


def html_blocks(at: AppTest) -> list[str]:
    return [element.proto.body for element in at.get("html")]


def table_with(at: AppTest, column: str):
    """The first dataframe on the page that has `column`."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def prediction(at: AppTest) -> str | None:
    metrics = [m for m in at.metric if m.label == "Prediction"]
    return metrics[0].value if metrics else None


def choose(at: AppTest, name: str) -> AppTest:
    return at.selectbox(key="architecture").set_value(name).run()


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def jobs(at: AppTest) -> dict:
    return at.session_state["session"].jobs if "session" in at.session_state else {}


def start_tiny_training(at: AppTest, name: str = "baseline", train_size: int = 1_000) -> None:
    """Start a one-epoch run of `name` on few images and small batches."""
    choose(at, name)
    at.number_input(key="epochs").set_value(1)
    at.select_slider(key="train_size").set_value(train_size)
    at.select_slider(key="batch_size").set_value(16)
    button(at, f"Start training {ARCHITECTURES[name].label}").click().run()


@contextmanager
def training_under_way(at: AppTest) -> Iterator:
    """A Baseline run on 55,000 images, still going while the body looks at the page; stopped after."""
    start_tiny_training(at, train_size=55_000)
    job = jobs(at)["baseline"]
    try:
        yield job
    finally:
        job.stop()
        job.join(timeout=60)


def test_empty_canvas_shows_a_hint_and_no_prediction(app):
    assert not app.exception
    assert prediction(app) is None
    assert any("Draw a digit" in info.value for info in app.info)


def test_the_first_hint_says_where_to_train_a_network_live(app):
    hint = next(info.value for info in app.info if "Draw a digit" in info.value)
    assert "**Train live** in the sidebar" in hint


def test_the_page_opens_on_pooled_and_shows_feature_maps_after_the_first_drawing(app, drawing):
    assert app.selectbox(key="architecture").value == "pooled"
    drawing.image = render(A_DIGIT)
    app.run()
    assert prediction(app) == "3"
    headings = [md.value for md in app.markdown]
    assert "**conv_1** · Conv2D · 28×28×64" in headings
    maps = [block for block in html_blocks(app) if 'aria-label="**' in block]  # the layers' grids
    assert len(maps) == 4 and 'aria-label="**pool_2** · MaxPooling2D · 7×7×32"' in maps[3]


@pytest.mark.parametrize("name", ARCHITECTURES)
@pytest.mark.parametrize("d", [3, 7])
def test_drawn_digit_is_predicted_under_each_architecture(app, drawing, name, d):
    drawing.image = render(digit(d))
    choose(app, name)
    assert not app.exception
    assert prediction(app) == str(d)


def test_architecture_switch_changes_the_layers_shown(app, drawing):
    drawing.image = render(digit(4))
    choose(app, "baseline")
    baseline_text = " ".join(md.value for md in app.markdown)
    choose(app, "pooled")
    pooled_text = " ".join(md.value for md in app.markdown)
    assert "conv_1" not in baseline_text and "pool_2" not in baseline_text
    assert "**conv_1** · Conv2D · 28×28×64" in pooled_text and "**pool_2** · MaxPooling2D · 7×7×32" in pooled_text


def test_batch_normalisation_activation_and_block_insides_are_folded_until_every_layer_is_asked_for(
        app, drawing):
    drawing.image = render(A_DIGIT)
    choose(app, "pooled_batchnorm")
    shown = " ".join(md.value for md in app.markdown)
    assert "**conv_1** · Conv2D" in shown and "**norm_1** ·" not in shown
    choose(app, "residual")
    folded = " ".join(md.value for md in app.markdown)
    assert "**block_1_add** · Add" in folded and "block_1_conv_a** ·" not in folded
    assert any(c.value == "⋯ folded: block_1_conv_a, block_1_norm_a, block_1_relu_a, block_1_conv_b, "
                          "block_1_norm_b" for c in app.caption)
    app.toggle(key="every_layer").set_value(True).run()
    everything = " ".join(md.value for md in app.markdown)
    assert "**block_1_conv_a** · Conv2D · 28×28×32" in everything
    assert "**block_1_norm_a** · BatchNormalization · 28×28×32" in everything
    assert "**block_1_relu_a** · Activation · 28×28×32" in everything


def test_show_every_layer_stays_on_when_the_canvas_is_emptied_and_drawn_on_again(app, drawing):
    drawing.image = render(A_DIGIT)
    choose(app, "residual")
    app.toggle(key="every_layer").set_value(True).run()
    drawing.image = EMPTY_CANVAS  # what the canvas sends on Clear
    app.run()
    drawing.image = render(A_DIGIT)
    app.run()
    assert app.toggle(key="every_layer").value is True
    assert "**block_1_norm_a** · BatchNormalization · 28×28×32" in " ".join(md.value for md in app.markdown)


def test_a_layer_with_negative_values_gets_a_two_sided_colour_scale(app, drawing):
    drawing.image = render(A_DIGIT)
    choose(app, "residual")
    blocks = [b for b in html_blocks(app) if 'class="cnn-maps"' in b]
    # the stem convolution ends in a ReLU: one-sided; a residual block's convolutions do not
    assert 'class="signed"' not in blocks[0] and 'class="signed"' in blocks[1]


def test_model_summary_lists_every_layer_with_its_parameters(app):
    choose(app, "conv")
    table = table_with(app, "Layer")
    assert list(table["Layer"]) == ["conv_1", "conv_2", "flatten", "dense_1", "dense_2", "softmax"]
    assert list(table["Output"])[:2] == ["28×28×64", "28×28×32"]
    assert table["Params"].sum() == 823_338


def test_training_a_tiny_run_ends_with_a_test_accuracy_beside_the_shipped_and_the_tutorials(app, drawing):
    drawing.image = render(digit(1))
    start_tiny_training(app)
    assert not app.exception
    job = jobs(app)["baseline"]
    job.join(timeout=120)
    app.run()
    labels = {m.label: m.value for m in app.metric}
    assert float(labels["Test accuracy, trained here"].rstrip("%")) > 50
    assert "Shipped model" in labels and labels["Tutorial"] == "92.33%"
    assert app.radio(key="weights_baseline").value is True
    assert len(app.get("download_button")) == 1


def test_a_live_training_validates_on_training_images_kept_aside_not_on_the_test_set(app):
    start_tiny_training(app)
    job = jobs(app)["baseline"]
    job.join(timeout=120)
    assert job.config.validation_size == 5_000
    (end,) = job.progress.snapshot().epoch_ends
    assert end.val_accuracy is not None
    app.run()
    assert any("training images the model never learns from" in c.value for c in app.caption)


def test_start_is_disabled_while_this_session_trains(app):
    with training_under_way(app):
        choose(app, "pooled")
        assert button(app, "Start training Pooled").disabled
        assert "pooled" not in jobs(app)


def test_while_it_trains_the_sidebar_says_where_to_watch_it_learn(app):
    with training_under_way(app):
        assert any("close this panel with « to watch" in c.value for c in app.sidebar.caption)


def test_the_quick_preset_fills_in_the_settings(app):
    app.segmented_control(key="preset").set_value("As the article").run()
    assert (app.number_input(key="epochs").value, app.select_slider(key="train_size").value) == (10, 55_000)
    app.segmented_control(key="preset").set_value("Quick").run()
    assert (app.number_input(key="epochs").value, app.select_slider(key="train_size").value) == (3, 10_000)


def test_the_training_panel_says_when_it_shows_another_architecture_than_the_drawing(app, drawing):
    drawing.image = render(A_DIGIT)
    with training_under_way(app):
        choose(app, "conv")
        assert any("This panel shows the Baseline training; the drawing above is read by Conv" in c.value
                   for c in app.caption)


def test_stop_button_ends_a_run_and_keeps_the_partly_trained_model_labelled(app, drawing):
    drawing.image = render(digit(7))
    choose(app, "baseline")
    app.select_slider(key="train_size").set_value(55_000)
    button(app, "Start training Baseline").click().run()
    job = jobs(app)["baseline"]
    button(app, "Stop training Baseline").click().run()
    job.join(timeout=60)
    app.run()
    assert not job.running and job.progress.snapshot().stopped
    assert any("Stopped in epoch" in p.proto.text for p in app.get("progress"))
    assert app.radio(key="weights_baseline").value is True
    assert any("Trained here: stopped early, in epoch 1 of 3" in c.value for c in app.caption)
    assert prediction(app) is not None


def test_a_second_session_waits_in_line_for_the_training_slot_and_sees_its_place(drawing):
    first, second = AppTest.from_file(APP, default_timeout=120), AppTest.from_file(APP, default_timeout=120)
    for at in (first, second):
        at.run()
        choose(at, "baseline")
        at.select_slider(key="train_size").set_value(55_000)
        button(at, "Start training Baseline").click().run()
    first_job, second_job = jobs(first)["baseline"], jobs(second)["baseline"]
    try:
        assert any("place 1 in line" in info.value for info in second.info)
        assert second_job.place_in_line == 1 and first_job.place_in_line is None
    finally:
        for job in (second_job, first_job):  # the waiting one first, so it never gets the slot
            job.stop()
            job.join(timeout=60)
    assert not second_job.running and second_job.progress.snapshot().batches == []


def test_a_sessions_trained_model_is_invisible_to_another_session(drawing):
    drawing.image = render(digit(7))
    trainer, other = AppTest.from_file(APP, default_timeout=120), AppTest.from_file(APP, default_timeout=120)
    trainer.run()
    start_tiny_training(trainer)
    jobs(trainer)["baseline"].join(timeout=120)
    other.run()
    choose(other, "baseline")
    assert jobs(other) == {}
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
        drawing.image = render(digit(7))
        at.run()
        assert not at.exception
        assert any("Pooled model is unavailable: pooled.keras is missing" in w.value for w in at.warning)
        assert any(b.label == "Start training Pooled" for b in at.button)
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


def test_a_number_of_two_digits_shows_a_question_mark_and_asks_for_one_digit_at_a_time(app, drawing):
    drawing.image = render(digit(4, (10, 70, 120)) + digit(2, (150, 70, 120)))
    app.run()
    assert prediction(app) == "?"
    assert any(c.value == "Two drawings side by side: draw one digit at a time." for c in app.caption)


def test_a_number_of_two_digits_that_touch_is_not_a_digit_for_every_architecture(app, drawing):
    drawing.image = render(TOUCHING_42)
    app.run()
    assert prediction(app) == "Not a digit"
    open_tab(app, "drawing_tabs", "All models")
    assert (table_with(app, "Prediction")["Prediction"] == "Not a digit").all()


def test_all_models_says_why_it_reads_no_digit_in_a_number_of_two_digits(app, drawing):
    drawing.image = render(digit(4, (10, 70, 120)) + digit(2, (150, 70, 120)))
    app.run()
    open_tab(app, "drawing_tabs", "All models")
    assert (table_with(app, "Prediction")["Prediction"] == "?").all()
    assert any(c.value.startswith("Two drawings side by side: draw one digit at a time. Each model below")
               for c in app.caption)
    assert not any("The digit detector:" in c.value for c in app.caption)


def test_a_drawn_letter_is_not_a_digit_and_the_page_says_what_the_softmax_would_have_said(app, drawing):
    drawing.image = render([[(60, 240), (140, 40), (220, 240)], [(95, 160), (185, 160)]])  # an A
    app.run()
    assert prediction(app) == "Not a digit"
    [caption] = [c.value for c in app.caption if "not a digit" in c.value]
    assert "The model alone would have said" in caption and "always" in caption
    assert "a network taught capital letters reads the letter A (over 99%)" in caption


def test_an_emptied_canvas_takes_the_prediction_away_and_keeps_the_chosen_tab(app, drawing):
    # Clear empties the canvas in the browser (views/canvas_script.py, tested in Chromium); the
    # canvas then sends its empty drawing, as here
    drawing.image = render(A_DIGIT)
    app.run()
    open_tab(app, "drawing_tabs", "Where it looked")
    drawing.image = EMPTY_CANVAS
    app.run()
    assert prediction(app) is None
    assert app.session_state["drawing_tabs"] == "Where it looked"
    drawing.image = render(A_DIGIT)
    app.run()
    assert prediction(app) == "3" and app.session_state["drawing_tabs"] == "Where it looked"
    assert "where a change would most sway the answer 3" in image_captions(app)


def open_tab(at: AppTest, tabs_key: str, label: str) -> AppTest:
    """Select a lazy tab the way a click would: through its keyed state, then rerun."""
    at.session_state[tabs_key] = label
    return at.run()


def test_where_it_looked_shows_the_input_beside_its_saliency(app, drawing):
    drawing.image = render(digit(7))
    app.run()
    open_tab(app, "drawing_tabs", "Where it looked")
    assert not app.exception
    assert "where a change would most sway the answer 7" in image_captions(app)
    assert any("SmoothGrad" in c.value for c in app.caption)


@pytest.mark.parametrize("d", range(10))
def test_all_models_reads_each_digit_right_with_every_architecture(app, drawing, d):
    where = list(PLACEMENTS.values())
    drawing.image = render(digit(d, where[d % len(where)]))
    app.run()
    open_tab(app, "drawing_tabs", "All models")
    assert not app.exception
    table = table_with(app, "Prediction")
    assert list(table["Architecture"]) == [a.label for a in ARCHITECTURES.values()]
    assert (table["Prediction"] == str(d)).all()
    assert table["Softmax says"].str.startswith(f"{d}, ").all()


def test_no_answer_on_the_page_is_said_to_be_100_percent_sure(app, drawing):
    drawing.image = render(A_DIGIT)
    app.run()
    open_tab(app, "drawing_tabs", "All models")
    captions, softmax_says = [c.value for c in app.caption], list(table_with(app, "Prediction")["Softmax says"])
    assert "over 99% sure" in captions and "3, over 99% sure" in softmax_says  # a clear 3 saturates softmaxes
    assert not any("100%" in text for text in captions + softmax_says)


def test_all_models_names_the_weights_only_once_a_model_was_trained_here(app, drawing):
    drawing.image = render(digit(1))
    app.run()
    open_tab(app, "drawing_tabs", "All models")
    assert "Weights" not in table_with(app, "Prediction").columns  # all shipped: nothing to tell apart
    start_tiny_training(app)
    jobs(app)["baseline"].join(timeout=120)
    app.run()
    table = table_with(app, "Prediction")
    baseline = table[table["Architecture"] == "Baseline"]
    assert list(baseline["Weights"]) == ["shipped", "trained here"]
    assert (table[table["Architecture"] != "Baseline"]["Weights"] == "shipped").all()


def test_all_models_says_not_a_digit_for_a_letter_for_every_architecture(app, drawing):
    drawing.image = render([[(60, 240), (140, 40), (220, 240)], [(95, 160), (185, 160)]])
    app.run()
    open_tab(app, "drawing_tabs", "All models")
    table = table_with(app, "Prediction")
    assert (table["Prediction"] == "Not a digit").all()
    assert any("does not look like a digit (under 1% digit): a network taught capital letters reads the letter A"
               in c.value for c in app.caption)


def test_with_all_models_open_a_drawing_is_read_by_the_detector_once(app, drawing, monkeypatch):
    from cnn_demo.detector import DigitDetector

    reads = []
    real_read = DigitDetector.read
    monkeypatch.setattr(DigitDetector, "read", lambda self, x: reads.append(len(x)) or real_read(self, x))
    open_tab(app, "drawing_tabs", "All models")
    drawing.image = render(digit(3))
    app.run()
    assert table_with(app, "Prediction")["Prediction"].eq("3").all()
    assert reads == [1]


def test_branching_layers_say_which_layers_feed_them(app, drawing):
    drawing.image = render(A_DIGIT)
    choose(app, "inception")
    headings = [md.value for md in app.markdown]
    assert not app.exception
    assert any(h.startswith("**inception_1_join** · Concatenate") and
               "from inception_1_1x1 + inception_1_3x3 + inception_1_5x5 + inception_1_pool_proj" in h
               for h in headings)


def test_learned_filters_show_the_first_convolutions_numbered_kernels(app):
    assert not app.exception
    assert any(md.value == "**conv_1** · 64 learned 3×3 filters" for md in app.markdown)
    [grid] = [b for b in html_blocks(app) if 'class="cnn-maps"' in b]
    assert "<span>0</span>" in grid and "<span>63</span>" in grid and "<span>64</span>" not in grid


def test_learned_filters_are_each_drawn_on_their_own_colour_scale_until_the_switch_is_turned_off(
        app, shipped_models):
    from cnn_demo.visuals import first_layer_weights

    [grid] = [b for b in html_blocks(app) if 'class="cnn-maps"' in b]
    assert "−its largest" in grid and "+its largest" in grid
    app.toggle(key="filter_scales").set_value(False).run()
    [grid] = [b for b in html_blocks(app) if 'class="cnn-maps"' in b]
    strongest = np.abs(first_layer_weights(shipped_models.models["pooled"])[1]).max()
    assert "its largest" not in grid and f"<span>{strongest:.3g}</span>" in grid


def test_baseline_filters_are_its_dense_units_as_28x28_pictures_not_edge_filters(app):
    choose(app, "baseline")
    assert any(md.value == "**dense_1** · 32 dense units, each weighing all 784 pixels" for md in app.markdown)
    assert any("A dense layer has no filters that slide" in c.value for c in app.caption)


def test_test_set_view_shows_accuracy_confusion_matrix_and_misread_digits(app):
    open_tab(app, "model_tabs", "Test set")
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    shipped = json.loads((Path(APP).parent / "pretrained" / "metrics.json").read_text())["pooled"]
    assert metrics["Test accuracy"] == f"{shipped['test_accuracy']:.2%}"
    assert any("misread test digits" in md.value for md in app.markdown)
    assert len(app.get("vega_lite_chart")) >= 1


def test_comparison_table_lists_every_architecture_beside_the_tutorials_figures(app):
    open_tab(app, "model_tabs", "Compare architectures")
    assert not app.exception
    table = table_with(app, "Tutorial: MNIST test").set_index("Architecture")
    assert list(table.index) == [a.label for a in ARCHITECTURES.values()]
    assert table.loc["Pooled", "Tutorial: MNIST test"] == "98.38%"
    assert table.loc["Residual", "Tutorial: MNIST test"] == "—"
    assert not table.isna().any().any() and "None" not in table.to_string()
    assert table["MNIST test here"].str.fullmatch(r"\d\d\.\d\d%").all()
    assert table.loc["Pooled", "Recipe"] == "MNIST + pen drawings, augmented"
    assert table.loc["Conv", "Recipe"] == "MNIST + pen drawings"
    assert table.loc["Residual", "Recipe"] == "MNIST + pen drawings, augmented, distilled"


def test_comparison_table_shows_the_accuracies_right_after_the_architecture(app):
    open_tab(app, "model_tabs", "Compare architectures")
    table = table_with(app, "Tutorial: MNIST test")
    assert list(table.columns[:4]) == ["Architecture", "MNIST test here", "Pen digits, new writers",
                                       "Tutorial: MNIST test"]


def test_no_keras_session_is_cleared_during_a_run(drawing, monkeypatch):
    import keras

    cleared = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: cleared.append(True))
    at = AppTest.from_file(APP, default_timeout=120)
    drawing.image = render(A_DIGIT)
    at.run()
    at.run()
    assert prediction(at) == "3" and cleared == []


def explanation_line(at: AppTest) -> str:
    return next(md.value for md in at.markdown if "· the map shows" in md.value)


def test_one_unit_shows_how_the_most_active_first_layer_unit_is_computed(app, drawing):
    drawing.image = render(A_DIGIT)
    app.run()
    open_tab(app, "drawing_tabs", "One unit")
    assert not app.exception
    line = explanation_line(app)
    assert line.startswith("**conv_1**, row ") and ", channel 0 = **" in line
    value, shown = (float(v) for v in re.findall(r"= \*\*(-?[\d.]+)\*\* · the map shows (-?[\d.]+)", line)[0])
    assert value == shown
    sums = [md.value for md in app.markdown if md.value.startswith("sum of the products")]
    assert sums and sums[0].endswith(f"**{value:.4f}**")
    assert any("input patch" in block and "kernel (weights)" in block for block in html_blocks(app))
    assert "it sees these 3×3 input pixels" in image_captions(app)


def test_the_chosen_layer_and_channel_stay_when_the_drawing_changes(app, drawing):
    drawing.image = render(A_DIGIT)
    app.run()
    open_tab(app, "drawing_tabs", "One unit")
    app.selectbox(key="unit_pooled_shipped_layer").set_value("pool_2").run()
    app.number_input(key="unit_pooled_shipped_pool_2_channel").set_value(7).run()
    first = explanation_line(app)
    drawing.image = render(digit(8))
    app.run()
    second = explanation_line(app)
    assert first.startswith("**pool_2**") and second.startswith("**pool_2**")
    assert ", channel 7 = " in first and ", channel 7 = " in second


@pytest.mark.parametrize("layer, kind_text", [("pool_1", "window of `conv_1`"), ("conv_2", "channels of `pool_1`"),
                                              ("dense_1", "inputs from `flatten`")])
def test_each_kind_of_pooled_layer_says_what_its_unit_adds_up(app, drawing, layer, kind_text):
    drawing.image = render(A_DIGIT)
    app.run()
    open_tab(app, "drawing_tabs", "One unit")
    app.selectbox(key="unit_pooled_shipped_layer").set_value(layer).run()
    assert not app.exception
    assert any(kind_text in md.value for md in app.markdown)


def test_where_it_sits_places_the_drawing_and_shows_its_eight_nearest_training_digits(app, drawing):
    drawing.image = render(digit(0))
    app.run()
    open_tab(app, "drawing_tabs", "Where it sits")
    assert not app.exception
    neighbours = [c for c in image_captions(app) if c.startswith("a ")]
    assert len(neighbours) == 8 and neighbours.count("a 0") >= 6
    assert len(app.get("vega_lite_chart")) >= 1


def test_what_channels_look_for_shows_one_picture_per_channel_numbered_like_the_maps(app, drawing):
    drawing.image = render(A_DIGIT)
    app.run()
    open_tab(app, "drawing_tabs", "What channels look for")
    computing = [b for b in app.button if b.label == "Compute what each channel looks for"]
    if computing:  # not shipped for this model: computed on request
        computing[0].click().run()
    assert not app.exception
    grids = [b for b in html_blocks(app) if "what each channel looks for" in b]
    assert grids and "<span>63</span>" in grids[0]


def add_to_drawings(at: AppTest, label: str) -> AppTest:
    at.segmented_control(key="teach_label").set_value(label).run()
    return button(at, "Add to your drawings").click().run()


def test_a_drawing_the_visitor_labels_joins_their_drawings_with_the_models_reading(app, drawing):
    drawing.image = render(digit(7))
    app.run()
    add_to_drawings(app, "1")
    assert any(s.value == "Added as a 1: 1 drawing(s) in your collection." for s in app.success)
    open_tab(app, "model_tabs", "Your drawings")
    assert any(md.value == "**1 drawing(s)** · the Pooled, shipped model reads 0 of them right" for md in app.markdown)
    assert "1 · read 7" in image_captions(app)
    assert len(app.get("download_button")) == 1


def test_fine_tuning_on_your_drawings_shows_the_accuracy_before_and_after(app, drawing):
    from cnn_demo.strokes import mirrored_collection

    for d, canvas in mirrored_collection()[:10]:  # the ten digits, once each
        drawing.image = canvas
        app.run()
        add_to_drawings(app, str(d))
    open_tab(app, "model_tabs", "Your drawings")
    button(app, "Fine-tune Pooled on them").click().run()
    jobs(app)["pooled"].join(timeout=120)
    app.run()
    table = table_with(app, "before").set_index("")
    # ten drawings: one in five kept back (the 4 and the 9), scored apart
    assert list(table.index) == ["test set", "drawings to learn", "drawings kept back"]
    assert table["images"].tolist() == [10_000, 8, 2]
    assert any("The drawings kept back (one in five) were never learned from" in c.value for c in app.caption)
    assert app.radio(key="weights_pooled").value is True
    assert any("Fine-tuned here: fine-tuned for 3 epoch(s)" in c.value for c in app.caption)
    assert [b.label for b in app.get("download_button") if "fine_tuned" in b.label] == [
        "Download pooled_fine_tuned.keras"]
