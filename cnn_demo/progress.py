"""A training run's progress as a UI thread reads it: events, a consistent snapshot, Stop.

The training thread writes batch and epoch events under a lock; the page reads copies.
No Keras here: the same object serves the CLI, the app and the tests.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class BatchEvent:
    epoch: int  # 0-based
    batch: int  # 1-based count of batches done in this epoch
    batches_per_epoch: int
    loss: float  # Keras's running mean over this epoch's batches so far
    accuracy: float  # likewise
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
