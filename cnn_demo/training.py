"""Training with progress a UI thread can read: a Keras Callback writes, a lock guards, Stop cancels.

Nothing here imports Streamlit: the same path serves the CLI, the app and the benchmarks.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cnn_demo.data import Mnist, Split

if TYPE_CHECKING:
    import keras

VALIDATION_BATCH_SIZE = 1000


@dataclass(frozen=True)
class TrainingConfig:
    """The tutorial's settings by default: Adam, batch 128, 10 epochs on all 60,000 images."""

    epochs: int = 10
    batch_size: int = 128
    learning_rate: float = 1e-3
    train_size: int = 60_000
    validation_size: int = 10_000
    seed: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.train_size <= 60_000:
            raise ValueError(f"train_size must be 1 to 60000, got {self.train_size}")
        if self.epochs < 1 or self.batch_size < 1 or self.learning_rate <= 0:
            raise ValueError("epochs, batch_size and learning_rate must be positive")


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
    """Thread-safe progress of one training run, plus its stop request."""

    def __init__(self, epochs: int) -> None:
        self._lock = threading.Lock()
        self._snapshot = ProgressSnapshot(epochs=epochs)
        self._stop = threading.Event()

    def request_stop(self) -> None:
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
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
            return ProgressSnapshot(
                s.epochs, list(s.batches), list(s.epoch_ends),
                s.started_at, s.finished, s.stopped, s.error,
            )


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


def compile_model(model: "keras.Model", learning_rate: float = 1e-3) -> "keras.Model":
    """Adam with categorical cross-entropy on integer labels, as the tutorial."""
    import keras

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
    compile_model(model, config.learning_rate)
    try:
        model.fit(x, y, batch_size=config.batch_size, epochs=config.epochs,
                  shuffle=True, callbacks=[callback], verbose=verbose)
    except BaseException as exc:
        progress.finish(error=f"{type(exc).__name__}: {exc}")
        raise
    stopped = progress.stop_requested
    progress.finish(stopped=stopped)
    snap = progress.snapshot()
    completed = [e for e in snap.epoch_ends if e.complete]
    seconds = float(np.mean([e.seconds for e in completed])) if completed else float("nan")
    return TrainingResult(len(completed), stopped, seconds)


def evaluate(model: "keras.Model", split: Split) -> tuple[float, float]:
    """(loss, accuracy) of a compiled model on a split."""
    loss, accuracy = model.evaluate(split.x, split.y, batch_size=VALIDATION_BATCH_SIZE, verbose=0)
    return float(loss), float(accuracy)


def save_model_atomically(model: "keras.Model", path: str | Path) -> Path:
    """Write the .keras file beside its target, then rename: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".keras")
    os.close(fd)
    try:
        model.save(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def write_json_atomically(data: dict, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path



class TrainingJob:
    """A fresh model of one architecture, trained in a background thread.

    The page polls `progress.snapshot()` and reads `predictor`, which shares the model's
    weights, so a drawing's prediction changes as the model learns.
    """

    def __init__(self, architecture: str, config: TrainingConfig, data: Mnist) -> None:
        from cnn_demo.architectures import get_architecture
        from cnn_demo.inference import Predictor

        self.architecture = get_architecture(architecture)
        self.config = config
        self.model = self.architecture.build()
        self.predictor = Predictor(self.model)
        self.progress = TrainingProgress(config.epochs)
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

    def _run(self) -> None:
        try:
            self.result = train(self.model, self._data, self.config, self.progress)
            if not self.result.stopped:
                self.test_loss, self.test_accuracy = evaluate(self.model, self._data.test)
        except Exception:  # noqa: BLE001 -- recorded in progress.error for the page to show
            pass

    def keras_bytes(self) -> bytes:
        """The trained model as a .keras file, made once, for a download button."""
        if self._keras_bytes is None:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"{self.architecture.name}.keras"
                self.model.save(path)
                self._keras_bytes = path.read_bytes()
        return self._keras_bytes
