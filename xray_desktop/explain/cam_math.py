"""The CAM arithmetic as plain NumPy functions of (activations, gradients), with no TensorFlow.

The Keras path (`cam.CamExplainer`) and the ONNX Runtime path both produce, for each CAM layer,
the activations A (n, h, w, c) and the gradients dS/dA of the positive-class logit S, and then
call these functions, so the two paths give the same maps by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

EPSILON = 1e-7
GRADIENT_METHODS: tuple[str, ...] = ("gradcam", "gradcam++", "layercam")


def normalise(maps: np.ndarray) -> np.ndarray:
    """Min-max each map of an (n, h, w) stack to [0, 1]; a flat map becomes all zeros, never NaN."""
    maps = np.asarray(maps, dtype=np.float32)
    low = maps.min(axis=(1, 2), keepdims=True)
    high = maps.max(axis=(1, 2), keepdims=True)
    return np.asarray((maps - low) / (high - low + EPSILON), dtype=np.float32)


def _check(activations: np.ndarray, gradients: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(activations, dtype=np.float32)
    g = np.asarray(gradients, dtype=np.float32)
    if a.ndim != 4 or a.shape != g.shape:
        raise ValueError(f"expected activations and gradients of one (n, h, w, c) shape, got {a.shape} and {g.shape}")
    return a, g


def gradcam(activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
    """Grad-CAM (Selvaraju et al. 2017): channels weighted by their mean gradient, ReLU, normalised."""
    a, g = _check(activations, gradients)
    weights = g.mean(axis=(1, 2), keepdims=True)
    return normalise(np.maximum((a * weights).sum(axis=-1), 0.0))


def gradcam_pp(activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
    """Grad-CAM++ (Chattopadhay et al. 2018) with the usual exponential-score closed form for alpha."""
    a, g = _check(activations, gradients)
    g2 = g * g
    g3 = g2 * g
    total = a.sum(axis=(1, 2), keepdims=True)
    denominator = 2.0 * g2 + total * g3
    alpha = g2 / np.where(denominator != 0.0, denominator, 1.0)
    alpha_sum = alpha.sum(axis=(1, 2), keepdims=True)
    alpha = alpha / np.where(alpha_sum != 0.0, alpha_sum, 1.0)
    weights = (alpha * np.maximum(g, 0.0)).sum(axis=(1, 2), keepdims=True)
    return normalise(np.maximum((a * weights).sum(axis=-1), 0.0))


def layercam(activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
    """Layer-CAM (Jiang et al. 2021): each position weighted by its own positive gradient, so shallow layers work."""
    a, g = _check(activations, gradients)
    return normalise(np.maximum((np.maximum(g, 0.0) * a).sum(axis=-1), 0.0))


def resize_maps(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(n, h, w) -> (n, *size) by bilinear interpolation (no-op when already that size)."""
    maps = np.asarray(maps, dtype=np.float32)
    if maps.shape[1:] == tuple(size):
        return maps
    out = [cv2.resize(m, (size[1], size[0]), interpolation=cv2.INTER_LINEAR) for m in maps]
    return np.stack(out).astype(np.float32) if out else np.zeros((0, *size), np.float32)


def fuse(maps: Sequence[np.ndarray]) -> np.ndarray:
    """Average per-layer normalised maps at the finest layer's resolution, then renormalise.

    The mean (not the max) keeps a speck that only the noisy shallow layer sees from dominating.
    """
    if not maps:
        raise ValueError("fuse needs at least one map stack")
    size = max((m.shape[1:] for m in maps), key=lambda s: s[0] * s[1])
    stacked = np.stack([resize_maps(normalise(m), size) for m in maps])
    return normalise(stacked.mean(axis=0))


def decided_gradients(
    gradients: Sequence[np.ndarray], probability: float, decide: Callable[[float], bool] | None
) -> list[np.ndarray]:
    """The gradients of the decided class's score: the logit's when `decide(probability)` says positive (or
    there is no decision), else their negation, the gradient of -logit (the logit of the negative class).

    On films a model calls normal, the condition's map shows what would have made it positive, which is
    often nothing in particular (border bands, markers); the decided class's map shows the evidence for
    "Normal" and scores far better on deletion (docs/explanations.md).
    """
    if decide is None or decide(float(probability)):
        return list(gradients)
    return [-np.asarray(g) for g in gradients]


def cam(method: str, activations: Sequence[np.ndarray], gradients: Sequence[np.ndarray]) -> np.ndarray:
    """The map of `method` from per-layer (activations, gradients): Grad-CAM/++ use the first layer,
    Layer-CAM fuses all the layers given. Returns (n, h, w) in [0, 1] at the (finest) layer's resolution.

    Raises:
        ValueError: unknown method, no layer, or mismatched shapes.
    """
    if not activations or len(activations) != len(gradients):
        raise ValueError(f"expected one gradient per activation, got {len(activations)} and {len(gradients)}")
    if method == "gradcam":
        return gradcam(activations[0], gradients[0])
    if method == "gradcam++":
        return gradcam_pp(activations[0], gradients[0])
    if method == "layercam":
        return fuse([layercam(a, g) for a, g in zip(activations, gradients, strict=True)])
    raise ValueError(f"{method!r} is not a gradient CAM method; choose one of {', '.join(GRADIENT_METHODS)}")
