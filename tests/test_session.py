"""A visitor's session: one training at a time, its own models, a report per finished training."""

from __future__ import annotations

import gc

import pytest

from cnn_demo.fitting import TrainingConfig
from cnn_demo.jobs import TrainingSlots
from cnn_demo.session import Session, describe

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
    first_card = own.scorecard(first)
    assert own.scorecard(first) is first_card  # computed once
    own.start("baseline", TrainingConfig(epochs=1, batch_size=32, train_size=640, validation_size=200, seed=1))
    second = own.jobs["baseline"]
    second.join(timeout=60)
    del first
    gc.collect()  # the first job is gone: a report keyed by id() could now be handed to the second
    second_card = own.scorecard(second)
    assert second_card is not first_card
    assert list(own._scorecards) == [second]
