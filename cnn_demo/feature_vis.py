"""What a channel looks for: the input that excites it most, found by gradient ascent.

    images = channel_images(model, "conv_2")     # (channels, 28, 28) in [0, 1]
    python -m cnn_demo.feature_vis               # ships pretrained/channels/<arch>.npz

Activation maximisation as Distill's "Feature Visualization" describes it: start from faint
noise and follow the gradient of the channel's mean activation with respect to the image,
with the usual regularisers so the result is a pattern rather than adversarial noise:
random jitter of the image at every step, a blur every few steps, and pixels kept in [0, 1]
by a sigmoid. All channels of a layer are optimised together, one image each, in a batch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cnn_demo.paths import PRETRAINED_DIR

if TYPE_CHECKING:
    import keras

    from cnn_demo.data import Mnist

# Measured on the shipped Pooled and Residual (conv_2, block_2_conv_b): with these, every
# channel's image excites it more than any of 200 test digits does for 98-100% of channels,
# and ranks in the top tenth of all the layer's images for its own channel for 94-97%.
# A blur every 4 steps (a common choice for large images) held half of them below the digits.
STEPS = 128
LEARNING_RATE = 0.3
JITTER = 1  # pixels, each way, at every step
BLUR_EVERY = 16  # steps
SEED = 0


def optimisable_layers(model: keras.Model) -> list[str]:
    """The convolution layers, in order: the ones whose channels get a picture."""
    import keras

    return [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def channel_images(model: keras.Model, layer_name: str, steps: int = STEPS,
                   progress: Callable[[float], None] | None = None) -> np.ndarray:
    """(channels, 28, 28) images in [0, 1], image c maximising the mean of channel c of the layer."""
    import keras
    import tensorflow as tf

    probe = keras.Model(model.inputs[0], model.get_layer(layer_name).output)
    channels = probe.output_shape[-1]
    height, width = model.input_shape[1:3]
    rng = np.random.default_rng(SEED)
    z = tf.Variable(rng.normal(-2.0, 0.1, (channels, height, width, 1)).astype(np.float32))
    optimizer = keras.optimizers.Adam(LEARNING_RATE)
    own = tf.range(channels)
    blur = tf.constant(np.outer([1, 2, 1], [1, 2, 1])[:, :, None, None] / 16.0, tf.float32)

    @tf.function(autograph=False)
    def step(dy, dx):
        with tf.GradientTape() as tape:
            image = tf.roll(tf.sigmoid(z), shift=[dy, dx], axis=[1, 2])
            response = tf.cast(probe(image, training=False), tf.float32)
            per_image = tf.reduce_mean(response, axis=[1, 2])  # (channels, channels)
            objective = tf.gather(per_image, own, axis=1, batch_dims=1)
            loss = -tf.reduce_sum(objective)
        optimizer.apply_gradients([(tape.gradient(loss, z), z)])

    @tf.function(autograph=False)
    def smooth():
        z.assign(tf.nn.conv2d(z, blur, strides=1, padding="SAME"))

    for i in range(steps):
        dy, dx = (int(v) for v in rng.integers(-JITTER, JITTER + 1, 2))
        step(tf.constant(dy), tf.constant(dx))
        if (i + 1) % BLUR_EVERY == 0:
            smooth()
        if progress is not None:
            progress((i + 1) / steps)
    return tf.sigmoid(z).numpy()[..., 0]


CHANNELS = "channels"  # pretrained/channels/NAME.npz


def save_channel_images(model: keras.Model, name: str, mnist: Mnist, directory: Path = PRETRAINED_DIR) -> Path:
    """Every convolution's channel images of a shipped model, as uint8, in one small file that
    carries the model's fingerprint."""
    from cnn_demo.pretrained import save_derived

    images = {layer: (channel_images(model, layer) * 255).round().astype(np.uint8)
              for layer in optimisable_layers(model)}
    return save_derived(CHANNELS, name, model, mnist, images, directory)


def load_channel_images(name: str, model: keras.Model, mnist: Mnist, directory: Path = PRETRAINED_DIR
                        ) -> dict[str, np.ndarray] | None:
    """{layer: (channels, 28, 28) in [0, 1]} shipped for `name`, or None when the file is missing
    or was made by other weights (then they are computed on request)."""
    from cnn_demo.pretrained import load_derived

    arrays = load_derived(CHANNELS, name, model, mnist, directory)
    if arrays is None or set(arrays) != set(optimisable_layers(model)):
        return None
    return {layer: images.astype(np.float32) / 255 for layer, images in arrays.items()}


def main(argv: list[str] | None = None) -> None:
    """python -m cnn_demo.feature_vis [--arch NAME ...]: compute and ship the channel images."""
    import argparse
    import time

    from cnn_demo.architectures import ARCHITECTURES
    from cnn_demo.data import load_mnist
    from cnn_demo.pretrained import load_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", nargs="+", choices=list(ARCHITECTURES), default=list(ARCHITECTURES))
    args = parser.parse_args(argv)
    start, mnist = time.perf_counter(), load_mnist()
    for name in args.arch:
        path = save_channel_images(load_model(name), name, mnist)
        print(f"{name}: {path} ({path.stat().st_size / 1024:.0f} KiB)")
    print(f"{time.perf_counter() - start:.1f} s in all")


if __name__ == "__main__":
    main()
