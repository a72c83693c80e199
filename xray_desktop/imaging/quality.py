"""Is this plausibly a radiograph? Cheap measurements that catch photos, blank frames and icons.

Not a classifier: it cannot tell a grey photo of a cat from a chest film. It catches what commonly
goes wrong in practice (a colour photo or screenshot opened by mistake, an empty or saturated frame,
a thumbnail, a strip) and says why in words a user can act on. A DICOM whose Modality is not a plain
radiograph (CT, MR, US, XA, MG, photographs) is never plausible, whatever its pixels look like.

Calibration (all 16,267 images in ../shared/data, the bundled samples and the DICOM fixtures: every
one plausible): grey-level contrast (p99 - p1) ≥ 0.33, histogram entropy ≥ 3.1 bits, colour
saturation 0 (all are grey), aspect ratio ≤ 1.74. The thresholds below sit well outside those ranges.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from xray_desktop.imaging.modality import modality_problem
from xray_desktop.radiograph import Radiograph
from xray_desktop.unit_histogram import unit_histogram

MIN_SIDE = 64  # below this a model input would be mostly interpolation
MAX_ASPECT = 4.0  # long-leg and panoramic films stay under about 3:1
MAX_MEAN_SATURATION = 0.12
MAX_COLOURED_FRACTION = 0.10  # share of pixels with saturation above _STRONG_SATURATION
MIN_CONTRAST = 0.08  # spread between the 1st and 99th grey percentiles
MIN_ENTROPY_BITS = 2.0  # of the 256-bin grey histogram; a radiograph uses many grey levels
_STRONG_SATURATION = 0.25
_SAMPLE_SIDE = 512  # measurements run on a strided view at most this big: fast on 100 MP images


@dataclass(frozen=True)
class Plausibility:
    """The verdict, the reasons for a "no" (empty when plausible) and the figures they rest on."""

    plausible: bool
    reasons: list[str] = field(default_factory=list)
    width: int = 0
    height: int = 0
    aspect_ratio: float = 1.0
    mean_saturation: float = 0.0
    coloured_fraction: float = 0.0
    contrast: float = 0.0  # p99 - p1 of the grey values
    std: float = 0.0
    entropy_bits: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def assess_plausibility(r: Radiograph) -> Plausibility:
    """Measure `r` and judge whether it is plausibly a radiograph; every "no" comes with a reason."""
    height, width = r.height, r.width
    grey = _sample(r.pixels)
    aspect = max(width, height) / max(1, min(width, height))
    saturation, coloured = _saturation(r.colour)
    low, high = np.percentile(grey, [1.0, 99.0])
    contrast = float(high - low)
    std = float(grey.std())
    entropy = _entropy_bits(grey)

    reasons: list[str] = []
    wrong_modality = modality_problem(r.modality)
    if wrong_modality:
        reasons.append(wrong_modality)
    if min(width, height) < MIN_SIDE:
        reasons.append(
            f"the image is small ({width}×{height} pixels; radiographs are at least {MIN_SIDE} pixels a side)"
        )
    if aspect > MAX_ASPECT:
        reasons.append(f"the image is a strip ({aspect:.1f}:1); radiographs are not this elongated")
    if saturation > MAX_MEAN_SATURATION or coloured > MAX_COLOURED_FRACTION:
        reasons.append(
            f"the image is in colour ({coloured:.0%} of pixels strongly coloured); X-rays are greyscale — "
            "is this a photo or a screenshot?"
        )
    if contrast < MIN_CONTRAST:
        reasons.append(f"the image is almost uniform (grey levels span only {contrast:.0%} of the range)")
    elif entropy < MIN_ENTROPY_BITS:
        reasons.append(
            f"the image uses very few grey levels ({entropy:.1f} bits of detail); is it a drawing or a mask?"
        )
    return Plausibility(
        plausible=not reasons,
        reasons=reasons,
        width=width,
        height=height,
        aspect_ratio=round(aspect, 3),
        mean_saturation=round(saturation, 4),
        coloured_fraction=round(coloured, 4),
        contrast=round(contrast, 4),
        std=round(std, 4),
        entropy_bits=round(entropy, 3),
    )


def _sample(array: np.ndarray) -> np.ndarray:
    step = max(1, int(np.ceil(max(array.shape[:2]) / _SAMPLE_SIDE)))
    return np.asarray(array[::step, ::step], dtype=np.float32)


def _saturation(colour: np.ndarray | None) -> tuple[float, float]:
    """Mean HSV saturation and the share of strongly saturated pixels (dark pixels ignored: noise)."""
    if colour is None:
        return 0.0, 0.0
    rgb = _sample(colour)
    top = rgb.max(axis=2)
    spread = top - rgb.min(axis=2)
    lit = top > 0.1
    if not lit.any():
        return 0.0, 0.0
    sat = spread[lit] / top[lit]
    return float(sat.mean()), float((sat > _STRONG_SATURATION).mean())


def _entropy_bits(grey: np.ndarray) -> float:
    counts = unit_histogram(grey, 256)
    probabilities = counts[counts > 0] / counts.sum()
    return float(-(probabilities * np.log2(probabilities)).sum())
