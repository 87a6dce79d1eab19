"""An uploaded model joins the session only if it is a safe Keras model of the right shape."""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest

from archives import zipped
from cnn_demo import own_model
from cnn_demo.own_model import UploadError, load_uploaded_model
from cnn_demo.pretrained import model_path


def keras_bytes(model, tmp_path, name="model.keras") -> bytes:
    path = tmp_path / name
    model.save(path)
    return path.read_bytes()


def small(inputs=(28, 28, 1), outputs=10, activation="softmax", lambda_layer=False):
    import keras

    layers = [keras.Input(inputs)]
    if lambda_layer:
        layers.append(keras.layers.Lambda(lambda x: x * 2))
    layers += [keras.layers.Flatten(), keras.layers.Dense(outputs, activation=activation)]
    return keras.Sequential(layers)


def test_a_shipped_model_uploads_and_reads_a_digit():
    model = load_uploaded_model(model_path("pooled").read_bytes())
    assert model.count_params() == 70_698


def test_nothing_uploaded_stays_on_disk(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    load_uploaded_model(model_path("baseline").read_bytes())
    with pytest.raises(UploadError):
        load_uploaded_model(b"PK\x03\x04" + bytes(100))
    assert os.listdir(tmp_path) == []


def test_a_lambda_layer_is_refused_by_safe_mode(tmp_path):
    with pytest.raises(UploadError, match="Lambda layer.*safe mode"):
        load_uploaded_model(keras_bytes(small(lambda_layer=True), tmp_path))


def test_a_legacy_h5_model_is_refused_with_how_to_convert_it(tmp_path):
    small().save(tmp_path / "model.h5")
    with pytest.raises(UploadError, match=r"legacy HDF5 \(.h5\).*model.save\('name.keras'\)"):
        load_uploaded_model((tmp_path / "model.h5").read_bytes())


@pytest.mark.parametrize("model, message", [
    (lambda: small(inputs=(32, 32, 3)), "takes 32×32×3"),
    (lambda: small(outputs=2), "gives 2; this page needs ten outputs"),
    (lambda: small(activation="linear"), "not probabilities: end it with a softmax"),
])
def test_a_model_of_the_wrong_shape_or_without_a_softmax_is_refused(tmp_path, model, message):
    with pytest.raises(UploadError, match=message):
        load_uploaded_model(keras_bytes(model(), tmp_path))


HOSTILE = {
    "random bytes": (np.random.default_rng(0).bytes(4000), "not a .keras file"),
    "truncated": (model_path("baseline").read_bytes()[:5000], "not a .keras file"),
    "a zip that is not a model": (zipped({"notes.txt": b"hi"}), "lacks config.json, metadata.json, model.weights.h5"),
    "zip bomb": (zipped({"config.json": b"{}", "metadata.json": b"{}", "model.weights.h5": bytes(80 * 2**20)}),
                 "refused unopened"),
    "garbled model": (zipped({"config.json": b"{not json", "metadata.json": b"{}", "model.weights.h5": b"x"}),
                      "Keras could not read this model"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_file_is_refused_with_one_sentence(case):
    data, message = HOSTILE[case]
    with pytest.raises(UploadError, match=message) as refusal:
        load_uploaded_model(data)
    assert "\n" not in str(refusal.value)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(own_model, "MAX_MODEL_BYTES", 2 * 2**20)
    with pytest.raises(UploadError, match=r"The file is 9\.\d MB; a model may be at most 2 MB here"):
        load_uploaded_model(model_path("conv").read_bytes())
