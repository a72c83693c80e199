"""Turn one AnalysisResult into the values a report page prints.

Decides what may appear: pictures are shrunk to print resolution once, overlays
are blended by the same `render_overlay` the window uses (so the report shows
what the user saw), and DICOM identifiers appear only when the user asked for
them — otherwise only the de-identified fields, and no DICOM file name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from xray_desktop.explain.overlay import render_overlay
from xray_desktop.reports.content import CaseSection, ReportImage, method_display_name
from xray_desktop.results import AnalysisResult, TaskStatus

PRINT_MAX_SIDE = 900  # ~270 dpi across half an A4 page: sharp on paper, small file
BATCH_MAX_SIDE = 600  # large batches: ~180 dpi keeps a 200-case report to tens of MB


def fit_to_print(array: np.ndarray, max_side: int = PRINT_MAX_SIDE) -> np.ndarray:
    """Shrink (never enlarge) so the longest side is at most `max_side`, with area averaging."""
    h, w = array.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1:
        return array
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(array, size, interpolation=cv2.INTER_AREA)


def to_uint8(gray: np.ndarray) -> np.ndarray:
    """Float [0, 1] greyscale to uint8 for printing."""
    return (np.clip(gray, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def prepare_case(
    analysis: AnalysisResult,
    *,
    include_patient_data: bool,
    colormap: str,
    alpha: float,
    max_side: int = PRINT_MAX_SIDE,
) -> CaseSection:
    """The printable content of one analysis: original, one overlay per explained task, fields allowed to show."""
    image = analysis.image
    case = CaseSection(analysis=analysis, display_name=_display_name(analysis, include_patient_data))
    # Loader messages may quote the full path; folder names often carry patient or ward names.
    name = case.display_name
    case.error = (analysis.error or "").replace(str(analysis.path), name)
    case.warnings = [w.replace(str(analysis.path), name) for w in analysis.warnings]
    if image is None:
        return case
    gray = fit_to_print(image.pixels.astype(np.float32, copy=False), max_side)
    case.images.append(ReportImage("Original", to_uint8(gray)))
    for result in analysis.results:
        if result.status is not TaskStatus.OK or result.heatmap is None:
            continue
        overlay = _overlay(gray, result.heatmap, colormap, alpha)
        if result.boxes:
            overlay = _draw_boxes(overlay, result.boxes, scale=gray.shape[1] / image.width)
        caption = f"{method_display_name(result.method)} — {result.task.capitalize()}"
        if result.probability is not None:
            caption += f" (p = {result.probability:.3f})"
        if result.map_of:
            caption += f": evidence for {result.map_of}"
        case.images.append(ReportImage(caption, overlay))
    case.patient_fields, case.patient_note = _dicom_fields(image.dicom, include_patient_data)
    return case


def _overlay(gray: np.ndarray, heatmap: np.ndarray, colormap: str, alpha: float) -> np.ndarray:
    heat = heatmap.astype(np.float32, copy=False)
    if heat.shape[:2] != gray.shape[:2]:
        heat = np.asarray(
            cv2.resize(heat, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR), dtype=np.float32
        )
    return np.asarray(render_overlay(gray, heat, colormap, alpha), dtype=np.uint8)


def _draw_boxes(rgb: np.ndarray, boxes: Iterable[tuple[int, int, int, int]], scale: float) -> np.ndarray:
    out = np.ascontiguousarray(rgb.copy())
    thickness = max(2, round(max(out.shape[:2]) / 300))
    for x, y, w, h in boxes:
        p1 = (round(x * scale), round(y * scale))
        p2 = (round((x + w) * scale), round((y + h) * scale))
        cv2.rectangle(out, p1, p2, (0, 255, 0), thickness)
    return out


def _display_name(analysis: AnalysisResult, include_patient_data: bool) -> str:
    """DICOM file names are often built from patient names or IDs, so they are withheld unless allowed."""
    name = Path(analysis.path).name
    is_dicom = analysis.image is not None and analysis.image.dicom is not None
    if is_dicom and not include_patient_data:
        return f"DICOM image {(analysis.image_sha256 or '')[:12]} (file name withheld)"
    return name


def _dicom_fields(dicom: Any, include_patient_data: bool) -> tuple[list[tuple[str, str]], str]:
    if dicom is None:
        return [], "Not a DICOM image: no patient or study fields."
    if include_patient_data:
        return _as_pairs(dicom.display_fields(deidentified=False)), "Included at the user's request."
    return (
        _as_pairs(dicom.display_fields(deidentified=True)),
        "De-identified: patient and study identifiers are withheld; only technical fields are shown.",
    )


def _as_pairs(fields: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> list[tuple[str, str]]:
    items = fields.items() if isinstance(fields, Mapping) else fields
    return [(str(k), "—" if v in (None, "") else str(v)) for k, v in items]
