"""The application settings dialog: edits a Settings value and saves it through the SettingsService.

Fields the logged-in role may not change (idle lock, threshold overrides) are shown
but disabled. Import, export, backup and restore call the service; the file pickers
only choose paths, so tests call `import_from()` / `export_to()` / `restore_from()`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from xray_desktop.errors import XRayError
from xray_desktop.explain import METHOD_NAMES
from xray_desktop.security.permissions import Permission
from xray_desktop.services.session import Session
from xray_desktop.services.settings import SettingsService
from xray_desktop.storage.settings import (
    COLORMAPS,
    MAX_IDLE_LOCK_MINUTES,
    METHODS,
    PAGE_SIZES,
    THEMES,
    Settings,
)
from xray_desktop.tasks import TASKS


class SettingsDialog(QDialog):
    """Modal settings editor; `accept()` saves, errors stay in the dialog with the reason."""

    def __init__(self, service: SettingsService, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._service = service
        self._session = session

        self.alpha_slider = QSlider(Qt.Orientation.Horizontal)
        self.alpha_slider.setRange(0, 100)
        self.alpha_value = QLabel()
        self.alpha_slider.valueChanged.connect(lambda v: self.alpha_value.setText(f"{v} %"))
        self.colormap_combo = _combo(COLORMAPS)
        self.method_combo = _combo(METHODS, METHOD_NAMES)
        self.hide_negative_check = QCheckBox("Hide the heatmap when the answer is negative")
        self.theme_combo = _combo(THEMES, {t: t.capitalize() for t in THEMES})
        self.big_fonts_check = QCheckBox("Big fonts (projector)")
        self.teaching_check = QCheckBox("Teaching mode: hide the AI answer until revealed")
        self.page_size_combo = _combo(PAGE_SIZES)
        self.idle_spin = QSpinBox()
        self.idle_spin.setRange(0, MAX_IDLE_LOCK_MINUTES)
        self.idle_spin.setSpecialValueText("never")
        self.idle_spin.setSuffix(" min")
        self.collapse_check = QCheckBox(
            "Collapse the probability of a film outside the model's training population (the verdict always shows)"
        )

        alpha_row = QHBoxLayout()
        alpha_row.addWidget(self.alpha_slider, 1)
        alpha_row.addWidget(self.alpha_value)
        display = QGroupBox("Display")
        display_form = QFormLayout(display)
        display_form.addRow("Heatmap opacity", alpha_row)
        display_form.addRow("Colormap", self.colormap_combo)
        display_form.addRow("Explanation method", self.method_combo)
        display_form.addRow(self.hide_negative_check)
        display_form.addRow("Theme", self.theme_combo)
        display_form.addRow(self.big_fonts_check)
        display_form.addRow(self.teaching_check)
        display_form.addRow("Report page size", self.page_size_combo)

        policy = QGroupBox("Machine policy (administrators)")
        policy_layout = QGridLayout(policy)
        policy_layout.addWidget(QLabel("Lock after idle"), 0, 0)
        policy_layout.addWidget(self.idle_spin, 0, 1, 1, 2)
        policy_layout.addWidget(self.collapse_check, 99, 0, 1, 3)
        policy_layout.addWidget(QLabel("Threshold overrides (unticked: the model's recorded threshold)"), 1, 0, 1, 3)
        self.threshold_checks: dict[str, QCheckBox] = {}
        self.threshold_spins: dict[str, QDoubleSpinBox] = {}
        for row, task in enumerate(TASKS.values(), start=2):
            check = QCheckBox(task.positive_label)
            spin = QDoubleSpinBox()
            spin.setRange(0.01, 0.99)
            spin.setDecimals(3)
            spin.setSingleStep(0.01)
            check.toggled.connect(spin.setEnabled)
            self.threshold_checks[task.name] = check
            self.threshold_spins[task.name] = spin
            policy_layout.addWidget(check, row, 0)
            policy_layout.addWidget(spin, row, 1)

        self.import_button = QPushButton("Import…")
        self.export_button = QPushButton("Export…")
        self.backup_button = QPushButton("Back up")
        self.restore_button = QPushButton("Restore…")
        files_row = QHBoxLayout()
        for button in (self.import_button, self.export_button, self.backup_button, self.restore_button):
            files_row.addWidget(button)
        files_row.addStretch(1)

        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )

        layout = QVBoxLayout(self)
        layout.addWidget(display)
        layout.addWidget(policy)
        layout.addLayout(files_row)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            lambda: self.load(Settings())
        )
        self.import_button.clicked.connect(self._pick_import)
        self.export_button.clicked.connect(self._pick_export)
        self.backup_button.clicked.connect(self.backup)
        self.restore_button.clicked.connect(self._pick_restore)

        self.idle_spin.setEnabled(session.can(Permission.EDIT_SETTINGS))
        self.collapse_check.setEnabled(session.can(Permission.EDIT_SETTINGS))
        self._thresholds_allowed = session.can(Permission.SET_THRESHOLDS)
        self.load(service.get())

    def load(self, settings: Settings) -> None:
        """Show `settings` in the widgets (nothing is saved until OK)."""
        self.alpha_slider.setValue(round(settings.heatmap_alpha * 100))
        self.alpha_value.setText(f"{self.alpha_slider.value()} %")
        _select(self.colormap_combo, settings.colormap)
        _select(self.method_combo, settings.method)
        self.hide_negative_check.setChecked(settings.hide_map_when_negative)
        _select(self.theme_combo, settings.theme)
        self.big_fonts_check.setChecked(settings.big_fonts)
        self.teaching_check.setChecked(settings.teaching_mode)
        _select(self.page_size_combo, settings.report_page_size)
        self.idle_spin.setValue(settings.idle_lock_minutes)
        self.collapse_check.setChecked(settings.collapse_outside_population)
        for task, check in self.threshold_checks.items():
            override = settings.threshold_overrides.get(task)
            check.setChecked(override is not None)
            self.threshold_spins[task].setValue(override if override is not None else 0.5)
            check.setEnabled(self._thresholds_allowed)
            self.threshold_spins[task].setEnabled(self._thresholds_allowed and override is not None)
        self.error_label.clear()

    def settings(self) -> Settings:
        """The Settings the widgets describe now."""
        return Settings(
            heatmap_alpha=self.alpha_slider.value() / 100,
            colormap=self.colormap_combo.currentData(),
            method=self.method_combo.currentData(),
            hide_map_when_negative=self.hide_negative_check.isChecked(),
            theme=self.theme_combo.currentData(),
            idle_lock_minutes=self.idle_spin.value(),
            threshold_overrides={
                task: round(self.threshold_spins[task].value(), 3)
                for task, check in self.threshold_checks.items()
                if check.isChecked()
            },
            big_fonts=self.big_fonts_check.isChecked(),
            teaching_mode=self.teaching_check.isChecked(),
            report_page_size=self.page_size_combo.currentData(),
            collapse_outside_population=self.collapse_check.isChecked(),
        )

    def accept(self) -> None:
        if self._run(lambda: self._service.replace(self._session, self.settings())) is not None:
            super().accept()

    def import_from(self, path: str | Path) -> Settings | None:
        return self._run_and_load(lambda: self._service.import_json(self._session, path))

    def export_to(self, path: str | Path) -> Path | None:
        return self._run(lambda: self._service.export_json(self._session, path))

    def backup(self) -> Path | None:
        path = self._run(lambda: self._service.backup(self._session))
        if path is not None:
            self.error_label.setStyleSheet("")
            self.error_label.setText(f"Backed up to {path}")
        return path

    def restore_from(self, path: str | Path) -> Settings | None:
        return self._run_and_load(lambda: self._service.restore(self._session, path))

    def _run(self, action):
        try:
            return action()
        except XRayError as exc:
            self.error_label.setStyleSheet("color: #b00020;")
            self.error_label.setText(str(exc))
            return None

    def _run_and_load(self, action):
        result = self._run(action)
        if result is not None:
            self.load(result)
        return result

    def _pick_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import settings", "", "Settings (*.json)")
        if path:
            self.import_from(path)

    def _pick_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export settings", "xray-desktop-settings.json", "Settings (*.json)"
        )
        if path:
            self.export_to(path)

    def _pick_restore(self) -> None:
        backups = self._service.list_backups()
        start = str(backups[0].parent) if backups else ""
        path, _ = QFileDialog.getOpenFileName(self, "Restore settings backup", start, "Settings backup (*.enc)")
        if path:
            self.restore_from(path)


def _combo(values: tuple[str, ...], labels: dict[str, str] | None = None) -> QComboBox:
    combo = QComboBox()
    for value in values:
        combo.addItem((labels or {}).get(value, value), value)
    return combo


def _select(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(max(index, 0))
