"""The settings dialog edits and saves settings, locks admin-only fields, and reports bad imports in place."""

from __future__ import annotations

from pathlib import Path

from reports_support import session

from xray_desktop.security.permissions import Role
from xray_desktop.services.settings import SettingsService
from xray_desktop.ui.settings_dialog import SettingsDialog


def test_ok_saves_the_edited_settings(qtbot) -> None:
    service = SettingsService()
    dialog = SettingsDialog(service, session(Role.ADMIN))
    qtbot.addWidget(dialog)
    dialog.alpha_slider.setValue(70)
    dialog.colormap_combo.setCurrentIndex(dialog.colormap_combo.findData("viridis"))
    dialog.threshold_checks["pneumonia"].setChecked(True)
    dialog.threshold_spins["pneumonia"].setValue(0.33)
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    saved = SettingsService().get()
    assert (saved.heatmap_alpha, saved.colormap, saved.threshold_overrides) == (0.7, "viridis", {"pneumonia": 0.33})


def test_student_cannot_touch_admin_fields(qtbot) -> None:
    dialog = SettingsDialog(SettingsService(), session(Role.STUDENT))
    qtbot.addWidget(dialog)
    assert not dialog.idle_spin.isEnabled()
    assert not any(c.isEnabled() for c in dialog.threshold_checks.values())
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    dialog.accept()
    assert SettingsService().get().theme == "dark"


def test_bad_import_is_reported_in_the_dialog(qtbot, tmp_path: Path) -> None:
    service = SettingsService()
    dialog = SettingsDialog(service, session(Role.ADMIN))
    qtbot.addWidget(dialog)
    bad = tmp_path / "broken.json"
    bad.write_text('{"format": "xray-desktop-settings", "version": 1, "settings": {"heatmap_alpha": 7}}')
    assert dialog.import_from(bad) is None
    assert "broken.json" in dialog.error_label.text() and "heatmap_alpha" in dialog.error_label.text()

    good = dialog.export_to(tmp_path / "good.json")
    assert good is not None and good.exists()
    dialog.alpha_slider.setValue(10)
    dialog.accept()
    assert service.get().heatmap_alpha == 0.1
    dialog2 = SettingsDialog(service, session(Role.ADMIN))
    qtbot.addWidget(dialog2)
    assert dialog2.import_from(good) is not None
    assert dialog2.alpha_slider.value() == 40
