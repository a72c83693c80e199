"""Choose the operating point (screening / balanced / confirm) that runs for the selected model's task.

Shown under the Models dialog's list for the active model of a task; each point names its threshold and
its internal-test sensitivity / specificity, so an administrator picks by measured figures, not by a
number typed in. The change runs as a job (it saves the registry) and is audited by the service.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from xray_desktop.models.registry import ModelEntry, Registry
from xray_desktop.progress import Progress
from xray_desktop.services.session import Session
from xray_desktop.ui.engine import AnalysisEngine


@dataclass
class SetOperatingPointJob:
    session: Session
    task: str
    name: str
    kind = "set_operating_point"

    def run(self, engine: AnalysisEngine, progress: Progress) -> Registry:
        from xray_desktop.services.operating_points import set_operating_point

        registry = set_operating_point(self.session, self.task, self.name)
        engine.manager.set_registry(registry)
        return registry


def point_text(op: dict) -> str:
    """'balanced — threshold 0.412 (test sens 0.94 / spec 0.91)' for the combo box."""
    figures = op.get("test") or op.get("validation") or {}
    where = "test" if op.get("test") else "validation"
    text = f"{op['name']} — threshold {float(op['threshold']):.3f}"
    if figures:
        text += f" ({where} sens {figures['sensitivity']:.2f} / spec {figures['specificity']:.2f})"
    return text


class OperatingPointPicker(QWidget):
    chosen = Signal(str, str)  # task, operating point name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel("Operating point:", self)
        self.combo = QComboBox(self)
        self.button = QPushButton("Use operating point", self)
        self.button.clicked.connect(self._choose)
        self._task: str | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.button)
        self.hide()

    def show_for(self, registry: Registry | None, entry: ModelEntry | None, can_manage: bool, busy: bool) -> None:
        """List the points of `entry` when it is the active model of its task and has named points."""
        active = registry is not None and entry is not None and registry.active_models.get(entry.task) == entry.id
        if not active or entry is None or registry is None or not entry.operating_points:
            self._task = None
            self.hide()
            return
        self._task = entry.task
        current, _ = registry.operating_point(entry)
        self.combo.clear()
        for op in entry.operating_points:
            self.combo.addItem(point_text(op) + ("  [in use]" if op["name"] == current else ""), op["name"])
        names = [op["name"] for op in entry.operating_points]
        if current in names:
            self.combo.setCurrentIndex(names.index(current))
        self.combo.setEnabled(can_manage and not busy)
        self.button.setEnabled(can_manage and not busy)
        self.show()

    def _choose(self) -> None:
        name = self.combo.currentData()
        if self._task is not None and name:
            self.chosen.emit(self._task, str(name))
