"""A training progress that stops the training the way a person would, for the backup tests."""

from __future__ import annotations

from cnn_demo.progress import TrainingProgress


class InterruptedAfter(TrainingProgress):
    """A progress that presses Ctrl-C once `epochs` epochs have ended, as a person would."""

    def __init__(self, epochs: int, total: int) -> None:
        super().__init__(total)
        self.epochs = epochs

    def add_epoch(self, event) -> None:
        super().add_epoch(event)
        if event.epoch + 1 == self.epochs:
            raise KeyboardInterrupt
