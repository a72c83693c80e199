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
from reportlab.lib.styles import ParagraphStyle
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
    TableStyle,
)

from xray_desktop.errors import UsageError
from xray_desktop.explain import faithfulness_text
from xray_desktop.reports.content import (
    DISCLAIMER,
    PAGE_SIZES,
    CaseSection,
    ReportHeader,
    ReportImage,
    method_display_name,
)
from xray_desktop.reports.fonts import FontSet, register_fonts
from xray_desktop.results import TaskResult, TaskStatus

MARGIN = 16 * mm
_GRID = colors.HexColor("#b0b7c0")
_HEAD_BG = colors.HexColor("#e8edf3")
_DISCLAIMER_RED = colors.HexColor("#9b1c1c")
_POSITIVE = colors.HexColor("#9b1c1c")


def page_size(name: str) -> tuple[float, float]:
    """Page dimensions in points for "A4" or "Letter"."""
    sizes = {"A4": A4, "Letter": LETTER}
    if name not in sizes:
        raise UsageError(f"page size {name!r} is not supported; choose one of {', '.join(PAGE_SIZES)}")
    return sizes[name]


class _Styles:
    def __init__(self, fonts: FontSet) -> None:
        base = ParagraphStyle("base", fontName=fonts.regular, fontSize=9, leading=11.5)
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=7.8, leading=9.6)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=8.2, leading=10)
        self.cell_small = ParagraphStyle("cellsmall", parent=base, fontSize=7.6, leading=9.4)
        self.cell_head = ParagraphStyle("cellhead", parent=self.cell, fontName=fonts.bold, fontSize=7.8)
        self.caption = ParagraphStyle("caption", parent=self.small, alignment=1)
        self.title = ParagraphStyle("title", parent=base, fontName=fonts.bold, fontSize=17, leading=21)
        self.h2 = ParagraphStyle("h2", parent=base, fontName=fonts.bold, fontSize=12.5, leading=16, spaceBefore=4)
        self.h3 = ParagraphStyle("h3", parent=base, fontName=fonts.bold, fontSize=10, leading=13, spaceBefore=6)
        self.banner = ParagraphStyle(
            "banner",
            parent=base,
            fontName=fonts.bold,
            textColor=_DISCLAIMER_RED,
            borderColor=_DISCLAIMER_RED,
            borderWidth=0.8,
            borderPadding=4,
            alignment=1,
            spaceBefore=4,
            spaceAfter=8,
        )


def build_pdf(header: ReportHeader, cases: Sequence[CaseSection]) -> bytes:
    """Return the whole report as PDF bytes: a summary page first when there is more than one case."""
    fonts = register_fonts()
    styles = _Styles(fonts)
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
    canvas.setStrokeColor(_GRID)
    canvas.line(MARGIN, height - MARGIN - 2.5 * mm, width - MARGIN, height - MARGIN - 2.5 * mm)
    canvas.line(MARGIN, MARGIN + 7 * mm, width - MARGIN, MARGIN + 7 * mm)
    canvas.setFont(fonts.bold, 8.5)
    canvas.setFillColor(_DISCLAIMER_RED)
    canvas.drawCentredString(width / 2, MARGIN + 3 * mm, DISCLAIMER)
    canvas.setFont(fonts.regular, 7)
    canvas.setFillColor(colors.HexColor("#555555"))
    stamp = _timestamp(header.created)
    canvas.drawCentredString(width / 2, MARGIN - 1 * mm, f"Generated {stamp} by {header.username}")
    canvas.restoreState()


