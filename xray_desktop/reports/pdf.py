"""Lay a report out as PDF bytes with reportlab.

Only drawing happens here: which images, which fields and which words come in as
`reports.content` values. Every page carries the disclaimer, the user and the
time in its footer, so a single printed page still says what it is.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
from PIL import Image as PILImage
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
)

from xray_desktop.errors import UsageError
from xray_desktop.reports.content import (
    DISCLAIMER,
    PAGE_SIZES,
    CaseSection,
    ReportHeader,
    ReportImage,
)
from xray_desktop.reports.fonts import FontSet, register_fonts
from xray_desktop.reports.pdf_results import fmt, population_markup, result_notes, results_table
from xray_desktop.reports.pdf_style import DISCLAIMER_RED, GRID, HEAD_BG, MARGIN, POSITIVE, Styles, table_style
from xray_desktop.results import TaskResult, TaskStatus


def page_size(name: str) -> tuple[float, float]:
    """Page dimensions in points for "A4" or "Letter"."""
    sizes = {"A4": A4, "Letter": LETTER}
    if name not in sizes:
        raise UsageError(f"page size {name!r} is not supported; choose one of {', '.join(PAGE_SIZES)}")
    return sizes[name]


def build_pdf(header: ReportHeader, cases: Sequence[CaseSection]) -> bytes:
    """Return the whole report as PDF bytes: a summary page first when there is more than one case."""
    fonts = register_fonts()
    styles = Styles(fonts)
    size = page_size(header.page_size)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=size,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 6 * mm,
        bottomMargin=MARGIN + 8 * mm,
        title=header.title,
        author=header.username,
        subject=DISCLAIMER,
        creator=f"XRay Desktop {header.app_version}",
        initialFontName=fonts.regular,  # else every page selects Helvetica, which is not embedded
    )
    width = size[0] - 2 * MARGIN
    story: list = [Paragraph(escape(header.title), styles.title), Paragraph(escape(DISCLAIMER), styles.banner)]
    story.append(_meta_table(header, len(cases), styles, width))
    if len(cases) > 1:
        story += [Spacer(1, 5 * mm), Paragraph("Summary", styles.h2), _summary_table(cases, styles, width)]
        for index, case in enumerate(cases, start=1):
            story.append(PageBreak())
            story += _case_story(case, f"Case {index} of {len(cases)}: ", styles, width)
    else:
        for case in cases:
            story.append(Spacer(1, 3 * mm))
            story += _case_story(case, "", styles, width)

    def decorate(canvas, document) -> None:
        _draw_page_frame(canvas, document, header, fonts)

    doc.build(story, onFirstPage=decorate, onLaterPages=decorate, canvasmaker=_numbered_canvas(fonts))
    return buffer.getvalue()


def _numbered_canvas(fonts: FontSet) -> type[Canvas]:
    """A canvas that holds pages back until the end, so each can say "Page 2 of 7"."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for state in self._pages:
                self.__dict__.update(state)
                width, height = self._pagesize
                self.setFont(fonts.regular, 7.5)
                self.setFillColor(colors.HexColor("#555555"))
                self.drawRightString(width - MARGIN, height - MARGIN, f"Page {self._pageNumber} of {len(self._pages)}")
                super().showPage()
            super().save()

    return NumberedCanvas


def _draw_page_frame(canvas, document, header: ReportHeader, fonts: FontSet) -> None:
    width, height = document.pagesize
    canvas.saveState()
    canvas.setFont(fonts.regular, 7.5)
    canvas.setFillColor(colors.HexColor("#555555"))
    canvas.drawString(MARGIN, height - MARGIN, f"XRay Desktop {header.app_version} — {header.title}")
    canvas.setStrokeColor(GRID)
    canvas.line(MARGIN, height - MARGIN - 2.5 * mm, width - MARGIN, height - MARGIN - 2.5 * mm)
    canvas.line(MARGIN, MARGIN + 7 * mm, width - MARGIN, MARGIN + 7 * mm)
    canvas.setFont(fonts.bold, 8.5)
    canvas.setFillColor(DISCLAIMER_RED)
    canvas.drawCentredString(width / 2, MARGIN + 3 * mm, DISCLAIMER)
    canvas.setFont(fonts.regular, 7)
    canvas.setFillColor(colors.HexColor("#555555"))
    stamp = _timestamp(header.created)
    canvas.drawCentredString(width / 2, MARGIN - 1 * mm, f"Generated {stamp} by {header.username}")
    canvas.restoreState()


def _timestamp(moment: datetime) -> str:
    """ "2026-11-25 14:10:25 CET (UTC+01:00)": local time, with the offset so it is unambiguous."""
    offset = moment.strftime("%z")
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    if not offset:
        return text
    zone = moment.tzname() or ""
    utc = f"UTC{offset[:3]}:{offset[3:]}"
    return f"{text} {zone} ({utc})" if zone and zone != "UTC" else f"{text} {utc}"


def _meta_table(header: ReportHeader, n_cases: int, styles: Styles, width: float) -> Table:
    created = _timestamp(header.created)
    privacy = (
        "included (requested by the user)"
        if header.include_patient_data
        else "withheld — de-identified report (no patient or study identifiers)"
    )
    rows = [
        ("Date and time", created),
        ("User", f"{header.username} ({header.role})"),
        ("Images", str(n_cases)),
        ("Heatmap display", f"colormap {header.colormap}, opacity {header.alpha:.2f}"),
        ("Patient data", privacy),
    ]
    return _key_value_table(rows, styles, width)


