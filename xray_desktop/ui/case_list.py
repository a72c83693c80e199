"""The list of opened cases; selecting one shows it again (results are cached by the window)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

PATH_ROLE = Qt.ItemDataRole.UserRole


class CaseList(QWidget):
    caseActivated = Signal(object)  # Path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("caseList")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        header = QLabel("Cases")
        header.setObjectName("panelHeader")
        layout.addWidget(header)
        self.list = QListWidget()
        self.list.setAlternatingRowColors(True)
        self.list.setUniformItemSizes(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.list, 1)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)

    def add_case(self, path: Path, title: str | None = None) -> None:
        """Add (or select, if already listed) a case, without emitting caseActivated."""
        path = Path(path)
        for row in range(self.list.count()):
            item = self.list.item(row)
            if Path(item.data(PATH_ROLE)) == path:
                self._select(row)
                return
        item = QListWidgetItem(title or path.name)
        item.setData(PATH_ROLE, str(path))
        item.setToolTip(str(path))
        self.list.addItem(item)
        self._select(self.list.count() - 1)

    def paths(self) -> list[Path]:
        return [Path(self.list.item(r).data(PATH_ROLE)) for r in range(self.list.count())]

    def current_path(self) -> Path | None:
        item = self.list.currentItem()
        return Path(item.data(PATH_ROLE)) if item is not None else None

    def step(self, offset: int) -> Path | None:
        """Move the selection by `offset` and return the newly selected case (wraps around)."""
        count = self.list.count()
        if count == 0:
            return None
        row = (max(self.list.currentRow(), 0) + offset) % count
        self._select(row)
        return Path(self.list.item(row).data(PATH_ROLE))

    def _select(self, row: int) -> None:
        self.list.blockSignals(True)
        self.list.setCurrentRow(row)
        self.list.blockSignals(False)

    def _activated(self, item: QListWidgetItem) -> None:
        self.caseActivated.emit(Path(item.data(PATH_ROLE)))
