"""Shared fixtures: MNIST and the shipped models, loaded once per test session."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest


@pytest.fixture(scope="session")
def mnist():
    from cnn_demo.data import load_mnist

    return load_mnist()


@pytest.fixture(scope="session")
def shipped_models():
    from cnn_demo.pretrained import load_shipped_models

    return load_shipped_models()
