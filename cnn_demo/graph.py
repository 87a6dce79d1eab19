"""A model's layers as a graph: which layers feed which. Shared by the views that walk it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras


def is_input(layer) -> bool:
    import keras

    return isinstance(layer, keras.layers.InputLayer)


def inbound(layer) -> list:
    """The layers whose outputs `layer` reads: one for a chain, several where branches merge;
    the InputLayer for the first layer of a model."""
    import keras

    if is_input(layer):
        return []
    return [t._keras_history.operation for t in keras.tree.flatten(layer.input)]


def penultimate_layer(model: keras.Model) -> str:
    """The layer whose output the final (softmax) layer reads, looking through dropout
    (which passes everything on when reading)."""
    import keras

    layer = inbound(model.layers[-1])[0]
    while isinstance(layer, keras.layers.Dropout):
        layer = inbound(layer)[0]
    return layer.name


def inside_blocks(layers: list) -> frozenset[str]:
    """The layers inside a branching block (a residual block's convolutions, an inception
    module's branches): those a path from the input to the last layer can go around. A
    chain has none; the block's join (Add, Concatenate) and what follows are on every path.

    0.15 ms for Residual's 40 layers, so it is not cached: a cache would keep the models
    trained in sessions alive after their sessions are gone."""
    names = {layer.name for layer in layers}
    fed = {layer.name: [s.name for s in inbound(layer) if s.name in names] for layer in layers}
    starts = [layer.name for layer in layers if not fed[layer.name]]
    last = layers[-1].name
    feeds: dict[str, list[str]] = {name: [] for name in names}
    for name, sources in fed.items():
        for source in sources:
            feeds[source].append(name)

    def reaches_last_without(skipped: str) -> bool:
        seen, todo = set(), [s for s in starts if s != skipped]
        while todo:
            name = todo.pop()
            if name == last:
                return True
            if name not in seen:
                seen.add(name)
                todo += [n for n in feeds[name] if n != skipped]
        return False

    return frozenset(layer.name for layer in layers[:-1] if reaches_last_without(layer.name))
