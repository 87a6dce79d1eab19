"""Training with progress a UI thread can read: a Keras Callback writes, a lock guards, Stop cancels.

Nothing here imports Streamlit: the same path serves the CLI, the app and the benchmarks.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from cnn_demo.data import Mnist, Split

if TYPE_CHECKING:
    import keras

VALIDATION_BATCH_SIZE = 1000
MIXED_BFLOAT16 = "mixed_bfloat16"


def cpu_supports_bfloat16() -> bool:
    """True where the CPU computes bfloat16 natively (AVX512_BF16 or AMX); elsewhere it is emulated."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


# Measured here (python -m cnn_demo.bench): bfloat16 compute trains the pooled model about
# 2x and the conv model about 3.5x faster than float32, to the same accuracy.
DEFAULT_PRECISION = MIXED_BFLOAT16 if cpu_supports_bfloat16() else "float32"


@dataclass(frozen=True)
class TrainingConfig:
    """The tutorial's settings by default: Adam, batch 128, 10 epochs on all 60,000 images."""

    epochs: int = 10
    batch_size: int = 128
    learning_rate: float = 1e-3
    train_size: int = 60_000
    validation_size: int = 10_000
    seed: int | None = None
    precision: str = DEFAULT_PRECISION  # "float32" or "mixed_bfloat16"
    augment: bool = False  # train on randomly shifted, rotated, rescaled, re-inked copies
    decay: bool = False  # learning rate falls along a cosine to 1% of its start by the end

    def __post_init__(self) -> None:
        if not 1 <= self.train_size <= 60_000:
            raise ValueError(f"train_size must be 1 to 60000, got {self.train_size}")
        if self.epochs < 1 or self.batch_size < 1 or self.learning_rate <= 0:
            raise ValueError("epochs, batch_size and learning_rate must be positive")
        if self.precision not in ("float32", MIXED_BFLOAT16):
            raise ValueError(f"precision must be one of: float32, {MIXED_BFLOAT16}; got {self.precision!r}")


@dataclass(frozen=True)
class BatchEvent:
    epoch: int  # 0-based
    batch: int  # 1-based count of batches done in this epoch
    batches_per_epoch: int
    loss: float
    accuracy: float
    samples_per_second: float


@dataclass(frozen=True)
class EpochEvent:
    epoch: int  # 0-based
    loss: float
    accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    seconds: float
    complete: bool  # False for an epoch cut short by Stop


@dataclass
class ProgressSnapshot:
    """A consistent copy of a run's progress, safe to read while training goes on."""

    epochs: int
    batches: list[BatchEvent] = field(default_factory=list)
    epoch_ends: list[EpochEvent] = field(default_factory=list)
    started_at: float | None = None
    finished: bool = False
    stopped: bool = False
    error: str | None = None

    @property
    def latest(self) -> BatchEvent | None:
        return self.batches[-1] if self.batches else None

    @property
    def fraction_done(self) -> float:
        """Share of all batches of all epochs done, 0 to 1."""
        if self.finished and not self.stopped and self.error is None:
            return 1.0
        b = self.latest
        if b is None:
            return 0.0
        return min(1.0, (b.epoch + b.batch / b.batches_per_epoch) / self.epochs)

    @property
    def seconds_left(self) -> float | None:
        """Time left at the rate so far; None before the first batch."""
        if self.started_at is None or not self.batches or self.finished:
            return None
        done = self.fraction_done
        elapsed = time.monotonic() - self.started_at
        return elapsed * (1 - done) / done if done > 0 else None


class TrainingProgress:
    """Thread-safe progress of one training run, plus its stop request.

    With `abandon_after` seconds set, a run nobody has called `keep_alive()` on for that
    long counts as stopped: a page that closed stops polling, so its training ends too.
    """

    def __init__(self, epochs: int, abandon_after: float | None = None) -> None:
        self._lock = threading.Lock()
        self._snapshot = ProgressSnapshot(epochs=epochs)
        self._stop = threading.Event()
        self.abandon_after = abandon_after
        self._last_seen = time.monotonic()
        self.abandoned = False

    def request_stop(self) -> None:
        self._stop.set()

    def keep_alive(self) -> None:
        self._last_seen = time.monotonic()

    @property
    def stop_requested(self) -> bool:
        if not self._stop.is_set() and self.abandon_after is not None \
                and time.monotonic() - self._last_seen > self.abandon_after:
            self.abandoned = True
            self._stop.set()
        return self._stop.is_set()

    def start(self) -> None:
        with self._lock:
            self._snapshot.started_at = time.monotonic()

    def add_batch(self, event: BatchEvent) -> None:
        with self._lock:
            self._snapshot.batches.append(event)

    def add_epoch(self, event: EpochEvent) -> None:
        with self._lock:
            self._snapshot.epoch_ends.append(event)

    def finish(self, stopped: bool = False, error: str | None = None) -> None:
        with self._lock:
            self._snapshot.finished, self._snapshot.stopped = True, stopped
            self._snapshot.error = error

    def snapshot(self) -> ProgressSnapshot:
        with self._lock:
            s = self._snapshot
            return replace(s, batches=list(s.batches), epoch_ends=list(s.epoch_ends))


