"""One unit's arithmetic: recomputed from the layer's input, it equals the value in the map."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_demo.architectures import ARCHITECTURES
from cnn_demo.graph import is_input
from cnn_demo.inference import Predictor
from cnn_demo.preprocess import preprocess
from cnn_demo.strokes import digit, render
from cnn_demo.unit import explain, receptive_field

X = preprocess(render(digit(4))).input


@pytest.fixture(scope="module")
def forward(shipped_models):
    """{architecture: (model, activations)} for a drawn 4."""
    return {name: (model, Predictor(model)(X).activations) for name, model in shipped_models.models.items()}


def layers(model) -> list:
    return [layer for layer in model.layers if not is_input(layer)]


def units(shape: tuple, rng: np.random.Generator, n: int = 6) -> list[tuple]:
    """A few units picked at random."""
    return [tuple(int(rng.integers(s)) for s in shape) for _ in range(n)]


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_every_layers_units_recompute_to_the_value_in_the_map(forward, name):
    model, activations = forward[name]
    rng = np.random.default_rng(0)
    for layer in layers(model):
        values = activations[layer.name]
        strongest = tuple(int(i) for i in np.unravel_index(np.argmax(values), values.shape))
        for unit in [strongest, *units(values.shape, rng)]:
            e = explain(model, X, activations, layer.name, unit)
            assert e.value == pytest.approx(e.shown, rel=1e-5, abs=1e-5), (layer.name, unit)


def test_every_kind_of_layer_is_explained(forward):
    kinds = {explain(model, X, acts, layer.name, (0,) * acts[layer.name].ndim).kind
             for model, acts in forward.values() for layer in layers(model)}
    assert kinds == {"conv", "pool", "dense", "add", "concatenate", "batchnorm", "activation", "average", "pass"}


def test_a_first_layer_unit_is_its_patch_times_its_kernel_plus_the_bias_through_relu(forward):
    model, activations = forward["pooled"]
    row, col, channel = 12, 14, 5
    e = explain(model, X, activations, "conv_1", (row, col, channel))
    patch = np.pad(X[..., 0], 1)[row: row + 3, col: col + 3]
    kernel = np.asarray(model.get_layer("conv_1").kernel)[:, :, 0, channel]
    np.testing.assert_allclose(e.details["patch"][..., 0], patch)
    np.testing.assert_allclose(e.details["products"][..., 0], patch * kernel, rtol=1e-6)
    before = (patch * kernel).sum() + float(model.get_layer("conv_1").bias[channel])
    assert e.details["before_activation"] == pytest.approx(before, rel=1e-5)
    assert e.value == pytest.approx(max(before, 0.0), abs=1e-6)


def test_a_deeper_unit_lists_its_input_channels_by_contribution_summing_to_the_whole(forward):
    model, activations = forward["pooled"]
    e = explain(model, X, activations, "conv_2", (5, 6, 3))
    contributions = e.details["per_channel"]
    assert contributions.shape == (64,)  # one per channel of pool_1
    assert contributions.sum() == pytest.approx(e.details["sum"])
    shown = np.abs(contributions[e.details["order"]])
    assert list(shown) == sorted(shown, reverse=True)


def test_a_pooling_unit_is_the_largest_of_its_window(forward):
    model, activations = forward["pooled"]
    e = explain(model, X, activations, "pool_1", (7, 6, 10))
    window = activations["conv_1"][14:16, 12:14, 10]
    np.testing.assert_allclose(e.details["window"], window)
    assert e.value == pytest.approx(window.max())
    assert e.details["window"][e.details["winner"]] == window.max()


def test_a_residual_sum_names_both_paths(forward):
    model, activations = forward["residual"]
    e = explain(model, X, activations, "block_1_add", (14, 14, 0))
    assert set(e.details["parts"]) == {"stem", "block_1_norm_b"}
    assert sum(e.details["parts"].values()) == pytest.approx(e.value)


def test_an_inception_join_channel_comes_from_one_branch(forward):
    model, activations = forward["inception"]
    first = explain(model, X, activations, "inception_1_join", (3, 3, 0))
    last = explain(model, X, activations, "inception_1_join", (3, 3, activations["inception_1_join"].shape[-1] - 1))
    assert first.details["branch"] == "inception_1_1x1" and last.details["branch"] == "inception_1_pool_proj"


@pytest.mark.parametrize("layer, size", [("conv_1", 3), ("pool_1", 4), ("conv_2", 8), ("pool_2", 10)])
def test_receptive_fields_grow_layer_by_layer(shipped_models, layer, size):
    top, bottom, left, right = receptive_field(shipped_models.models["pooled"], layer, (3, 4), (3, 4))
    assert (bottom - top, right - left) == (size, size)


def test_a_dense_unit_sees_the_whole_image(shipped_models):
    assert receptive_field(shipped_models.models["pooled"], "dense_1", (0, 1), (0, 1)) == (0, 28, 0, 28)


def test_a_unit_at_the_edge_sees_only_pixels_inside_the_image(shipped_models):
    assert receptive_field(shipped_models.models["pooled"], "conv_1", (0, 1), (0, 1)) == (0, 2, 0, 2)
