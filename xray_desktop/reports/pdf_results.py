"""The PDF report's results table: one row per task with probability, threshold, decision, model and AUC."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Table

from xray_desktop.explain import faithfulness_text
from xray_desktop.reports.content import method_display_name
from xray_desktop.reports.pdf_style import GRID, HEAD_BG, POSITIVE, Styles, table_style
from xray_desktop.results import TaskResult, TaskStatus

_HEADINGS = ("Task", "Probability", "Threshold", "Decision", "Model and explanation", "Validation AUC")
_COL_MM = (25, 20, 18.5, 22.5, 51, 41)  # fits "Cardiomegaly", "pneumonia-small_cnn-128-v1.0.0" on one line


def results_table(results: Sequence[TaskResult], styles: Styles, width: float) -> Table:
    scale = width / (sum(_COL_MM) * mm)
    col_widths = [c * mm * scale for c in _COL_MM]
    data: list[list] = [[Paragraph(h, styles.cell_head) for h in _HEADINGS]]
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.3, GRID),
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
                Paragraph(fmt(result.probability), styles.cell),
                Paragraph(_threshold_markup(result), styles.cell),
                Paragraph(_decision_markup(result) + population_markup(result), styles.cell),
                Paragraph(_model_markup(result), styles.cell_small),
                Paragraph(_auc_markup(result), styles.cell),
            ]
        )
    table = Table(data, colWidths=col_widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(table_style(styles, style))
    return table


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _threshold_markup(result: TaskResult) -> str:
    if result.threshold_source == "registry":
        point = f"<br/>({escape(result.operating_point)})" if result.operating_point else ""
        return fmt(result.threshold) + point
    return f"{fmt(result.threshold)}<br/>({escape(result.threshold_source)})"


def _decision_markup(result: TaskResult) -> str:
    label = escape(result.label or ("positive" if result.decision else "negative"))
    if result.decision:
        return f'<font color="{POSITIVE.hexval()}"><b>{label}</b></font><br/>p ≥ threshold'
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


def population_markup(result: TaskResult) -> str:
    """A line under the decision when the film is outside the model's training population."""
    if result.population != "outside":
        return ""
    return '<br/><font color="#b35c00"><b>Outside this model\'s training population</b></font>'


def result_notes(results: Sequence[TaskResult]) -> list[str]:
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
        if r.status is TaskStatus.OK and r.map_of and r.heatmap is not None:
            notes.append(f"{r.task.capitalize()}: the heatmap shows the evidence for {r.map_of} (the model's answer).")
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
