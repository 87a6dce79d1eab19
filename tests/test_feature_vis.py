"""What a channel looks for: the optimised input excites its own channel more than anything else."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_demo.feature_vis import channel_images, load_channel_images, optimisable_layers, save_channel_images


@pytest.fixture(scope="module")
def pooled(shipped_models):
    return shipped_models.models["pooled"]


@pytest.fixture(scope="module")
def conv_2_images(pooled):
    return channel_images(pooled, "conv_2")


def mean_response(model, layer: str, images: np.ndarray) -> np.ndarray:
    """(images, channels): each image's mean response in each channel of the layer."""
    import keras

    probe = keras.Model(model.inputs[0], model.get_layer(layer).output)
    return np.asarray(probe(images[..., np.newaxis], training=False)).mean(axis=(1, 2))


def test_one_image_per_channel_with_pixels_in_the_unit_range(conv_2_images):
    assert conv_2_images.shape == (32, 28, 28)
    assert conv_2_images.min() >= 0 and conv_2_images.max() <= 1


def test_each_image_excites_its_own_channel_more_than_any_of_200_real_digits(pooled, conv_2_images, mnist):
    own = np.diag(mean_response(pooled, "conv_2", conv_2_images))
    digits = mean_response(pooled, "conv_2", mnist.test.x[:200, :, :, 0]).max(axis=0)
    assert (own > digits).mean() >= 0.9


def test_each_image_is_among_the_best_of_the_layers_images_for_its_own_channel(pooled, conv_2_images):
    responses = mean_response(pooled, "conv_2", conv_2_images)  # (image, channel)
    own = np.diag(responses)
    assert np.mean([own[c] >= np.percentile(responses[:, c], 90) for c in range(32)]) >= 0.8


def test_shipped_images_are_read_back_as_saved_and_refused_for_other_weights(pooled, shipped_models, mnist,
                                                                             tmp_path):
    save_channel_images(pooled, "pooled", mnist, tmp_path)
    images = load_channel_images("pooled", pooled, mnist, tmp_path)
    assert set(images) == set(optimisable_layers(pooled)) == {"conv_1", "conv_2"}
    assert images["conv_1"].shape == (64, 28, 28)
    # Conv has layers of the same names and shapes: its weights, not its shapes, tell them apart
    assert load_channel_images("pooled", shipped_models.models["conv"], mnist, tmp_path) is None
    assert load_channel_images("pooled", shipped_models.models["residual"], mnist, tmp_path) is None
    assert load_channel_images("missing", pooled, mnist, tmp_path) is None


def test_the_shipped_channel_images_were_made_by_the_shipped_weights(shipped_models, mnist):
    for name, model in shipped_models.models.items():
        assert load_channel_images(name, model, mnist) is not None, name
