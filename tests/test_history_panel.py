"""The history panel lists recorded analyses and asks to re-open one on double-click."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from reports_support import analysis, session

from xray_desktop.services.history import HistoryService
from xray_desktop.ui.history_panel import HistoryPanel


def test_lists_entries_and_double_click_requests_open(qtbot, tmp_path: Path) -> None:
    service = HistoryService()
    doctor = session()
    first = service.record_analysis(doctor, analysis(tmp_path, "first.png", seed=1))
    second = service.record_analysis(doctor, analysis(tmp_path, "second.png", seed=2))

    panel = HistoryPanel(HistoryService(), doctor)
    qtbot.addWidget(panel)
    assert panel.table.rowCount() == 2
    assert panel.table.item(0, 2).text() == "second.png"
    assert "pneumonia 0.87 positive" in panel.table.item(0, 3).text()

    panel.show()
    qtbot.waitExposed(panel)
    centre = panel.table.visualItemRect(panel.table.item(1, 0)).center()
    viewport = panel.table.viewport()
    paths, entries = [], []
    panel.open_requested.connect(paths.append)
    panel.entry_requested.connect(entries.append)
    with qtbot.waitSignal(panel.open_requested, timeout=2000):
        qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=centre)  # Qt needs the press before the double-click
        qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=centre)
    assert paths == [first.path]
    assert [e.id for e in entries] == [first.id]
    assert second.id == panel.entries[0].id


def test_filter_and_live_add(qtbot, tmp_path: Path) -> None:
    service = HistoryService()
    doctor = session()
    service.record_analysis(doctor, analysis(tmp_path, "knee_left.png", seed=1))
    panel = HistoryPanel(service, doctor)
    qtbot.addWidget(panel)
    entry = service.record_analysis(doctor, analysis(tmp_path, "chest_new.png", seed=2))
    panel.add_entry(entry)
    assert panel.table.item(0, 2).text() == "chest_new.png"
    panel.filter_edit.setText("knee")
    assert [panel.table.isRowHidden(r) for r in range(2)] == [True, False]
