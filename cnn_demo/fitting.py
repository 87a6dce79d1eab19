"""Fitting a registry model: the settings, the precision, the progress callback, train and evaluate.

    from cnn_demo.fitting import TrainingConfig, build_for_training, mnist_training_data, train
    model = build_for_training("pooled", TrainingConfig())
    train(model, mnist_training_data(load_mnist(), TrainingConfig()), TrainingConfig())

The CLI (`cnn_demo.train`), the page's background jobs (`cnn_demo.jobs`) and the
benchmark all train through `train`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from cnn_demo.data import Mnist, Split
from cnn_demo.progress import BatchEvent, EpochEvent, TrainingProgress

VALIDATION_BATCH_SIZE = 1000
FLOAT32 = "float32"
MIXED_BFLOAT16 = "mixed_bfloat16"
PRECISIONS = (FLOAT32, MIXED_BFLOAT16)
MNIST_TRAIN_SIZE = 60_000


def cpu_supports_bfloat16() -> bool:
    """True where the CPU computes bfloat16 natively (AVX512_BF16 or AMX); elsewhere it is emulated."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


# Measured here (python -m cnn_demo.bench): bfloat16 compute trains the pooled model about
# 2x and the conv model about 3.5x faster than float32, to the same accuracy.
DEFAULT_PRECISION = MIXED_BFLOAT16 if cpu_supports_bfloat16() else FLOAT32


@dataclass(frozen=True)
class TrainingConfig:
    """The tutorial's settings by default: Adam, batch 128, 10 epochs on all 60,000 images.

    With `validation_size`, that many of MNIST's training images (the last ones) are kept
    out of training and read after each epoch; the test set is only read at the end.
    """

    epochs: int = 10
    batch_size: int = 128
    learning_rate: float = 1e-3
    train_size: int = MNIST_TRAIN_SIZE
    validation_size: int = 0
    seed: int | None = None
    precision: str = DEFAULT_PRECISION
    augment: bool = False  # train on randomly shifted, rotated, rescaled, re-inked copies
    decay: bool = False  # learning rate falls along a cosine to 1% of its start by the end

    def __post_init__(self) -> None:
        available = MNIST_TRAIN_SIZE - self.validation_size
        if not 0 <= self.validation_size < MNIST_TRAIN_SIZE:
            raise ValueError(f"validation_size must be 0 to {MNIST_TRAIN_SIZE - 1}, got {self.validation_size}")
        if not 1 <= self.train_size <= available:
            raise ValueError(f"train_size must be 1 to {available}, got {self.train_size}")
        if self.epochs < 1 or self.batch_size < 1 or self.learning_rate <= 0:
            raise ValueError("epochs, batch_size and learning_rate must be positive")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of: {', '.join(PRECISIONS)}; got {self.precision!r}")


# Train live: 5,000 training images are kept aside and read after each epoch, so that the
# test set is only read at the end; the presets are the sidebar's starting points. How long
# each takes here: `python -m cnn_demo.bench --sections presets`. Quick, measured: Baseline
# 2.4 s to 92.0%, Pooled 8.5 s to 95.9%, Conv 17 s to 96.0% (Residual 61 s to 70%): a
# curve worth watching that ends well, for the tutorial's three.
LIVE_VALIDATION_IMAGES = 5_000
PRESETS = {
    "Quick": dict(epochs=3, train_size=10_000, batch_size=64, learning_rate=1e-3),
    "As the article": dict(epochs=10, train_size=MNIST_TRAIN_SIZE - LIVE_VALIDATION_IMAGES, batch_size=128,
                           learning_rate=1e-3),
}


def live_config(name: str, **settings) -> TrainingConfig:
    """The settings of a live training of registry architecture `name`, with the validation
    images kept aside: its own augmentation and learning-rate decay, except for the tutorial's
    three, which train live as the tutorial trains them (plain Adam on plain MNIST)."""
    from cnn_demo.architectures import get_architecture

    arch = get_architecture(name)
    as_tutorial = arch.article_accuracy is not None
    return TrainingConfig(**settings, validation_size=LIVE_VALIDATION_IMAGES,
                          augment=arch.augment and not as_tutorial, decay=arch.decay and not as_tutorial)


@dataclass(frozen=True)
class TrainingData:
    """What a run learns from, and what it checks itself on after each epoch (if anything)."""

    train: Split
    validation: Split | None = None


