"""Rendering of explanation maps, kept apart from computing them.

The UI colours a map once (`colorize`) and re-blends it on every opacity-slider move
(`blend`), so moving the slider never touches TensorFlow. No TensorFlow here.
"""

from __future__ import annotations

import cv2
import numpy as np

COLORMAPS: dict[str, int] = {
    "jet": cv2.COLORMAP_JET,
    "inferno": cv2.COLORMAP_INFERNO,
    "magma": cv2.COLORMAP_MAGMA,
    "viridis": cv2.COLORMAP_VIRIDIS,
    "turbo": cv2.COLORMAP_TURBO,
    "hot": cv2.COLORMAP_HOT,
}


def colorize(heatmap: np.ndarray, colormap: str = "jet") -> np.ndarray:
    """HxW map in [0, 1] -> HxWx3 uint8 RGB.

    Raises:
        ValueError: unknown colormap name, or a map that is not 2-D.
    """
    if colormap not in COLORMAPS:
        raise ValueError(f"unknown colormap {colormap!r}; choose one of {', '.join(COLORMAPS)}")
    if heatmap.ndim != 2:
        raise ValueError(f"expected an HxW heatmap, got shape {heatmap.shape}")
    levels = np.nan_to_num(heatmap, nan=0.0).clip(0.0, 1.0)
    bgr = cv2.applyColorMap((levels * 255.0).round().astype(np.uint8), COLORMAPS[colormap])
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


def to_rgb(gray: np.ndarray) -> np.ndarray:
    """HxW grey (uint8, or float in [0, 1]) -> HxWx3 uint8: the base picture under an overlay, on screen and in PDFs."""
    if gray.ndim != 2:
        raise ValueError(f"expected an HxW greyscale image, got shape {gray.shape}")
    levels = gray if gray.dtype == np.uint8 else (np.clip(gray, 0.0, 1.0) * 255.0).round().astype(np.uint8)
    return np.repeat(levels[:, :, None], 3, axis=2)


def blend(base_rgb: np.ndarray, colour_rgb: np.ndarray, alpha: float) -> np.ndarray:
    """Alpha-blend a coloured map over an RGB picture of the same size (alpha 0 = picture only)."""
    if base_rgb.shape != colour_rgb.shape:
        raise ValueError(f"image {base_rgb.shape} and coloured map {colour_rgb.shape} differ in size")
    weight = float(np.clip(alpha, 0.0, 1.0))
    return cv2.addWeighted(colour_rgb, weight, base_rgb, 1.0 - weight, 0.0)


def render_overlay(gray: np.ndarray, heatmap: np.ndarray, colormap: str = "jet", alpha: float = 0.4) -> np.ndarray:
    """Greyscale HxW [0, 1] + heatmap HxW [0, 1] -> HxWx3 uint8 RGB overlay.

    A heatmap of another size is resized to the picture (maps should already be at image size).
    """
    if heatmap.shape != gray.shape:
        heatmap = cv2.resize(heatmap.astype(np.float32), (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    return blend(to_rgb(gray), colorize(heatmap, colormap), alpha)


def attention_boxes(
    heatmap: np.ndarray, threshold: float = 0.6, min_area_fraction: float = 0.002
) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) around the regions where the map is at least `threshold` (fracture display).

    Regions smaller than `min_area_fraction` of the image are dropped as speckle. Largest first.
    """
    if heatmap.ndim != 2:
        raise ValueError(f"expected an HxW heatmap, got shape {heatmap.shape}")
    mask = (np.nan_to_num(heatmap, nan=0.0) >= threshold).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    min_area = min_area_fraction * heatmap.shape[0] * heatmap.shape[1]
    boxes = [(int(x), int(y), int(w), int(h)) for x, y, w, h in map(cv2.boundingRect, contours)]
    kept = [b for b in boxes if b[2] * b[3] >= min_area]
    return sorted(kept, key=lambda b: b[2] * b[3], reverse=True)


def encode_png(rgb: np.ndarray) -> bytes:
    """HxWx3 uint8 RGB -> PNG bytes (write them with atomic.atomic_write_bytes)."""
    ok, buffer = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError(f"could not encode an image of shape {rgb.shape} as PNG")
    return buffer.tobytes()