def _key_value_table(rows: Sequence[tuple[str, str]], styles: Styles, width: float) -> Table:
    data = [[Paragraph(escape(k), styles.cell_head), Paragraph(escape(v), styles.cell)] for k, v in rows]
    table = Table(data, colWidths=[38 * mm, width - 38 * mm], hAlign="LEFT")
    table.setStyle(
        table_style(
            styles,
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, GRID),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ],
        )
    )
    return table


def _case_story(case: CaseSection, prefix: str, styles: Styles, width: float) -> list:
    analysis = case.analysis
    story: list = [Paragraph(escape(f"{prefix}{case.display_name}"), styles.h2)]
    image = analysis.image
    rows = [("Image SHA-256", analysis.image_sha256 or "—")]
    if image is not None:
        rows.append(("Image", f"{image.format}, {image.width} × {image.height} px, {image.bit_depth}-bit"))
    story.append(_key_value_table(rows, styles, width))
    if analysis.error:
        story += [
            Spacer(1, 3 * mm),
            Paragraph(escape(f"This image could not be analysed: {case.error}"), styles.body),
        ]
        return story
    if case.images:
        story += [Spacer(1, 3 * mm), _image_grid(case.images, styles, width)]
    story += [Paragraph("Results", styles.h3), results_table(analysis.results, styles, width)]
    notes = result_notes(analysis.results)
    if notes:
        story += [Spacer(1, 1.5 * mm)] + [Paragraph(escape(n), styles.small) for n in notes]
    if case.warnings:
        story.append(Paragraph("Image checks", styles.h3))
        story += [Paragraph(escape(f"• {w}"), styles.body) for w in case.warnings]
    story.append(KeepTogether(_patient_story(case, styles, width)))
    return story


def _image_grid(images: Sequence[ReportImage], styles: Styles, width: float) -> Table:
    """Original and overlay side by side: two across when there is one overlay, three across otherwise."""
    columns = 2 if len(images) <= 2 else 3
    gap = 4 * mm
    cell_w = (width - gap * (columns - 1)) / columns
    max_h = 84 * mm if columns == 2 else 66 * mm
    cells: list[Any] = []
    for item in images:
        flowable = _image_flowable(item.pixels, cell_w, max_h)
        cells.append([flowable, Paragraph(escape(item.caption), styles.caption)])
    rows = [cells[i : i + columns] for i in range(0, len(cells), columns)]
    rows[-1] += [""] * (columns - len(rows[-1]))
    table = Table(rows, colWidths=[cell_w + gap * (columns - 1) / columns] * columns, hAlign="CENTER")
    table.setStyle(table_style(styles, [("ALIGN", (0, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _image_flowable(pixels: np.ndarray, max_w: float, max_h: float) -> list:
    """The image scaled to fit the box, keeping its aspect ratio.

    JPEG at quality 92 (embedded as-is by reportlab) keeps a case page near 0.5 MB instead
    of several MB of Flate-compressed pixels, with no difference visible on paper.
    """
    buffer = io.BytesIO()
    PILImage.fromarray(np.ascontiguousarray(pixels)).save(buffer, format="JPEG", quality=92, subsampling=0)
    buffer.seek(0)
    h, w = pixels.shape[:2]
    scale = min(max_w / w, max_h / h)
    return Image(buffer, width=w * scale, height=h * scale)


def _patient_story(case: CaseSection, styles: Styles, width: float) -> list:
    story: list = [Paragraph("DICOM fields", styles.h3)]
    if case.patient_note:
        story.append(Paragraph(escape(case.patient_note), styles.body))
    if case.patient_fields:
        story.append(_key_value_table(case.patient_fields, styles, width))
    return story


def _summary_cell(result: TaskResult | None) -> str:
    if result is None:
        return "—"
    if result.status is TaskStatus.NOT_INSTALLED:
        return "no model installed"
    if result.status is TaskStatus.UNAVAILABLE:
        return "model unavailable"
    label = escape(result.label or ("positive" if result.decision else "negative"))
    if result.decision:
        label = f'<font color="{POSITIVE.hexval()}"><b>{label}</b></font>'
    return f"{label}<br/>p = {fmt(result.probability)}<br/>threshold {fmt(result.threshold)}" + population_markup(
        result
    )


def _summary_table(cases: Sequence[CaseSection], styles: Styles, width: float) -> Table:
    tasks: list[str] = []
    for case in cases:
        for r in case.analysis.results:
            if r.task not in tasks:
                tasks.append(r.task)
    fixed = [8 * mm, 44 * mm, 27 * mm]
    rest = max(width - sum(fixed), 20 * mm)
    col_widths = fixed + [rest / max(len(tasks), 1)] * max(len(tasks), 1)
    head = ["#", "Image", "SHA-256"] + [t.capitalize() for t in tasks] if tasks else ["#", "Image", "SHA-256", "Result"]
    data: list[list] = [[Paragraph(escape(h), styles.cell_head) for h in head]]
    for index, case in enumerate(cases, start=1):
        row = [
            Paragraph(str(index), styles.cell),
            Paragraph(escape(case.display_name), styles.cell),
            Paragraph(escape((case.analysis.image_sha256 or "—")[:12]), styles.cell),
        ]
        if case.analysis.error:
            row.append(Paragraph(escape(f"not analysed: {case.error}"), styles.cell))
            row += [""] * (len(col_widths) - len(row))
        else:
            row += [Paragraph(_summary_cell(case.analysis.result_for(t)), styles.cell) for t in tasks] or [""]
        data.append(row)
    table = Table(data, colWidths=col_widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.3, GRID),
    ]
    for index, case in enumerate(cases, start=1):
        if case.analysis.error and len(col_widths) > 4:
            style.append(("SPAN", (3, index), (-1, index)))
    table.setStyle(table_style(styles, style))
    return table
