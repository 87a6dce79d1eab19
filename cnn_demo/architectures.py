"""The registry of architectures: one entry each, picked up by the UI, CLI, tests and benchmarks.

The first three are the tutorial's models, layer for layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from cnn_demo.data import IMAGE_SHAPE, NUM_CLASSES

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class Architecture:
    name: str
    label: str
    build: Callable[[], "keras.Model"]
    description: str
    article_accuracy: float | None = None  # the tutorial's published test accuracy
    article_seconds_per_epoch: float | None = None


def _dense_head() -> list:
    """Flatten -> Dense 32 -> Dense 32 -> softmax: the head every tutorial model shares."""
    from keras import layers

    return [
        layers.Flatten(name="flatten"),
        layers.Dense(32, activation="relu", name="dense_1"),
        layers.Dense(32, activation="relu", name="dense_2"),
        layers.Dense(NUM_CLASSES, activation="softmax", name="softmax"),
    ]


def build_baseline() -> "keras.Model":
    import keras

    return keras.Sequential([keras.Input(IMAGE_SHAPE), *_dense_head()], name="baseline")


def build_conv() -> "keras.Model":
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(IMAGE_SHAPE),
            layers.Conv2D(64, 3, padding="same", activation="relu", name="conv_1"),
            layers.Conv2D(32, 3, padding="same", activation="relu", name="conv_2"),
            *_dense_head(),
        ],
        name="conv",
    )


def build_pooled() -> "keras.Model":
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(IMAGE_SHAPE),
            layers.Conv2D(64, 3, padding="same", activation="relu", name="conv_1"),
            layers.MaxPooling2D(2, name="pool_1"),
            layers.Conv2D(32, 3, padding="same", activation="relu", name="conv_2"),
            layers.MaxPooling2D(2, name="pool_2"),
            *_dense_head(),
        ],
        name="pooled",
    )


ARCHITECTURES: dict[str, Architecture] = {
    arch.name: arch
    for arch in [
        Architecture(
            "baseline", "Baseline", build_baseline,
            "Dense only: every pixel to every unit, no notion of neighbourhood.",
            article_accuracy=0.9233, article_seconds_per_epoch=2,
        ),
        Architecture(
            "conv", "Conv", build_conv,
            "Two 3x3 convolutions keep all 28x28 positions: many weights in the dense head.",
            article_accuracy=0.9795, article_seconds_per_epoch=188,
        ),
        Architecture(
            "pooled", "Pooled", build_pooled,
            "2x2 max pooling after each convolution: a tenth of the weights, better accuracy.",
            article_accuracy=0.9838, article_seconds_per_epoch=35,
        ),
    ]
}


def get_architecture(name: str) -> Architecture:
    """The registry entry called `name`; ValueError lists the allowed names."""
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ValueError(
            f"Unknown architecture {name!r}; choose one of: {', '.join(ARCHITECTURES)}"
        ) from None
