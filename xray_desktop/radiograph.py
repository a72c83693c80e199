"""The one value every loader produces and every later stage consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class Radiograph:
    """A loaded image, ready for display and preprocessing.

    `pixels` is greyscale float32 in [0, 1] with bone bright (MONOCHROME1 already
    inverted, rescale/modality LUT/VOI window already applied, EXIF orientation
    applied). `colour` keeps the RGB original (float32 [0, 1], HxWx3) when the
    source was colour, so the plausibility check can see saturation.
    """

    pixels: np.ndarray
    source: Path
    format: str  # "PNG", "JPEG", "TIFF", "BMP", "DICOM", ...
    bit_depth: int  # bits per sample in the source (8, 10, 12, 16, 1 for bilevel)
    photometric: str  # as found in the source: "MONOCHROME1", "MONOCHROME2", "RGB", "P", "CMYK", ...
    sha256: str  # of the file's bytes: identifies the image in history, audit and reports
    metadata: dict[str, Any] = field(default_factory=dict)  # technical, non-identifying
    dicom: Any | None = None  # imaging.dicom.DicomMetadata for DICOM sources
    colour: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)  # e.g. "multi-frame: showing frame 1 of 12"

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def body_part(self) -> str | None:
        return getattr(self.dicom, "body_part", None) if self.dicom is not None else None

    @property
    def modality(self) -> str | None:
        return getattr(self.dicom, "modality", None) if self.dicom is not None else None
