"""Turn a Radiograph's pixels into a model input, and a model-space map back into image space.

Training and inference both call `prepare_input` with the spec stored in the model's
registry entry, so the two can never drift apart (no "resize exactly like training" by hand).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from xray_desktop.preprocess_spec import PreprocessSpec

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


@dataclass(frozen=True)
class Placement:
    """Where the resized image sits inside the model input (letterbox padding offsets)."""

    top: int
    left: int
    height: int
    width: int


def placement(image_shape: tuple[int, int], spec: PreprocessSpec) -> Placement:
    """The region of the model input that holds image content (all of it when stretching)."""
    out_h, out_w = spec.input_size
    if spec.resize == "stretch":
        return Placement(0, 0, out_h, out_w)
    src_h, src_w = image_shape
    scale = min(out_h / src_h, out_w / src_w)
    new_h = max(1, min(out_h, round(src_h * scale)))
    new_w = max(1, min(out_w, round(src_w * scale)))
    return Placement((out_h - new_h) // 2, (out_w - new_w) // 2, new_h, new_w)


def prepare_input(pixels: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """Greyscale HxW float32 in [0, 1] -> (h, w, channels) float32 ready for the model.

    Raises:
        ValueError: `pixels` is not a non-empty 2-D array (the message gives its shape).
    """
    if pixels.ndim != 2 or pixels.size == 0:
        raise ValueError(f"expected a greyscale HxW image, got an array of shape {pixels.shape}")
    image = np.clip(pixels.astype(np.float32, copy=False), 0.0, 1.0)
    out_h, out_w = spec.input_size
    where = placement(image.shape, spec)
    resized = cv2.resize(image, (where.width, where.height), interpolation=cv2.INTER_AREA)
    if spec.resize == "letterbox":
        canvas = np.zeros((out_h, out_w), dtype=np.float32)
        canvas[where.top : where.top + where.height, where.left : where.left + where.width] = resized
        resized = canvas
    stacked = np.repeat(resized[:, :, None], spec.channels, axis=2)
    return _normalise(stacked, spec.normalisation)


def prepare_batch(images: Iterable[np.ndarray], spec: PreprocessSpec) -> np.ndarray:
    """Several images -> (n, h, w, channels) float32."""
    arrays = [prepare_input(p, spec) for p in images]
    if not arrays:
        return np.zeros((0, *spec.input_shape), dtype=np.float32)
    return np.stack(arrays)


def restore_map(model_map: np.ndarray, spec: PreprocessSpec, image_shape: tuple[int, int]) -> np.ndarray:
    """A map over the model input (any resolution) -> a map over the original image (H, W).

    Letterbox padding is cropped away first, so the map lines up with the picture.
    """
    in_h, in_w = spec.input_size
    grid = cv2.resize(model_map.astype(np.float32), (in_w, in_h), interpolation=cv2.INTER_LINEAR)
    where = placement(image_shape, spec)
    grid = grid[where.top : where.top + where.height, where.left : where.left + where.width]
    height, width = image_shape
    return cv2.resize(grid, (width, height), interpolation=cv2.INTER_LINEAR)


def _normalise(image: np.ndarray, mode: str) -> np.ndarray:
    if mode == "unit":
        return image
    if mode == "minus_one_one":
        return image * 2.0 - 1.0
    return (image - IMAGENET_MEAN) / IMAGENET_STD
