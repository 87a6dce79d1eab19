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
