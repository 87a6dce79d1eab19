"""Training reports its progress batch by batch, validates per epoch, and stops on request."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest
from interrupted import InterruptedAfter

from cnn_demo.architectures import get_architecture
from cnn_demo.fitting import PRESETS, TrainingConfig, build_for_training, live_config, mnist_training_data, train
from cnn_demo.jobs import TrainingSlots, fresh_training
from cnn_demo.pretrained import atomic_write, save_model_atomically, write_json_atomically
from cnn_demo.progress import TrainingProgress
from cnn_demo.train import train_and_ship

SMALL = TrainingConfig(epochs=1, batch_size=32, train_size=320, validation_size=200, seed=0)


def fit(model, mnist, config: TrainingConfig, progress: TrainingProgress | None = None):
    return train(model, mnist_training_data(mnist, config), config, progress)


def test_progress_callback_reports_every_batch_with_increasing_counts(mnist):
    progress = TrainingProgress(SMALL.epochs)
    fit(get_architecture("baseline").build(), mnist, SMALL, progress)
    snap = progress.snapshot()
    assert [b.batch for b in snap.batches] == list(range(1, 11))
    assert all(b.batches_per_epoch == 10 and b.samples_per_second > 0 for b in snap.batches)
    assert snap.finished and not snap.stopped and snap.fraction_done == 1.0


def test_each_epoch_end_carries_validation_loss_and_accuracy(mnist):
    progress = TrainingProgress(2)
    fit(get_architecture("baseline").build(), mnist,
          TrainingConfig(epochs=2, batch_size=64, train_size=640, validation_size=200, seed=0), progress)
    ends = progress.snapshot().epoch_ends
    assert [e.epoch for e in ends] == [0, 1]
    assert all(0 <= e.val_accuracy <= 1 and e.val_loss > 0 and e.complete for e in ends)


def test_training_on_a_few_hundred_images_beats_chance(mnist):
    config = TrainingConfig(epochs=2, batch_size=32, train_size=600, validation_size=500, seed=0)
    progress = TrainingProgress(config.epochs)
    fit(get_architecture("pooled").build(), mnist, config, progress)
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
    result = fit(get_architecture("baseline").build(), mnist, config, progress)
    watcher.join()
    snap = progress.snapshot()
    # the batch running when Stop arrived may finish; no further one starts
    assert len(snap.batches) <= batches_at_request[0] + 1
    assert result.stopped and result.epochs_completed == 0 and snap.stopped


def test_stopped_epoch_runs_no_validation(mnist):
    progress = TrainingProgress(1)
    progress.request_stop()
    fit(get_architecture("baseline").build(), mnist,
          TrainingConfig(epochs=1, batch_size=8, train_size=800, validation_size=100, seed=0), progress)
    (end,) = progress.snapshot().epoch_ends
    assert not end.complete and end.val_accuracy is None


def test_validation_images_are_taken_from_the_training_set_and_never_trained_on(mnist):
    data = mnist_training_data(mnist, TrainingConfig(train_size=55_000, validation_size=5_000))
    assert len(data.train.x) == 55_000 and len(data.validation.x) == 5_000
    np.testing.assert_array_equal(data.validation.x, mnist.train.x[55_000:])
    np.testing.assert_array_equal(data.train.x, mnist.train.x[:55_000])


def test_without_validation_there_is_nothing_to_validate_on(mnist):
    assert mnist_training_data(mnist, TrainingConfig(train_size=1_000)).validation is None


@pytest.mark.parametrize("field, value", [("train_size", 0), ("train_size", 60_001), ("epochs", 0),
                                          ("validation_size", 60_000)])
def test_config_refuses_out_of_range_values(field, value):
    with pytest.raises(ValueError):
        TrainingConfig(**{field: value})


def test_saved_model_file_appears_whole_and_leaves_no_temporary_file(tmp_path):
    model = get_architecture("baseline").build()
    path = save_model_atomically(model, tmp_path / "baseline.keras")
    assert [p.name for p in tmp_path.iterdir()] == ["baseline.keras"]
    assert path.stat().st_size > 10_000


def test_mixed_precision_copy_computes_in_bfloat16_with_the_same_weights():
    from cnn_demo.fitting import with_dtype_policy

    model = get_architecture("pooled").build()
    mixed = with_dtype_policy(model, "mixed_bfloat16")
    assert {layer.dtype_policy.name for layer in mixed.layers} == {"mixed_bfloat16"}
    for a, b in zip(model.get_weights(), mixed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_model_trained_in_bfloat16_is_saved_as_float32_without_loss(mnist, tmp_path):
    import keras

    config = TrainingConfig(epochs=1, batch_size=32, train_size=320, validation_size=0,
                            seed=0, precision="mixed_bfloat16")
    model = build_for_training("pooled", config)
    fit(model, mnist, config)
    loaded = keras.saving.load_model(save_model_atomically(model, tmp_path / "pooled.keras"))
    assert {layer.dtype_policy.name for layer in loaded.layers} == {"float32"}
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_seeded_training_starts_from_the_same_weights_every_time():
    first, again, other = (build_for_training("pooled", TrainingConfig(seed=seed, precision="float32"))
                           for seed in (1, 1, 2))
    for a, b in zip(first.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.get_weights()[0], other.get_weights()[0])


def test_unknown_precision_error_lists_the_allowed_ones():
    with pytest.raises(ValueError, match="float32, mixed_bfloat16"):
        TrainingConfig(precision="float16")


def test_a_training_nobody_keeps_alive_stops_by_itself(mnist):
    config = TrainingConfig(epochs=50, batch_size=8, train_size=8000, validation_size=100, seed=0)
    job = fresh_training("baseline", config, mnist, abandon_after=0.5).start()
    job.join(timeout=60)
    assert not job.running
    assert job.progress.abandoned and job.progress.snapshot().stopped


def test_training_slots_admit_the_limit_and_queue_the_rest_in_order():
    slots = TrainingSlots(limit=1)
    assert slots.acquire("a", cancelled=lambda: False)
    admitted = []
    waiters = [threading.Thread(target=lambda h=h: admitted.append(h) if slots.acquire(h, lambda: False) else None)
               for h in ("b", "c")]
    waiters[0].start()
    while slots.place("b") is None:
        threading.Event().wait(0.01)
    waiters[1].start()
    while slots.place("c") is None:
        threading.Event().wait(0.01)
    assert (slots.place("b"), slots.place("c")) == (1, 2) and admitted == []
    slots.release()
    waiters[0].join(timeout=5)
    assert admitted == ["b"] and slots.place("c") == 1
    slots.release()
    waiters[1].join(timeout=5)
    assert admitted == ["b", "c"]


def test_a_waiting_job_that_is_stopped_leaves_the_line_without_training(mnist):
    slots = TrainingSlots(limit=1)
    assert slots.acquire("someone else", cancelled=lambda: False)
    job = fresh_training("baseline", SMALL, mnist, slots).start()
    while job.place_in_line is None:
        threading.Event().wait(0.01)
    job.stop()
    job.join(timeout=10)
    assert not job.running and job.place_in_line is None
    assert job.progress.snapshot().batches == [] and job.progress.snapshot().stopped


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path):
    target = write_json_atomically({"kept": True}, tmp_path / "metrics.json")
    with pytest.raises(RuntimeError), atomic_write(target) as tmp:
        tmp.write_text("{ half")
        raise RuntimeError("disk full")
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]
    assert target.read_text() == '{\n  "kept": true\n}\n'


@pytest.mark.parametrize("name", ["baseline", "conv", "pooled"])
def test_the_tutorials_models_train_live_as_the_tutorial_trains_them(name):
    config = live_config(name, **PRESETS["As the article"])
    assert (config.augment, config.decay, config.batch_size, config.learning_rate) == (False, False, 128, 1e-3)


def test_other_architectures_train_live_with_their_own_augmentation_and_decay():
    config = live_config("residual", **PRESETS["Quick"])
    assert (config.augment, config.decay) == (True, True)


def test_cosine_decay_lowers_the_learning_rate_to_one_percent_by_the_last_batch(mnist):
    config = TrainingConfig(epochs=2, batch_size=32, train_size=320, validation_size=0, seed=0, decay=True)
    model = get_architecture("baseline").build()
    fit(model, mnist, config)
    assert int(model.optimizer.iterations) == 20
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-5, rel=0.01)


def test_resuming_goes_on_from_the_shipped_weights_and_adds_up_the_epochs(tmp_path):
    config = TrainingConfig(epochs=1, batch_size=512, seed=0)
    first = train_and_ship("baseline", config, "mnist", tmp_path)
    then = train_and_ship("baseline", replace(config, learning_rate=1e-4), "mnist", tmp_path, resume=True)
    assert then["epochs"] == 2
    assert then["recipe_description"] == f"{first['recipe_description']}; then 1 more epoch at learning rate 0.0001"
    # one epoch at this rate from scratch reaches 49% (measured); from the shipped weights, 90% and more
    assert then["test_accuracy"] >= first["test_accuracy"] - 0.005


def test_a_shipped_training_writes_what_the_page_would_otherwise_compute_beside_the_weights(tmp_path, mnist):
    from cnn_demo.embedding import load_space
    from cnn_demo.feature_vis import load_channel_images
    from cnn_demo.inference import load_scorecard
    from cnn_demo.pretrained import load_model

    train_and_ship("baseline", TrainingConfig(epochs=1, batch_size=128, train_size=512, seed=0), "mnist", tmp_path)
    model = load_model("baseline", tmp_path)
    assert load_channel_images("baseline", model, mnist, tmp_path) == {}  # no convolution: nothing to show
    assert load_space("baseline", model, mnist, tmp_path) is not None
    assert load_scorecard("baseline", model, mnist, tmp_path) is not None


def test_derived_only_rewrites_what_the_page_reads_beside_shipped_weights_without_training(tmp_path, mnist):
    from cnn_demo.embedding import load_space
    from cnn_demo.inference import load_scorecard
    from cnn_demo.pretrained import load_metrics, load_model, model_path
    from cnn_demo.train import main

    model_path("baseline", tmp_path).write_bytes(model_path("baseline").read_bytes())
    main(["--arch", "baseline", "--derived-only", "--out-dir", str(tmp_path)])
    model = load_model("baseline", tmp_path)
    assert load_space("baseline", model, mnist, tmp_path) is not None
    shipped = load_metrics()[0]["baseline"]["test_accuracy"]
    assert load_scorecard("baseline", model, mnist, tmp_path).accuracy == pytest.approx(shipped, abs=1e-4)
    assert not (tmp_path / "metrics.json").exists()  # nothing was trained


def test_an_interrupted_training_goes_on_from_its_last_whole_epoch_with_the_optimizers_state(mnist, tmp_path):
    config = TrainingConfig(epochs=3, batch_size=32, train_size=320, seed=0, decay=True)
    backup = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        train(get_architecture("baseline").build(), mnist_training_data(mnist, config), config,
              InterruptedAfter(1, config.epochs), backup_dir=backup)
    assert backup.is_dir()
    progress, model = TrainingProgress(config.epochs), get_architecture("baseline").build()
    result = train(model, mnist_training_data(mnist, config), config, progress, backup_dir=backup)
    assert [e.epoch for e in progress.snapshot().epoch_ends] == [1, 2]  # the first was not run again
    assert result.epochs_completed == 3
    assert int(model.optimizer.iterations) == 30  # 10 batches an epoch, the first epoch's restored
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-5, rel=0.01)  # the decay went on
    assert not backup.exists()  # removed once the training ended


def test_the_letter_reader_is_trained_on_the_writers_letters_and_shipped_with_its_classes(tmp_path, monkeypatch):
    import json

    import keras

    from cnn_demo import training_data
    from cnn_demo.detector import LETTER_CLASSES, LETTERS_FILE
    from cnn_demo.train import main

    # each training writer's letter drawn once, and one symbol of each kind, for one epoch
    monkeypatch.setattr(training_data, "LETTER_COPIES", 1)
    monkeypatch.setattr(training_data, "SYMBOL_DRAWINGS", len(training_data.SYMBOLS))
    main(["--letters", "--epochs", "1", "--out-dir", str(tmp_path)])
    row = json.loads((tmp_path / "letters.json").read_text())
    assert row["classes"] == list(LETTER_CLASSES) and row["epochs"] == 1
    assert keras.saving.load_model(tmp_path / LETTERS_FILE).output_shape == (None, len(LETTER_CLASSES))
    assert row["train_size"] > 5_000  # the 5,939 letters of the training writers, less any refused


def test_a_resumed_detector_is_taught_its_own_answers_and_not_a_digit_on_the_numbers(tmp_path, monkeypatch, mnist):
    import json
    import shutil

    import keras

    from cnn_demo import train as train_module
    from cnn_demo import training_data
    from cnn_demo.data import Split
    from cnn_demo.detector import DETECTOR_FILE
    from cnn_demo.fitting import TrainingData
    from cnn_demo.paths import PRETRAINED_DIR

    for name in (DETECTOR_FILE, "detector.json"):
        shutil.copy(PRETRAINED_DIR / name, tmp_path)
    strokes = training_data._number_strokes(2)[::training_data.NUMBER_COPIES][:200]
    numbers = training_data.canvas_inputs(strokes, [training_data.NOT_A_DIGIT] * len(strokes), 1, 3)
    digits = mnist.train.x[:1024], mnist.train.y[:1024]
    monkeypatch.setattr(training_data, "numbers", lambda seed: numbers)
    monkeypatch.setattr(train_module, "recipe_data", lambda recipe, seed, non_digits: (
        TrainingData(Split(*digits)), "a few digits"))
    taught_with = []
    real_train = train_module.train
    monkeypatch.setattr(train_module, "train", lambda model, data, config, **kw: (
        taught_with.append((data.train.y, config)) or real_train(model, data, config, **kw)))
    shipped = keras.models.load_model(PRETRAINED_DIR / DETECTOR_FILE)
    train_module.main(["--detector", "--resume", "--epochs", "2", "--learning-rate", "1e-4",
                       "--out-dir", str(tmp_path)])
    [(targets, config)] = taught_with
    assert len(targets) == 1024 + len(numbers[0]) and not config.augment
    np.testing.assert_allclose(targets[:1024], shipped.predict(digits[0], verbose=0), atol=1e-5)
    assert (targets[1024:] == np.eye(11)[training_data.NOT_A_DIGIT]).all()
    row = json.loads((tmp_path / "detector.json").read_text())
    assert row["epochs"] == json.loads((PRETRAINED_DIR / "detector.json").read_text())["epochs"] + 2
    assert row["recipe_description"].endswith(
        "taught its own answers on a few digits, and \"not a digit\" on two-digit numbers of the same writers' "
        f"digits ({training_data.NUMBER_COPIES} times each)")
    taught = keras.models.load_model(tmp_path / DETECTOR_FILE)
    same = np.argmax(shipped.predict(digits[0], verbose=0), 1) == np.argmax(taught.predict(digits[0], verbose=0), 1)
    assert same.mean() >= 0.99


def test_a_detector_trained_from_scratch_sees_no_two_digit_numbers(monkeypatch, mnist):
    """As the shipped detector was first trained: the numbers come with `--resume`."""
    from cnn_demo import train as train_module
    from cnn_demo import training_data

    few = np.zeros((3, 28, 28, 1), np.float32)
    monkeypatch.setattr(train_module, "load_mnist", lambda: mnist)
    monkeypatch.setattr(training_data, "pen_digits", lambda seed: (few, np.zeros(3, int)))
    monkeypatch.setattr(training_data, "non_digits", lambda seed: (few[:2], np.full(2, training_data.NOT_A_DIGIT)))
    monkeypatch.setattr(training_data, "numbers", lambda seed: pytest.fail("numbers drawn"))
    data, description = train_module.recipe_data("drawings", 0, non_digits=True)
    assert len(data.train.x) == len(mnist.train.x) + 5
    assert "numbers" not in description
