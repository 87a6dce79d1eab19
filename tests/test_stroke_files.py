"""Stroke files: real pen drawings are read as written, and a bad file is one clear sentence."""

from __future__ import annotations

import gzip
import json

import pytest

from cnn_demo.stroke_files import (
    UNIPEN_FILES,
    Drawing,
    StrokeFileError,
    placed,
    read_stroke_file,
    side_by_side,
)

DIGIT = {"writer": "w/1", "label": 7, "strokes": [[[0.0, 0.0], [0.5, 0.0], [0.2, 1.0]]]}
LETTER = {"writer": "w/1", "char": "A", "strokes": [[[0.0, 1.0], [0.3, 0.0], [0.6, 1.0]], [[0.1, 0.5], [0.5, 0.5]]]}


def write(tmp_path, entries, name="drawings.json.gz"):
    path = tmp_path / name
    path.write_bytes(gzip.compress(json.dumps(entries).encode()))
    return path


def test_a_digit_and_a_letter_are_read_with_their_strokes_label_and_writer(tmp_path):
    digit, letter = read_stroke_file(write(tmp_path, [DIGIT, LETTER]))
    assert digit.is_digit and digit.label == 7 and digit.char is None and digit.writer == "w/1"
    assert digit.strokes == [[(0.0, 0.0), (0.5, 0.0), (0.2, 1.0)]]
    assert not letter.is_digit and letter.char == "A" and len(letter.strokes) == 2


def test_plain_json_is_read_as_well_as_gzip(tmp_path):
    path = tmp_path / "drawings.json"
    path.write_text(json.dumps([DIGIT]))
    assert read_stroke_file(path)[0].label == 7


def test_the_shipped_unipen_files_hold_8043_digits_and_8965_letters():
    digits, letters = (read_stroke_file(path) for path in UNIPEN_FILES)
    assert (len(digits), len(letters)) == (8043, 8965)
    assert all(d.is_digit for d in digits) and not any(d.is_digit for d in letters)


def _digit(strokes: list, label: int) -> Drawing:
    return Drawing(strokes=strokes, label=label, char=None, writer="w/1", source="test #0")


def test_a_four_that_is_one_straight_slash_is_lost():
    assert _digit([[(0.7, 0.0), (0.5, 0.5), (0.3, 1.0)]], 4).is_lost


def test_a_straight_one_and_a_four_with_its_bar_are_not_lost():
    assert not _digit([[(0.5, 0.0), (0.5, 1.0)]], 1).is_lost
    assert not _digit([[(0.6, 0.0), (0.0, 0.6), (0.8, 0.6)], [(0.6, 0.2), (0.6, 1.0)]], 4).is_lost


def test_forty_of_the_unipen_digits_are_lost_nearly_all_of_them_0s_and_4s():
    lost = [d for d in read_stroke_file(UNIPEN_FILES[0]) if d.is_lost]
    assert len(lost) == 40
    assert sum(d.label in (0, 4) for d in lost) >= 38


@pytest.mark.parametrize("entries, message", [
    ([{"label": 3}], r"entry 0: no 'strokes'"),
    ([DIGIT, {"label": 3, "strokes": []}], r"entry 1: 'strokes' must be a non-empty list"),
    ([{"label": 12, "strokes": DIGIT["strokes"]}], r"entry 0: label 12 is not a digit 0-9"),
    ([{"label": "7", "strokes": DIGIT["strokes"]}], r"entry 0: label '7' is not a digit 0-9"),
    ([{"strokes": DIGIT["strokes"]}], r"entry 0: neither a 'label' \(digit\) nor a 'char'"),
    ([{"label": 1, "strokes": [[[0.1, "x"]]]}], r"entry 0: stroke 0 has a point that is not \[x, y\]"),
    ([{"label": 1, "strokes": [[]]}], r"entry 0: stroke 0 must be a non-empty list"),
    ([[1, 2]], r"entry 0: not an object"),
    ({"label": 1}, r"not a JSON list of drawings"),
])
def test_a_bad_entry_is_named_with_its_file_and_index(tmp_path, entries, message):
    path = write(tmp_path, entries)
    with pytest.raises(StrokeFileError, match=message) as error:
        read_stroke_file(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(StrokeFileError, match=r"nothing.json.gz: no such file"):
        read_stroke_file(tmp_path / "nothing.json.gz")


def test_a_truncated_gzip_says_so(tmp_path):
    path = write(tmp_path, [DIGIT] * 50)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(StrokeFileError, match=r"not a complete gzip file"):
        read_stroke_file(path)


def test_a_file_that_is_not_json_says_so(tmp_path):
    path = tmp_path / "noise.json"
    path.write_bytes(b"\x00\x01not json at all")
    with pytest.raises(StrokeFileError, match=r"not valid JSON"):
        read_stroke_file(path)


def test_a_placed_drawing_spans_the_placement_size_on_its_longer_side():
    drawing = Drawing(DIGIT["strokes"], 7, None, "w", "test")
    strokes = placed(drawing, 0.5, 0.1, 0.2, 280)
    xs = [x for s in strokes for x, _ in s]
    ys = [y for s in strokes for _, y in s]
    assert max(ys) - min(ys) == pytest.approx(140)  # the longer side: half the canvas
    assert max(xs) - min(xs) == pytest.approx(70)
    assert min(ys) == pytest.approx(0.2 * 280)  # top of the placement box
    assert (min(xs) + max(xs)) / 2 == pytest.approx((0.1 + 0.25) * 280)  # centred in the box


def test_a_two_digit_number_is_two_of_one_writers_digits_side_by_side_in_a_unit_box():
    one = [[(0.3, 0.0), (0.3, 1.0)]]
    seven = [[(0.0, 0.0), (0.6, 0.0), (0.2, 1.0)]]
    digits = [Drawing(one, 1, None, "w/a", "f #0"), Drawing(seven, 7, None, "w/a", "f #1"),
              Drawing(one, 1, None, "w/b", "f #2")]
    numbers = side_by_side(digits, per_writer=5)
    assert len(numbers) == 10 and all(n.is_number and not n.is_digit for n in numbers)
    assert {n.char for n in numbers if n.writer == "w/b"} == {"11"}
    assert {n.char for n in numbers if n.writer == "w/a"} <= {"11", "17", "71", "77"}
    for n in numbers:  # each digit here is one stroke: the first, then the second to its right
        first, second = n.strokes
        assert max(x for x, _ in first) < min(x for x, _ in second)
        xs, ys = [x for s in n.strokes for x, _ in s], [y for s in n.strokes for _, y in s]
        assert min(xs) == min(ys) == 0 and max(max(xs), max(ys)) == pytest.approx(1)
