"""Real pen-written drawings from stroke files, and where on the canvas to draw them.

A stroke file is a gzipped (or plain) JSON list, one object per drawing, as in
`../shared/data/README.md`: `strokes` is a list of pen-downs, each a list of [x, y]
points in a unit box (y down, the longer side spanning 1); an object with `label` is
a digit 0-9, one with `char` and no `label` is not a digit. Every problem with a file
is one `StrokeFileError` naming the file and the entry, never a traceback.
"""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from cnn_demo.paths import DATA_DIR, ROOT
from cnn_demo.strokes import Stroke

# UNIPEN's pen-written digits and capital letters (CC BY 4.0): the project's copies in data/,
# the same files as the shared ones beside the repository.
UNIPEN_FILES = [DATA_DIR / "unipen_dev.json.gz", DATA_DIR / "unipen_dev_letters.json.gz"]
SHARED_DATA = ROOT.parent / "shared" / "data"
DEFAULT_FILES = [SHARED_DATA / f.name if (SHARED_DATA / f.name).exists() else f for f in UNIPEN_FILES]


class StrokeFileError(ValueError):
    """One line saying which file and which entry is wrong, and how."""


@dataclass(frozen=True)
class Drawing:
    strokes: list[Stroke]  # unit-box coordinates, in writing order
    label: int | None  # the digit, or None for a drawing that is not a digit
    char: str | None  # what a non-digit is ("A"), None for digits
    writer: str
    source: str  # "file.json.gz #12": where it came from, for messages

    @property
    def contributor(self) -> str:
        """UNIPEN's contributor, the collection the writer's drawings came in: `writer` up to its "/"."""
        return self.writer.split("/", 1)[0]

    @property
    def is_digit(self) -> bool:
        return self.label is not None

    @property
    def is_number(self) -> bool:
        """Digits side by side ("42", `side_by_side`): not a digit, and not a letter either."""
        return self.char is not None and self.char.isdigit()

    @cached_property  # asked once per placement and architecture by the evaluation
    def is_lost(self) -> bool:
        """A digit other than 1 whose ink is one straight line (its path within 15% of its extent).

        Some UNIPEN 0s and 4s of contributor ibm are a single slash, the rest of the digit lost:
        30 of the training writers' 6,401 digits and 10 of the held-out writers' 1,642."""
        if self.label in (None, 1):
            return False
        parts = [np.asarray(s, np.float64).reshape(-1, 2) for s in self.strokes]
        points = np.concatenate(parts)
        path = sum(float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum()) for p in parts)
        return path < 1.15 * float(np.linalg.norm(points.max(0) - points.min(0)))


def _read_json(path: Path):
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise StrokeFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise StrokeFileError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        return json.loads(text)
    except (EOFError, OSError, zlib.error):
        raise StrokeFileError(f"{path}: not a complete gzip file (truncated or damaged)") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise StrokeFileError(f"{path}: not valid JSON ({exc})") from None


def _points(value, where: str) -> list[Stroke]:
    if not isinstance(value, list) or not value:
        raise StrokeFileError(f"{where}: 'strokes' must be a non-empty list of strokes")
    strokes = []
    for k, stroke in enumerate(value):
        if not isinstance(stroke, list) or not stroke:
            raise StrokeFileError(f"{where}: stroke {k} must be a non-empty list of [x, y] points")
        points = []
        for point in stroke:
            if (not isinstance(point, list) or len(point) != 2
                    or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in point)):
                raise StrokeFileError(f"{where}: stroke {k} has a point that is not [x, y]: {point!r}")
            points.append((float(point[0]), float(point[1])))
        strokes.append(points)
    return strokes


def _drawing(entry, path: Path, index: int) -> Drawing:
    where = f"{path}: entry {index}"
    if not isinstance(entry, dict):
        raise StrokeFileError(f"{where}: not an object")
    if "strokes" not in entry:
        raise StrokeFileError(f"{where}: no 'strokes'")
    strokes = _points(entry["strokes"], where)
    label, char = entry.get("label"), entry.get("char")
    if label is not None:
        if not isinstance(label, int) or isinstance(label, bool) or not 0 <= label <= 9:
            raise StrokeFileError(f"{where}: label {label!r} is not a digit 0-9")
        char = None
    elif not isinstance(char, str) or not char:
        raise StrokeFileError(f"{where}: neither a 'label' (digit) nor a 'char' (not a digit)")
    return Drawing(strokes, label, char, str(entry.get("writer", "?")), f"{path.name} #{index}")


def read_stroke_file(path: str | Path) -> list[Drawing]:
    """Every drawing in one file; StrokeFileError on the first problem, naming file and entry."""
    path = Path(path)
    entries = _read_json(path)
    if not isinstance(entries, list):
        raise StrokeFileError(f"{path}: not a JSON list of drawings")
    return [_drawing(entry, path, i) for i, entry in enumerate(entries)]


def read_stroke_files(paths: list[str | Path]) -> list[Drawing]:
    return [drawing for path in paths for drawing in read_stroke_file(path)]


# Where a person puts a digit on the 280x280 canvas: the longer side from half to four
# fifths of the canvas, near the middle or off to a side. (size, x, y) in canvas pixels,
# as fractions of the canvas; every drawing is measured at each.
PLACEMENTS = [(0.5, 0.12, 0.15), (0.65, 0.2, 0.17), (0.8, 0.1, 0.1)]


def placed(drawing: Drawing, size: float, x: float, y: float, canvas: int) -> list[Stroke]:
    """The drawing's strokes in canvas pixels: longer side `size`, box centred on the
    drawing's own width within a `size` square whose top-left is (x, y) (all fractions)."""
    width = max(px for stroke in drawing.strokes for px, _ in stroke)
    height = max(py for stroke in drawing.strokes for _, py in stroke)
    left = x + (size - size * width) / 2
    top = y + (size - size * height) / 2
    return [[((left + px * size) * canvas, (top + py * size) * canvas) for px, py in stroke]
            for stroke in drawing.strokes]


def side_by_side(drawings: list[Drawing], per_writer: int = 20, seed: int = 0) -> list[Drawing]:
    """Two-digit numbers as a person writes them when asked for one digit: two intact digits of
    one writer side by side, `per_writer` for each writer of digits, the gap between them 0.05 to
    0.3 of a digit's size (with a 20 px pen about half of them touch), in a unit box."""
    rng = np.random.default_rng(seed)
    by_writer: dict[str, list[Drawing]] = {}
    for d in drawings:
        if d.is_digit and not d.is_lost:
            by_writer.setdefault(d.writer, []).append(d)
    numbers = []
    for writer, digits in by_writer.items():
        for _ in range(per_writer):
            a, b = (digits[i] for i in rng.integers(len(digits), size=2))
            a_right = max(x for stroke in a.strokes for x, _ in stroke)
            shift = a_right + rng.uniform(0.05, 0.3) - min(x for stroke in b.strokes for x, _ in stroke)
            strokes = [list(s) for s in a.strokes] + [[(x + shift, y) for x, y in s] for s in b.strokes]
            points = np.concatenate([np.asarray(s, np.float64).reshape(-1, 2) for s in strokes])
            low, span = points.min(0), float((points.max(0) - points.min(0)).max())
            numbers.append(Drawing([[((x - low[0]) / span, (y - low[1]) / span) for x, y in s] for s in strokes],
                                   None, f"{a.label}{b.label}", writer, f"{a.source} and {b.source}"))
    return numbers
