"""A visitor's own labelled drawings: kept in their session, downloaded as one zip, uploaded again.

The zip holds `collection.npz` (x: uint8 (N, 28, 28), the model inputs; y: uint8 (N,), the
labels) and `drawings/NNNN_label.png`, the canvas images. A zip from elsewhere is untrusted:
`Collection.from_zip` checks sizes before reading anything, reads arrays without pickle,
and refuses what does not fit with one sentence (`CollectionError`).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from cnn_demo.data import IMAGE_SHAPE, NUM_CLASSES, Split

MAX_DRAWINGS = 500
MAX_ZIP_BYTES = 20 * 1024 * 1024  # 500 drawings with their PNGs take about 3 MB
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # what the entries may add up to once decompressed
MAX_ENTRIES = MAX_DRAWINGS + 10
ARRAYS = "collection.npz"


class CollectionError(ValueError):
    """Why an uploaded collection was refused, in one sentence."""


@dataclass(frozen=True)
class Sample:
    label: int
    input: np.ndarray  # (28, 28, 1) float32 in [0, 1]
    drawing: bytes  # the canvas as PNG (empty for a sample that came without one)


def png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, np.uint8)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


MAX_DRAWING_SIDE = 1024  # pixels: a canvas is 280


def _check_png(name: str, content: bytes) -> None:
    """A drawing in an uploaded zip must be a PNG of canvas-like size (its header says so
    before any pixel is decoded, so a decompression bomb is refused unread)."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            ok = image.format == "PNG" and max(image.size) <= MAX_DRAWING_SIDE
    except (OSError, ValueError, Image.DecompressionBombError):
        ok = False
    if not ok:
        raise CollectionError(f"{name} in the zip is not a PNG drawing of at most "
                              f"{MAX_DRAWING_SIDE}×{MAX_DRAWING_SIDE} pixels.")


@dataclass
class Collection:
    samples: list[Sample] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.samples)

    def add(self, label: int, model_input: np.ndarray, canvas: np.ndarray | None = None) -> None:
        if not 0 <= label < NUM_CLASSES:
            raise CollectionError(f"A label is a digit from 0 to 9, not {label}.")
        if len(self.samples) >= MAX_DRAWINGS:
            raise CollectionError(f"The collection is full ({MAX_DRAWINGS} drawings): download it and start another.")
        drawing = png(canvas) if canvas is not None else b""
        self.samples.append(Sample(int(label), np.asarray(model_input, np.float32).reshape(IMAGE_SHAPE), drawing))

    def extend(self, other: Collection) -> None:
        """Add another collection's drawings (an uploaded one), or none if they do not all fit."""
        if len(self.samples) + len(other.samples) > MAX_DRAWINGS:
            raise CollectionError(f"That would make {len(self.samples) + len(other.samples)} drawings; a collection "
                                  f"holds at most {MAX_DRAWINGS}.")
        self.samples.extend(other.samples)

    def split(self) -> Split:
        """Inputs and labels, as the models and the fine-tuning take them."""
        if not self.samples:
            return Split(np.zeros((0, *IMAGE_SHAPE), np.float32), np.zeros(0, np.int64))
        return Split(np.stack([s.input for s in self.samples]), np.array([s.label for s in self.samples], np.int64))

    def to_zip(self) -> bytes:
        x, y = self.split()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            arrays = io.BytesIO()
            np.savez_compressed(arrays, x=(x[..., 0] * 255).round().astype(np.uint8), y=y.astype(np.uint8))
            archive.writestr(ARRAYS, arrays.getvalue())
            for i, sample in enumerate(self.samples):
                if sample.drawing:
                    archive.writestr(f"drawings/{i:04d}_{sample.label}.png", sample.drawing)
        return buffer.getvalue()

    @classmethod
    def from_zip(cls, data: bytes) -> Collection:
        """A collection from a zip made by `to_zip`, or CollectionError saying what is wrong."""
        if len(data) > MAX_ZIP_BYTES:
            raise CollectionError(f"The file is {len(data) / 2**20:.1f} MB; a collection zip may be at most "
                                  f"{MAX_ZIP_BYTES // 2**20} MB.")
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            entries = archive.infolist()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            raise CollectionError("This is not a zip file (or it is damaged): upload a collection downloaded "
                                  "from this page.") from None
        with archive:
            if len(entries) > MAX_ENTRIES or sum(e.file_size for e in entries) > MAX_UNPACKED_BYTES:
                raise CollectionError("The zip unpacks to more than a collection can hold: it was refused "
                                      "unopened.")
            if ARRAYS not in archive.namelist():
                raise CollectionError(f"The zip has no {ARRAYS}: it is not a collection from this page.")
            try:
                with np.load(io.BytesIO(archive.read(ARRAYS)), allow_pickle=False) as arrays:
                    x, y = arrays["x"], arrays["y"]
                drawings = {name: archive.read(name) for name in archive.namelist() if name.startswith("drawings/")}
            except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile):
                raise CollectionError(f"{ARRAYS} in the zip is damaged or lacks its arrays x and y.") from None
        return cls._from_arrays(x, y, drawings)

    @classmethod
    def _from_arrays(cls, x: np.ndarray, y: np.ndarray, drawings: dict[str, bytes]) -> Collection:
        if x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE[:2]:
            raise CollectionError(f"The drawings are shaped {tuple(x.shape)}; a collection holds 28×28 images.")
        if y.ndim != 1 or len(y) != len(x):
            raise CollectionError(f"There are {len(x)} drawings but {y.size} labels.")
        if len(x) > MAX_DRAWINGS:
            raise CollectionError(f"The collection has {len(x)} drawings; at most {MAX_DRAWINGS} are kept.")
        if not np.issubdtype(y.dtype, np.integer) or (y.size and (y.min() < 0 or y.max() >= NUM_CLASSES)):
            raise CollectionError("Every label must be a digit from 0 to 9.")
        if x.dtype == np.uint8:
            inputs = x.astype(np.float32) / 255
        elif np.issubdtype(x.dtype, np.floating) and np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1:
            inputs = x.astype(np.float32)
        else:
            raise CollectionError("The images must be 0–255 bytes or numbers from 0 to 1.")
        by_index = {}
        for name, content in drawings.items():
            stem = name.rsplit("/", 1)[-1].split("_", 1)[0]
            if stem.isdigit():
                _check_png(name, content)
                by_index[int(stem)] = content
        return cls([Sample(int(label), image[..., np.newaxis], by_index.get(i, b""))
                    for i, (image, label) in enumerate(zip(inputs, y))])
