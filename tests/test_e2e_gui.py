"""End to end with the shipped models: log in, open a sample, analyse, fade the map, switch the method,
write the PDF report, and the probability printed in the PDF is the one the card shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import TEST_ADMIN
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog
from ui_support import PNEUMONIA_SAMPLE

from xray_desktop import paths
from xray_desktop.models.registry import Registry
from xray_desktop.services.auth import AuthService
from xray_desktop.ui.app_services import AppServices
from xray_desktop.ui.login_dialog import LoginDialog, run_login
from xray_desktop.ui.main_window import MainWindow
from xray_desktop.ui.probability_bar import ProbabilityBar

pytestmark = pytest.mark.slow

TIMEOUT_MS = 120000


def log_in_through_the_dialog(auth: AuthService) -> object:
    """Type the administrator's name and password into the real login dialog once it is shown."""

    def fill() -> None:
        dialog = next((w for w in QApplication.topLevelWidgets() if isinstance(w, LoginDialog) and w.isVisible()), None)
        if dialog is None:
            QTimer.singleShot(20, fill)
            return
        dialog.username.setText(TEST_ADMIN[0])
        dialog.password.setText(TEST_ADMIN[1])
        dialog.login_button.click()

    QTimer.singleShot(0, fill)
    return run_login(auth)


def card_percent(window: MainWindow, task: str) -> float:
    """The probability the task's card shows (its bar's tooltip: "probability 87.3%; ...")."""
    card = next(c for c in window.results.cards() if c.task == task)
    bar = card.findChild(ProbabilityBar)
    match = re.search(r"probability ([0-9.]+)%", bar.toolTip())
    assert match, bar.toolTip()
    return float(match.group(1))


def test_log_in_analyse_fade_switch_method_and_report_with_the_shipped_models(
    qtbot, auth_service: AuthService, admin_session, isolated_home: Path, tmp_path: Path, monkeypatch, dialogs
) -> None:
    from pypdf import PdfReader

    monkeypatch.delenv("XRAY_DESKTOP_MODELS", raising=False)
    shipped = Registry.load(paths.registry_path())
    assert paths.registry_path() == paths.install_root() / "models" / "registry.json"
    pneumonia_model = shipped.active_models["pneumonia"]
    assert pneumonia_model, "a pneumonia model ships with the program"

    session = log_in_through_the_dialog(auth_service)
    assert session is not None and session.username == TEST_ADMIN[0]
    window = MainWindow(session, services=AppServices.open(auth_service, isolated_home))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.start_models()

    with qtbot.waitSignal(window.analysisShown, timeout=TIMEOUT_MS) as shown:
        window.open_path(PNEUMONIA_SAMPLE)
    first = shown.args[0].result_for("pneumonia")
    assert first.model_id == pneumonia_model and first.heatmap is not None
    assert card_percent(window, "pneumonia") == pytest.approx(round(first.probability * 100, 1))

    blends = window.viewer.blend_count
    window.heatmap.opacity.setValue(70)  # the user drags the slider
    assert window.viewer.opacity() == pytest.approx(0.70)
    assert window.viewer.blend_count > blends, "the slider re-blends the cached map"

    combo = window.heatmap.method
    with qtbot.waitSignal(window.analysisShown, timeout=TIMEOUT_MS) as switched:
        combo.setCurrentIndex(combo.findData("gradcam++"))
    result = switched.args[0].result_for("pneumonia")
    assert result.method == "gradcam++" and result.heatmap is not None
    assert result.probability == pytest.approx(first.probability), "the method changes the map, not the answer"
    shown_percent = card_percent(window, "pneumonia")

    out = tmp_path / "case.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PDF (*.pdf)"))
    assert window.action("report").isEnabled()
    window.action("report").trigger()
    qtbot.waitUntil(lambda: "Report written" in window.status_label.text(), timeout=TIMEOUT_MS)
    text = " ".join(page.extract_text() for page in PdfReader(out).pages)
    printed = re.search(r"Pneumonia\s+([01]\.\d{3})", text)
    assert printed, text[:2000]
    assert printed.group(1) == f"{result.probability:.3f}"
    assert float(printed.group(1)) * 100 == pytest.approx(shown_percent, abs=0.05 + 1e-9), "PDF and card agree"
    assert "Grad-CAM++" in text and "opacity 0.70" in text and pneumonia_model in text
    assert f"{TEST_ADMIN[0]} (admin)" in text
    window.close()
    assert not window.models.running
    assert not dialogs.calls