def mnist_training_data(mnist: Mnist, config: TrainingConfig) -> TrainingData:
    """The first `train_size` MNIST training images; the last `validation_size` for validation."""
    x, y = mnist.train
    validation = None
    if config.validation_size:
        validation = Split(x[-config.validation_size:], y[-config.validation_size:])
    return TrainingData(Split(x[: config.train_size], y[: config.train_size]), validation)


# Fine-tuning on a visitor's drawings: each drawing seen DRAWING_REPEATS times per epoch among
# REPLAY_IMAGES of MNIST's training images, so the model learns the drawings without forgetting
# MNIST; a small learning rate, a few epochs.
DRAWING_REPEATS = 10
REPLAY_IMAGES = 2_000
FINE_TUNING = TrainingConfig(epochs=3, batch_size=32, learning_rate=3e-4, seed=0)


def fine_tuning_data(drawings: Split, mnist: Mnist, seed: int = 0) -> TrainingData:
    """The visitor's drawings, repeated, mixed with a random sample of MNIST's training images."""
    replay = np.random.default_rng(seed).choice(len(mnist.train.x), REPLAY_IMAGES, replace=False)
    x = np.concatenate([np.repeat(drawings.x, DRAWING_REPEATS, axis=0), mnist.train.x[replay]])
    y = np.concatenate([np.repeat(drawings.y, DRAWING_REPEATS), mnist.train.y[replay]])
    return TrainingData(Split(x.astype(np.float32), y.astype(np.int64)))


class ProgressCallback(keras.callbacks.Callback):
    """Reports every batch and epoch to a TrainingProgress; honours its stop request.

    Validation runs here rather than through fit(validation_data=...), so that a stop
    mid-epoch is not followed by a full evaluation pass.
    """

    def __init__(self, progress: TrainingProgress, batches_per_epoch: int,
                 batch_size: int, validation: Split | None) -> None:
        super().__init__()
        self.progress = progress
        self.batches_per_epoch = batches_per_epoch
        self.batch_size = batch_size
        self.validation = validation
        self._epoch_start = 0.0

    def on_train_begin(self, logs=None):
        self.progress.start()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._batches_done = epoch, 0
        self._epoch_start = time.monotonic()

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        elapsed = max(time.monotonic() - self._epoch_start, 1e-9)
        self._batches_done = batch + 1
        self.progress.add_batch(BatchEvent(
            epoch=self._epoch, batch=batch + 1, batches_per_epoch=self.batches_per_epoch,
            loss=float(logs.get("loss", np.nan)),
            accuracy=float(logs.get("accuracy", np.nan)),
            samples_per_second=(batch + 1) * self.batch_size / elapsed,
        ))
        if self.progress.stop_requested:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        seconds = time.monotonic() - self._epoch_start
        complete = self._batches_done == self.batches_per_epoch
        val_loss = val_accuracy = None
        if self.validation is not None and complete:
            val_loss, val_accuracy = evaluate(self.model, self.validation)
            logs.update(val_loss=val_loss, val_accuracy=val_accuracy)
        self.progress.add_epoch(EpochEvent(
            epoch, float(logs.get("loss", np.nan)), float(logs.get("accuracy", np.nan)),
            val_loss, val_accuracy, seconds, complete,
        ))


@dataclass(frozen=True)
class TrainingResult:
    epochs_completed: int  # from the first epoch, including any run before a restored backup
    stopped: bool
    seconds_per_epoch: float  # mean over completed epochs (nan when none completed)


def with_dtype_policy(model: keras.Model, policy: str) -> keras.Model:
    """A copy of `model` that computes in `policy`, with the same weights.

    Mixed precision keeps the variables in float32, so a model trained in bfloat16 and
    copied back to float32 loses nothing.
    """
    clone = keras.models.clone_model(
        model, clone_function=lambda layer: layer.__class__.from_config({**layer.get_config(), "dtype": policy}))
    clone.set_weights(model.get_weights())
    return clone


def as_float32(model: keras.Model) -> keras.Model:
    """The model itself if every layer computes in float32, else a float32 copy."""
    if all(layer.dtype_policy.name == FLOAT32 for layer in model.layers):
        return model
    return with_dtype_policy(model, FLOAT32)


def build_for_training(architecture: str, config: TrainingConfig, classes: int | None = None) -> keras.Model:
    """A fresh model of a registry architecture, in the config's precision; its initial weights
    drawn from the config's seed when it has one."""
    from cnn_demo.architectures import get_architecture

    # Until 2026-12-05 only `train` seeded, after the model was built: "seed 1" fixed the
    # drawings, augmentations and order, but every training started from other weights.
    if config.seed is not None:
        keras.utils.set_random_seed(config.seed)
    arch = get_architecture(architecture)
    model = arch.build() if classes is None else arch.build(classes)
    return model if config.precision == FLOAT32 else with_dtype_policy(model, config.precision)


