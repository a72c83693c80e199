"""Turn a colour array into the greyscale the models see, keeping the colour only when it carries any."""

from __future__ import annotations

import numpy as np

# ITU-R BT.601 luma weights, the same ones PIL's convert("L") uses, so raster and DICOM agree.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def split_colour(rgb: np.ndarray, full_scale: float) -> tuple[np.ndarray, np.ndarray | None]:
    """Return (grey float32 [0,1], colour float32 HxWx3 [0,1] or None if all three channels are equal).

    A grey picture saved as RGB (common for exported X-rays) is not kept as colour: it would
    triple the memory for nothing and tell the plausibility check nothing it cannot see in grey.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 array, got shape {rgb.shape}")
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]):
        grey = rgb[..., 0].astype(np.float32) / np.float32(full_scale)
        return np.clip(grey, 0.0, 1.0), None
    colour = np.clip(rgb.astype(np.float32) / np.float32(full_scale), 0.0, 1.0)
    grey = np.clip(colour @ _LUMA, 0.0, 1.0).astype(np.float32)
    return grey, colour
