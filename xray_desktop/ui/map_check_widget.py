"""The "Check this map" row: a button, a progress bar with Cancel while it runs, and what it found."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from xray_desktop.progress import ProgressEvent


class MapCheckBar(QWidget):
    checkRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mapCheckBar")
        self.button = QPushButton("Check this map")
        self.button.setObjectName("checkMapButton")
        self.button.setToolTip(
            "Measure how much the prediction depends on the regions this map highlights (deletion and "
            "insertion curves), and compare with random maps on the same film. Takes a few seconds."
        )
        self.button.clicked.connect(self.checkRequested)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(self.cancelRequested)
        self.cancel.hide()
        self.status = QLabel()
        self.status.setObjectName("mapCheckStatus")
        self.status.setWordWrap(True)
        self.status.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.set_available(False)

    def set_available(self, available: bool, reason: str = "") -> None:
        """Enable the button when the shown task has a map that is not being checked."""
        self.button.setEnabled(available and not self.progress.isVisible())
        self.button.setToolTip(reason or self.button.toolTip())

    def set_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.cancel.setVisible(running)
        self.button.setEnabled(not running)
        if running:
            self.progress.setRange(0, 0)
            self.set_status("Checking the map…")

    def set_progress(self, event: ProgressEvent) -> None:
        if event.total:
            self.progress.setRange(0, int(event.total))
            self.progress.setValue(int(event.done))
        if event.message:
            self.set_status(f"{event.message[:1].upper()}{event.message[1:]}…")

    def set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
