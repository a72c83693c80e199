"""Choose a model's CAM layers by measurement, not by habit (the result goes into the registry's `cam_layers`).

Candidates are the last layer at each feature-map resolution with a stride of at least 8 (finer
layers see edges, not findings). Among those with at least 14x14 cells, where the model has any,
the one whose Grad-CAM maps give the lowest mean deletion AUC on the given films wins; Layer-CAM
fuses it with a second layer (the deepest map, or the next finer candidate when the winner is the
deepest). TensorFlow/Keras only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from xray_desktop.explain import faithfulness
from xray_desktop.explain.cam import CamExplainer
from xray_desktop.explain.graph import feature_layers
from xray_desktop.progress import Progress

MIN_CELLS = 14  # the issue: a map that can separate a marker from a lung


@dataclass
class LayerChoice:
    layers: list[str]  # [chosen, Layer-CAM partner]
    deletion_auc: dict[str, float] = field(default_factory=dict)  # candidate -> mean deletion AUC
    n: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "cam_layers": self.layers,
            "deletion_auc": {k: round(v, 4) for k, v in self.deletion_auc.items()},
            "n": self.n,
        }


def candidates(model: Any) -> list[tuple[str, tuple[int, int, int]]]:
    """(layer name, (h, w, c)) of the last layer at each resolution with stride >= 8, shallow to deep."""
    side = int(min(model.inputs[0].shape[1], model.inputs[0].shape[2]))
    layers = feature_layers(model)
    last_at: dict[tuple[int, int], tuple[str, tuple[int, int, int]]] = {}
    for index, (path, shape) in enumerate(layers):
        if shape[0] * 8 <= side or index == len(layers) - 1:
            last_at.pop(shape[:2], None)
            last_at[shape[:2]] = ("/".join(path), shape)
    return list(last_at.values())


def choose_layers(
    model: Any, images: np.ndarray, progress: Progress | None = None, min_cells: int = MIN_CELLS
) -> LayerChoice:
    """Measure each candidate's Grad-CAM deletion AUC on `images` (n, h, w, c) and pick the CAM layers."""
    found = candidates(model)
    if not found:
        raise ValueError(f"model {model.name!r} has no 4-D layer to explain")
    fine = [c for c in found if min(c[1][:2]) >= min_cells] or found[-1:]
    predict = predictor(model)
    scores: dict[str, float] = {}
    for index, (name, _shape) in enumerate(fine):
        if progress is not None:
            progress.check_cancelled()
            progress.update(index, len(fine), f"measuring layer {name}")
        _, maps = CamExplainer(model, "gradcam", layers=[name])(images)
        aucs = []
        for image, heat in zip(images, maps, strict=True):
            order = faithfulness.block_order(heat)
            aucs.append(faithfulness.curves(predict, image, order).deletion_auc)
        scores[name] = float(np.mean(aucs))
    chosen = min(scores, key=lambda k: (scores[k], -[c[0] for c in found].index(k)))
    names = [c[0] for c in found]
    deepest = names[-1]
    partner = deepest if chosen != deepest else (names[-2] if len(names) > 1 else None)
    return LayerChoice([chosen] + ([partner] if partner else []), scores, len(images))


def predictor(model: Any) -> Any:
    """`predict(batch) -> raw probabilities (n,)` through one compiled function (for the curves)."""
    import tensorflow as tf

    wrap = isinstance(model.input, list | tuple)

    def call(x: Any) -> Any:
        return model([x] if wrap else x, training=False)[:, 0]

    forward = tf.function(call, reduce_retracing=True)
    return lambda batch: forward(tf.constant(np.asarray(batch, np.float32))).numpy()
