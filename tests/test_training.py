"""Training reports its progress batch by batch, validates per epoch, and stops on request."""

from __future__ import annotations

import threading

import pytest

from cnn_demo.architectures import get_architecture
from cnn_demo.training import TrainingConfig, TrainingProgress, save_model_atomically, train

SMALL = TrainingConfig(epochs=1, batch_size=32, train_size=320, validation_size=200, seed=0)


def test_progress_callback_reports_every_batch_with_increasing_counts(mnist):
    progress = TrainingProgress(SMALL.epochs)
    train(get_architecture("baseline").build(), mnist, SMALL, progress)
    snap = progress.snapshot()
    assert [b.batch for b in snap.batches] == list(range(1, 11))
    assert all(b.batches_per_epoch == 10 and b.samples_per_second > 0 for b in snap.batches)
    assert snap.finished and not snap.stopped and snap.fraction_done == 1.0


def test_each_epoch_end_carries_validation_loss_and_accuracy(mnist):
    progress = TrainingProgress(2)
    train(get_architecture("baseline").build(), mnist,
          TrainingConfig(epochs=2, batch_size=64, train_size=640, validation_size=200, seed=0), progress)
    ends = progress.snapshot().epoch_ends
    assert [e.epoch for e in ends] == [0, 1]
    assert all(0 <= e.val_accuracy <= 1 and e.val_loss > 0 and e.complete for e in ends)


def test_training_on_a_few_hundred_images_beats_chance(mnist):
    config = TrainingConfig(epochs=2, batch_size=32, train_size=600, validation_size=500, seed=0)
    progress = TrainingProgress(config.epochs)
    train(get_architecture("pooled").build(), mnist, config, progress)
    assert progress.snapshot().epoch_ends[-1].val_accuracy > 0.5


def test_stop_request_ends_training_within_one_batch(mnist):
    progress = TrainingProgress(3)
    batches_at_request = []

    def stop_after_third_batch():
        while len(progress.snapshot().batches) < 3:
            threading.Event().wait(0.005)
        progress.request_stop()
        batches_at_request.append(len(progress.snapshot().batches))

    watcher = threading.Thread(target=stop_after_third_batch)
    watcher.start()
    config = TrainingConfig(epochs=3, batch_size=8, train_size=8000, validation_size=100, seed=0)
    result = train(get_architecture("baseline").build(), mnist, config, progress)
    watcher.join()
    snap = progress.snapshot()
    # the batch running when Stop arrived may finish; no further one starts
    assert len(snap.batches) <= batches_at_request[0] + 1
    assert result.stopped and result.epochs_completed == 0 and snap.stopped


def test_stopped_epoch_runs_no_validation(mnist):
    progress = TrainingProgress(1)
    progress.request_stop()
    train(get_architecture("baseline").build(), mnist,
          TrainingConfig(epochs=1, batch_size=8, train_size=800, seed=0), progress)
    (end,) = progress.snapshot().epoch_ends
    assert not end.complete and end.val_accuracy is None


@pytest.mark.parametrize("field, value", [("train_size", 0), ("train_size", 60_001), ("epochs", 0)])
def test_config_refuses_out_of_range_values(field, value):
    with pytest.raises(ValueError):
        TrainingConfig(**{field: value})


def test_saved_model_file_appears_whole_and_leaves_no_temporary_file(tmp_path):
    model = get_architecture("baseline").build()
    path = save_model_atomically(model, tmp_path / "baseline.keras")
    assert [p.name for p in tmp_path.iterdir()] == ["baseline.keras"]
    assert path.stat().st_size > 10_000
