"""A visitor's own Keras model, uploaded for their session: checked as hostile until proven otherwise.

    model = load_uploaded_model(data)      # or UploadError, one sentence, nothing else changed

A `.keras` file is a zip of `config.json`, `metadata.json` and `model.weights.h5`. It is
checked for size and unpacked size before Keras sees it, written to a temporary file only
for `keras.saving.load_model(..., safe_mode=True)` (which refuses code, such as a Lambda
layer) and removed at once, then asked to take 28x28x1 inputs and give ten probabilities.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from typing import TYPE_CHECKING

import numpy as np

from cnn_demo.data import IMAGE_SHAPE, NUM_CLASSES

if TYPE_CHECKING:
    import keras

MAX_MODEL_BYTES = 20 * 1024 * 1024  # the largest shipped model (Conv, 823,338 weights) is 9.5 MB
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
KERAS_ENTRIES = {"config.json", "metadata.json", "model.weights.h5"}
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


class UploadError(ValueError):
    """Why an uploaded model was refused, in one sentence."""


def _check_archive(data: bytes) -> None:
    if len(data) > MAX_MODEL_BYTES:
        raise UploadError(f"The file is {len(data) / 2**20:.1f} MB; a model may be at most "
                          f"{MAX_MODEL_BYTES // 2**20} MB here.")
    if data.startswith(HDF5_SIGNATURE):
        raise UploadError("This is a legacy HDF5 (.h5) model: save it with model.save('name.keras') and "
                          "upload that.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            names = {e.filename for e in entries}
            unpacked = sum(e.file_size for e in entries)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise UploadError("This is not a .keras file (not a zip archive, or a damaged or truncated one).") from None
    if unpacked > MAX_UNPACKED_BYTES or len(entries) > 16:
        raise UploadError("The archive unpacks to far more than a model of this size could: it was refused "
                          "unopened.")
    if not names >= KERAS_ENTRIES:
        raise UploadError("This zip is not a Keras model: it lacks " +
                          ", ".join(sorted(KERAS_ENTRIES - names)) + ".")


def _load(data: bytes) -> keras.Model:
    import keras

    fd, path = tempfile.mkstemp(suffix=".keras")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # noqa: BLE001 -- whatever Keras raises, the visitor gets one sentence
        text = str(exc)
        if "safe_mode" in text or "Lambda" in text or "lambda" in text:
            raise UploadError("The model contains Python code (a Lambda layer, say): this app loads models in "
                              "Keras's safe mode, which refuses code.") from None
        first = text.strip().splitlines()[0][:160] if text.strip() else type(exc).__name__
        raise UploadError(f"Keras could not read this model ({first}).") from None
    finally:
        os.remove(path)


def _check_shapes(model: keras.Model) -> None:
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) != 1 or tuple(model.input_shape[1:]) != IMAGE_SHAPE:
        shape = "×".join(str(d) for d in model.input_shape[1:]) if len(inputs) == 1 else f"{len(inputs)} inputs"
        raise UploadError(f"The model takes {shape}; this page gives it one 28×28×1 image (pixels 0 to 1).")
    if len(model.outputs) != 1 or tuple(model.output_shape[1:]) != (NUM_CLASSES,):
        shape = "×".join(str(d) for d in model.output_shape[1:]) if len(model.outputs) == 1 else "several outputs"
        raise UploadError(f"The model gives {shape}; this page needs ten outputs, one per digit.")
    probe = np.asarray(model(np.zeros((2, *IMAGE_SHAPE), np.float32), training=False), np.float64)
    if not np.isfinite(probe).all() or (probe < 0).any() or not np.allclose(probe.sum(axis=1), 1, atol=1e-3):
        raise UploadError("The model's ten outputs are not probabilities: end it with a softmax.")


def load_uploaded_model(data: bytes) -> keras.Model:
    """The model in an uploaded .keras file, or UploadError."""
    _check_archive(data)
    model = _load(data)
    _check_shapes(model)
    return model
