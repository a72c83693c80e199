"""The feature vector a population gate reads, composed the same way by every runtime and explainer.

A leaf (numpy only) because both `models` (the forward passes) and `explain` (the CAM passes, which also
feed the gate) build it, and neither imports the other. Why the layer statistics: `models.population_gate`.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def gate_features(embedding: np.ndarray, activations: np.ndarray | None = None) -> np.ndarray:
    """(n, d) embeddings, plus the (n, h, w, c) layer's channel means and standard deviations when given."""
    emb = np.atleast_2d(np.asarray(embedding, dtype=np.float32))
    if activations is None:
        return emb
    acts = np.asarray(activations, dtype=np.float32)
    return np.concatenate([emb, acts.mean(axis=(1, 2)), acts.std(axis=(1, 2))], axis=1)


def with_gate_layer(explainer: Any, layer: str | None) -> Any:
    """Tell an explainer which layer's statistics the gate reads, so its features match the gate's."""
    if hasattr(explainer, "gate_layer"):
        explainer.gate_layer = layer
    return explainer
