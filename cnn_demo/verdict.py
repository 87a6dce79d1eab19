"""What the page says about a drawing: a digit, a doubt, "not a digit", or "can't read this".

A softmax always picks one of ten digits, however little the drawing looks like one. So
the page names a digit only when three things hold: preprocessing found a drawing of a
digit's size and density; the digit detector (`cnn_demo.detector`), a network taught
what "not a digit" looks like, does not say it is something else; and the chosen model
puts at least `SURE_THRESHOLD` of its probability on one digit. The page, the "All
models" view and `python -m cnn_demo.evaluate` all decide through `judge`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Chosen on the training writers' pen drawings, then measured once on the held-out writers
# (`python -m cnn_demo.evaluate --arch residual`): at 0.8 / 0.85 Residual claimed the right
# digit for 95.1% of real digits, a wrong one for 0.35%, said "not a digit" for 2.4% (mostly
# round zeros and plain ones, which are also the letters O and I) and claimed a digit for 9.8%
# of letters and symbols (2026-11-25). The detector taught two-digit numbers (2026-12-07,
# `train.train_detector`) is less sure of the letters it learned from: at 0.85 it let Residual
# claim 1,791 of the training writers' 17,817 letter drawings (1,726 with the detector before it);
# at 0.8, 1,593, with 19,017 of their 19,203 digits claimed right against 19,025 (0.75: 1,433 and
# 19,004). So 0.8 for both. On the held-out writers the shipped Residual then claimed
# the right digit for 95.45% of real digits, a wrong one for 0.39%, said "not a digit" for 0.49%,
# and claimed a digit for 9.36% of letters and symbols and 1.05% of two-digit numbers (README).
SURE_THRESHOLD = 0.8  # below this top probability the answer is shown as a doubt
NOT_A_DIGIT_THRESHOLD = 0.8  # the detector's probability of "not a digit" from which the page says so
SECOND_OPINION = True  # a model that reads another digit than the detector is shown as a doubt
# Digits that are also capital letters when written plainly: a round 0 is an O, a bare 1 an I.
# When the detector calls such a drawing "not a digit" but reads the same digit as a sure model,
# the page shows the doubt "0 or O?" rather than refusing a digit the writer meant; but only when
# the letter reader, too, reads that letter. Without that condition, of the held-out writers'
# 9,078 letter drawings, Residual's page showed 1,266 a look-alike doubt naming another letter
# than the writer's (a D, a U or an N "0 or O?", an E or a J "5 or S?"); with it 11, while the 869
# naming the writer's own letter stayed, and 7 of 4,926 digit drawings went from such a doubt
# to "not a digit" (0.47% to 0.61%). `python -m cnn_demo.evaluate --json` counts them
# (`other_lookalikes`); without pretrained/letters.keras it judges as before (2026-12-07).
LOOKALIKE_LETTERS = {0: "O", 1: "I", 2: "Z", 5: "S", 8: "B"}
# The letter reader's probability from which "Not a digit" names the letter. Chosen on a third of
# the training writers with a reader trained on the other two thirds: from 0.9 it named a letter
# for 88.9% of their letters, 98.2% of them right (0.8: 91.9%, 97.5%; 0.5: 96.7%, 95.8%).
LETTER_SURE = 0.9

DIGIT, DOUBT, NOT_A_DIGIT, UNREADABLE = "digit", "doubt", "not a digit", "unreadable"


def percent(p: float, decimals: int = 0, short: bool = False) -> str:
    """A probability in percent that never rounds to certainty: a softmax at 0.997 (or saturated
    at 1.0 in float32) is "over 99%" ("over 99.9%" with one decimal, ">99.9%" short), not
    "100%", and one at 0.003 "under 1%"."""
    text, step = f"{p:.{decimals}%}", 10.0 ** -decimals
    if text == f"{1:.{decimals}%}":
        return f"{'>' if short else 'over '}{100 - step:.{decimals}f}%"
    if text == f"{0:.{decimals}%}":
        return f"{'<' if short else 'under '}{step:.{decimals}f}%"
    return text


SOFTMAX_ALWAYS_ANSWERS = ("A softmax always shares its probability among the ten digits, "
                          "so it names one even for a drawing that is none of them.")


@dataclass(frozen=True)
class DetectorReading:
    """What the digit detector makes of a drawing."""

    not_a_digit: float  # its probability that the drawing is no digit at all
    digit: int  # the digit it would read, were it one
    letter: str | None = None  # the letter reader's likeliest: "A" to "Z", or "a symbol"; None: no reader
    letter_probability: float = 0.0

    @property
    def sure_letter(self) -> str | None:
        """The capital letter the letter reader is sure of, if any."""
        return self.letter if self.letter_probability >= LETTER_SURE and len(self.letter or "") == 1 else None

    def letter_phrase(self) -> str:
        """": a network taught capital letters reads the letter A (97%)", or "" when it is not sure."""
        letter = self.sure_letter
        return "" if letter is None else (
            f": a network taught capital letters reads the letter {letter} ({percent(self.letter_probability)})")


@dataclass(frozen=True)
class Verdict:
    kind: str  # DIGIT, DOUBT, NOT_A_DIGIT or UNREADABLE
    digit: int  # the model's most probable digit, whatever the verdict
    confidence: float  # the model's probability of that digit
    runner_up: int | str  # the digit (or the look-alike letter) shown beside it in a doubt ("4 or 9?")
    detector: DetectorReading | None  # what the detector (None: no detector) made of the drawing
    reason: str | None = None  # one sentence, for every kind but DIGIT

    @property
    def not_a_digit(self) -> float | None:
        """The detector's probability that this is not a digit."""
        return None if self.detector is None else self.detector.not_a_digit

    @property
    def claims_a_digit(self) -> bool:
        return self.kind == DIGIT

    @property
    def text(self) -> str:
        """What the Prediction shows: "7", "4 or 9?", "Not a digit" or "?"."""
        if self.kind == DIGIT:
            return str(self.digit)
        if self.kind == DOUBT:
            return f"{self.digit} or {self.runner_up}?"
        if self.kind == NOT_A_DIGIT:
            return "Not a digit"
        return "?"

    @property
    def softmax_says(self) -> str:
        """What the model alone would have answered, for the verdicts that withhold it."""
        return f"{self.digit}, {percent(self.confidence)} sure"


