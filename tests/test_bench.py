"""The benchmark runs in its quick mode and writes well-formed results (no timing is asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnn_demo.browser import chromium_path
from cnn_demo.jobs import KEPT_BACK, TEST, YOUR_DRAWINGS

ROOT = Path(__file__).resolve().parent.parent


# the quickest architecture only: with Baseline and Pooled this fixture took 163 s here, with
# Baseline alone 121 s (2026-12-03); with Pooled and Residual, 241 s. The full benchmark,
# `python -m cnn_demo.bench`, measures all eight.
MEASURED = ["baseline"]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    run = subprocess.run([sys.executable, "-m", "cnn_demo.bench", "--quick", "--out", str(out), "--arch", *MEASURED,
                          "--pen-sample", "2", "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Inference" in run.stdout and "Training" in run.stdout
    return json.loads(out.read_text())


def test_quick_benchmark_reports_inference_for_each_architecture_asked_for(results):
    assert results["mode"] == "quick"
    assert [r["arch"] for r in results["inference"]] == MEASURED
    for row in results["inference"]:
        assert 0 < row["ours_p50_ms"] <= row["ours_p95_ms"]
        assert 0 < row["predict_p50_ms"] <= row["predict_p95_ms"]
        assert row["speedup_p50"] == pytest.approx(row["predict_p50_ms"] / row["ours_p50_ms"])


def test_quick_benchmark_reports_both_training_paths_for_each_architecture_asked_for(results):
    assert [r["arch"] for r in results["training"]] == MEASURED
    for row in results["training"]:
        assert row["plain_s_per_epoch"] > 0 and row["ours_s_per_epoch"] > 0
        assert 0 <= row["plain_test_accuracy"] <= 1 and 0 <= row["ours_test_accuracy"] <= 1


def skip_without_a_browser() -> None:
    if chromium_path() is None:
        pytest.skip("no Chromium: the browser sections were skipped (checked above)")


def test_quick_benchmark_measures_the_app_and_end_to_end_latency_in_chromium(results):
    if chromium_path() is None:
        assert set(results["skipped"]) == {"app", "end_to_end", "bytes", "pen_drawings", "unit_click"}
        return
    assert results["app"]["seconds_to_ready"] > 0 and results["app"]["peak_memory_mb"] > 100
    assert [r["arch"] for r in results["end_to_end"]] == MEASURED
    for row in results["end_to_end"]:
        assert row["samples"] == 1 and row["floor_p50_ms"] > 0 and row["app_p50_ms"] > 0
        assert row["ratio_p50"] == pytest.approx(row["app_p50_ms"] / row["floor_p50_ms"])


def test_quick_benchmark_measures_the_bytes_a_drawing_costs_in_both_views(results):
    skip_without_a_browser()
    # one drawing per view here, too few to compare the views (the full benchmark does)
    assert [r["arch"] for r in results["bytes"]] == MEASURED
    for row in results["bytes"]:
        for view in ("default", "every_layer"):
            assert row[f"{view}_websocket_kib"] > 0
            assert row[f"{view}_kib"] == pytest.approx(row[f"{view}_websocket_kib"] + row[f"{view}_media_kib"])


def test_quick_benchmark_compares_the_page_with_the_evaluate_command_on_as_many_pen_drawings_as_asked(results):
    skip_without_a_browser()
    pen = results["pen_drawings"]
    # the sample asked for (quick alone draws one of each); the browser tests draw a handful
    # (test_pen_drawings_in_chromium.py)
    assert (pen["digits"], pen["non_digits"], pen["device"]) == (2, 1, "laptop, with the mouse")
    assert 0 <= pen["agreement"] <= 1 and set(pen["page"]) == set(pen["command"])


def test_quick_benchmark_fine_tunes_pooled_on_twenty_drawings(results):
    fine = results["fine_tune"]
    assert fine["drawings"] == 20 and fine["seconds"] > 0
    assert set(fine["before"]) == set(fine["after"]) == {TEST, YOUR_DRAWINGS, KEPT_BACK}


def test_quick_benchmark_times_a_click_on_a_unit(results):
    skip_without_a_browser()
    click = results["unit_click"]
    assert click["clicks"] == 3 and 0 < click["p50_ms"] <= click["max_ms"]


def test_quick_benchmark_times_train_lives_quick_preset_from_start_to_test_score(results):
    assert [r["arch"] for r in results["presets"]] == MEASURED
    for row in results["presets"]:
        assert row["preset"] == "Quick" and row["seconds"] > 0 and 0 <= row["test_accuracy"] <= 1