def _table_style(styles: _Styles, commands: list) -> TableStyle:
    """Table commands plus the embedded font for any plain-string cell (reportlab's default is Helvetica)."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), styles.body.fontName), *commands])


def _timestamp(moment: datetime) -> str:
    """ "2026-11-25 14:10:25 CET (UTC+01:00)": local time, with the offset so it is unambiguous."""
    offset = moment.strftime("%z")
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    if not offset:
        return text
    zone = moment.tzname() or ""
    utc = f"UTC{offset[:3]}:{offset[3:]}"
    return f"{text} {zone} ({utc})" if zone and zone != "UTC" else f"{text} {utc}"


def _meta_table(header: ReportHeader, n_cases: int, styles: _Styles, width: float) -> Table:
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


def _key_value_table(rows: Sequence[tuple[str, str]], styles: _Styles, width: float) -> Table:
    data = [[Paragraph(escape(k), styles.cell_head), Paragraph(escape(v), styles.cell)] for k, v in rows]
    table = Table(data, colWidths=[38 * mm, width - 38 * mm], hAlign="LEFT")
    table.setStyle(
        _table_style(
            styles,
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, _GRID),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ],
        )
    )
    return table


def _case_story(case: CaseSection, prefix: str, styles: _Styles, width: float) -> list:
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
    story += [Paragraph("Results", styles.h3), _results_table(analysis.results, styles, width)]
    notes = _result_notes(analysis.results)
    if notes:
        story += [Spacer(1, 1.5 * mm)] + [Paragraph(escape(n), styles.small) for n in notes]
    if case.warnings:
        story.append(Paragraph("Image checks", styles.h3))
        story += [Paragraph(escape(f"• {w}"), styles.body) for w in case.warnings]
    story.append(KeepTogether(_patient_story(case, styles, width)))
    return story


def _image_grid(images: Sequence[ReportImage], styles: _Styles, width: float) -> Table:
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
    table.setStyle(_table_style(styles, [("ALIGN", (0, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
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


_HEADINGS = ("Task", "Probability", "Threshold", "Decision", "Model and explanation", "Validation AUC")
_COL_MM = (25, 20, 18.5, 22.5, 51, 41)  # fits "Cardiomegaly", "pneumonia-small_cnn-128-v1.0.0" on one line


def _results_table(results: Sequence[TaskResult], styles: _Styles, width: float) -> Table:
    scale = width / (sum(_COL_MM) * mm)
    col_widths = [c * mm * scale for c in _COL_MM]
    data: list[list] = [[Paragraph(h, styles.cell_head) for h in _HEADINGS]]
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), _HEAD_BG),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.3, _GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if not results:
        data.append([Paragraph("No task was run for this image.", styles.cell)] + [""] * 5)
        style.append(("SPAN", (0, 1), (-1, 1)))
    for row, result in enumerate(results, start=1):
        task_cell = Paragraph(escape(result.task.capitalize()), styles.cell_head)
        if result.status is not TaskStatus.OK:
            text = "No model installed" if result.status is TaskStatus.NOT_INSTALLED else "Model unavailable"
            if result.message and not result.message.lower().startswith(text.lower()[:8]):
                text += f": {result.message}"
            data.append([task_cell, Paragraph(escape(text), styles.cell)] + [""] * 4)
            style.append(("SPAN", (1, row), (-1, row)))
            continue
        data.append(
            [
                task_cell,
                Paragraph(_fmt(result.probability), styles.cell),
                Paragraph(_threshold_markup(result), styles.cell),
                Paragraph(_decision_markup(result) + _population_markup(result), styles.cell),
                Paragraph(_model_markup(result), styles.cell_small),
                Paragraph(_auc_markup(result), styles.cell),
            ]
        )
    table = Table(data, colWidths=col_widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(_table_style(styles, style))
    return table


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _threshold_markup(result: TaskResult) -> str:
    if result.threshold_source == "registry":
        point = f"<br/>({escape(result.operating_point)})" if result.operating_point else ""
        return _fmt(result.threshold) + point
    return f"{_fmt(result.threshold)}<br/>({escape(result.threshold_source)})"


def _decision_markup(result: TaskResult) -> str:
    label = escape(result.label or ("positive" if result.decision else "negative"))
    if result.decision:
        return f'<font color="{_POSITIVE.hexval()}"><b>{label}</b></font><br/>p ≥ threshold'
    if result.decision is None:
        return label
    return f"{label}<br/>p &lt; threshold"


def _model_markup(result: TaskResult) -> str:
    parts = [escape(result.model_id or "—")]
    name = " ".join(x for x in (result.model_name, f"v{result.model_version}" if result.model_version else "") if x)
    if name:
        parts.append(escape(name))
    if result.model_sha256:
        parts.append(f"sha256 {escape(result.model_sha256[:12])}")
    if result.method:
        shown = "" if result.heatmap is not None else " (not shown)"
        parts.append(f"heatmap: {escape(method_display_name(result.method))}{shown}")
    else:
        parts.append("heatmap: none")
    return "<br/>".join(parts)


def _auc_markup(result: TaskResult) -> str:
    if result.validation_auc is None:
        return "not recorded"
    text = f"{result.validation_auc:.3f}"
    if result.auc_split != "validation":
        text += f" ({escape(result.auc_split)})"
    if result.validation_data:
        text += f"<br/>on {escape(result.validation_data)}"
    return text


def _population_markup(result: TaskResult) -> str:
    if result.population != "outside":
        return ""
    return '<br/><font color="#b35c00"><b>Outside this model\'s training population</b></font>'


def _result_notes(results: Sequence[TaskResult]) -> list[str]:
    notes = []
    for r in results:
        if r.status is TaskStatus.OK and r.population == "outside":
            notes.append(
                f"{r.task.capitalize()}: Outside this model's training population — {r.population_reason}. "
                "Its probability is not evidence either way."
            )
        elif r.status is TaskStatus.OK:
            notes.append(f"{r.task.capitalize()}: population {r.population} — {r.population_reason}.")
        if r.status is TaskStatus.OK and r.threshold_source != "registry":
            notes.append(f"{r.task.capitalize()}: threshold set by an administrator ({r.threshold_source}).")
        if r.status is TaskStatus.OK and r.boxes:
            notes.append(f"{r.task.capitalize()}: {len(r.boxes)} region(s) marked on the overlay.")
        if r.status is TaskStatus.OK and r.map_faithfulness is not None:
            checked = faithfulness_text(r.map_faithfulness, r.map_random_baseline)
            notes.append(f"{r.task.capitalize()}: {method_display_name(r.method)} map {checked}.")
        if r.status is TaskStatus.OK and r.map_warning and r.heatmap is not None:
            notes.append(f"{r.task.capitalize()}: WARNING — {r.map_warning}.")
    if any(r.status is TaskStatus.OK for r in results):
        notes.append(
            "Probability: the model's calibrated output. Decision: positive when the probability is at or above "
            "the model's recorded threshold. Heatmaps show where the model looked, not a diagnosis."
        )
    return notes


def _patient_story(case: CaseSection, styles: _Styles, width: float) -> list:
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
        label = f'<font color="{_POSITIVE.hexval()}"><b>{label}</b></font>'
    return f"{label}<br/>p = {_fmt(result.probability)}<br/>threshold {_fmt(result.threshold)}" + _population_markup(
        result
    )


def _summary_table(cases: Sequence[CaseSection], styles: _Styles, width: float) -> Table:
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
        ("BACKGROUND", (0, 0), (-1, 0), _HEAD_BG),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.3, _GRID),
    ]
    for index, case in enumerate(cases, start=1):
        if case.analysis.error and len(col_widths) > 4:
            style.append(("SPAN", (3, index), (-1, index)))
    table.setStyle(_table_style(styles, style))
    return table
