"""What a report says, as plain values, separate from how the PDF lays it out.

The service fills these from AnalysisResults (choosing images, withholding
patient fields); `reports.pdf` only draws them. Keeping the two apart lets tests
check the layout with hand-made values and the service's choices without a PDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from xray_desktop import DISCLAIMER
from xray_desktop.explain import METHOD_NAMES
from xray_desktop.results import AnalysisResult

__all__ = ["DISCLAIMER", "PAGE_SIZES", "CaseSection", "ReportHeader", "ReportImage", "method_display_name"]
PAGE_SIZES = ("A4", "Letter")


def method_display_name(method: str | None) -> str:
    """Human name of an explanation method id ("gradcam++" -> "Grad-CAM++")."""
    if not method:
        return "—"
    return METHOD_NAMES.get(method.lower(), method)


@dataclass(frozen=True)
class ReportImage:
    """One picture on a case page: uint8 greyscale (HxW) or RGB (HxWx3), already at print resolution."""

    caption: str
    pixels: np.ndarray


@dataclass
class CaseSection:
    """Everything printed for one analysed image."""

    analysis: AnalysisResult
    display_name: str  # file name, or a placeholder when the name could identify a patient
    images: list[ReportImage] = field(default_factory=list)  # original first, then overlays
    patient_fields: list[tuple[str, str]] = field(default_factory=list)
    patient_note: str = ""  # why patient fields are absent, when they are
    error: str = ""  # why the image could not be analysed, with its folder removed
    warnings: list[str] = field(default_factory=list)  # image checks, with the folder removed


@dataclass(frozen=True)
class ReportHeader:
    """Facts about the report as a whole, printed on the first page and in every footer."""

    title: str
    created: datetime
    username: str
    role: str
    app_version: str
    page_size: str = "A4"
    colormap: str = "jet"
    alpha: float = 0.4
    include_patient_data: bool = False