def _progress_callback_class():
    """Build the Callback subclass lazily so importing this module does not load Keras."""
    import keras

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

    return ProgressCallback


@dataclass(frozen=True)
class TrainingResult:
    epochs_completed: int
    stopped: bool
    seconds_per_epoch: float  # mean over completed epochs (nan when none completed)


def with_dtype_policy(model: "keras.Model", policy: str) -> "keras.Model":
    """A copy of `model` that computes in `policy`, with the same weights.

    Mixed precision keeps the variables in float32, so a model trained in bfloat16 and
    copied back to float32 loses nothing.
    """
    import keras

    clone = keras.models.clone_model(
        model, clone_function=lambda layer: layer.__class__.from_config({**layer.get_config(), "dtype": policy}))
    clone.set_weights(model.get_weights())
    return clone


def as_float32(model: "keras.Model") -> "keras.Model":
    """The model itself if every layer computes in float32, else a float32 copy."""
    if all(layer.dtype_policy.name == "float32" for layer in model.layers):
        return model
    return with_dtype_policy(model, "float32")


def build_for_training(architecture: str, config: "TrainingConfig") -> "keras.Model":
    """A fresh model of a registry architecture, in the config's precision."""
    from cnn_demo.architectures import get_architecture

    model = get_architecture(architecture).build()
    return model if config.precision == "float32" else with_dtype_policy(model, config.precision)


