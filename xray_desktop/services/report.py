"""Export analyses as a PDF report: the one entry point the window, the CLI and batch share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from xray_desktop import __version__
from xray_desktop.atomic import atomic_write_bytes
from xray_desktop.errors import InputError, UsageError
from xray_desktop.explain.overlay import COLORMAPS
from xray_desktop.progress import Progress
from xray_desktop.reports.case import BATCH_MAX_SIDE, PRINT_MAX_SIDE, prepare_case
from xray_desktop.reports.content import PAGE_SIZES, ReportHeader
from xray_desktop.reports.pdf import build_pdf
from xray_desktop.results import AnalysisResult
from xray_desktop.security.permissions import Permission
from xray_desktop.services.session import Session

LARGE_BATCH = 20  # above this many cases, pictures are printed at a lower resolution


def export_report(
    session: Session,
    analyses: Sequence[AnalysisResult],
    out_path: str | Path,
    *,
    include_patient_data: bool = False,
    page_size: str = "A4",
    colormap: str = "jet",
    alpha: float = 0.4,
    title: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write a PDF report of `analyses` to `out_path` atomically and return the path.

    One image gives a single-case report; several give a summary table page and a
    page per case. Patient (DICOM) fields need Permission.REPORT_PATIENT_DATA.
    """
    session.require(Permission.REPORT)
    if include_patient_data:
        session.require(Permission.REPORT_PATIENT_DATA)
    analyses = list(analyses)
    if not analyses:
        raise UsageError("there is nothing to report: no analysis was given")
    if page_size not in PAGE_SIZES:
        raise UsageError(f"page size {page_size!r} is not supported; choose one of {', '.join(PAGE_SIZES)}")
    if colormap not in COLORMAPS:
        raise UsageError(f"colormap {colormap!r} is not available; choose one of {', '.join(COLORMAPS)}")
    if not 0.0 <= float(alpha) <= 1.0:
        raise UsageError(f"heatmap opacity must be between 0 and 1, got {alpha}")
    out = Path(out_path)
    if out.suffix.lower() != ".pdf":
        raise UsageError(f"{out}: a report file name must end in .pdf")

    header = ReportHeader(
        title=title
        or ("X-ray analysis report" if len(analyses) == 1 else f"X-ray batch report ({len(analyses)} images)"),
        created=datetime.now().astimezone(),
        username=session.username,
        role=session.role.value,
        app_version=__version__,
        page_size=page_size,
        colormap=colormap,
        alpha=float(alpha),
        include_patient_data=include_patient_data,
    )
    cases = []
    for done, item in enumerate(analyses):
        if progress is not None:
            progress.check_cancelled()
            progress.update(done, len(analyses) + 1, f"preparing {Path(item.path).name}")
        cases.append(
            prepare_case(
                item,
                include_patient_data=include_patient_data,
                colormap=colormap,
                alpha=float(alpha),
                max_side=PRINT_MAX_SIDE if len(analyses) <= LARGE_BATCH else BATCH_MAX_SIDE,
            )
        )
    if progress is not None:
        progress.update(len(analyses), len(analyses) + 1, "writing the PDF")
    data = build_pdf(header, cases)
    try:
        atomic_write_bytes(out, data)
    except OSError as exc:
        raise InputError(f"{out}: the report cannot be written ({exc.strerror or exc})") from None
    session.record(
        "report_export",
        path=str(out),
        images=[a.image_sha256 for a in analyses],
        include_patient_data=include_patient_data,
        page_size=page_size,
    )
    return out
