"""`python -m cnn_demo.evaluate`: real pen drawings through the page's path, and clear errors."""

from __future__ import annotations

import gzip
import json

import pytest

from cnn_demo import evaluate
from cnn_demo.stroke_files import PLACEMENTS
from cnn_demo.strokes import DIGITS


def unit_box(strokes):
    """Hand-made strokes moved into the stroke files' unit box (longer side 1, from 0)."""
    xs = [x for s in strokes for x, _ in s]
    ys = [y for s in strokes for _, y in s]
    span = max(max(xs) - min(xs), max(ys) - min(ys))
    return [[[(x - min(xs)) / span, (y - min(ys)) / span] for x, y in s] for s in strokes]


def stroke_file(path, entries):
    """`entries` written as a gzipped stroke file at `path`."""
    path.write_bytes(gzip.compress(json.dumps(entries).encode()))
    return path


@pytest.fixture
def small_file(tmp_path):
    entries = [{"writer": "test/1", "label": d, "strokes": unit_box(DIGITS[d])} for d in (0, 3, 7)]
    entries.append({"writer": "test/1", "char": "X", "strokes": [[[0, 0], [1, 1]], [[1, 0], [0, 1]]]})
    return stroke_file(tmp_path / "few.json.gz", entries)


def test_every_digit_is_counted_once_per_placement_in_exactly_one_outcome(small_file, capsys):
    assert evaluate.main([str(small_file), "--arch", "pooled", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    pooled = report["groups"][evaluate.UNSEEN]["pooled"]
    assert pooled["digits"] == 3 * len(PLACEMENTS) and pooled["non_digits"] == len(PLACEMENTS)
    outcomes = ["claims_right", "claims_wrong", "doubts", "not_a_digit", "unreadable"]
    assert sum(pooled[k] for k in outcomes) == pytest.approx(1.0)
    assert pooled["read_correctly"] == 1.0  # the hand-made 0, 3 and 7 are plain


def test_two_digit_numbers_of_the_files_digits_are_counted_apart_from_letters_and_symbols(small_file, capsys):
    evaluate.main([str(small_file), "--arch", "pooled", "--json"])
    counts = json.loads(capsys.readouterr().out)["groups"][evaluate.UNSEEN]["pooled"]["counts"]
    assert counts["numbers"] == 20 * len(PLACEMENTS) and counts["non_digits"] == len(PLACEMENTS)
    assert 0 <= counts["numbers_claimed"] <= counts["numbers"]


def test_the_table_names_the_group_and_every_architecture_asked_for(small_file, capsys):
    evaluate.main([str(small_file), "--arch", "baseline", "pooled"])
    out = capsys.readouterr().out
    assert "Writers never trained on: 9 digit and 3 non-digit drawings" in out
    assert "Baseline" in out and "Pooled" in out and "Residual" not in out


def test_the_letter_reader_is_measured_on_each_capital_letter_at_every_placement(tmp_path, capsys):
    h = [[(0.0, 0.0), (0.0, 1.0)], [(0.7, 0.0), (0.7, 1.0)], [(0.0, 0.5), (0.7, 0.5)]]
    entries = [{"writer": "test/1", "char": "H", "strokes": h},
               {"writer": "test/1", "label": 3, "strokes": unit_box(DIGITS[3])}]
    path = stroke_file(tmp_path / "h.json.gz", entries)
    evaluate.main([str(path), "--arch", "pooled", "--json"])
    letters = json.loads(capsys.readouterr().out)["letter_reader"][evaluate.UNSEEN]
    assert letters == {"letters": len(PLACEMENTS), "read_right": 1.0, "named": 1.0, "named_right": 1.0}
    evaluate.main([str(path), "--arch", "pooled"])
    assert ("Letter reader, of their 3 capital letter drawings: reads 100.00% right; sure enough to name "
            'the letter in "Not a digit" for 100.00%, 100.00% of them right') in capsys.readouterr().out


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"\x1f\x8b\x08\x00truncated", "not a complete gzip file"),
    (gzip.compress(b'[{"label": 3, "strokes": [[[0, 0], [1, 1]]]}, {"label": 3}]'), "entry 1: no 'strokes'"),
    (gzip.compress(b'[{"label": 10, "strokes": [[[0, 0], [1, 1]]]}]'), "entry 0: label 10 is not a digit 0-9"),
], ids=["missing", "truncated gzip", "no strokes", "label 10"])  # gzip's bytes hold the time: no id
def test_a_bad_file_is_one_line_naming_file_and_entry_with_no_traceback(tmp_path, capsys, content, message):
    path = tmp_path / "bad.json.gz"
    if content is not None:
        path.write_bytes(content)
    assert evaluate.main([str(path), "--arch", "pooled"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("error: ") and str(path) in line and message in line


def test_other_weights_are_measured_from_the_directory_given(small_file, tmp_path, capsys):
    from cnn_demo.architectures import get_architecture

    untrained = get_architecture("baseline").build()  # random weights: nowhere near the shipped model
    untrained.save(tmp_path / "baseline.keras")
    evaluate.main([str(small_file), "--arch", "baseline", "--json"])
    shipped = json.loads(capsys.readouterr().out)["groups"][evaluate.UNSEEN]["baseline"]
    evaluate.main([str(small_file), "--arch", "baseline", "--json", "--models", str(tmp_path)])
    other = json.loads(capsys.readouterr().out)["groups"][evaluate.UNSEEN]["baseline"]
    assert shipped["read_correctly"] == 1.0 and other["read_correctly"] < 1.0


def test_a_slash_labelled_4_is_counted_as_a_digit_and_left_out_of_the_intact_figure(tmp_path, capsys):
    entries = [{"writer": "test/1", "label": 3, "strokes": unit_box(DIGITS[3])},
               {"writer": "test/1", "label": 4, "strokes": [[[0.4, 0.0], [0.2, 0.5], [0.0, 1.0]]]}]
    path = stroke_file(tmp_path / "lost.json.gz", entries)
    evaluate.main([str(path), "--arch", "pooled", "--json"])
    pooled = json.loads(capsys.readouterr().out)["groups"][evaluate.UNSEEN]["pooled"]
    assert pooled["counts"]["lost_digits"] == len(PLACEMENTS)
    assert pooled["read_correctly"] == 0.5  # the slash is read as a 1
    assert pooled["intact_read_correctly"] == 1.0


@pytest.fixture
def one_misread_file(tmp_path):
    """Two contributors' writers: first/a's 0 and 7, second/b's 3, and second/c's one labelled 7."""
    entries = [{"writer": "first/a", "label": d, "strokes": unit_box(DIGITS[d])} for d in (0, 7)]
    entries += [{"writer": "second/b", "label": 3, "strokes": unit_box(DIGITS[3])},
                {"writer": "second/c", "label": 7, "strokes": unit_box(DIGITS[1])}]
    return stroke_file(tmp_path / "one_misread.json.gz", entries)


def test_each_writers_intact_digits_read_right_are_counted_apart(one_misread_file, capsys):
    evaluate.main([str(one_misread_file), "--arch", "pooled", "--json"])
    pooled = json.loads(capsys.readouterr().out)["groups"][evaluate.UNSEEN]["pooled"]
    assert pooled["intact_read_correctly_by_writer"] == {"first/a": 1.0, "second/b": 1.0, "second/c": 0.0}
    evaluate.main([str(one_misread_file), "--arch", "pooled"])
    out = capsys.readouterr().out
    assert "Pooled               all read right for 2 of 3 writers; the fewest: 0.00% of second/c's" in out


def test_each_contributors_digits_read_right_are_counted_apart(one_misread_file, capsys):
    evaluate.main([str(one_misread_file), "--arch", "pooled", "--json"])
    pooled = json.loads(capsys.readouterr().out)["groups"][evaluate.UNSEEN]["pooled"]
    assert pooled["read_correctly_by_contributor"] == {"first": 1.0, "second": 0.5}


def test_a_contributor_is_marked_never_trained_on_only_when_none_of_its_writers_was(tmp_path, capsys):
    trained = sorted(evaluate.seen_writers())[0]  # a training writer, e.g. "ced/..."
    contributor = trained.split("/")[0]
    entries = [{"writer": w, "label": 3, "strokes": unit_box(DIGITS[3])}
               for w in (trained, f"{contributor}/someone new", "elsewhere/someone")]
    path = stroke_file(tmp_path / "trained_and_not.json.gz", entries)
    evaluate.main([str(path), "--arch", "pooled"])
    unseen = capsys.readouterr().out.split(evaluate.SEEN[0].upper() + evaluate.SEEN[1:])[0]
    line = next(row for row in unseen.splitlines() if row.startswith("Pooled") and "elsewhere" in row)
    assert line.endswith(f"{contributor} 100.00%, elsewhere 100.00% (none of its writers trained on)")
