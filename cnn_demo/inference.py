"""One forward pass per drawing: class probabilities and every layer's activations together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import keras


SURE_THRESHOLD = 0.6  # below this top probability the answer is shown as a doubt


@dataclass(frozen=True)
class Prediction:
    probabilities: np.ndarray  # (10,) summing to 1
    activations: dict[str, np.ndarray]  # layer name -> that layer's output for this input

    @property
    def digit(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def confidence(self) -> float:
        return float(np.max(self.probabilities))

    @property
    def sure(self) -> bool:
        return self.confidence >= SURE_THRESHOLD

    @property
    def verdict(self) -> str:
        """The digit, or "4 or 9?" when the top probability is too low to claim one."""
        if self.sure:
            return str(self.digit)
        first, second = np.argsort(self.probabilities)[::-1][:2]
        return f"{first} or {second}?"


class Predictor:
    """Wraps a model in a Functional sub-model that outputs every layer, built once.

    Calling it costs one graph execution; `model.predict` on a single image costs about
    ten times more, so it is never used per drawing. The sub-model shares the model's
    weights, so a model being trained in another thread is read as it learns.
    """

    def __init__(self, model: "keras.Model") -> None:
        import keras
        import tensorflow as tf

        self.model = model
        self.layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
        self.layer_names = [layer.name for layer in self.layers]
        probe = keras.Model(model.inputs, [layer.output for layer in self.layers])
        self._forward = tf.function(
            lambda x: probe(x, training=False),
            input_signature=[tf.TensorSpec((None, *model.input_shape[1:]), tf.float32)],
        )

    def __call__(self, x: np.ndarray) -> Prediction:
        """x is one (28, 28, 1) float32 image."""
        outputs = self._forward(np.asarray(x, dtype=np.float32)[np.newaxis])
        activations = {name: np.asarray(out[0], dtype=np.float32) for name, out in zip(self.layer_names, outputs)}
        return Prediction(activations[self.layer_names[-1]], activations)

    @property
    def traces(self) -> int:
        """How many times the forward graph was traced: 1 however many drawings it read."""
        return self._forward.experimental_get_tracing_count()

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """(N, 10) probabilities for a batch (N, 28, 28, 1), through the same graph."""
        return np.asarray(self._forward(np.asarray(x, dtype=np.float32))[-1], dtype=np.float32)
