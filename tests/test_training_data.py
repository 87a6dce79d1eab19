"""The drawings recipe's writing conventions: what it adds to a writer's zero, and what it keeps."""

from __future__ import annotations

import numpy as np

from cnn_demo.training_data import _circle, with_convention

LOOP = [_circle(0.5, 0.5, 0.2)]  # a zero 0.4 high, centred


def _conventional_zeros(n: int = 60) -> list[list]:
    return [with_convention(LOOP, 0, np.random.default_rng(seed)) for seed in range(n)]


def test_a_zero_keeps_its_loop_and_gains_either_a_bar_through_its_centre_or_a_start_inside_it():
    kinds = set()
    for strokes in _conventional_zeros():
        if len(strokes) == 2:  # a bar
            assert strokes[0] == LOOP[0]
            middle = np.mean(np.asarray(strokes[1]), axis=0)
            assert np.linalg.norm(middle - 0.5) < 0.05
            kinds.add("bar")
        else:  # begun inside the loop
            (stroke,) = strokes
            assert stroke[1:] == LOOP[0]
            assert np.linalg.norm(np.asarray(stroke[0]) - 0.5) < 0.2 * 0.85
            kinds.add("begun inside")
    assert kinds == {"bar", "begun inside"}


def test_bars_through_a_zero_run_from_just_past_its_loop_to_over_twice_its_height():
    height = 0.4
    bars = [np.asarray(s[1]) for s in _conventional_zeros() if len(s) == 2]
    lengths = [np.linalg.norm(bar[1] - bar[0]) for bar in bars]
    assert min(lengths) < 1.5 * height and max(lengths) > 2 * height


STEM = [[(0.5, 0.1), (0.5, 0.9)]]  # a plain one, 0.8 high, its top at (0.5, 0.1)


def test_a_ones_flag_runs_down_to_the_left_from_its_top_as_long_and_steep_as_the_training_writers_own():
    flags = []
    for seed in range(200):
        strokes = with_convention(STEM, 1, np.random.default_rng(seed))
        assert strokes[0] == STEM[0]
        flags += [np.asarray(s) for s in strokes[1:] if tuple(s[-1]) == STEM[0][0]]  # a foot ends elsewhere
    starts = np.array([flag[0] for flag in flags])
    dx, dy = 0.5 - starts[:, 0], starts[:, 1] - 0.1
    lengths, angles = np.hypot(dx, dy) / 0.8, np.degrees(np.arctan2(dy, dx))
    assert (dx > 0).all() and (dy > 0).all()
    # the training writers' flags: 0.57 of the height at the 90th percentile, 22-79 degrees from level
    assert lengths.min() >= 0.15 and 0.7 < lengths.max() <= 0.8
    assert angles.min() >= 20 and 70 < angles.max() <= 75


def test_a_resumed_detector_learns_twenty_two_digit_numbers_of_each_training_writer():
    from cnn_demo.stroke_files import UNIPEN_FILES, read_stroke_files
    from cnn_demo.training_data import NUMBER_COPIES, _number_strokes, trained_on

    writers = {d.writer for d in read_stroke_files(UNIPEN_FILES[:1]) if trained_on(d)}
    drawn = _number_strokes(0)
    assert len(drawn) == 20 * len(writers) * NUMBER_COPIES
    # two digits side by side in a unit box: its width is the longer side
    widths = [max(x for s in strokes for x, _ in s) - min(x for s in strokes for x, _ in s) for strokes in drawn]
    assert np.median(widths) == 1.0
