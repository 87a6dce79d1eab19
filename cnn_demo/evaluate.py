"""How the page does on real people's pen drawings: digits read right, and non-digits refused.

    python -m cnn_demo.evaluate                       # the UNIPEN files in ../shared/data (or data/)
    python -m cnn_demo.evaluate other_writers.json.gz --arch pooled residual --json
    python -m cnn_demo.evaluate --models old_weights/   # other .keras files, same detector

Each drawing in the stroke files (see `cnn_demo.stroke_files`) is drawn the way the
canvas draws (280x280, white 20 px round anti-aliased pen on black) at three sizes and positions,
and goes through exactly the page's path: preprocessing, the model, the digit detector,
and `verdict.judge`. Writers the shipped models were trained on are counted apart from
the others, whose figures are the ones that matter. Digits lost in the data (a lone slash
labelled 0 or 4, `Drawing.is_lost`) count like any other; "intact" is "read right" without them.
Per writer, it says for how many writers every intact digit was read right, and the fewest read.
Per contributor (UNIPEN's collections), it says how many of all their digits were read right, and
marks each one none of whose writers was trained on: the nearest thing here to people never seen.
Of the capital letters, it says how many the letter reader reads right, and how many of the
letters it names in "Not a digit" (when sure, `verdict.LETTER_SURE`) are right. And it writes
two-digit numbers with each writer's digits (`stroke_files.side_by_side`), which the page should
not read as one digit, and counts those it does apart from the letters and symbols.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from cnn_demo.architectures import ARCHITECTURES
from cnn_demo.preprocess import CANVAS_OPTIONS, preprocess
from cnn_demo.stroke_files import (
    DEFAULT_FILES,
    PLACEMENTS,
    Drawing,
    StrokeFileError,
    placed,
    read_stroke_files,
    side_by_side,
)
from cnn_demo.strokes import render
from cnn_demo.verdict import DIGIT, DOUBT, NOT_A_DIGIT, UNREADABLE, judge

UNSEEN, SEEN = "writers never trained on", "writers trained on"


@dataclass
class Tally:
    """One architecture's figures on one group of drawings (each drawing at every placement)."""

    digits: int = 0
    read_correctly: int = 0  # the model's most probable digit is the writer's
    claims_right: int = 0  # the page shows that digit as its answer
    claims_wrong: int = 0  # the page shows another digit as its answer
    doubts: int = 0  # "4 or 9?"
    not_a_digit: int = 0  # the page says it is not a digit
    unreadable: int = 0  # too small, or a scribble
    non_digits: int = 0
    non_digits_claimed: int = 0  # a non-digit shown as a digit
    other_lookalikes: int = 0  # a letter shown as a look-alike doubt naming another letter ("0 or O?" for a D)
    numbers: int = 0  # two digits side by side, apart from the non-digits above
    numbers_claimed: int = 0  # shown as one digit
    lost_digits: int = 0  # a slash labelled 0 or 4 (`Drawing.is_lost`): counted above all the same
    lost_read_correctly: int = 0
    claimed_by_char: Counter = field(default_factory=Counter)
    # per person, since a visitor is one writer: 19 held-out figures pooled into one say neither
    # how many people get every digit read nor how badly the worst-read one fares
    intact_by_writer: Counter = field(default_factory=Counter)
    intact_read_by_writer: Counter = field(default_factory=Counter)
    # and per contributor: one none of whose writers was trained on is the nearest thing here to
    # the people this project never saw, who come from other collections
    digits_by_contributor: Counter = field(default_factory=Counter)
    read_by_contributor: Counter = field(default_factory=Counter)

    def add(self, verdict, drawing: Drawing) -> None:
        if drawing.is_digit:
            right = verdict.digit == drawing.label
            self.digits += 1
            self.read_correctly += right
            self.digits_by_contributor[drawing.contributor] += 1
            self.read_by_contributor[drawing.contributor] += right
            if drawing.is_lost:
                self.lost_digits += 1
                self.lost_read_correctly += right
            else:
                self.intact_by_writer[drawing.writer] += 1
                self.intact_read_by_writer[drawing.writer] += right
            if verdict.kind == DIGIT:
                self.claims_right += right
                self.claims_wrong += not right
            else:
                self.doubts += verdict.kind == DOUBT
                self.not_a_digit += verdict.kind == NOT_A_DIGIT
                self.unreadable += verdict.kind == UNREADABLE
        elif drawing.is_number:
            self.numbers += 1
            self.numbers_claimed += verdict.kind == DIGIT
        else:
            self.non_digits += 1
            self.other_lookalikes += (verdict.kind == DOUBT and isinstance(verdict.runner_up, str)
                                      and verdict.runner_up != drawing.char)
            if verdict.kind == DIGIT:
                self.non_digits_claimed += 1
                self.claimed_by_char[drawing.char] += 1

    def shares(self) -> dict:
        """Every count as a share of its whole (digits or non-digits); None where there are none."""
        def share(n: int, whole: int) -> float | None:
            return n / whole if whole else None

        out = {"digits": self.digits, "non_digits": self.non_digits}
        for key in ("read_correctly", "claims_right", "claims_wrong", "doubts", "not_a_digit", "unreadable"):
            out[key] = share(getattr(self, key), self.digits)
        out["non_digits_claimed"] = share(self.non_digits_claimed, self.non_digits)
        out["numbers_claimed"] = share(self.numbers_claimed, self.numbers)
        out["intact_read_correctly"] = share(self.read_correctly - self.lost_read_correctly,
                                             self.digits - self.lost_digits)
        out["intact_read_correctly_by_writer"] = {w: self.intact_read_by_writer[w] / n
                                                  for w, n in sorted(self.intact_by_writer.items())}
        out["read_correctly_by_contributor"] = {c: self.read_by_contributor[c] / n
                                                for c, n in sorted(self.digits_by_contributor.items())}
        return out


