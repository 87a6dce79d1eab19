"""Which layers sit inside a branching block: the ones the page folds until every layer is asked for."""

from __future__ import annotations

import pytest

from cnn_demo.architectures import ARCHITECTURES
from cnn_demo.graph import inside_blocks
from cnn_demo.inference import Predictor


def inside(name: str) -> frozenset[str]:
    return inside_blocks(Predictor(ARCHITECTURES[name].build()).layers)


@pytest.mark.parametrize("name", ["baseline", "conv", "pooled", "pooled_batchnorm", "no_dense_head"])
def test_a_chain_has_no_layer_inside_a_block(name):
    assert inside(name) == frozenset()


def test_a_residual_blocks_convolutions_and_projection_are_inside_and_its_add_is_not():
    found = inside("residual")
    assert {"block_1_conv_a", "block_1_norm_b", "block_2_project", "block_3_conv_b"} <= found
    assert found.isdisjoint({"stem", "block_1_add", "block_1_out", "pool_1", "average", "softmax"})


def test_an_inception_modules_branches_are_inside_and_its_join_is_not():
    found = inside("inception")
    assert {"inception_1_3x3_reduce", "inception_1_pool", "inception_1_1x1", "inception_2_5x5"} <= found
    assert found.isdisjoint({"stem", "inception_1_join", "pool_1", "inception_2_join", "softmax"})
