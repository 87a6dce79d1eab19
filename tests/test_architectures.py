"""The registry builds the tutorial's models, shape for shape and weight for weight."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_demo.architectures import ARCHITECTURES, get_architecture

TUTORIAL_PARAMS = {"baseline": 26_506, "conv": 823_338, "pooled": 70_698}


@pytest.mark.parametrize("name, params", TUTORIAL_PARAMS.items())
def test_tutorial_models_have_the_tutorials_parameter_counts(name, params):
    assert get_architecture(name).build().count_params() == params


def test_pooled_model_has_the_tutorials_layer_shapes():
    model = get_architecture("pooled").build()
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    assert shapes == {
        "conv_1": (28, 28, 64), "pool_1": (14, 14, 64), "conv_2": (14, 14, 32),
        "pool_2": (7, 7, 32), "flatten": (1568,), "dense_1": (32,), "dense_2": (32,),
        "softmax": (10,),
    }


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_every_architecture_maps_a_batch_of_images_to_class_probabilities(name):
    model = ARCHITECTURES[name].build()
    out = np.asarray(model(np.zeros((3, 28, 28, 1), np.float32)))
    assert out.shape == (3, 10)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


def test_every_architecture_has_a_unique_short_name_and_label():
    labels = [a.label for a in ARCHITECTURES.values()]
    assert len(set(labels)) == len(labels)
    assert all(name == a.name for name, a in ARCHITECTURES.items())


def test_unknown_architecture_error_lists_the_allowed_names():
    with pytest.raises(ValueError, match="baseline, conv, pooled"):
        get_architecture("resnet152")
