"""The benchmark runs in its quick mode and writes well-formed results (no timing is asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnn_demo.architectures import ARCHITECTURES
from cnn_demo.browser import chromium_path

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    run = subprocess.run([sys.executable, "-m", "cnn_demo.bench", "--quick", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Inference" in run.stdout and "Training" in run.stdout
    return json.loads(out.read_text())


def test_quick_benchmark_reports_inference_for_every_architecture(results):
    assert results["mode"] == "quick"
    assert [r["arch"] for r in results["inference"]] == list(ARCHITECTURES)
    for row in results["inference"]:
        assert 0 < row["ours_p50_ms"] <= row["ours_p95_ms"]
        assert 0 < row["predict_p50_ms"] <= row["predict_p95_ms"]
        assert row["speedup_p50"] == pytest.approx(row["predict_p50_ms"] / row["ours_p50_ms"])


def test_quick_benchmark_reports_both_training_paths_for_every_architecture(results):
    assert [r["arch"] for r in results["training"]] == list(ARCHITECTURES)
    for row in results["training"]:
        assert row["plain_s_per_epoch"] > 0 and row["ours_s_per_epoch"] > 0
        assert 0 <= row["plain_test_accuracy"] <= 1 and 0 <= row["ours_test_accuracy"] <= 1


def test_quick_benchmark_measures_the_app_and_end_to_end_latency_in_chromium(results):
    if chromium_path() is None:
        assert results["app"] == {"skipped": "no Chromium found"}
        return
    assert results["app"]["seconds_to_ready"] > 0 and results["app"]["peak_memory_mb"] > 100
    e2e = results["end_to_end"]
    assert e2e["samples"] == 3 and e2e["floor_p50_ms"] > 0 and e2e["app_p50_ms"] > 0