@dataclass
class LetterTally:
    """The letter reader on one group's capital letters (each at every placement)."""

    letters: int = 0
    read_right: int = 0  # its likeliest letter is the writer's
    named: int = 0  # sure enough for "Not a digit" to name a letter
    named_right: int = 0

    def add(self, reading, drawing: Drawing) -> None:
        if reading is None or reading.letter is None or drawing.char is None or len(drawing.char) != 1:
            return
        self.letters += 1
        self.read_right += reading.letter == drawing.char
        self.named += reading.sure_letter is not None
        self.named_right += reading.sure_letter == drawing.char

    def shares(self) -> dict:
        return {"letters": self.letters, "read_right": self.read_right / max(self.letters, 1),
                "named": self.named / max(self.letters, 1), "named_right": self.named_right / max(self.named, 1)}


class ShownTally:
    """What a visitor sees, tallied from the Prediction's text alone ("7", "4 or 9?",
    "Not a digit", "?"): for comparing the page in a browser with this command."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()

    def add(self, shown: str, drawing: Drawing) -> None:
        claim = shown.isdigit()
        if drawing.is_digit:
            self.counts["digits"] += 1
            self.counts["claims_right" if shown == str(drawing.label) else "claims_wrong" if claim else "no_claim"] += 1
        else:
            self.counts["non_digits"] += 1
            self.counts["non_digits_claimed"] += claim

    def shares(self) -> dict[str, float]:
        digits, others = max(self.counts["digits"], 1), max(self.counts["non_digits"], 1)
        return {"claims_right": self.counts["claims_right"] / digits,
                "claims_wrong": self.counts["claims_wrong"] / digits,
                "no_claim": self.counts["no_claim"] / digits,
                "non_digits_claimed": self.counts["non_digits_claimed"] / others}


def canvas_inputs(drawings: list[Drawing], placements: list[tuple] | None = None
                  ) -> tuple[np.ndarray, list[str | None], list[Drawing]]:
    """Each drawing drawn (at every one of PLACEMENTS, or at its own placement when given) and
    preprocessed as the page does: (inputs, preprocessing's problem for each, the drawing behind each)."""
    size = CANVAS_OPTIONS["width"]
    pairs = ([(d, p) for d in drawings for p in PLACEMENTS] if placements is None
             else list(zip(drawings, placements)))
    inputs, problems, behind = [], [], []
    for drawing, placement in pairs:
        steps = preprocess(render(placed(drawing, *placement, size), size, CANVAS_OPTIONS["stroke_width"]))
        if steps is None:  # nothing drawn: cannot happen for a drawing with strokes
            continue
        inputs.append(steps.input)
        problems.append(steps.problem)
        behind.append(drawing)
    return np.stack(inputs), problems, behind


def _readings(detector, inputs: np.ndarray) -> list:
    return detector.read(inputs) if detector is not None else [None] * len(inputs)


def _judged(inputs: np.ndarray, problems: list[str | None], name: str, readings: list,
            models: Path | None = None) -> list:
    from cnn_demo.inference import Predictor
    from cnn_demo.pretrained import PRETRAINED_DIR, load_model

    probabilities = Predictor(load_model(name, models or PRETRAINED_DIR)).probabilities(inputs)
    return [judge(p, reading, problem) for p, reading, problem in zip(probabilities, readings, problems)]


def verdicts(drawings: list[Drawing], placements: list[tuple], name: str) -> list:
    """The page's verdict on each drawing drawn at its placement, by the shipped `name` model."""
    from cnn_demo.detector import load_detector

    inputs, problems, _ = canvas_inputs(drawings, placements)
    return _judged(inputs, problems, name, _readings(load_detector()[0], inputs))


def seen_writers() -> frozenset[str]:
    """The writers the shipped models learned from (see `cnn_demo.training_data`)."""
    from cnn_demo.training_data import training_writers

    return training_writers()


def evaluate(drawings: list[Drawing], names: list[str], models: Path | None = None) -> tuple[dict, dict]:
    """({group: {architecture: Tally}}, {group: LetterTally}) for the shipped models (or those in
    `models`) and the shipped detector and letter reader."""
    from cnn_demo.detector import load_detector

    inputs, problems, behind = canvas_inputs(drawings + side_by_side(drawings))
    detector, why_not = load_detector()
    if detector is None:
        print(f"note: no digit detector ({why_not}); nothing will be called 'not a digit'", file=sys.stderr)
    readings = _readings(detector, inputs)
    seen = seen_writers()
    groups = [UNSEEN if d.writer not in seen else SEEN for d in behind]
    results: dict[str, dict[str, Tally]] = {}
    for name in names:
        for verdict, drawing, group in zip(_judged(inputs, problems, name, readings, models), behind, groups):
            results.setdefault(group, {}).setdefault(name, Tally()).add(verdict, drawing)
    letters: dict[str, LetterTally] = {}
    for reading, drawing, group in zip(readings, behind, groups):
        letters.setdefault(group, LetterTally()).add(reading, drawing)
    return results, {group: tally for group, tally in letters.items() if tally.letters}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"


def print_report(results: dict, letters: dict, files: list[Path], drawings: list[Drawing]) -> None:
    digits = sum(d.is_digit for d in drawings)
    seen = seen_writers()
    never_trained = ({d.contributor for d in drawings}
                     - {d.contributor for d in drawings if d.writer in seen})
    print(f"{digits:,} digits and {len(drawings) - digits:,} non-digits from {', '.join(str(f) for f in files)},")
    print(f"each drawn at {len(PLACEMENTS)} sizes and positions on the "
          f"{CANVAS_OPTIONS['width']}x{CANVAS_OPTIONS['height']} canvas with its "
          f"{CANVAS_OPTIONS['stroke_width']} px round pen.")
    header = (f"{'architecture':20} {'read right':>10} {'claims right':>12} {'claims wrong':>12} "
              f"{'doubt':>7} {'not a digit':>11} {'unreadable':>10} {'non-digits claimed':>18} {'intact':>7}")
    for group in (UNSEEN, SEEN):
        if group not in results:
            continue
        first = next(iter(results[group].values()))
        print(f"\n{group[0].upper()}{group[1:]}: {first.digits:,} digit and {first.non_digits:,} non-digit drawings "
              f"(intact: read right without the {first.lost_digits:,} drawings of lost digits, lone slashes)")
        print(header)
        shares = {name: tally.shares() for name, tally in results[group].items()}
        for name, s in shares.items():
            print(f"{ARCHITECTURES[name].label:20} {_pct(s['read_correctly']):>10} {_pct(s['claims_right']):>12} "
                  f"{_pct(s['claims_wrong']):>12} {_pct(s['doubts']):>7} {_pct(s['not_a_digit']):>11} "
                  f"{_pct(s['unreadable']):>10} {_pct(s['non_digits_claimed']):>18} "
                  f"{_pct(s['intact_read_correctly']):>7}")
        print("\nPer writer, of their intact digits:")
        for name, s in shares.items():
            print(f"{ARCHITECTURES[name].label:20} {writers_line(s['intact_read_correctly_by_writer'])}")
        print("\nPer contributor (the collection a writer's drawings came in), of all their digits:")
        for name, s in shares.items():
            print(f"{ARCHITECTURES[name].label:20} "
                  f"{contributors_line(s['read_correctly_by_contributor'], never_trained)}")
        if first.numbers:
            print(f"\nTwo digits side by side ({first.numbers:,} drawings of numbers written with these writers' "
                  "digits), shown as one digit:")
            print("; ".join(f"{ARCHITECTURES[name].label} {_pct(s['numbers_claimed'])}" for name, s in shares.items()))
        if group in letters:
            s = letters[group].shares()
            print(f"\nLetter reader, of their {s['letters']:,} capital letter drawings: reads {_pct(s['read_right'])} "
                  f"right; sure enough to name the letter in \"Not a digit\" for {_pct(s['named'])}, "
                  f"{_pct(s['named_right'])} of them right")


def writers_line(by_writer: dict[str, float]) -> str:
    """A line such as: all read right for 12 of 19 writers; the fewest: 96.43% of ced/DDJH4871's."""
    if not by_writer:
        return "no intact digits"
    worst = min(by_writer, key=by_writer.get)
    perfect = sum(share == 1 for share in by_writer.values())
    return (f"all read right for {perfect} of {len(by_writer)} writers; "
            f"the fewest: {by_writer[worst]:.2%} of {worst}'s")


def contributors_line(by_contributor: dict[str, float], never_trained: set[str]) -> str:
    """A line such as: ced 98.74%, ibm 96.18%, uqb 99.44% (none of its writers trained on)."""
    return ", ".join(f"{c} {share:.2%}" + (" (none of its writers trained on)" if c in never_trained else "")
                     for c, share in by_contributor.items())


def as_json(results: dict, letters: dict, files: list[Path]) -> dict:
    return {
        "letter_reader": {group: tally.shares() for group, tally in letters.items()},
        "files": [str(f) for f in files],
        "placements": [dict(zip(("size", "x", "y"), p)) for p in PLACEMENTS],
        "canvas": {k: CANVAS_OPTIONS[k] for k in ("width", "height", "stroke_width")},
        "groups": {group: {name: {**t.shares(), "counts": {k: v for k, v in asdict(t).items()
                                                         if not isinstance(v, Counter)},
                                  "non_digits_claimed_by_char": dict(t.claimed_by_char.most_common())}
                           for name, t in tallies.items()}
                   for group, tallies in results.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path,
                        help="stroke files (.json or .json.gz); default: the UNIPEN digits and letters")
    parser.add_argument("--arch", nargs="+", choices=list(ARCHITECTURES), default=list(ARCHITECTURES))
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--models", type=Path, help="a directory of NAME.keras files to measure instead of "
                                                    "the shipped ones (the shipped detector still judges)")
    args = parser.parse_args(argv)
    files = args.files or [f for f in DEFAULT_FILES if f.exists()]
    if not files:
        print("error: no stroke files given and none found in " + ", ".join(str(f) for f in DEFAULT_FILES),
              file=sys.stderr)
        return 2
    try:
        drawings = read_stroke_files(files)
    except StrokeFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not drawings:
        print("error: the files hold no drawings", file=sys.stderr)
        return 2
    results, letters = evaluate(drawings, args.arch, args.models)
    if args.json:
        print(json.dumps(as_json(results, letters, files), indent=2))
    else:
        print_report(results, letters, files, drawings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
