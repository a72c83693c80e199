"""Pick a tf.distribute strategy for the machine (TensorFlow-only module).

One GPU or CPU: the default strategy. Several local GPUs: MirroredStrategy.
`TF_CONFIG` set (a cluster description): MultiWorkerMirroredStrategy. The trainer
builds and compiles the model inside `strategy.scope()` and scales the global
batch by `num_replicas_in_sync`; see docs/training.md.
"""

from __future__ import annotations

import os

import tensorflow as tf


def strategy_from_environment() -> tf.distribute.Strategy:
    """The strategy this machine calls for (never changes device settings)."""
    if os.environ.get("TF_CONFIG"):
        return tf.distribute.MultiWorkerMirroredStrategy()
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()
