"""The viewer's controls: fit, zoom, 1:1, window/level by right-drag, presets, invert, boxes, info text."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from ui_support import doctor_session

from xray_desktop.ui.display import WINDOW_PRESETS, WindowLevel
from xray_desktop.ui.main_window import MainWindow
from xray_desktop.ui.viewer import ImageViewer


@pytest.fixture
def viewer(qtbot) -> ImageViewer:
    view = ImageViewer()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    ramp = np.tile(np.linspace(0.0, 1.0, 200, dtype=np.float32), (100, 1))
    view.set_image(ramp, ["Modality: CR"])
    return view


def test_fit_zoom_and_actual_size(viewer: ImageViewer) -> None:
    fitted = viewer.scale_factor()
    assert fitted == pytest.approx(2.0, rel=0.05)  # 200 px wide image in a 400 px wide view
    viewer.zoom_by(1.25)
    assert viewer.scale_factor() == pytest.approx(fitted * 1.25)
    viewer.actual_size()
    assert viewer.scale_factor() == 1.0
    viewer.fit()
    assert viewer.scale_factor() == pytest.approx(fitted)


def test_right_drag_changes_window_and_reset_restores_it(qtbot, viewer: ImageViewer) -> None:
    port = viewer.viewport()
    qtbot.mousePress(port, Qt.MouseButton.RightButton, pos=QPoint(100, 100))
    qtbot.mouseMove(port, QPoint(40, 60))  # left = narrower window, up = higher level
    qtbot.mouseRelease(port, Qt.MouseButton.RightButton, pos=QPoint(40, 60))
    wl = viewer.window_level()
    assert wl.width < 1.0 and wl.level > 0.5
    narrowed = viewer.displayed_pixels()[50, :, 0]
    assert (narrowed == 0).sum() > 10  # more of the ramp is now clipped to black
    viewer.reset_window()
    assert viewer.window_level() == WindowLevel()


def test_presets_and_invert(viewer: ImageViewer) -> None:
    viewer.apply_preset("Bone")
    assert viewer.window_level().level == WINDOW_PRESETS["Bone"].level
    before = viewer.displayed_pixels()[50, :, 0].astype(int)
    viewer.toggle_invert()
    after = viewer.displayed_pixels()[50, :, 0].astype(int)
    assert np.array_equal(after, 255 - before)
    assert viewer.window_level().invert


def test_boxes_follow_the_toggle_and_heatmap_visibility(viewer: ImageViewer) -> None:
    viewer.set_boxes([(10, 10, 20, 20), (50, 30, 10, 10)])
    assert len(viewer._box_items) == 2
    viewer.set_boxes_visible(False)
    assert viewer._box_items == []
    viewer.set_boxes_visible(True)
    viewer.set_heatmap_visible(False)
    assert viewer._box_items == []


def test_window_shortcuts_drive_the_viewer(qtbot) -> None:
    window = MainWindow(doctor_session())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.viewer.set_image(np.zeros((50, 80), np.float32) + 0.3)
    shortcuts = {a.shortcut().toString(): a for a in window.actions() if not a.shortcut().isEmpty()}
    for key in ("Ctrl+O", "Ctrl+Shift+O", "F", "1", "I", "R", "H", "B", "O", "Ctrl+T", "Space", "Ctrl+D", "F1"):
        assert key in shortcuts, key
    shortcuts["I"].trigger()
    assert window.viewer.window_level().invert
    shortcuts["O"].trigger()
    assert not window.viewer.info_visible()
    window.close()
