"""Pictures and charts of a network for the page: plain numpy in, images, rows, Altair charts or
Vega-Lite specs out (the drawing's bar charts are HTML, in `cnn_demo.bars`).

Feature-map and filter grids are in `cnn_demo.maps`; this module decides which layers
are shown and how, and draws everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from cnn_demo.data import IMAGE_SHAPE, NUM_CLASSES
from cnn_demo.graph import inbound, inside_blocks
from cnn_demo.maps import VIRIDIS

if TYPE_CHECKING:
    import altair
    import keras

    from cnn_demo.progress import ProgressSnapshot

MAX_CURVE_POINTS = 300
DIGITS = [str(d) for d in range(NUM_CLASSES)]
# Layers that rescale, clip or pass on the layer before them: folded away unless asked for.
FOLDED_KINDS = ("BatchNormalization", "Activation", "Dropout")
# Train and validation curves, readable on a light and on a dark background alike.
CURVE_COLOURS = {False: ["#1f77b4", "#e8590c"], True: ["#74c0fc", "#ffa94d"]}


def to_grey(image: np.ndarray) -> np.ndarray:
    """A model input (28, 28, 1) in [0, 1] as a (28, 28) uint8 picture."""
    return (np.asarray(image).reshape(image.shape[0], image.shape[1]) * 255).round().astype(np.uint8)


def enlarge(image: np.ndarray, size: int = 112) -> np.ndarray:
    """Upscale a small greyscale image with hard pixel edges, so each pixel stays visible."""
    image = np.asarray(image, dtype=np.uint8)
    h, w = image.shape[:2]
    scale = size / max(h, w)
    return np.asarray(Image.fromarray(image).resize(
        (max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.NEAREST))


def is_map(activation: np.ndarray) -> bool:
    """True for (H, W, C) feature maps, False for flat vectors."""
    return activation.ndim == 3


@dataclass(frozen=True)
class LayerView:
    """How one layer appears under "Inside the network"."""

    kind: str  # "maps", "vector", "note" (one line, no picture) or "folded"
    heading: str
    values: np.ndarray | None = None


def layer_inputs(layer) -> list[str]:
    """Names of the layers feeding `layer`: one for a chain, several where branches merge."""
    return [source.name for source in inbound(layer)]


def layer_views(layers: list, activations: dict[str, np.ndarray], every_layer: bool = False) -> list[LayerView]:
    """What to show of each layer: maps for (H, W, C) outputs, bars for vectors, one line for
    flattening and dropout. Unless `every_layer`, folded: batch normalisation and activation
    maps, and the maps inside a residual or inception block, whose join shows what they made.

    Folding the blocks' insides took Residual from 16 pictures of maps per drawing to 6 and
    Inception from 19 to 5: pen-up -> Prediction went from 1.30x the floor page to 1.16x and 1.19x
    (`python -m cnn_demo.bench --sections end_to_end bytes`)."""
    inside = inside_blocks(layers)
    views, previous, folded = [], None, []
    for layer in layers:
        act = activations[layer.name]
        kind = type(layer).__name__
        sources = layer_inputs(layer)
        fed_by = f" · from {' + '.join(sources)}" if previous and sources != [previous] else ""
        previous = layer.name
        if not every_layer and is_map(act) and (kind in FOLDED_KINDS or layer.name in inside):
            folded.append(layer.name)
            continue
        if folded:
            views.append(LayerView("folded", f"⋯ folded: {', '.join(folded)}"))
            folded = []
        shape = "×".join(str(d) for d in act.shape)
        if kind == "Dropout":
            views.append(LayerView("note", f"**{layer.name}** · Dropout · passes everything through when "
                                           "reading; while training it silences random units"))
        elif is_map(act):
            views.append(LayerView("maps", f"**{layer.name}** · {kind} · {shape}{fed_by}", act))
        elif kind == "Flatten":
            views.append(LayerView("note", f"**{layer.name}** · {' + '.join(sources)} laid end to end: "
                                           f"{act.size:,} numbers into the dense layers"))
        else:
            views.append(LayerView("vector", f"**{layer.name}** · {kind} · {act.size} units{fed_by}", act))
    return views


def summary_rows(model: keras.Model) -> list[dict]:
    """One row per layer: name, type, output shape, params (what `model.summary()` prints)."""
    import keras

    return [
        {
            "Layer": layer.name,
            "Type": type(layer).__name__,
            "Output": "×".join(str(d) for d in layer.output.shape[1:]),
            "Params": layer.count_params(),
        }
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]


def training_curves(snapshot: ProgressSnapshot, max_points: int = MAX_CURVE_POINTS) -> list[dict]:
    """Long-format rows (epoch, metric, split, value) for loss and accuracy curves.

    Training values come from the batches (thinned to at most `max_points`), validation
    values from each completed epoch's end.
    """
    batches = snapshot.batches
    step = max(1, -(-len(batches) // max_points))
    kept = batches[step - 1::step]
    if batches and (not kept or kept[-1] is not batches[-1]):
        kept.append(batches[-1])
    rows = []
    for b in kept:
        x = b.epoch + b.batch / b.batches_per_epoch
        rows += [{"epoch": x, "metric": "loss", "split": "train", "value": b.loss},
                 {"epoch": x, "metric": "accuracy", "split": "train", "value": b.accuracy}]
    for e in snapshot.epoch_ends:
        if e.val_loss is not None:
            rows += [{"epoch": e.epoch + 1, "metric": "loss", "split": "validation", "value": e.val_loss},
                     {"epoch": e.epoch + 1, "metric": "accuracy", "split": "validation", "value": e.val_accuracy}]
    return rows


def curves_chart(rows: list[dict], metric: str, epochs: int, dark: bool = False) -> altair.Chart:
    """Train line and validation points for one metric, on an x axis spanning all epochs."""
    import altair as alt

    values = [r for r in rows if r["metric"] == metric and np.isfinite(r["value"])]
    found = [r["value"] for r in values] or [0.0, 1.0]
    low, high = min(found), max(found)
    pad = max((high - low) * 0.05, 1e-3)
    base = alt.Chart(alt.Data(values=values)).encode(
        x=alt.X("epoch:Q", title="epoch", scale=alt.Scale(domain=[0, epochs])),
        y=alt.Y("value:Q", title=metric, scale=alt.Scale(domain=[low - pad, high + pad])),
        color=alt.Color("split:N", title=None, scale=alt.Scale(
            domain=["train", "validation"], range=CURVE_COLOURS[dark]), legend=alt.Legend(orient="bottom")),
    )
    return (base.mark_line(strokeWidth=2) + base.mark_point(filled=True, size=70).transform_filter(
        alt.datum.split == "validation")).properties(height=200)


def first_layer_weights(model: keras.Model) -> tuple[str, np.ndarray, bool] | None:
    """(layer name, (H, W, N) weights, dense?) of the first layer that looks at the image directly.

    For a convolution: its N kernels. For a dense layer on the flattened image: each
    unit's 784 weights as a 28x28 picture of what the unit looks for.
    """
    import keras

    pixels = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D) and layer.kernel.shape[2] == 1:
            return layer.name, np.asarray(layer.kernel, dtype=np.float32)[:, :, 0, :], False
        if isinstance(layer, keras.layers.Dense):
            kernel = np.asarray(layer.kernel, dtype=np.float32)
            if kernel.shape[0] == pixels:
                return layer.name, kernel.reshape(IMAGE_SHAPE[0], IMAGE_SHAPE[1], -1), True
            return None
    return None


def saliency_overlay(image: np.ndarray, saliency: np.ndarray, size: int = 224) -> np.ndarray:
    """The 28x28 input in grey with the saliency laid over it in viridis, enlarged."""
    grey = np.repeat(np.asarray(image, np.float32).reshape(IMAGE_SHAPE[:2] + (1,)) * 255, 3, axis=-1)
    heat = VIRIDIS[(np.clip(saliency, 0, 1) * (len(VIRIDIS) - 1)).round().astype(int)].astype(np.float32)
    alpha = 0.35 + 0.65 * saliency[..., np.newaxis]
    blended = (alpha * heat + (1 - alpha) * grey * 0.6).round().astype(np.uint8)
    return np.asarray(Image.fromarray(blended).resize((size, size), Image.Resampling.NEAREST))


def confusion_chart(confusion: np.ndarray) -> altair.Chart:
    """Counts of true digit (rows) against predicted digit (columns): correct readings in green,
    mistakes from light to deep orange by count, empty cells left clear, every number readable."""
    import altair as alt

    mistakes = confusion[~np.eye(NUM_CLASSES, dtype=bool)]
    worst = max(int(mistakes.max()), 1)
    light, deep = np.array([253, 208, 162]), np.array([166, 54, 3])

    def colours(t: int, p: int) -> tuple[str, str]:
        count = int(confusion[t, p])
        if t == p:
            return "#2f9e44", "white"
        if count == 0:
            return "transparent", "black"
        share = count / worst
        rgb = (light + (deep - light) * share).round().astype(int)
        return f"rgb({rgb[0]},{rgb[1]},{rgb[2]})", "white" if share > 0.5 else "black"

    values = []
    for t in range(NUM_CLASSES):
        for p in range(NUM_CLASSES):
            fill, ink = colours(t, p)
            values.append({"true": t, "predicted": p, "count": int(confusion[t, p]), "fill": fill, "ink": ink})
    base = alt.Chart(alt.Data(values=values)).encode(
        x=alt.X("predicted:O", title="read as", axis=alt.Axis(labelAngle=0)), y=alt.Y("true:O", title="true digit"),
        tooltip=[alt.Tooltip("true:O", title="true digit"), alt.Tooltip("predicted:O", title="read as"),
                 alt.Tooltip("count:Q")])
    cells = base.mark_rect(stroke="#8886", strokeWidth=0.5).encode(color=alt.Color("fill:N", scale=None))
    text = base.mark_text(fontSize=11).encode(
        text=alt.condition("datum.count > 0", "count:Q", alt.value("")), color=alt.Color("ink:N", scale=None))
    return (cells + text).properties(height=360)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"


def comparison_rows(metrics: dict[str, dict], pen_digits: dict[str, float] | None = None) -> list[dict]:
    """One row per registry architecture: measured here beside the tutorial's published figures.

    The accuracies come right after the name: on a 1024 px projector with the sidebar open the
    table shows four of its nine columns before it scrolls, and with the accuracies last it
    showed none of them.

    `pen_digits`: the share of real pen digits by unseen writers each model reads right
    (from `python -m cnn_demo.evaluate`), where measured. Missing figures show as "—".
    """
    from cnn_demo.architectures import ARCHITECTURES

    pen_digits = pen_digits or {}
    rows = []
    for name, arch in ARCHITECTURES.items():
        row = metrics.get(name, {})
        seconds = row.get("seconds_per_epoch")
        rows.append({
            "Architecture": arch.label,
            "MNIST test here": _pct(row.get("test_accuracy")),
            "Pen digits, new writers": _pct(pen_digits.get(name)),
            "Tutorial: MNIST test": _pct(arch.article_accuracy),
            "Params": row.get("params"),
            "Recipe": {"drawings": "MNIST + pen drawings", "mnist": "MNIST"}.get(row.get("recipe", "mnist"))
                      + (", augmented" if row.get("augmented") else "")
                      + (", distilled" if row.get("teachers") else ""),
            "Epochs": str(row.get("epochs", "—")),
            "s/epoch here": "—" if seconds is None else f"{seconds:.1f}",
            "Tutorial: s/epoch": "—" if arch.article_seconds_per_epoch is None
            else f"{arch.article_seconds_per_epoch:g}",
        })
    return rows


UNIT_SELECTION = "unit"  # the name of the click selection on a unit chart
FIELD_COLOUR = (255, 140, 0)


def unit_chart(values: np.ndarray, selected: tuple | None, dark: bool = False) -> dict:
    """One channel's map (H, W) as clickable cells, or a vector (N,) as clickable bars; the
    selected unit outlined. A click selects a unit: the selection is named `UNIT_SELECTION`.

    A plain Vega-Lite spec for `st.vega_lite_chart`, not an Altair chart: Altair took 130 ms to
    build and validate the 784 cells of a 28x28 map, a third of a click's time here (p50 448 ms
    -> 148 ms, `python -m cnn_demo.bench --sections unit_click`); this takes under a millisecond."""
    from cnn_demo.maps import Scale

    scale = Scale.of(values)
    anchors = scale.anchors
    low = -scale.high if scale.signed else 0.0
    colours = {"domain": [float(v) for v in np.linspace(low, scale.high or 1.0, len(anchors))],
               "range": [f"rgb{a}" for a in anchors]}
    fields = ["row", "col"] if values.ndim == 2 else ["index"]
    stroke = "white" if dark else "black"
    outline = {"condition": {"test": "datum.chosen", "value": 3}, "value": 0}
    spec: dict = {"params": [{"name": UNIT_SELECTION,
                              "select": {"type": "point", "fields": fields, "on": "click", "clear": False}}]}
    if values.ndim == 2:
        rows, cols = np.indices(values.shape)
        chosen = np.zeros(values.shape, bool)
        if selected is not None:
            chosen[tuple(selected[:2])] = True
        side = 15 if values.shape[0] <= 14 else 10
        return {**spec,
                "data": {"values": [{"row": int(r), "col": int(c), "value": float(v), "chosen": bool(k)}
                                    for r, c, v, k in zip(rows.flat, cols.flat, values.flat, chosen.flat)]},
                "mark": {"type": "rect", "stroke": stroke},
                "width": values.shape[1] * side * 2, "height": values.shape[0] * side * 2,
                "encoding": {
                    "x": {"field": "col", "type": "ordinal", "title": "column",
                          "axis": {"labelAngle": 0, "values": list(range(0, values.shape[1], 4))}},
                    "y": {"field": "row", "type": "ordinal", "title": "row",
                          "axis": {"values": list(range(0, values.shape[0], 4))}},
                    "color": {"field": "value", "type": "quantitative", "scale": colours,
                              "legend": {"orient": "right", "title": None}},
                    "strokeWidth": outline,
                    "tooltip": [{"field": "row", "type": "ordinal"}, {"field": "col", "type": "ordinal"},
                                {"field": "value", "type": "quantitative", "format": ".4f"}]}}
    return {**spec,
            "data": {"values": [{"index": i, "value": float(v), "chosen": selected is not None and i == selected[0]}
                                for i, v in enumerate(values)]},
            "mark": {"type": "bar", "stroke": stroke},
            "height": 180,
            "encoding": {
                "x": {"field": "index", "type": "ordinal", "title": "unit",
                      "axis": {"labelAngle": 0, "labelOverlap": True}},
                "y": {"field": "value", "type": "quantitative", "title": None, "stack": None,
                      "scale": {"domain": [min(0.0, float(values.min())), max(float(values.max()), 1e-6)]}},
                "color": {"value": "#4c8bd6"},
                "strokeWidth": outline,
                "tooltip": [{"field": "index", "type": "ordinal"},
                            {"field": "value", "type": "quantitative", "format": ".4f"}]}}


def with_box(image: np.ndarray, box: tuple[float, float, float, float] | None, size: int) -> np.ndarray:
    """A grey image enlarged to `size` px with a box (top, bottom, left, right, in the image's own
    pixels) outlined: where a unit looks."""
    from PIL import ImageDraw

    image = np.asarray(image, np.uint8)
    h, w = image.shape[:2]
    factor = size / max(h, w)
    big = Image.fromarray(image).convert("RGB").resize((round(w * factor), round(h * factor)),
                                                      Image.Resampling.NEAREST)
    if box is not None:
        top, bottom, left, right = (v * factor for v in box)
        ImageDraw.Draw(big).rectangle([left, top, right - 1, bottom - 1], outline=FIELD_COLOUR, width=3)
    return np.asarray(big)


def explainable_layers(layers: list, activations: dict[str, np.ndarray]) -> list[str]:
    """The layers whose units "Look inside a unit" can explain: all but flattening."""
    return [layer.name for layer in layers if type(layer).__name__ != "Flatten"]


def own_comparison_row(label: str, params: int, test_accuracy: float) -> dict:
    """A visitor's uploaded model, in the comparison table's columns."""
    return {"Architecture": label, "MNIST test here": _pct(test_accuracy), "Pen digits, new writers": "—",
            "Tutorial: MNIST test": "—", "Params": params, "Recipe": "yours", "Epochs": "—",
            "s/epoch here": "—", "Tutorial: s/epoch": "—"}


def space_chart(space, xy: np.ndarray, digit: int) -> altair.Chart:
    """The test digits as dots coloured by their label, the drawing as a large star."""
    import altair as alt

    dots = [{"x": round(float(a), 2), "y": round(float(b), 2), "digit": str(label)}
            for (a, b), label in zip(space.test_xy, space.test_labels)]
    legend = alt.Legend(orient="right", title="digit")
    colour = alt.Color("digit:N", scale=alt.Scale(scheme="category10", domain=DIGITS), legend=legend)
    low, high = space.test_xy.min(axis=0), space.test_xy.max(axis=0)
    lows, highs = np.minimum(low, xy) - 0.5, np.maximum(high, xy) + 0.5
    x = alt.X("x:Q", title="first principal direction", scale=alt.Scale(domain=[float(lows[0]), float(highs[0])]))
    y = alt.Y("y:Q", title="second", scale=alt.Scale(domain=[float(lows[1]), float(highs[1])]))
    cloud = alt.Chart(alt.Data(values=dots)).mark_circle(size=14, opacity=0.55).encode(
        x=x, y=y, color=colour, tooltip=["digit:N"])
    star = alt.Chart(alt.Data(values=[{"x": float(xy[0]), "y": float(xy[1]), "digit": str(digit)}])).mark_point(
        shape="diamond", size=420, filled=True, stroke="black", strokeWidth=2).encode(
        x=x, y=y, color=colour, tooltip=[alt.Tooltip("digit:N", title="your drawing, read as")])
    return (cloud + star).properties(height=420)
