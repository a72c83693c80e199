"""Tools → History: earlier analyses (the reports engineer's panel) in a dialog; double-click re-opens one."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from xray_desktop.services.session import Session
from xray_desktop.ui.history_panel import HistoryPanel


class HistoryDialog(QDialog):
    def __init__(self, service, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("History")
        self.resize(820, 480)
        self.panel = HistoryPanel(service, session, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel, 1)
        layout.addWidget(buttons)
        self.panel.open_requested.connect(lambda _path: self.accept())
