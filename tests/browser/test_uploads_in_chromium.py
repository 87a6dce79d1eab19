"""Uploads through the real file control: a model joins the choices; anything else gets one sentence."""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

from app_page import assert_no_exception, expect_prediction
from cnn_demo.browser import draw, wait_for_app_run
from cnn_demo.pretrained import model_path
from cnn_demo.strokes import digit


def upload(page, label: str, path) -> None:
    """Put a file in the uploader labelled `label` (in the sidebar or on the page)."""
    uploader = page.get_by_test_id("stFileUploader").filter(has_text=label)
    uploader.locator("input[type=file]").set_input_files(str(path))
    wait_for_app_run(page)


def architecture_box(page):
    return page.get_by_role("combobox", name="Architecture")


def test_an_uploaded_model_joins_the_architecture_list_and_reads_the_drawing(page, tmp_path):
    mine = tmp_path / "my_net.keras"
    mine.write_bytes(model_path("baseline").read_bytes())
    upload(page, "Upload a .keras model", mine)
    expect(page.get_by_text("my_net.keras is now in the Architecture list.")).to_be_visible()
    expect(architecture_box(page)).to_have_value("Yours: my_net.keras")
    draw(page, digit(3))
    expect_prediction(page, "3")
    assert_no_exception(page)


def lambda_model(path) -> None:
    import keras

    keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Lambda(lambda x: x * 2), keras.layers.Flatten(),
                      keras.layers.Dense(10, activation="softmax")]).save(path)


@pytest.mark.parametrize("case, make, sentence", [
    ("lambda.keras", lambda_model, "lambda.keras was not added: The model contains Python code"),
    ("noise.keras", lambda p: p.write_bytes(np.random.default_rng(0).bytes(3000)),
     "noise.keras was not added: This is not a .keras file"),
])
def test_a_hostile_model_file_gets_one_sentence_and_changes_nothing(page, tmp_path, case, make, sentence):
    path = tmp_path / case
    make(path)
    upload(page, "Upload a .keras model", path)
    expect(page.get_by_test_id("stAlert").filter(has_text=sentence)).to_be_visible()
    expect(architecture_box(page)).to_have_value("Pooled")
    assert_no_exception(page)


def test_a_collection_with_a_label_outside_0_to_9_gets_one_sentence(page, tmp_path):
    import io
    import zipfile

    arrays = io.BytesIO()
    np.savez(arrays, x=np.zeros((2, 28, 28), np.uint8), y=np.array([3, 12]))
    path = tmp_path / "bad.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("collection.npz", arrays.getvalue())
    page.get_by_role("tab", name="Your drawings").click()
    wait_for_app_run(page)
    upload(page, "Continue with a collection", path)
    expect(page.get_by_test_id("stAlert").filter(
        has_text="bad.zip was not added: Every label must be a digit from 0 to 9.")).to_be_visible()
    expect(page.get_by_text("No drawings yet")).to_be_visible()
    assert_no_exception(page)
