"""How layer values become colours: the scales and grids of cnn_demo.maps."""

from __future__ import annotations

import numpy as np

from cnn_demo.maps import each_channel_scaled


def test_each_channel_scaled_puts_every_channels_largest_magnitude_at_one_and_keeps_signs():
    values = np.stack([np.array([[0.1, -0.2], [0.05, 0.0]]), np.array([[3.0, 1.5], [-0.6, 0.3]]),
                       np.zeros((2, 2))], axis=-1)
    scaled = each_channel_scaled(values)
    np.testing.assert_allclose(scaled[..., 0], [[0.5, -1.0], [0.25, 0.0]])
    np.testing.assert_allclose(scaled[..., 1], [[1.0, 0.5], [-0.2, 0.1]])
    assert (scaled[..., 2] == 0).all()
