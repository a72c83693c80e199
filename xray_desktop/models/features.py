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


def compile_features(model: Any, input_shape: tuple[int, ...]) -> Any:
    """A tf.function x -> (probabilities (n,), features (n, d)); False when no penultimate layer is reachable."""
    features = penultimate_tensor(model)
    if features is None:
        return False
    view = keras.Model(model.inputs, [model.outputs[0], features])
    spec = tf.TensorSpec((None, *input_shape), tf.float32)

    def forward(x: Any) -> Any:
        prob, feats = view(x, training=False)
        return prob[:, 0], feats

    return tf.function(forward, input_signature=[spec])
