"""The shipped weights in `pretrained/` and their measured metrics: reading them, and writing
them so that a reader never sees half a file.

A missing or unreadable file never stops the app: it is reported per model instead.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cnn_demo.architectures import ARCHITECTURES
from cnn_demo.paths import PRETRAINED_DIR

if TYPE_CHECKING:
    import keras


def model_path(name: str, directory: Path = PRETRAINED_DIR) -> Path:
    return Path(directory) / f"{name}.keras"


def load_model(name: str, directory: Path = PRETRAINED_DIR) -> keras.Model:
    """Load one shipped model with Keras's safe mode on (no arbitrary code from the file)."""
    import keras

    return keras.saving.load_model(model_path(name, directory), safe_mode=True)


@dataclass
class Shipped:
    """Every registry model that loaded, and why each of the others did not."""

    models: dict[str, keras.Model] = field(default_factory=dict)
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


EVALUATION_FILE = "evaluation.json"


def load_pen_digit_figures(directory: Path = PRETRAINED_DIR) -> dict[str, float]:
    """{architecture: share of real pen digits by writers never trained on that it reads right},
    from the JSON that `python -m cnn_demo.evaluate --json` wrote; {} when there is none."""
    try:
        report = json.loads((Path(directory) / EVALUATION_FILE).read_text())
        group = report["groups"]["writers never trained on"]
        return {name: float(row["read_correctly"]) for name, row in group.items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


@contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path`; when the block succeeds, one rename puts it in place.

    Readers see the old file or the new one, never half of one; a failed write leaves nothing.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_model_atomically(model: keras.Model, path: str | Path) -> Path:
    """Write the model as float32 to a .keras file atomically: it infers in float32 on any CPU."""
    from cnn_demo.fitting import as_float32

    model = as_float32(model)
    with atomic_write(path) as tmp:
        model.save(tmp)
    return Path(path)


def write_json_atomically(data: dict, path: str | Path) -> Path:
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return Path(path)
