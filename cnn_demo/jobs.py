"""Trainings in background threads: a server-wide line for training slots, one job per run.

The page starts a `TrainingJob`, polls its progress once a second and reads its
predictor, which shares the model's weights, so a drawing's answer changes as it learns.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from cnn_demo.architectures import get_architecture
from cnn_demo.data import Mnist
from cnn_demo.fitting import TrainingConfig, TrainingResult, build_for_training, evaluate, mnist_training_data, train
from cnn_demo.inference import Predictor
from cnn_demo.pretrained import save_model_atomically
from cnn_demo.progress import TrainingProgress


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
    """A fresh model of one architecture, trained on MNIST in a background thread.

    With `slots`, the job first waits for a free training slot of the server. When
    training ends without a stop, the model is read once on the 10,000 test images.
    """

    def __init__(self, architecture: str, config: TrainingConfig, data: Mnist,
                 slots: TrainingSlots | None = None, abandon_after: float | None = None) -> None:
        self.architecture = get_architecture(architecture)
        self.config = config
        self.model = build_for_training(architecture, config)
        self.predictor = Predictor(self.model)
        self.progress = TrainingProgress(config.epochs, abandon_after)
        self.slots = slots
        self.result: TrainingResult | None = None
        self.test_accuracy: float | None = None
        self._data = data
        self._thread = threading.Thread(target=self._run, name=f"train-{architecture}", daemon=True)
        self._keras_bytes: bytes | None = None

    def start(self) -> TrainingJob:
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
            self.result = train(self.model, mnist_training_data(self._data, self.config), self.config, self.progress)
            if not self.result.stopped:
                _, self.test_accuracy = evaluate(self.model, self._data.test)
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
