"""Grad-CAM, Grad-CAM++ and Score-CAM as numpy functions of activations and gradients.

The ONNX inference graph returns, for each CAM layer, its activations and the gradient of the
logit; these functions turn them into maps with the same formulas as `explain.cam` (the
TensorFlow reference, which the export's parity check compares against). No TensorFlow here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from xray_desktop.cam_methods import METHODS

EPSILON = 1e-7
SCORECAM_CHANNELS = 32  # the same defaults as explain.cam.CamExplainer
SCORECAM_CHUNK = 16


def normalise_maps(maps: np.ndarray) -> np.ndarray:
    """Min-max each map of a (n, h, w) stack to [0, 1]; a flat map becomes all zeros, never NaN."""
    maps = np.asarray(maps, dtype=np.float32)
    low = maps.min(axis=(1, 2), keepdims=True)
    high = maps.max(axis=(1, 2), keepdims=True)
    out: np.ndarray = (maps - low) / (high - low + np.float32(EPSILON))
    return out


def gradcam(activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
    """(n, fh, fw, c) activations and logit gradients -> (n, fh, fw) Grad-CAM maps in [0, 1]."""
    weights = gradients.mean(axis=(1, 2), keepdims=True, dtype=np.float32)
    return normalise_maps(np.maximum((activations * weights).sum(axis=-1, dtype=np.float32), 0.0))


def gradcam_pp(activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
    """Grad-CAM++ (Chattopadhay et al. 2018) with the exp-logit closed form, as in `explain.cam`."""
    g2 = np.square(gradients)
    g3 = g2 * gradients
    total = activations.sum(axis=(1, 2), keepdims=True, dtype=np.float32)
    denominator = 2.0 * g2 + total * g3
    alpha = g2 / np.where(denominator != 0.0, denominator, np.float32(1.0))
    alpha_sum = alpha.sum(axis=(1, 2), keepdims=True, dtype=np.float32)
    alpha = alpha / np.where(alpha_sum != 0.0, alpha_sum, np.float32(1.0))
    weights = (alpha * np.maximum(gradients, 0.0)).sum(axis=(1, 2), keepdims=True, dtype=np.float32)
    return normalise_maps(np.maximum((activations * weights).sum(axis=-1, dtype=np.float32), 0.0))


def scorecam(
    image: np.ndarray,
    activations: np.ndarray,
    probabilities: Callable[[np.ndarray], np.ndarray],
    *,
    channels: int = 32,
    chunk: int = 16,
) -> np.ndarray:
    """Score-CAM for ONE image (1, h, w, c): mask the input with the `channels` most active maps.

    `probabilities(batch) -> (n,)` is the forward graph (sigmoid of the logit); it is called with
    at most `chunk` masked images at a time, then once on a blank image (the baseline).
    """
    acts = np.asarray(activations[0], dtype=np.float32)  # (fh, fw, k)
    k = max(1, min(acts.shape[-1], channels))
    top = np.argsort(-acts.mean(axis=(0, 1)), kind="stable")[:k]
    chosen = np.ascontiguousarray(acts[..., top])
    height, width = image.shape[1:3]
    resized = cv2.resize(chosen, (width, height), interpolation=cv2.INTER_LINEAR).reshape(height, width, k)
    masks = normalise_maps(np.moveaxis(resized, -1, 0))[..., None]  # (k, h, w, 1)
    masked = masks * image  # (k, h, w, c)
    step = max(1, min(k, chunk))
    scores = np.concatenate([probabilities(masked[i : i + step]) for i in range(0, k, step)])
    baseline = probabilities(np.zeros_like(image))
    weights = np.maximum(scores - baseline, 0.0).astype(np.float32)
    return normalise_maps(np.maximum((chosen * weights[None, None, :]).sum(axis=-1), 0.0)[None])


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

    def __init__(self, model: Any, method: str) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown explanation method {method!r}; choose one of {', '.join(METHODS)}")
        self.model = model
        self.method = method

    @property
    def target_layer(self) -> str:
        layers = list(self.model.layers)
        return str(layers[0]) if layers else ""

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        batch = self.model.checked(batch)
        probs: list[float] = []
        maps: list[np.ndarray] = []
        for i in range(batch.shape[0]):
            image = batch[i : i + 1]
            if self.method == "scorecam":
                out = self.model.forward(image)
                probs.append(float(out["probability"][0]))
                maps.append(
                    scorecam(
                        image,
                        out["activations_0"],
                        self.model.score_probabilities,
                        channels=SCORECAM_CHANNELS,
                        chunk=SCORECAM_CHUNK,
                    )
                )
                continue
            cam = self.model.cam_inputs(image)
            acts, grads = cam.layers[0]
            probs.append(cam.probability)
            maps.append(gradcam(acts, grads) if self.method == "gradcam" else gradcam_pp(acts, grads))
        if not maps:
            return np.zeros(0, np.float32), np.zeros((0, 1, 1), np.float32)
        return np.asarray(probs, dtype=np.float32), np.concatenate(maps).astype(np.float32)
