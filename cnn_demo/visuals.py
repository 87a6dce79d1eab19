"""Pictures and charts of a network for the page: plain numpy in, images, rows or Altair charts out.

Feature-map and filter grids are in `cnn_demo.maps`; this module decides which layers
are shown and how, and draws everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from cnn_demo.data import IMAGE_SHAPE, NUM_CLASSES
from cnn_demo.graph import inbound
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
    flattening and dropout; batch normalisation and activation maps folded unless `every_layer`."""
    views, previous, folded = [], None, []
    for layer in layers:
        act = activations[layer.name]
        kind = type(layer).__name__
        sources = layer_inputs(layer)
        fed_by = f" · from {' + '.join(sources)}" if previous and sources != [previous] else ""
        previous = layer.name
        if not every_layer and kind in FOLDED_KINDS and is_map(act):
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


def probability_chart(probabilities: np.ndarray, top: int) -> altair.Chart:
    """The ten digits' probabilities as bars, the most probable one highlighted."""
    import altair as alt

    values = [{"digit": d, "probability": float(p), "top": i == top}
              for i, (d, p) in enumerate(zip(DIGITS, probabilities))]
    return alt.Chart(alt.Data(values=values)).mark_bar().encode(
        x=alt.X("digit:N", title="digit", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("probability:Q", title=None, stack=None, scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
        color=alt.condition("datum.top", alt.value("#e8590c"), alt.value("#4c8bd6")),
        tooltip=[alt.Tooltip("digit:N"), alt.Tooltip("probability:Q", format=".1%")],
    ).properties(height=150)


def vector_chart(values: np.ndarray) -> altair.Chart:
    """A dense layer's units as bars, numbered from 0 (digits for a ten-unit output)."""
    import altair as alt

    names = DIGITS if values.size == NUM_CLASSES else [str(i) for i in range(values.size)]
    title = "digit" if values.size == NUM_CLASSES else "unit"
    data = [{"unit": n, "activation": float(v)} for n, v in zip(names, values)]
    return alt.Chart(alt.Data(values=data)).mark_bar(color="#4c8bd6").encode(
        x=alt.X("unit:N", title=title, sort=names, axis=alt.Axis(labelAngle=0, labelOverlap=True)),
        # an explicit domain: Vega draws before Streamlit hands it the data, and warns of an
        # "infinite extent" for a domain it would compute from no data
        y=alt.Y("activation:Q", title=None, stack=None,
                scale=alt.Scale(domain=[min(0.0, float(values.min())), max(float(values.max()), 1e-6)])),
        tooltip=[alt.Tooltip("unit:N", title=title), alt.Tooltip("activation:Q", format=".3f")],
    ).properties(height=150)


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
            "Params": row.get("params"),
            "Recipe": {"drawings": "MNIST + pen drawings", "mnist": "MNIST"}.get(row.get("recipe", "mnist")),
            "Epochs": str(row.get("epochs", "—")),
            "s/epoch here": "—" if seconds is None else f"{seconds:.1f}",
            "MNIST test here": _pct(row.get("test_accuracy")),
            "Pen digits, new writers": _pct(pen_digits.get(name)),
            "Tutorial: s/epoch": "—" if arch.article_seconds_per_epoch is None
            else f"{arch.article_seconds_per_epoch:g}",
            "Tutorial: MNIST test": _pct(arch.article_accuracy),
        })
    return rows


UNIT_SELECTION = "unit"  # the name of the click selection on a unit chart
FIELD_COLOUR = (255, 140, 0)


def unit_chart(values: np.ndarray, selected: tuple | None, dark: bool = False) -> altair.Chart:
    """One channel's map (H, W) as clickable cells, or a vector (N,) as clickable bars; the
    selected unit outlined. A click selects a unit: the selection is named `UNIT_SELECTION`."""
    import altair as alt

    from cnn_demo.maps import Scale

    scale = Scale.of(values)
    anchors = scale.anchors
    low = -scale.high if scale.signed else 0.0
    colours = alt.Scale(domain=[float(v) for v in np.linspace(low, scale.high or 1.0, len(anchors))],
                        range=[f"rgb{a}" for a in anchors])
    pick = alt.selection_point(name=UNIT_SELECTION, fields=["row", "col"] if values.ndim == 2 else ["index"],
                               on="click", clear=False)
    outline = "white" if dark else "black"
    if values.ndim == 2:
        rows = [{"row": r, "col": c, "value": float(values[r, c]),
                 "chosen": selected is not None and (r, c) == tuple(selected[:2])}
                for r in range(values.shape[0]) for c in range(values.shape[1])]
        side = 15 if values.shape[0] <= 14 else 10
        chart = alt.Chart(alt.Data(values=rows)).mark_rect(stroke=outline).encode(
            x=alt.X("col:O", title="column", axis=alt.Axis(labelAngle=0, values=list(range(0, values.shape[1], 4)))),
            y=alt.Y("row:O", title="row", axis=alt.Axis(values=list(range(0, values.shape[0], 4)))),
            color=alt.Color("value:Q", scale=colours, legend=alt.Legend(orient="right", title=None)),
            strokeWidth=alt.condition("datum.chosen", alt.value(3), alt.value(0)),
            tooltip=["row:O", "col:O", alt.Tooltip("value:Q", format=".4f")],
        ).properties(width=values.shape[1] * side * 2, height=values.shape[0] * side * 2)
    else:
        rows = [{"index": i, "value": float(v), "chosen": selected is not None and i == selected[0]}
                for i, v in enumerate(values)]
        chart = alt.Chart(alt.Data(values=rows)).mark_bar(stroke=outline).encode(
            x=alt.X("index:O", title="unit", axis=alt.Axis(labelAngle=0, labelOverlap=True)),
            y=alt.Y("value:Q", title=None, stack=None,
                    scale=alt.Scale(domain=[min(0.0, float(values.min())), max(float(values.max()), 1e-6)])),
            color=alt.value("#4c8bd6"),
            strokeWidth=alt.condition("datum.chosen", alt.value(3), alt.value(0)),
            tooltip=["index:O", alt.Tooltip("value:Q", format=".4f")],
        ).properties(height=180)
    return chart.add_params(pick)


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
    return {"Architecture": label, "Params": params, "Recipe": "yours", "Epochs": "—", "s/epoch here": "—",
            "MNIST test here": _pct(test_accuracy), "Pen digits, new writers": "—",
            "Tutorial: s/epoch": "—", "Tutorial: MNIST test": "—"}


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
