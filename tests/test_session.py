"""A visitor's session: one training at a time, its own models, a report per finished training."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from cnn_demo.fitting import DRAWING_REPEATS, REPLAY_IMAGES, TrainingConfig
from cnn_demo.inference import Predictor
from cnn_demo.jobs import KEPT_BACK, TEST, YOUR_DRAWINGS, TrainingSlots, as_split, kept_back
from cnn_demo.preprocess import preprocess
from cnn_demo.session import Session, describe
from cnn_demo.strokes import mirrored_collection

TINY = TrainingConfig(epochs=1, batch_size=32, train_size=320, validation_size=200, seed=0)
LONG = TrainingConfig(epochs=50, batch_size=8, train_size=8_000, validation_size=100, seed=0)


@pytest.fixture
def own(mnist) -> Session:
    return Session(mnist, TrainingSlots(limit=2))


def test_a_second_training_while_one_runs_is_refused_in_one_sentence(own):
    assert own.start("baseline", LONG) is None
    try:
        refusal = own.start("pooled", TINY)
        assert refusal == "Baseline is still training: stop it before starting another."
        assert set(own.jobs) == {"baseline"}
    finally:
        own.jobs["baseline"].stop()
        own.jobs["baseline"].join(timeout=60)


def test_the_trained_model_answers_only_when_asked_for_and_present(own):
    shipped = {"baseline": "the shipped predictor"}
    assert own.choose("baseline", trained=True, shipped=shipped).predictor == "the shipped predictor"
    own.start("baseline", TINY)
    own.jobs["baseline"].join(timeout=60)
    mine = own.choose("baseline", trained=True, shipped=shipped)
    assert mine.trained_here and mine.predictor is own.jobs["baseline"].predictor
    assert mine.label == "Baseline, trained here"
    assert own.choose("baseline", trained=False, shipped=shipped).label == "Baseline, shipped"


def test_a_finished_training_is_described_by_its_epochs_and_images(own):
    own.start("baseline", TINY)
    own.jobs["baseline"].join(timeout=60)
    assert describe(own.jobs["baseline"]) == "trained for 1 epoch(s) on 320 images"


def test_a_new_training_of_the_same_architecture_gets_its_own_test_set_report(own):
    own.start("baseline", TINY)
    first = own.jobs["baseline"]
    first.join(timeout=60)
    first_card = own.scorecard(first, first.predictor)
    assert own.scorecard(first, first.predictor) is first_card  # computed once
    own.start("baseline", TrainingConfig(epochs=1, batch_size=32, train_size=640, validation_size=200, seed=1))
    second = own.jobs["baseline"]
    second.join(timeout=60)
    del first
    gc.collect()  # the first job is gone: a report keyed by id() could now be handed to the second
    second_card = own.scorecard(second, second.predictor)
    assert second_card is not first_card
    assert list(own._scorecards) == [second]


def test_fine_tuning_without_drawings_is_refused_in_one_sentence(own, shipped_models):
    choice = own.choose("pooled", trained=False, shipped={"pooled": Predictor(shipped_models.models["pooled"])})
    assert own.fine_tune(choice) == "Add a few of your own drawings first: fine-tuning learns from them."


@pytest.fixture(scope="module")
def fine_tuned(mnist, shipped_models) -> tuple[Session, str | None, list[np.ndarray]]:
    """A session that fine-tuned the shipped Pooled on the fixed synthetic collection (the ten
    digits written mirrored, twice): the session, its answer to the request, and the shipped
    weights from before. Shared: each fine-tuning took 12 s."""
    session = Session(mnist, TrainingSlots(limit=2))
    for d, canvas in mirrored_collection():
        session.collection.add(d, preprocess(canvas).input, canvas)
    shipped = shipped_models.models["pooled"]
    before = [w.copy() for w in shipped.get_weights()]
    answer = session.fine_tune(session.choose("pooled", trained=False, shipped={"pooled": Predictor(shipped)}))
    session.jobs["pooled"].join(timeout=120)
    return session, answer, before


def test_fine_tuning_pooled_learns_the_drawings_and_keeps_mnist_within_a_point(fine_tuned):
    session, answer, _ = fine_tuned
    assert answer is None
    job = session.jobs["pooled"]
    assert job.after[YOUR_DRAWINGS] > job.before[YOUR_DRAWINGS] + 0.2
    assert job.after[TEST] >= job.before[TEST] - 0.01
    assert session.choose("pooled", trained=True, shipped={}).label == "Pooled, fine-tuned here"
    assert describe(job) == "fine-tuned for 3 epoch(s) on your drawings mixed with MNIST"


def test_fine_tuning_twenty_drawings_keeps_one_of_each_of_four_digits_back_and_scores_it_on_them(fine_tuned):
    session, _, _ = fine_tuned
    job = session.jobs["pooled"]
    assert set(job.before) == set(job.after) == {TEST, YOUR_DRAWINGS, KEPT_BACK}
    assert sorted(job.checks[KEPT_BACK].y.tolist()) == [2, 4, 7, 9]  # every fifth of 0,0,1,1,2,2,...
    assert sorted(job.checks[YOUR_DRAWINGS].y.tolist()) == sorted([*range(10), 0, 1, 3, 5, 6, 8])
    assert job.images == len(job.checks[YOUR_DRAWINGS].y) * DRAWING_REPEATS + REPLAY_IMAGES  # none learned


def test_fewer_than_ten_drawings_are_all_learned_from():
    drawings = as_split(np.zeros((9, 28, 28, 1)), np.arange(9))
    learn, back = kept_back(drawings)
    assert learn is drawings and back is None


def test_fine_tuning_leaves_the_shipped_model_untouched(fine_tuned, shipped_models):
    _, _, before = fine_tuned
    for a, b in zip(before, shipped_models.models["pooled"].get_weights()):
        np.testing.assert_array_equal(a, b)


def test_an_uploaded_model_joins_this_sessions_choices_and_the_oldest_goes_past_three(own, shipped_models):
    for i in range(4):
        own.add_own_model(f"net{i}.keras", shipped_models.models["baseline"])
    assert own.names()[-3:] == ["yours:net1.keras", "yours:net2.keras", "yours:net3.keras"]
    choice = own.choose("yours:net3.keras", trained=False, shipped={})
    assert choice.is_own and choice.label == "Yours: net3.keras, uploaded"
    assert choice.predictor is own.own_models["yours:net3.keras"].predictor
