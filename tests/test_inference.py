"""One call gives the probabilities and every layer's activations, matching the model."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_demo.architectures import ARCHITECTURES
from cnn_demo.inference import Predictor, load_scorecard, save_scorecard, scorecard
from cnn_demo.pretrained import load_metrics


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_prediction_matches_the_models_own_output(name, mnist):
    model = ARCHITECTURES[name].build()
    prediction = Predictor(model)(mnist.test.x[0])
    np.testing.assert_allclose(prediction.probabilities, np.asarray(model(mnist.test.x[:1]))[0], atol=1e-5)


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_every_layer_activation_has_that_layers_shape(name, mnist):
    import keras

    model = ARCHITECTURES[name].build()
    prediction = Predictor(model)(mnist.test.x[0])
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    assert list(prediction.activations) == [layer.name for layer in layers]
    for layer in layers:
        assert prediction.activations[layer.name].shape == tuple(layer.output.shape[1:])


def test_predictor_sees_weights_change_without_being_rebuilt(mnist):
    model = ARCHITECTURES["baseline"].build()
    predictor = Predictor(model)
    before = predictor(mnist.test.x[0]).probabilities
    model.get_layer("softmax").bias.assign(np.arange(10, dtype=np.float32) * 5)
    after = predictor(mnist.test.x[0]).probabilities
    assert after.argmax() == 9 and not np.allclose(before, after)


def test_batch_probabilities_agree_with_single_predictions(mnist):
    predictor = Predictor(ARCHITECTURES["pooled"].build())
    batch = predictor.probabilities(mnist.test.x[:4])
    np.testing.assert_allclose(batch[2], predictor(mnist.test.x[2]).probabilities, atol=1e-5)


def test_a_bfloat16_model_still_gives_float32_probabilities_and_activations(mnist):
    from cnn_demo.fitting import with_dtype_policy

    mixed = with_dtype_policy(ARCHITECTURES["pooled"].build(), "mixed_bfloat16")
    prediction = Predictor(mixed)(mnist.test.x[0])
    assert prediction.probabilities.dtype == np.float32
    assert {a.dtype for a in prediction.activations.values()} == {np.dtype(np.float32)}
    assert prediction.probabilities.sum() == pytest.approx(1.0, abs=0.02)


def test_saliency_of_the_same_drawing_is_the_same_picture_every_time(mnist):
    predictor = Predictor(ARCHITECTURES["pooled"].build())
    first = predictor.saliency(mnist.test.x[0], 7)
    np.testing.assert_array_equal(first, predictor.saliency(mnist.test.x[0], 7))
    assert first.max() == pytest.approx(1.0)


def test_a_scorecard_counts_each_test_digit_once_and_lists_the_surest_mistakes_first(shipped_models, mnist):
    predictor = Predictor(shipped_models.models["baseline"])
    card = scorecard(predictor, mnist.test.x, mnist.test.y)
    assert card.confusion.sum() == 10_000 and card.confusion.sum(axis=1).tolist() == np.bincount(mnist.test.y).tolist()
    assert sorted(card.misclassified.tolist()) == np.flatnonzero(card.predicted != mnist.test.y).tolist()
    surest = predictor.probabilities(mnist.test.x[card.misclassified]).max(axis=1)
    assert (np.diff(surest) <= 0).all()


def test_a_saved_scorecard_is_read_back_as_it_was(shipped_models, mnist, tmp_path):
    baseline = shipped_models.models["baseline"]
    card = scorecard(Predictor(baseline), mnist.test.x, mnist.test.y)
    save_scorecard(card, baseline, mnist, "baseline", tmp_path)
    loaded = load_scorecard("baseline", baseline, mnist, tmp_path)
    np.testing.assert_array_equal(loaded.predicted, card.predicted)
    np.testing.assert_array_equal(loaded.confusion, card.confusion)
    np.testing.assert_array_equal(loaded.misclassified, card.misclassified)


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_each_shipped_model_has_its_test_set_scorecard_shipped(shipped_models, mnist, name):
    """Retrained weights without it would make "Test set" read 10,000 images while a visitor waits."""
    card = load_scorecard(name, shipped_models.models[name], mnist)
    assert card is not None and card.accuracy == pytest.approx(load_metrics()[0][name]["test_accuracy"], abs=1e-4)
