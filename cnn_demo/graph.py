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
