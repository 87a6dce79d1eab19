"""Is it a digit at all, and if not, which letter? A network with an eleventh class, "not a digit",
and a letter reader.

A classifier trained on ten digits can only ever answer with one of them. The detector
is one of the registry's architectures built with eleven outputs and trained on digits
(MNIST and the training writers' pen digits) and on what people draw that is not a
digit (the same writers' capital letters, and symbols). The page asks it, for every
architecture and for a model trained live, whether the drawing looks like a digit;
the chosen model still says which digit.

Beside it, the letter reader: the same architecture taught the 26 capital letters and "a
symbol", from the same writers' letters and the same drawn symbols, and no digits. It says
which letter a drawing the detector refuses looks like, and so whether a round 0 the detector
refuses could be an O (`verdict.judge`).

    python -m cnn_demo.train --detector      # writes pretrained/detector.keras
    python -m cnn_demo.train --letters       # writes pretrained/letters.keras
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING

import numpy as np

from cnn_demo.data import NUM_CLASSES
from cnn_demo.inference import Predictor
from cnn_demo.paths import PRETRAINED_DIR
from cnn_demo.verdict import DetectorReading

if TYPE_CHECKING:
    import keras

# The shipped detector had the earlier drawings recipe (plain pen, every digit). Retrained with
# the current one (anti-aliased pen, wider zeros, no lost digits; `python -m cnn_demo.train
# --detector --out-dir D`, 162 s/epoch), the shipped Residual's verdicts on held-out writers
# claimed a wrong digit for 0.47% of digits (0.37% with this one) and a digit for 9.74% of letters
# and symbols (9.97%); Pooled's wrong claims went from 0.71% to 0.83%; the retrained detector's
# own MNIST test accuracy was 98.98% (this one's: 99.39%). Not kept.
DETECTOR_ARCHITECTURE = "residual"
DETECTOR_CLASSES = NUM_CLASSES + 1  # the ten digits, then "not a digit"
NOT_A_DIGIT = NUM_CLASSES  # the index of that eleventh class
DETECTOR_FILE = "detector.keras"
SYMBOL = "a symbol"
LETTER_CLASSES = (*string.ascii_uppercase, SYMBOL)  # what the letter reader tells apart, in order
LETTERS_FILE = "letters.keras"


def build_detector() -> keras.Model:
    from cnn_demo.architectures import get_architecture

    return get_architecture(DETECTOR_ARCHITECTURE).build(DETECTOR_CLASSES)


def _checked(model: keras.Model, outputs: int, what: str) -> keras.Model:
    if model.output_shape[-1] != outputs:
        raise ValueError(f"{what} has {outputs} outputs, this model {model.output_shape[-1]}")
    return model


class DigitDetector:
    """The probability that a 28x28 input is not a digit, from a model with eleven outputs; and,
    with a letter reader, the letter it looks most like."""

    # The letter reader reads every drawing, not only the refused ones: one more Residual, 2-3 ms
    # a drawing here (200 reads of one input: the detector alone 2.2 ms, with the reader 4.3-5.0,
    # 2026-12-07), beside the canvas's 200 ms wait before it sends a drawing.
    def __init__(self, model: keras.Model, letter_reader: keras.Model | None = None) -> None:
        self.model = _checked(model, DETECTOR_CLASSES, "a digit detector")
        self._predictor = Predictor(model)
        self.letter_reader = letter_reader and _checked(letter_reader, len(LETTER_CLASSES), "a letter reader")
        self._letters = letter_reader and Predictor(letter_reader)

    def read(self, x: np.ndarray) -> list[DetectorReading]:
        """For inputs (N, 28, 28, 1): each one's probability of "not a digit", its digit, and the
        letter reader's likeliest letter (or SYMBOL) with its probability."""
        probabilities = self._predictor.probabilities(x)
        letters = self._letters.probabilities(x) if self._letters else [None] * len(probabilities)
        return [DetectorReading(float(p[NOT_A_DIGIT]), int(np.argmax(p[:NOT_A_DIGIT])),
                                *(() if q is None else (LETTER_CLASSES[int(np.argmax(q))], float(np.max(q)))))
                for p, q in zip(probabilities, letters)]

    def __call__(self, x: np.ndarray) -> DetectorReading:
        """The reading of one (28, 28, 1) input."""
        return self.read(np.asarray(x)[np.newaxis])[0]


def load_detector(directory=PRETRAINED_DIR) -> tuple[DigitDetector | None, str | None]:
    """(the shipped detector, None), or (None, why not): without it the page still reads digits.
    Without a readable letter reader it still says "not a digit" and names no letter: then
    (the detector, why it has no letter reader)."""
    import keras

    def load(path):
        try:
            return keras.saving.load_model(path, safe_mode=True), None
        except Exception as exc:  # noqa: BLE001 -- any unreadable file is reported, not fatal
            return None, f"{path.name} could not be read ({type(exc).__name__}: {exc})"

    path, letters = directory / DETECTOR_FILE, directory / LETTERS_FILE
    if not path.exists():
        return None, f"{path.name} is missing"
    model, why_not = load(path)
    if model is None:
        return None, why_not
    reader, why_not = load(letters) if letters.exists() else (None, f"{letters.name} is missing")
    return DigitDetector(model, reader), why_not