def compile_model(model: keras.Model, learning_rate: float = 1e-3, decay_steps: int | None = None,
                  soft_targets: bool = False) -> keras.Model:
    """Adam with categorical cross-entropy on integer labels, as the tutorial (with
    `soft_targets`, on rows of probabilities instead).

    With `decay_steps`, the rate falls along a cosine to 1% of its start over that many batches.
    """
    if decay_steps:
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps, alpha=0.01)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="categorical_crossentropy" if soft_targets else "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def train(model: keras.Model, data: TrainingData, config: TrainingConfig = TrainingConfig(),
          progress: TrainingProgress | None = None, verbose: int = 0,
          backup_dir: Path | None = None) -> TrainingResult:
    """Train `model` in place on `data.train`; after each whole epoch, read `data.validation`.

    With `backup_dir`, the weights, the optimizer's state and the epoch are saved there after
    each epoch (Keras's BackupAndRestore), and a training that finds a backup there goes on
    from it; the backup is removed when the training ends. A Residual trained with the drawings
    recipe takes two to four hours on an AVX2 CPU (2026-12-03), longer than a working session.
    A resumed training's augmentations and shuffling restart from the seed's first epoch.
    """
    if config.seed is not None:
        keras.utils.set_random_seed(config.seed)
    progress = progress or TrainingProgress(config.epochs)
    x, y = data.train
    batches_per_epoch = -(-len(x) // config.batch_size)
    callbacks = [ProgressCallback(progress, batches_per_epoch, config.batch_size, data.validation)]
    if backup_dir is not None:  # first, so that an epoch is saved before anything reports it
        callbacks.insert(0, keras.callbacks.BackupAndRestore(str(backup_dir)))
    compile_model(model, config.learning_rate,
                  decay_steps=config.epochs * batches_per_epoch if config.decay else None, soft_targets=y.ndim == 2)
    if config.augment:
        inputs = dict(x=augmented_batches(x, y, config.batch_size, config.seed), shuffle=False)  # shuffled there
    else:
        inputs = dict(x=x, y=y, batch_size=config.batch_size, shuffle=True)
    try:
        model.fit(**inputs, epochs=config.epochs, callbacks=callbacks, verbose=verbose)
    except BaseException as exc:
        progress.finish(error=f"{type(exc).__name__}: {exc}")
        raise
    stopped = progress.stop_requested
    progress.finish(stopped=stopped)
    completed = [e for e in progress.snapshot().epoch_ends if e.complete]
    seconds = float(np.mean([e.seconds for e in completed])) if completed else float("nan")
    # counted from the first epoch, so that a training resumed from a backup counts the
    # epochs run before it too
    return TrainingResult(completed[-1].epoch + 1 if completed else 0, stopped, seconds)


def augmented_batches(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int | None = None):
    """A tf.data pipeline of shuffled batches, each image randomly moved and re-inked.

    Rotations up to 12 degrees, zoom up to 10%, shifts up to 2 pixels, and a random
    ink gamma that makes strokes look thinner or thicker: the ways drawings on a canvas
    differ from MNIST's scans.
    """
    import tensorflow as tf
    from keras import layers

    move = keras.Sequential([
        layers.RandomRotation(12 / 360, fill_mode="constant", seed=seed),
        layers.RandomZoom(0.1, fill_mode="constant", seed=seed),
        layers.RandomTranslation(2 / 28, 2 / 28, fill_mode="constant", seed=seed),
    ])

    def augment(images, labels):
        images = move(images, training=True)
        gamma = tf.random.uniform((tf.shape(images)[0], 1, 1, 1), 0.6, 1.6, seed=seed)
        return tf.clip_by_value(images, 0.0, 1.0) ** gamma, labels

    return (tf.data.Dataset.from_tensor_slices((x, y))
            .shuffle(len(x), seed=seed)
            .batch(batch_size)
            .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))


def evaluate(model: keras.Model, split: Split) -> tuple[float, float]:
    """(loss, accuracy) of a model on a split; an uncompiled model is compiled as for training."""
    if not model.compiled:
        compile_model(model)
    loss, accuracy = model.evaluate(split.x, split.y, batch_size=VALIDATION_BATCH_SIZE, verbose=0)
    return float(loss), float(accuracy)
