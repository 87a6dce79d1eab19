"""One forward pass per drawing: class probabilities and every layer's activations together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cnn_demo.paths import PRETRAINED_DIR

if TYPE_CHECKING:
    import keras

    from cnn_demo.data import Mnist


SMOOTHGRAD_SAMPLES = 16


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


class Predictor:
    """Wraps a model in a Functional sub-model that outputs every layer, built once.

    Calling it costs one graph execution; `model.predict` on a single image costs about
    ten times more, so it is never used per drawing. The sub-model shares the model's
    weights, so a model being trained in another thread is read as it learns.
    """

    def __init__(self, model: keras.Model) -> None:
        import keras
        import tensorflow as tf

        self.model = model
        self.layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
        self.layer_names = [layer.name for layer in self.layers]
        probe = keras.Model(model.inputs, [layer.output for layer in self.layers])
        images = tf.TensorSpec((None, *model.input_shape[1:]), tf.float32)
        # XLA-compiled: measured here, 2-2.5x faster per drawing than the default graph
        self._forward = tf.function(lambda x: probe(x, training=False), input_signature=[images],
                                    jit_compile=True, autograph=False)
        self._classify = tf.function(lambda x: model(x, training=False), input_signature=[images],
                                     autograph=False)
        self._saliency = tf.function(self._smooth_gradient, autograph=False, input_signature=[
            tf.TensorSpec(model.input_shape[1:], tf.float32), tf.TensorSpec((), tf.int32)])

    def __call__(self, x: np.ndarray) -> Prediction:
        """x is one (28, 28, 1) float32 image."""
        outputs = self._forward(np.asarray(x, dtype=np.float32)[np.newaxis])
        activations = {name: np.asarray(out[0], dtype=np.float32) for name, out in zip(self.layer_names, outputs)}
        return Prediction(activations[self.layer_names[-1]], activations)

    @property
    def traces(self) -> int:
        """How many times the forward graph was traced: 1 however many drawings it read."""
        return self._forward.experimental_get_tracing_count()

    def probabilities(self, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """(N, 10) probabilities for images (N, 28, 28, 1), without keeping any activation."""
        x = np.asarray(x, dtype=np.float32)
        return np.concatenate([np.asarray(self._classify(x[i: i + batch_size]), dtype=np.float32)
                               for i in range(0, len(x), batch_size)])

    def _smooth_gradient(self, x, digit):
        import tensorflow as tf

        # The same noise every time: the same drawing shows the same picture on every rerun
        # (fresh noise made a new image file per rerun, and the browser fetched replaced ones: 404s).
        noise = tf.random.stateless_normal((SMOOTHGRAD_SAMPLES, *x.shape), seed=(0, 0), stddev=0.1)
        noisy = x[tf.newaxis] + noise
        with tf.GradientTape() as tape:
            tape.watch(noisy)
            scores = tf.cast(self.model(noisy, training=False)[:, digit], tf.float32)
        return tf.reduce_mean(tf.abs(tape.gradient(scores, noisy)), axis=(0, -1))

    def saliency(self, x: np.ndarray, digit: int) -> np.ndarray:
        """(28, 28) in [0, 1]: how much each pixel sways the probability of `digit`.

        SmoothGrad: gradients averaged over noisy copies of the input, which are far less
        speckled than one gradient.
        """
        grad = np.asarray(self._saliency(np.asarray(x, np.float32), np.int32(digit)), dtype=np.float32)
        return grad / grad.max() if grad.max() > 0 else grad


@dataclass(frozen=True)
class Scorecard:
    """How a model does on a labelled split: computed once per model, then shown."""

    predicted: np.ndarray  # (N,) predicted digits
    confusion: np.ndarray  # (10, 10) counts, rows true digit, columns predicted
    misclassified: np.ndarray  # indices into the split, most confident mistakes first

    @classmethod
    def of(cls, predicted: np.ndarray, misclassified: np.ndarray, y: np.ndarray) -> Scorecard:
        confusion = np.zeros((10, 10), dtype=np.int64)
        np.add.at(confusion, (y, predicted), 1)
        return cls(predicted, confusion, misclassified)

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.confusion) / self.confusion.sum())


def scorecard(predictor: Predictor, x: np.ndarray, y: np.ndarray) -> Scorecard:
    probabilities = predictor.probabilities(x)
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y)
    wrong = wrong[np.argsort(-probabilities[wrong].max(axis=1))]
    return Scorecard.of(predicted, wrong, y)


# The shipped models' test-set scorecards are shipped beside their weights (pretrained/scorecards/,
# written by `python -m cnn_demo.train`): reading the 10,000 test images took 2.5 s (Pooled) to 9.6 s
# (Residual) on an AVX2 CPU the first time anyone opened "Test set"; read back, 0.1 s (2026-12-03).
SCORECARDS = "scorecards"


def save_scorecard(card: Scorecard, model: keras.Model, mnist: Mnist, name: str,
                   directory: Path = PRETRAINED_DIR) -> Path:
    from cnn_demo.pretrained import save_derived

    return save_derived(SCORECARDS, name, model, mnist,
                        {"predicted": card.predicted.astype(np.uint8), "misclassified": card.misclassified}, directory)


def load_scorecard(name: str, model: keras.Model, mnist: Mnist, directory: Path = PRETRAINED_DIR) -> Scorecard | None:
    """MNIST test-set scorecard shipped for `name`, or None when missing or made by other weights."""
    from cnn_demo.pretrained import load_derived

    arrays = load_derived(SCORECARDS, name, model, mnist, directory)
    if arrays is None:
        return None
    return Scorecard.of(arrays["predicted"].astype(np.int64), arrays["misclassified"], mnist.test.y)
