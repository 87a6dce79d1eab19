"""The shipped weights in `pretrained/` and their measured metrics: reading them, and writing
them so that a reader never sees half a file.

A missing or unreadable file never stops the app: it is reported per model instead.
Files derived from a shipped model (`save_derived`) carry its fingerprint, so that a file made
by other weights is recomputed instead of shown.
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

import numpy as np

from cnn_demo.architectures import ARCHITECTURES
from cnn_demo.paths import PRETRAINED_DIR

if TYPE_CHECKING:
    import keras

    from cnn_demo.data import Mnist

FINGERPRINT_DIGITS = 16


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


def fingerprint(model: keras.Model, mnist: Mnist) -> np.ndarray:
    """What the layer the softmax reads makes of the first 16 test digits: dozens of numbers a
    digit rather than probabilities near 1 (shipped Pooled against Pooled + Dropout: features
    up to 29 apart, probabilities at most 0.04; measured 2026-12-03)."""
    from cnn_demo.embedding import layer_features
    from cnn_demo.graph import penultimate_layer

    return layer_features(model, penultimate_layer(model), mnist.test.x[:FINGERPRINT_DIGITS])


def derived_path(kind: str, name: str, directory: Path = PRETRAINED_DIR) -> Path:
    return Path(directory) / kind / f"{name}.npz"


def save_derived(kind: str, name: str, model: keras.Model, mnist: Mnist, arrays: dict[str, np.ndarray],
                 directory: Path = PRETRAINED_DIR) -> Path:
    """`arrays` computed from shipped model `name`, in `pretrained/KIND/NAME.npz` with its fingerprint."""
    path = derived_path(kind, name, directory)
    with atomic_write(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays, fingerprint=fingerprint(model, mnist))
    return path


def load_derived(kind: str, name: str, model: keras.Model, mnist: Mnist,
                 directory: Path = PRETRAINED_DIR) -> dict[str, np.ndarray] | None:
    """The arrays `save_derived` wrote for `name`, or None when the file is missing, unreadable
    or was made by other weights."""
    try:
        with np.load(derived_path(kind, name, directory)) as f:
            arrays = {key: f[key] for key in f.files}
    except (OSError, ValueError):
        return None
    stored, now = arrays.pop("fingerprint", None), fingerprint(model, mnist)
    if stored is None or stored.shape != now.shape or not np.allclose(stored, now, rtol=1e-3, atol=1e-4):
        return None
    return arrays