def judge(probabilities: np.ndarray, detector: DetectorReading | None, problem: str | None = None) -> Verdict:
    """The verdict on one drawing from the model's ten probabilities, the detector's reading
    (None: no detector), and preprocessing's problem."""
    probabilities = np.asarray(probabilities, np.float64)
    first, second = (int(i) for i in np.argsort(probabilities)[::-1][:2])
    confidence = float(probabilities[first])
    not_a_digit = None if detector is None else detector.not_a_digit
    facts = dict(digit=first, confidence=confidence, runner_up=second, detector=detector)
    if problem is not None:
        return Verdict(UNREADABLE, **facts, reason=problem)
    if not_a_digit is not None and not_a_digit >= NOT_A_DIGIT_THRESHOLD:
        letter = LOOKALIKE_LETTERS.get(first)
        if (letter is not None and detector.digit == first and confidence >= SURE_THRESHOLD
                and detector.letter in (None, letter)):
            return Verdict(DOUBT, **{**facts, "runner_up": letter}, reason=(
                f"A {first} and the letter {letter} can look alike: the model reads a {first} "
                f"({percent(confidence)}), the digit detector finds it more like a letter ({percent(not_a_digit)})."))
        return Verdict(NOT_A_DIGIT, **facts, reason=(
            f"The digit detector is {percent(not_a_digit)} sure this is not a digit"
            f"{detector.letter_phrase() or ' (a letter, a symbol, two digits?)'}."))
    if confidence < SURE_THRESHOLD:
        return Verdict(DOUBT, **facts, reason=f"Not sure: at most {percent(confidence)} for any digit.")
    if SECOND_OPINION and detector is not None and detector.digit != first:
        return Verdict(DOUBT, **{**facts, "runner_up": detector.digit}, reason=(
            f"The model says {first} ({percent(confidence)}), but the digit detector reads a {detector.digit}."))
    return Verdict(DIGIT, **facts)
