"""The penultimate features of a classifier, from the same compiled pass as its probability.

The population gate needs the embedding a model's head reads (the input of its final sigmoid Dense:
`gap`, after dropout, which is the identity at inference). TensorFlow only: import lazily.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf


def penultimate_tensor(model: Any) -> Any | None:
    """The symbolic input of the model's final Dense layer, or None when the head is something else."""
    head = model.layers[-1]
    if not isinstance(head, keras.layers.Dense):
        return None
    try:
        return head.input
    except (AttributeError, ValueError):
        return None


def layer_tensor(model: Any, name: str) -> Any | None:
    """The symbolic output of the top-level layer `name`, or None when the model has no such layer."""
    try:
        return model.get_layer(name).output
    except (ValueError, AttributeError):
        return None


def compile_features(model: Any, input_shape: tuple[int, ...], layer: str | None = None) -> Any:
    """A tf.function x -> (probabilities (n,), features (n, d), activations of `layer` (n, h, w, c) or None).

    False when no penultimate layer (or the named `layer`) is reachable.
    """
    features = penultimate_tensor(model)
    extra = layer_tensor(model, layer) if layer else None
    if features is None or (layer and extra is None):
        return False
    view = keras.Model(model.inputs, [model.outputs[0], features, *([extra] if extra is not None else [])])
    spec = tf.TensorSpec((None, *input_shape), tf.float32)

    def forward(x: Any) -> Any:
        prob, feats, *acts = view(x, training=False)
        return prob[:, 0], feats, (acts[0] if acts else None)

    return tf.function(forward, input_signature=[spec])
