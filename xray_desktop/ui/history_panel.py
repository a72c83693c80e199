"""A table of earlier analyses; double-clicking one asks the window to re-open it.

Put it in a QDockWidget. It reads through the HistoryService it is given, on the
GUI thread (a query of a few hundred rows takes milliseconds). The analysis
worker records entries on its own thread; the window then calls `refresh()` (or
`add_entry()` with the returned entry) from a queued signal.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from xray_desktop.errors import XRayError
from xray_desktop.services.history import HistoryService
from xray_desktop.services.session import Session
from xray_desktop.storage.history import HistoryEntry

COLUMNS = ("Time", "User", "File", "Results")


class HistoryPanel(QWidget):
    """Emits `open_requested(path)` and `entry_requested(HistoryEntry)` on double-click or Open."""

    open_requested = Signal(str)
    entry_requested = Signal(object)

    def __init__(
        self, service: HistoryService, session: Session, parent: QWidget | None = None, limit: int = 500
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._session = session
        self._limit = limit
        self._entries: list[HistoryEntry] = []

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by file name or result")
        self.filter_edit.setClearButtonEnabled(True)
        self.refresh_button = QPushButton("Refresh")
        self.open_button = QPushButton("Open")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.status_label = QLabel()

        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.refresh_button)
        top.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status_label)

        self.table.cellDoubleClicked.connect(lambda row, _col: self._request(row))
        self.open_button.clicked.connect(lambda: self._request(self.table.currentRow()))
        self.refresh_button.clicked.connect(self.refresh)
        self.filter_edit.textChanged.connect(self._apply_filter)
        self.refresh()

    @property
    def entries(self) -> list[HistoryEntry]:
        return list(self._entries)

    def set_session(self, session: Session) -> None:
        self._session = session
        self.refresh()

    def refresh(self) -> None:
        """Re-read the history (newest first); errors are shown in the panel, never raised."""
        try:
            self._entries = self._service.list_history(self._session, limit=self._limit)
        except XRayError as exc:
            self._entries = []
            self.status_label.setText(f"History cannot be read: {exc}")
        else:
            self.status_label.setText(f"{len(self._entries)} case(s)")
        self._fill()

    def add_entry(self, entry: HistoryEntry) -> None:
        """Show a just-recorded entry at the top without re-reading everything."""
        self._entries.insert(0, entry)
        del self._entries[self._limit :]
        self.status_label.setText(f"{len(self._entries)} case(s)")
        self._fill()

    def _fill(self) -> None:
        self.table.setRowCount(len(self._entries))
        for row, entry in enumerate(self._entries):
            values = (
                f"{entry.created.astimezone():%Y-%m-%d %H:%M}",
                entry.username,
                entry.file_name,
                entry.summary(),
            )
            for column, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, entry.id)
                if column == 2:
                    item.setToolTip(entry.path)
                self.table.setItem(row, column, item)
        self._apply_filter(self.filter_edit.text())

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row, entry in enumerate(self._entries):
            hay = f"{entry.file_name} {entry.summary()} {entry.username}".lower()
            self.table.setRowHidden(row, bool(needle) and needle not in hay)

    def _request(self, row: int) -> None:
        if 0 <= row < len(self._entries):
            entry = self._entries[row]
            self.entry_requested.emit(entry)
            self.open_requested.emit(entry.path)
