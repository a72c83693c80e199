"""Maps over an exported ONNX graph pair: the gradient methods through `cam_math` (the same NumPy the
Keras path uses), Score-CAM through the batched forward graph. No TensorFlow here.

The ONNX inference graph returns, for each CAM layer, its activations and the gradient of the logit;
the export's parity check compares the maps with TensorFlow's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from xray_desktop.cam_methods import METHODS
from xray_desktop.explain.cam_math import cam, decided_gradients, normalise
from xray_desktop.gate_features import gate_features

SCORECAM_CHANNELS = 32  # the same defaults as explain.cam.CamExplainer
SCORECAM_CHUNK = 16


def scorecam(
    image: np.ndarray,
    activations: np.ndarray,
    probabilities: Callable[[np.ndarray], np.ndarray],
    *,
    channels: int = 32,
    chunk: int = 16,
    positive: bool = True,
) -> np.ndarray:
    """Score-CAM for ONE image (1, h, w, c): mask the input with the `channels` most active maps.

    `probabilities(batch) -> (n,)` is the forward graph (sigmoid of the logit); it is called with
    at most `chunk` masked images at a time, then once on a blank image (the baseline).
    `positive=False` explains the negative class: each mask is weighted by how much it raises P(negative).
    """
    acts = np.asarray(activations[0], dtype=np.float32)  # (fh, fw, k)
    k = max(1, min(acts.shape[-1], channels))
    top = np.argsort(-acts.mean(axis=(0, 1)), kind="stable")[:k]
    chosen = np.ascontiguousarray(acts[..., top])
    height, width = image.shape[1:3]
    resized = cv2.resize(chosen, (width, height), interpolation=cv2.INTER_LINEAR).reshape(height, width, k)
    masks = normalise(np.moveaxis(resized, -1, 0))[..., None]  # (k, h, w, 1)
    masked = masks * image  # (k, h, w, c)
    step = max(1, min(k, chunk))
    scores = np.concatenate([probabilities(masked[i : i + step]) for i in range(0, k, step)])
    baseline = probabilities(np.zeros_like(image))
    gain = scores - baseline if positive else baseline - scores
    weights = np.maximum(gain, 0.0).astype(np.float32)
    return normalise(np.maximum((chosen * weights[None, None, :]).sum(axis=-1), 0.0)[None])


def sigmoid(logit: np.ndarray) -> np.ndarray:
    """Float32 logistic function (what the masked Score-CAM probabilities are)."""
    logit = np.asarray(logit, dtype=np.float32)
    out: np.ndarray = (1.0 / (1.0 + np.exp(-logit))).astype(np.float32)
    return out


class OnnxExplainer:
    """`explainer(batch) -> (raw probabilities (n,), maps (n, fh, fw) in [0, 1])` over an exported graph pair.

    `model` is a `models.onnx_runtime.OnnxModel` (duck-typed, so `explain` never imports `models`):
    Grad-CAM and Grad-CAM++ use its CAM graph's activations and gradients, Score-CAM its forward graph.
    """

    def __init__(self, model: Any, method: str, layers: Any = ()) -> None:
        # The graph's CAM layers were fixed at export (the entry's `cam_layers` then); an export made
        # before a new layer choice is out of date and is redone on load, so `layers` needs no use here.
        if method not in METHODS:
            raise ValueError(f"unknown explanation method {method!r}; choose one of {', '.join(METHODS)}")
        self.model = model
        self.method = method
        self.gate_layer: str | None = None  # the population gate's feature layer (set by the model wrapper)

    @property
    def target_layer(self) -> str:
        layers = list(self.model.layers)
        return str(layers[0]) if layers else ""

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probs, maps, _ = self.explain(batch)
        return probs, maps

    def explain(
        self, batch: np.ndarray, decide: Callable[[float], bool] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(raw probabilities, maps, the population gate's features (n, d) or None), from the same pass.

        The gate reads the embedding and, when it names one (`gate_layer`), the first exported CAM layer's
        statistics; None when the gate reads a layer this graph does not carry. `decide(raw p) -> positive?`
        makes each map the decided class's (`cam_math.decided_gradients`); without it, the condition's.
        """
        batch = self.model.checked(batch)
        probs: list[float] = []
        maps: list[np.ndarray] = []
        feats: list[np.ndarray] = []
        for i in range(batch.shape[0]):
            image = batch[i : i + 1]
            if self.method == "scorecam":
                out = self.model.forward(image)
                probs.append(float(out["probability"][0]))
                positive = True if decide is None else bool(decide(probs[-1]))
                first = out["activations_0"]
                feats.append(self._gate_features(out["embedding"], first))
                maps.append(
                    scorecam(
                        image,
                        first,
                        self.model.score_probabilities,
                        channels=SCORECAM_CHANNELS,
                        chunk=SCORECAM_CHUNK,
                        positive=positive,
                    )
                )
                continue
            inputs = self.model.cam_inputs(image)
            probs.append(inputs.probability)
            feats.append(self._gate_features(inputs.embedding, inputs.layers[0][0]))
            grads = decided_gradients([g for _, g in inputs.layers], inputs.probability, decide)
            maps.append(cam(self.method, [a for a, _ in inputs.layers], grads))
        if not maps:
            return np.zeros(0, np.float32), np.zeros((0, 1, 1), np.float32), np.zeros((0, 0), np.float32)
        usable = self.gate_layer is None or list(self.model.layers)[:1] == [self.gate_layer]
        return (
            np.asarray(probs, dtype=np.float32),
            np.concatenate(maps).astype(np.float32),
            np.concatenate(feats) if usable else None,
        )

    def _gate_features(self, embedding: np.ndarray, first_layer: np.ndarray) -> np.ndarray:
        return gate_features(embedding, first_layer if self.gate_layer is not None else None)
