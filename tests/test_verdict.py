"""The page names a digit only when the drawing looks like one and the model is sure of it."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_demo.detector import SYMBOL
from cnn_demo.verdict import (
    DIGIT,
    DOUBT,
    NOT_A_DIGIT,
    NOT_A_DIGIT_THRESHOLD,
    UNREADABLE,
    DetectorReading,
    judge,
    percent,
)


def probabilities(**share: float) -> np.ndarray:
    """Ten probabilities with the given digits' shares ("d4": 0.9), the rest spread evenly."""
    p = np.zeros(10)
    for key, value in share.items():
        p[int(key[1:])] = value
    rest = [i for i in range(10) if p[i] == 0]
    p[rest] = (1 - p.sum()) / len(rest)
    return p


def looks(not_a_digit: float, d: int) -> DetectorReading:
    return DetectorReading(not_a_digit, d)


def test_a_sure_model_and_a_digit_like_drawing_give_the_digit():
    verdict = judge(probabilities(d7=0.91), looks(0.02, 7))
    assert verdict.kind == DIGIT and verdict.text == "7" and verdict.claims_a_digit


def test_a_low_top_probability_reads_as_a_doubt_between_the_two_likeliest():
    verdict = judge(probabilities(d4=0.45, d9=0.4), looks(0.1, 4))
    assert verdict.kind == DOUBT and verdict.text == "4 or 9?" and not verdict.claims_a_digit


def test_a_drawing_the_detector_calls_no_digit_is_not_named_even_when_the_model_is_sure():
    verdict = judge(probabilities(d4=0.99), looks(0.93, 4))
    assert verdict.kind == NOT_A_DIGIT and verdict.text == "Not a digit"
    assert verdict.softmax_says == "4, 99% sure"
    assert "93%" in verdict.reason


@pytest.mark.parametrize("p, text", [(0.8, "80%"), (0.994, "99%"), (0.995, "over 99%"), (1.0, "over 99%"),
                                     (0.006, "1%"), (0.004, "under 1%"), (0.0, "under 1%")])
def test_a_probability_is_shown_in_whole_percent_but_never_rounded_to_certainty(p, text):
    assert percent(p) == text


@pytest.mark.parametrize("p, text", [(0.9996, ">99.9%"), (0.9994, "99.9%"), (0.0004, "<0.1%"), (0.0123, "1.2%")])
def test_a_probability_shown_to_a_tenth_of_a_percent_is_not_rounded_to_certainty_either(p, text):
    assert percent(p, 1, short=True) == text


def test_a_saturated_softmax_is_said_to_be_over_99_percent_sure_not_100():
    verdict = judge(probabilities(d4=0.9999), looks(0.9996, 4))
    assert verdict.softmax_says == "4, over 99% sure"
    assert verdict.reason == ("The digit detector is over 99% sure this is not a digit "
                              "(a letter, a symbol, two digits?).")


def test_a_digit_that_is_also_a_letter_reads_as_a_doubt_between_the_two_not_as_no_digit():
    verdict = judge(probabilities(d0=0.97), looks(0.93, 0))
    assert verdict.kind == DOUBT and verdict.text == "0 or O?" and not verdict.claims_a_digit
    assert "97%" in verdict.reason and "93%" in verdict.reason


@pytest.mark.parametrize("detector_reads, model", [(6, dict(d0=0.97)), (0, dict(d0=0.6, d6=0.3))])
def test_a_lookalike_the_detector_reads_otherwise_or_the_model_doubts_stays_not_a_digit(detector_reads, model):
    assert judge(probabilities(**model), looks(0.93, detector_reads)).kind == NOT_A_DIGIT


def test_a_round_zero_the_letter_reader_reads_as_an_o_is_still_0_or_o():
    assert judge(probabilities(d0=0.97), DetectorReading(0.93, 0, "O", 0.6)).text == "0 or O?"


@pytest.mark.parametrize("letter", ["D", "U", "Q"])
def test_a_letter_the_letter_reader_reads_as_another_letter_is_not_a_digit_rather_than_0_or_o(letter):
    verdict = judge(probabilities(d0=0.97), DetectorReading(0.93, 0, letter, 0.95))
    assert verdict.kind == NOT_A_DIGIT and verdict.text == "Not a digit"


def test_not_a_digit_names_the_letter_the_letter_reader_is_sure_of():
    verdict = judge(probabilities(d4=0.64, d0=0.3), DetectorReading(0.999, 4, "A", 0.97))
    assert verdict.reason == ("The digit detector is over 99% sure this is not a digit: "
                              "a network taught capital letters reads the letter A (97%).")


@pytest.mark.parametrize("letter, p", [("A", 0.6), (SYMBOL, 0.99)])
def test_not_a_digit_names_no_letter_when_the_letter_reader_is_unsure_or_sees_a_symbol(letter, p):
    verdict = judge(probabilities(d4=0.9), DetectorReading(0.97, 4, letter, p))
    assert verdict.reason == "The digit detector is 97% sure this is not a digit (a letter, a symbol, two digits?)."


def test_preprocessings_problem_comes_first_and_is_the_reason():
    verdict = judge(probabilities(d0=0.99), looks(0.99, 0), problem="Too small to read: draw the digit bigger.")
    assert verdict.kind == UNREADABLE and verdict.text == "?" and verdict.reason.startswith("Too small")


@pytest.mark.parametrize("not_a_digit, kind", [(NOT_A_DIGIT_THRESHOLD - 0.01, DIGIT),
                                               (NOT_A_DIGIT_THRESHOLD, NOT_A_DIGIT)])
def test_the_detector_decides_from_its_threshold(not_a_digit, kind):
    assert judge(probabilities(d3=0.9), looks(not_a_digit, 3)).kind == kind


def test_a_sure_model_that_the_detector_reads_otherwise_is_shown_as_a_doubt_between_the_two():
    verdict = judge(probabilities(d7=0.95), looks(0.01, 1))
    assert verdict.kind == DOUBT and verdict.text == "7 or 1?"
    assert verdict.reason == "The model says 7 (95%), but the digit detector reads a 1."


def test_without_a_detector_the_model_alone_decides():
    assert judge(probabilities(d3=0.9), None).kind == DIGIT
