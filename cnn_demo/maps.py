"""Feature maps and filters as the page draws them: one small picture per layer, numbered channels.

Each layer's channels are tiled into one palette PNG at the maps' own resolution (a
28x28 channel is 28x28 pixels) with transparent one-pixel gaps; the browser scales it up
with `image-rendering: pixelated`, so the cells stay as large and as sharp as before while
a drawing costs a few kilobytes per layer instead of the ~60 KB of a server-side upscale.
Channel numbers and the colour bar are HTML laid over and beside the picture, so the same
numbers can be used on the maps and on the learned filters.

Colours: a layer whose values are all >= 0 uses viridis (dark: silent, yellow: the layer's
strongest response). A layer with negative values uses a two-sided scale with the same dark
zero: blue below, orange above, symmetric about zero.
"""

from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

CELL_PX = 56  # on-screen size of one channel's cell, as before the pictures went native
# Cells smaller than this are repeated pixel for pixel first, so the one-pixel gap between
# cells stays thin on screen (a 3x3 kernel shown 72 px wide would otherwise get 24 px gaps).
MIN_CELL = 14

# Viridis sampled at nine points: perceptually even, readable for colour-blind eyes.
VIRIDIS_ANCHORS = [
    (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
    (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
]
# Two-sided, dark at zero like viridis: light blue (most negative) .. near-black .. pale yellow.
SIGNED_ANCHORS = [
    (198, 219, 239), (107, 174, 214), (33, 113, 181), (8, 48, 107), (20, 20, 24),
    (127, 39, 4), (217, 72, 1), (253, 141, 60), (254, 227, 145),
]


def _palette(anchors: list[tuple[int, int, int]], n: int = 255) -> np.ndarray:
    a = np.asarray(anchors, np.float32)
    at = np.linspace(0, 1, len(a))
    return np.stack([np.interp(np.linspace(0, 1, n), at, a[:, c]) for c in range(3)], -1).round().astype(np.uint8)


GREY_ANCHORS = [(0, 0, 0), (255, 255, 255)]
VIRIDIS = _palette(VIRIDIS_ANCHORS)
SIGNED = _palette(SIGNED_ANCHORS)
GREY = _palette(GREY_ANCHORS)
TRANSPARENT = 255  # palette index of the gaps


@dataclass(frozen=True)
class Scale:
    """How a layer's values map to colours: [0, high] on viridis, or [-high, high] two-sided."""

    signed: bool
    high: float
    grey: bool = False  # black to white instead of viridis, for pictures of inputs

    @classmethod
    def of(cls, values: np.ndarray) -> Scale:
        values = np.asarray(values)
        signed = bool((values < 0).any())
        high = float(np.abs(values).max()) if values.size else 0.0
        return cls(signed, high)

    @property
    def anchors(self) -> list[tuple[int, int, int]]:
        return SIGNED_ANCHORS if self.signed else GREY_ANCHORS if self.grey else VIRIDIS_ANCHORS

    @property
    def colours(self) -> np.ndarray:
        return SIGNED if self.signed else GREY if self.grey else VIRIDIS

    def indices(self, values: np.ndarray) -> np.ndarray:
        """Palette indices 0..254 for values."""
        if self.high <= 0:
            t = np.full(values.shape, 0.5 if self.signed else 0.0)
        elif self.signed:
            t = (np.clip(values / self.high, -1, 1) + 1) / 2
        else:
            t = np.clip(values / self.high, 0, 1)
        return (t * (len(self.colours) - 1)).round().astype(np.uint8)

    def css_gradient(self) -> str:
        stops = ", ".join(f"rgb{a}" for a in self.anchors)
        return f"linear-gradient(to right, {stops})"

    def ends(self) -> tuple[str, str]:
        low = f"{-self.high:.3g}" if self.signed else "0"
        return low, f"{self.high:.3g}"


def grid_shape(channels: int) -> tuple[int, int]:
    """(rows, columns) near a 2:1 landscape rectangle: 64 -> 4x16, 32 -> 4x8, 16 -> 2x8."""
    columns = 2 ** math.ceil(math.log2(math.sqrt(channels * 2))) if channels > 1 else 1
    return math.ceil(channels / columns), columns


def tile_png(values: np.ndarray, scale: Scale) -> tuple[bytes, int, int]:
    """(H, W, C) values -> (palette PNG with one cell per channel and 1 px transparent gaps,
    rows, columns)."""
    h, w, n = values.shape
    rows, columns = grid_shape(n)
    grid = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), TRANSPARENT, np.uint8)
    index = scale.indices(values)
    for i in range(n):
        r, k = divmod(i, columns)
        grid[r * (h + 1): r * (h + 1) + h, k * (w + 1): k * (w + 1) + w] = index[:, :, i]
    image = Image.fromarray(grid, mode="L").convert("P")
    palette = np.zeros((256, 3), np.uint8)
    palette[: len(scale.colours)] = scale.colours
    image.putpalette(palette.flatten().tolist())
    buffer = io.BytesIO()
    # zlib's default level, without optimize=True: as small within 1 KiB per layer, 2-10x quicker
    # to write (Pooled's four layers: 3 ms instead of 12-30 ms; Residual's: 6 ms instead of 12 ms)
    image.save(buffer, format="PNG", transparency=TRANSPARENT)
    return buffer.getvalue(), rows, columns


