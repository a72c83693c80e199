"""Doctors and administrators can ask for the report with patient fields, from the window and the CLI; students
cannot (issue 15, defect 8)."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from pypdf import PdfReader
from PySide6.QtWidgets import QFileDialog

from xray_desktop.cli import main
from xray_desktop.security.permissions import Role
from xray_desktop.services.session import Session
from xray_desktop.ui.main_window import MainWindow

FIXTURE = Path(__file__).parent / "fixtures" / "dicom" / "CR-MONO1-10-chest"


def _named_dicom(tmp_path: Path) -> Path:
    dataset = pydicom.dcmread(FIXTURE, force=True)
    dataset.PatientName = "DOE^JANE"
    dataset.PatientID = "PID-12345"
    out = tmp_path / "case.dcm"
    dataset.save_as(out)
    return out


def _pdf_text(path: Path) -> str:
    return " ".join(page.extract_text() or "" for page in PdfReader(path).pages)


def test_cli_report_with_patient_fields(tiny_models_dir, tmp_path: Path, capsys) -> None:
    dicom = _named_dicom(tmp_path)
    plain, named = tmp_path / "plain.pdf", tmp_path / "named.pdf"
    assert main(["analyze", str(dicom), "--task", "pneumonia", "--json", "--report", str(plain)]) == 0
    assert (
        main(["analyze", str(dicom), "--task", "pneumonia", "--json", "--report", str(named), "--patient-fields"]) == 0
    )
    assert "PID-12345" not in _pdf_text(plain)
    assert "PID-12345" in _pdf_text(named)
    assert main(["analyze", str(dicom), "--task", "pneumonia", "--patient-fields"]) == 2  # needs --report


@pytest.mark.slow
def test_window_offers_the_patient_report_to_doctors_only(qtbot, make_window, tiny_models_dir, tmp_path, monkeypatch):
    dicom = _named_dicom(tmp_path)
    window: MainWindow = make_window()
    assert window.action("report_patient").isVisible() and not window.action("report_patient").isEnabled()
    with qtbot.waitSignal(window.analysisShown, timeout=60000):
        window.open_path(dicom)
    assert window.action("report_patient").isEnabled()
    out = tmp_path / "named.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "PDF (*.pdf)")))
    window.action("report_patient").trigger()
    qtbot.waitUntil(out.exists, timeout=60000)
    assert "PID-12345" in _pdf_text(out)
    window.set_session(Session("stud", Role.STUDENT))
    assert not window.action("report_patient").isVisible()