def compile_model(model: "keras.Model", learning_rate: float = 1e-3,
                  decay_steps: int | None = None) -> "keras.Model":
    """Adam with categorical cross-entropy on integer labels, as the tutorial.

    With `decay_steps`, the rate falls along a cosine to 1% of its start over that many batches.
    """
    import keras

    if decay_steps:
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps, alpha=0.01)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def train(
    model: "keras.Model",
    data: Mnist,
    config: TrainingConfig = TrainingConfig(),
    progress: TrainingProgress | None = None,
    verbose: int = 0,
) -> TrainingResult:
    """Train `model` in place on the first `train_size` training images; validate on the test set."""
    import keras

    if config.seed is not None:
        keras.utils.set_random_seed(config.seed)
    progress = progress or TrainingProgress(config.epochs)
    x, y = data.train.x[: config.train_size], data.train.y[: config.train_size]
    validation = Split(data.test.x[: config.validation_size], data.test.y[: config.validation_size])
    batches_per_epoch = -(-len(x) // config.batch_size)
    callback = _progress_callback_class()(
        progress, batches_per_epoch, config.batch_size,
        validation if config.validation_size > 0 else None,
    )
    compile_model(model, config.learning_rate,
                  decay_steps=config.epochs * batches_per_epoch if config.decay else None)
    if config.augment:
        inputs = dict(x=augmented_batches(x, y, config.batch_size, config.seed))
    else:
        inputs = dict(x=x, y=y, batch_size=config.batch_size, shuffle=True)
    try:
        model.fit(**inputs, epochs=config.epochs, callbacks=[callback], verbose=verbose)
    except BaseException as exc:
        progress.finish(error=f"{type(exc).__name__}: {exc}")
        raise
    stopped = progress.stop_requested
    progress.finish(stopped=stopped)
    snap = progress.snapshot()
    completed = [e for e in snap.epoch_ends if e.complete]
    seconds = float(np.mean([e.seconds for e in completed])) if completed else float("nan")
    return TrainingResult(len(completed), stopped, seconds)


def augmented_batches(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int | None = None):
    """A tf.data pipeline of shuffled batches, each image randomly moved and re-inked.

    Rotations up to 12 degrees, zoom up to 10%, shifts up to 2 pixels, and a random
    ink gamma that makes strokes look thinner or thicker: the ways drawings on a canvas
    differ from MNIST's scans.
    """
    import keras
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


def evaluate(model: "keras.Model", split: Split) -> tuple[float, float]:
    """(loss, accuracy) of a model on a split; an uncompiled model is compiled as for training."""
    if not model.compiled:
        compile_model(model)
    loss, accuracy = model.evaluate(split.x, split.y, batch_size=VALIDATION_BATCH_SIZE, verbose=0)
    return float(loss), float(accuracy)


@contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path`; when the block succeeds, one rename puts it in place.

    Readers see the old file or the new one, never half of one; a failed write leaves nothing.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_model_atomically(model: "keras.Model", path: str | Path) -> Path:
    """Write the model as float32 to a .keras file atomically: it infers in float32 on any CPU."""
    model = as_float32(model)
    with atomic_write(path) as tmp:
        model.save(tmp)
    return Path(path)


def write_json_atomically(data: dict, path: str | Path) -> Path:
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return Path(path)


class TrainingSlots:
    """How many trainings may run at once across every session of a server; the rest queue.

    A waiting job holds its place in line until a slot frees or it is stopped.
    """

    def __init__(self, limit: int = 1) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self.limit = limit
        self._condition = threading.Condition()
        self._running = 0
        self._line: list[object] = []

    def acquire(self, holder: object, cancelled: Callable[[], bool]) -> bool:
        """Wait for a slot in arrival order; False if `cancelled()` turns true first."""
        with self._condition:
            self._line.append(holder)
            try:
                while self._running >= self.limit or self._line[0] is not holder:
                    if cancelled():
                        return False
                    self._condition.wait(timeout=0.25)
                self._running += 1
                return True
            finally:
                self._line.remove(holder)
                self._condition.notify_all()

    def release(self) -> None:
        with self._condition:
            self._running -= 1
            self._condition.notify_all()

    def place(self, holder: object) -> int | None:
        """1-based place in line, or None when not waiting."""
        with self._condition:
            return self._line.index(holder) + 1 if holder in self._line else None


class TrainingJob:
    """A fresh model of one architecture, trained in a background thread.

    The page polls `progress.snapshot()` and reads `predictor`, which shares the model's
    weights, so a drawing's prediction changes as the model learns. With `slots`, the job
    first waits for a free training slot of the server.
    """

    def __init__(self, architecture: str, config: TrainingConfig, data: Mnist,
                 slots: TrainingSlots | None = None, abandon_after: float | None = None) -> None:
        from cnn_demo.architectures import get_architecture
        from cnn_demo.inference import Predictor

        self.architecture = get_architecture(architecture)
        self.config = config
        self.model = build_for_training(architecture, config)
        self.predictor = Predictor(self.model)
        self.progress = TrainingProgress(config.epochs, abandon_after)
        self.slots = slots
        self.result: TrainingResult | None = None
        self.test_loss: float | None = None
        self.test_accuracy: float | None = None
        self._data = data
        self._thread = threading.Thread(target=self._run, name=f"train-{architecture}", daemon=True)
        self._keras_bytes: bytes | None = None

    def start(self) -> "TrainingJob":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.progress.request_stop()

    @property
    def running(self) -> bool:
        """True until training and the final test evaluation are both over."""
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def place_in_line(self) -> int | None:
        """Where this job waits for a training slot (1 is next), or None when not waiting."""
        return self.slots.place(self) if self.slots is not None else None

    def _run(self) -> None:
        if self.slots is not None and not self.slots.acquire(self, lambda: self.progress.stop_requested):
            self.progress.finish(stopped=True)
            return
        try:
            self.result = train(self.model, self._data, self.config, self.progress)
            if not self.result.stopped:
                self.test_loss, self.test_accuracy = evaluate(self.model, self._data.test)
        except Exception as exc:  # noqa: BLE001 -- recorded for the page to show
            self.progress.finish(error=f"{type(exc).__name__}: {exc}")
        finally:
            if self.slots is not None:
                self.slots.release()

    def keras_bytes(self) -> bytes:
        """The trained model as a .keras file, made once, for a download button."""
        if self._keras_bytes is None:
            with tempfile.TemporaryDirectory() as tmp:
                path = save_model_atomically(self.model, Path(tmp) / f"{self.architecture.name}.keras")
                self._keras_bytes = path.read_bytes()
        return self._keras_bytes
