"""The page names a digit only when the drawing looks like one and the model is sure of it."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_demo.verdict import DIGIT, DOUBT, NOT_A_DIGIT, UNREADABLE, judge


def probabilities(**share: float) -> np.ndarray:
    """Ten probabilities with the given digits' shares ("d4": 0.9), the rest spread evenly."""
    p = np.zeros(10)
    for key, value in share.items():
        p[int(key[1:])] = value
    rest = [i for i in range(10) if p[i] == 0]
    p[rest] = (1 - p.sum()) / len(rest)
    return p


def test_a_sure_model_and_a_digit_like_drawing_give_the_digit():
    verdict = judge(probabilities(d7=0.91), not_a_digit=0.02)
    assert verdict.kind == DIGIT and verdict.text == "7" and verdict.claims_a_digit


def test_a_low_top_probability_reads_as_a_doubt_between_the_two_likeliest():
    verdict = judge(probabilities(d4=0.45, d9=0.4), not_a_digit=0.1)
    assert verdict.kind == DOUBT and verdict.text == "4 or 9?" and not verdict.claims_a_digit


def test_a_drawing_the_detector_calls_no_digit_is_not_named_even_when_the_model_is_sure():
    verdict = judge(probabilities(d4=0.99), not_a_digit=0.93)
    assert verdict.kind == NOT_A_DIGIT and verdict.text == "Not a digit"
    assert verdict.softmax_says == "4, 99% sure"
    assert "93%" in verdict.reason


def test_preprocessings_problem_comes_first_and_is_the_reason():
    verdict = judge(probabilities(d0=0.99), not_a_digit=0.99, problem="Too small to read: draw the digit bigger.")
    assert verdict.kind == UNREADABLE and verdict.text == "?" and verdict.reason.startswith("Too small")


@pytest.mark.parametrize("not_a_digit, kind", [(0.49, DIGIT), (0.5, NOT_A_DIGIT)])
def test_the_detector_decides_from_one_half(not_a_digit, kind):
    assert judge(probabilities(d3=0.9), not_a_digit).kind == kind


def test_without_a_detector_the_model_alone_decides():
    assert judge(probabilities(d3=0.9), None).kind == DIGIT
