"""The shipped weights in `pretrained/` and their measured metrics.

A missing or unreadable file never stops the app: it is reported per model instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cnn_demo.architectures import ARCHITECTURES

if TYPE_CHECKING:
    import keras

PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "pretrained"


def model_path(name: str, directory: Path = PRETRAINED_DIR) -> Path:
    return Path(directory) / f"{name}.keras"


def load_model(name: str, directory: Path = PRETRAINED_DIR) -> "keras.Model":
    """Load one shipped model with Keras's safe mode on (no arbitrary code from the file)."""
    import keras

    return keras.saving.load_model(model_path(name, directory), safe_mode=True)


@dataclass
class Shipped:
    """Every registry model that loaded, and why each of the others did not."""

    models: dict[str, "keras.Model"] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def load_shipped_models(directory: Path = PRETRAINED_DIR) -> Shipped:
    shipped = Shipped()
    for name in ARCHITECTURES:
        path = model_path(name, directory)
        if not path.exists():
            shipped.problems[name] = f"{path.name} is missing"
            continue
        try:
            shipped.models[name] = load_model(name, directory)
        except Exception as exc:  # noqa: BLE001 -- any unreadable file is reported, not fatal
            shipped.problems[name] = f"{path.name} could not be read ({type(exc).__name__}: {exc})"
    return shipped


def load_metrics(directory: Path = PRETRAINED_DIR) -> tuple[dict[str, dict], str | None]:
    """(rows by architecture, problem or None): a corrupt metrics.json gives no rows and says why."""
    path = Path(directory) / "metrics.json"
    try:
        metrics = json.loads(path.read_text())
    except FileNotFoundError:
        return {}, f"{path.name} is missing"
    except (OSError, ValueError) as exc:
        return {}, f"{path.name} could not be read ({type(exc).__name__}: {exc})"
    if not isinstance(metrics, dict):
        return {}, f"{path.name} does not hold a table of models"
    return metrics, None
