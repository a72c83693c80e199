"""Shortcut audit: how much of a map's mass sits on the film's border bands or on burned-in markers.

A model that learnt the "R" marker or the collimation edge instead of the lungs still produces a
confident map; the map just lies on the marker. Markers are found without OCR: small, bright,
high-contrast blobs (a white top-hat) near the film's edges. NumPy/OpenCV only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from xray_desktop.explain import MARKER_WARNING

BORDER_FRACTION = 0.08  # each side's band
WARNING_SHARE = 0.30  # a map with more of its mass than this on markers or borders gets the warning
EDGE_ZONE = 0.2  # markers are looked for within this fraction of the side from an edge
WORK_SIDE = 256  # marker detection runs at this size (cheap on a 3000 px DICOM too)


@dataclass(frozen=True)
class MassShares:
    """Fractions of a map's total mass on the border bands, on detected markers, and on either."""

    border: float
    marker: float
    either: float

    def to_json(self) -> dict[str, float]:
        return {"border": round(self.border, 4), "marker": round(self.marker, 4), "either": round(self.either, 4)}


@dataclass(frozen=True)
class BorderOcclusion:
    """What blanking the border bands does to the model's answers: the model-side half of the shortcut audit.

    A map can put mass on the borders while the model ignores them (Grad-CAM's channel weights light up
    edge-detecting channels whatever they contribute); blanking the bands asks the model itself.
    """

    n: int
    mean_abs_delta: float  # mean |P(condition) with the bands blanked - P as read|
    decisions_changed: float  # share of films whose decision at the threshold flips

    def to_json(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "mean_abs_delta": round(self.mean_abs_delta, 4),
            "decisions_changed": round(self.decisions_changed, 4),
        }


def blank_border(images: np.ndarray, fraction: float = BORDER_FRACTION) -> np.ndarray:
    """Model inputs (n, h, w, c) with the border bands of each filled with the mean of its own interior."""
    out = np.array(images, dtype=np.float32, copy=True)
    mask = border_mask(out.shape[1:3], fraction)
    for film in out:
        film[mask] = film[~mask].mean(axis=0)
    return out


def border_occlusion(
    predict: Callable[[np.ndarray], np.ndarray], images: np.ndarray, threshold: float
) -> BorderOcclusion:
    """Predict each film as read and with its border bands blanked; how far the answers move."""
    before = np.asarray(predict(images), dtype=np.float64)
    after = np.asarray(predict(blank_border(images)), dtype=np.float64)
    return BorderOcclusion(
        n=len(before),
        mean_abs_delta=float(np.abs(after - before).mean()) if len(before) else float("nan"),
        decisions_changed=float(((after >= threshold) != (before >= threshold)).mean()) if len(before) else 0.0,
    )


def border_mask(shape: tuple[int, int], fraction: float = BORDER_FRACTION) -> np.ndarray:
    """True on the outer `fraction` of the height/width on each side."""
    h, w = shape
    bh, bw = max(1, round(h * fraction)), max(1, round(w * fraction))
    mask = np.ones((h, w), dtype=bool)
    mask[bh : h - bh, bw : w - bw] = False
    return mask


def marker_mask(pixels: np.ndarray) -> np.ndarray:
    """True on detected burned-in markers/text: bright, small, high-contrast blobs near an edge.

    Works on a WORK_SIDE copy: a white top-hat (the pixel minus its morphological opening) keeps
    structures narrower than about 1/12 of the film that stand out from their surroundings; those
    that are also among the brightest pixels, small and close to an edge are kept and slightly dilated.
    """
    gray = np.nan_to_num(np.asarray(pixels, dtype=np.float32))
    if gray.ndim != 2 or gray.size == 0:
        raise ValueError(f"expected a greyscale HxW image, got shape {gray.shape}")
    h, w = gray.shape
    scale = WORK_SIDE / max(h, w)
    small = cv2.resize(gray, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape
    side = max(5, (min(sh, sw) // 12) | 1)
    opened = cv2.morphologyEx(small, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side)))
    tophat = small - opened
    bright = small >= max(float(np.quantile(small, 0.75)), 0.4)
    candidates = ((tophat >= 0.15) & bright).astype(np.uint8)
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(candidates, connectivity=8)
    keep = np.zeros(count, dtype=bool)
    max_area = 0.02 * sh * sw
    for index in range(1, count):
        _x, _y, bw, bh, area = (int(v) for v in stats[index])
        cx, cy = centroids[index]
        near_edge = min(cx, sw - 1 - cx) <= EDGE_ZONE * sw or min(cy, sh - 1 - cy) <= EDGE_ZONE * sh
        compact = max(bw, bh) <= min(sw / 6, 3 * min(bw, bh)) and area >= 0.35 * bw * bh
        keep[index] = 3 <= area <= max_area and compact and near_edge  # letters, not rib or clavicle edges
        keep[index] = keep[index] and float(tophat[labels == index].max()) >= 0.3
        keep[index] = keep[index] and _stands_out(small, labels == index, bw, bh)
    mask = keep[labels].astype(np.uint8)
    if mask.any():
        mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    return np.asarray(cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST), dtype=bool)


def _stands_out(small: np.ndarray, blob: np.ndarray, bw: int, bh: int) -> bool:
    """A marker is much brighter than the ring around it (burned in on the dark film edge or over tissue)."""
    pad = max(2, max(bw, bh) // 2)
    kernel = np.ones((2 * pad + 1, 2 * pad + 1), np.uint8)
    ring = cv2.dilate(blob.astype(np.uint8), kernel).astype(bool) & ~blob
    if not ring.any():
        return False
    return float(small[blob].mean()) - float(np.median(small[ring])) >= 0.25


def mass_shares(heatmap: np.ndarray, pixels: np.ndarray, markers: np.ndarray | None = None) -> MassShares | None:
    """Shares of the map's mass (the map at the film's resolution) on borders and markers; None for an empty map."""
    heat = np.clip(np.nan_to_num(np.asarray(heatmap, dtype=np.float32)), 0.0, None)
    if heat.shape != pixels.shape:
        heat = np.asarray(cv2.resize(heat, (pixels.shape[1], pixels.shape[0])), dtype=np.float32)
    total = float(heat.sum())
    if total <= 0.0:
        return None
    border = border_mask(heat.shape)
    marker = marker_mask(pixels) if markers is None else markers
    return MassShares(
        border=float(heat[border].sum()) / total,
        marker=float(heat[marker].sum()) / total,
        either=float(heat[border | marker].sum()) / total,
    )


def shortcut_warning(heatmap: np.ndarray | None, pixels: np.ndarray) -> str | None:
    """The single-film warning when more than 30 % of the map's mass is on a marker or the border."""
    if heatmap is None:
        return None
    shares = mass_shares(heatmap, pixels)
    return MARKER_WARNING if shares is not None and shares.either > WARNING_SHARE else None
