"""The display-sized level of a large film: what the GUI thread composites instead of every pixel.

A 3064×4664 film has 14 million pixels; re-blending them on every opacity step, or colouring them on a
colormap change, blocked the GUI thread for 80–700 ms. No screen shows more than a few thousand pixels
across, so while the whole film is in view the viewer works on a level reduced by an integer factor
(at most `DISPLAY_MAX_SIDE` pixels on the longest side) and shows it scaled back up, so scene
coordinates (boxes, zoom) stay those of the film. Zoomed in past that level, it goes back to full
resolution for the detail. Qt-free (numpy and OpenCV), so it is measured without a window.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

DISPLAY_MAX_SIDE = 2048


def level_factor(height: int, width: int, max_side: int = DISPLAY_MAX_SIDE) -> int:
    """The integer reduction that brings the longest side to at most `max_side` (1: small enough already)."""
    return max(1, math.ceil(max(height, width) / max_side))


def level_shape(height: int, width: int, factor: int) -> tuple[int, int]:
    return max(1, math.ceil(height / factor)), max(1, math.ceil(width / factor))


def resample(array: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """`array` (HxW or HxWx3) at `shape`: area averaging when shrinking, bilinear when growing."""
    if array.shape[:2] == shape:
        return array
    shrinking = shape[0] < array.shape[0]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    out = cv2.resize(np.ascontiguousarray(array), (shape[1], shape[0]), interpolation=interpolation)
    return np.ascontiguousarray(out)
