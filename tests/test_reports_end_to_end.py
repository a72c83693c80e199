"""A real analysis (tiny trained Keras model) flows into history, a PDF report and feedback unchanged."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from reports_support import RecordingAudit, pdf_page_texts, session

from xray_desktop import DISCLAIMER
from xray_desktop.models.registry import Registry
from xray_desktop.results import TaskStatus
from xray_desktop.security.permissions import Role
from xray_desktop.services.analyze import analyze_image
from xray_desktop.services.feedback import FeedbackService
from xray_desktop.services.history import HistoryService
from xray_desktop.services.providers import default_provider
from xray_desktop.services.report import export_report

pytestmark = pytest.mark.slow


def _square_png(folder: Path, size: int = 96) -> Path:
    rng = np.random.default_rng(3)
    image = rng.uniform(0.0, 0.35, (size, size))
    image[20:44, 50:74] = 0.95
    path = folder / "square_case.png"
    cv2.imwrite(str(path), (image * 255).astype(np.uint8))
    return path


def test_real_analysis_to_history_report_and_feedback(tiny_models_dir: Path, tmp_path: Path) -> None:
    audit = RecordingAudit()
    doctor = session(Role.DOCTOR, "dr.e2e", audit)
    manager = default_provider(Registry.load(tiny_models_dir / "registry.json"))
    analysis = analyze_image(doctor, _square_png(tmp_path), manager=manager, tasks=["pneumonia", "fracture"])
    pneumonia = analysis.result_for("pneumonia")
    assert pneumonia.status is TaskStatus.OK and pneumonia.heatmap is not None
    assert analysis.result_for("fracture").status is TaskStatus.NOT_INSTALLED

    entry = HistoryService().record_analysis(doctor, analysis)
    out = export_report(doctor, [analysis], tmp_path / "case.pdf")
    text = " ".join(" ".join(p.split()) for p in pdf_page_texts(out))
    assert f"{pneumonia.probability:.3f}" in text
    assert f"{pneumonia.threshold:.3f}" in text
    assert f"{pneumonia.validation_auc:.3f}" in text and "64 generated square images" in text
    assert "tiny-pneumonia" in text and f"sha256 {pneumonia.model_sha256[:12]}" in text
    assert "No model installed" in text and DISCLAIMER in text and analysis.image_sha256 in text

    reopened = HistoryService().get(doctor, entry.id).to_analysis(analysis.image)
    again = export_report(doctor, [reopened], tmp_path / "reopened.pdf")
    assert f"{pneumonia.probability:.3f}" in " ".join(pdf_page_texts(again))

    FeedbackService().record(doctor, analysis, "pneumonia", "agree", history_id=entry.id)
    [feedback] = FeedbackService().for_image(doctor, analysis.image_sha256)
    assert (feedback.model_id, feedback.model_sha256, feedback.correct_label) == (
        "tiny-pneumonia",
        pneumonia.model_sha256,
        "Pneumonia" if pneumonia.decision else "Normal",
    )
    assert [e for e in audit.names() if e != "analysis"] == [
        "history_add",
        "report_export",
        "report_export",
        "feedback",
    ]
