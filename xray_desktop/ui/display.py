"""Pixel maths for the viewer, kept free of Qt so it is cheap to test.

The viewer shows `Radiograph.pixels` (float32 in [0, 1]) through a window/level
and an optional inversion, then blends a cached coloured heatmap on top. The
heatmap is coloured once per (map, colormap); moving the opacity slider only
re-runs `blend`, which is a single OpenCV call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WindowLevel:
    """Display window in the image's own [0, 1] intensity units."""

    level: float = 0.5
    width: float = 1.0
    invert: bool = False

    def adjusted(self, d_level: float, d_width: float) -> WindowLevel:
        level = float(np.clip(self.level + d_level, 0.0, 1.0))
        width = float(np.clip(self.width + d_width, 0.02, 2.0))
        return WindowLevel(level, width, self.invert)


# Presets in normalised units: the source bit depth is already mapped to [0, 1] by the loader.
WINDOW_PRESETS: dict[str, WindowLevel] = {
    "Full range": WindowLevel(0.5, 1.0),
    "Soft tissue": WindowLevel(0.40, 0.55),
    "Lung": WindowLevel(0.30, 0.60),
    "Bone": WindowLevel(0.70, 0.50),
    "High contrast": WindowLevel(0.50, 0.35),
}


LEVELS = 65536  # display quantisation: finer than any radiograph's stored bit depth


def quantize(pixels: np.ndarray) -> np.ndarray:
    """[0, 1] float pixels -> uint16 once per image, so each window change is a table look-up."""
    return (np.clip(pixels, 0.0, 1.0) * (LEVELS - 1) + 0.5).astype(np.uint16)


def window_lut(wl: WindowLevel) -> np.ndarray:
    """The uint8 grey value for every quantised level under `wl` (inverted when asked)."""
    levels = np.arange(LEVELS, dtype=np.float32) / (LEVELS - 1)
    low = wl.level - wl.width / 2.0
    lut = np.clip((levels - low) * (255.0 / wl.width), 0.0, 255.0).astype(np.uint8)
    return 255 - lut if wl.invert else lut


def apply_window(quantized: np.ndarray, wl: WindowLevel) -> np.ndarray:
    return np.ascontiguousarray(np.take(window_lut(wl), quantized))


def to_display_gray(pixels: np.ndarray, wl: WindowLevel) -> np.ndarray:
    """Apply window/level (and inversion) to [0, 1] pixels, giving contiguous uint8 HxW."""
    return apply_window(quantize(pixels), wl)


def blend(gray: np.ndarray, coloured: np.ndarray, alpha: float) -> np.ndarray:
    """Mix a uint8 grey image with a uint8 RGB map: (1 - alpha) * grey + alpha * map (the report's blend)."""
    from xray_desktop.explain.overlay import blend as blend_rgb
    from xray_desktop.explain.overlay import to_rgb

    return blend_rgb(to_rgb(gray), coloured, alpha)