def grid_html(values: np.ndarray, scale: Scale | None = None, cell: int = CELL_PX,
              caption: str = "", labels: list[str] | None = None, ends: tuple[str, str] | None = None) -> str:
    """One layer's channels as an HTML block: the picture, channel numbers (or `labels`) on it,
    a colour bar (its two ends labelled by `ends`, else by the scale's values)."""
    scale = scale or Scale.of(values)
    n = values.shape[2]
    repeat = math.ceil(MIN_CELL / values.shape[0]) if values.shape[0] < MIN_CELL else 1
    values = np.repeat(np.repeat(values, repeat, axis=0), repeat, axis=1)
    png, rows, columns = tile_png(values, scale)
    h, w = values.shape[:2]
    width = columns * cell + (columns - 1) * max(1, round(cell / w))
    data = base64.b64encode(png).decode()
    numbers = "".join(f"<span>{html.escape(str(label))}</span>" for label in (labels or range(n)))
    bar = colour_bar_html(scale, *(ends or scale.ends()))
    label = f' aria-label="{html.escape(caption)}"' if caption else ""
    return (f'<div class="cnn-maps" style="max-width:{width}px">'
            f'<div class="cnn-grid" style="--cols:{columns};--rows:{rows};--gapx:{1 / (columns * (w + 1) - 1):.6f};'
            f'--gapy:{1 / (rows * (h + 1) - 1):.6f}">'
            f'<img src="data:image/png;base64,{data}" alt=""{label}>'
            f'<div class="cnn-numbers">{numbers}</div></div>{bar}</div>')


def each_channel_scaled(values: np.ndarray) -> np.ndarray:
    """(H, W, C) values with each channel divided by its own largest magnitude (so in [-1, 1]):
    a weak channel's shape shows as clearly as a strong one's."""
    values = np.asarray(values, np.float32)
    high = np.abs(values).max(axis=(0, 1), keepdims=True)
    return np.divide(values, high, out=np.zeros_like(values), where=high > 0)


def colour_bar_html(scale: Scale, low: str, high: str) -> str:
    """A small horizontal colour bar with its two ends labelled (and zero marked when two-sided)."""
    zero = ' class="signed" title="0 is in the middle"' if scale.signed else ""
    return (f'<div class="cnn-bar"><span>{html.escape(low)}</span><i{zero} style="background:'
            f'{scale.css_gradient()}"></i><span>{html.escape(high)}</span></div>')


def number_grid_html(values: np.ndarray, title: str, highlight: tuple[int, int] | None = None) -> str:
    """A small grid of numbers (a patch, a kernel, a pooling window), one cell highlighted."""
    rows = []
    for r, row in enumerate(np.asarray(values, np.float64)):
        cells = []
        for c, v in enumerate(row):
            mark = ' class="win"' if highlight is not None and (r, c) == tuple(highlight) else ""
            cells.append(f"<td{mark}>{'·' if not np.isfinite(v) else f'{v:.3f}'}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f'<figure class="cnn-numbers-grid"><figcaption>{html.escape(title)}</figcaption>' \
           f'<table>{"".join(rows)}</table></figure>'


# Styles for the blocks above: the picture scales with pixels kept square and hard-edged;
# the numbers sit in each cell's corner; colours come from the page's theme variables.
STYLE = """
<style>
.cnn-maps { width: 100%; margin: 0.1rem 0 0.6rem 0; }
.cnn-grid { position: relative; width: 100%; line-height: 0; }
.cnn-grid img { width: 100%; height: auto; image-rendering: pixelated; image-rendering: crisp-edges; }
.cnn-numbers { position: absolute; inset: 0; display: grid;
  grid-template-columns: repeat(var(--cols), 1fr); grid-template-rows: repeat(var(--rows), 1fr);
  column-gap: calc(100% * var(--gapx)); row-gap: calc(100% * var(--gapy)); pointer-events: none; }
.cnn-numbers span { font: 9px/1 ui-monospace, monospace; color: #fff; opacity: 0.75;
  padding: 1px 2px; text-shadow: 0 0 2px #000, 0 0 2px #000; align-self: start; justify-self: start; }
.cnn-bar { display: flex; align-items: center; gap: 0.4rem; margin-top: 0.25rem;
  font: 11px/1.2 ui-monospace, monospace; opacity: 0.85; max-width: 20rem; }
.cnn-numbers-grid { display: inline-block; margin: 0 1.2rem 0.6rem 0; vertical-align: top; }
.cnn-numbers-grid figcaption { font-size: 0.8rem; opacity: 0.75; margin-bottom: 0.2rem; }
.cnn-numbers-grid table { border-collapse: collapse; font: 12px/1.3 ui-monospace, monospace; }
.cnn-numbers-grid td { border: 1px solid rgba(128, 128, 128, 0.45); padding: 0.2rem 0.4rem; text-align: right; }
.cnn-numbers-grid td.win { font-weight: 700; color: #e8590c; }
.cnn-bar i { flex: 1; height: 8px; border-radius: 2px; position: relative; }
.cnn-bar i.signed::after { content: ""; position: absolute; left: 50%; top: -3px; bottom: -3px;
  width: 1px; background: currentColor; }
</style>
"""
