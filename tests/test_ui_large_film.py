"""A 3064×4664 film: the GUI thread composites its display-sized level, not 14 million pixels, while it is seen
whole, and goes to full resolution when zoomed in (issue 15, defect 10)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from xray_desktop.ui.display_level import DISPLAY_MAX_SIDE, level_factor, level_shape, resample
from xray_desktop.ui.engine import colour_map
from xray_desktop.ui.viewer import ImageViewer

ROWS, COLS = 4664, 3064


@pytest.fixture(scope="module")
def film() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    pixels = rng.random((ROWS, COLS), dtype=np.float32)
    yy, xx = np.mgrid[0:ROWS, 0:COLS]
    heatmap = np.exp(-(((yy - 2000) / 600.0) ** 2 + ((xx - 1500) / 500.0) ** 2)).astype(np.float32)
    return pixels, heatmap


def test_the_display_level_fits_a_screen() -> None:
    assert level_factor(ROWS, COLS) == 3 and level_factor(1024, 1024) == 1
    rows, cols = level_shape(ROWS, COLS, level_factor(ROWS, COLS))
    assert max(rows, cols) <= DISPLAY_MAX_SIDE
    assert resample(np.zeros((ROWS, COLS), np.uint16), (rows, cols)).shape == (rows, cols)


def test_opacity_steps_blend_the_display_level_and_zooming_in_restores_full_resolution(qtbot, film) -> None:
    pixels, heatmap = film
    viewer = ImageViewer()
    qtbot.addWidget(viewer)
    viewer.resize(900, 700)
    viewer.show()
    qtbot.waitExposed(viewer)
    viewer.set_image(pixels)
    size = viewer.display_size()
    assert size == level_shape(ROWS, COLS, 3)
    viewer.set_heatmap(colour_map(resample(heatmap, size), "jet"))  # coloured at the level: the cheap path
    assert viewer.displayed_pixels().shape[:2] == size  # composited at the level...
    assert viewer.sceneRect().width() == COLS and viewer.sceneRect().height() == ROWS  # ...in film coordinates
    started = time.perf_counter()
    for step in range(10):
        viewer.set_opacity(step / 10)
    per_step = (time.perf_counter() - started) / 10
    print(f"opacity step on a {COLS}x{ROWS} film: {per_step * 1000:.1f} ms")
    assert viewer.displayed_pixels().shape[:2] == size
    viewer.actual_size()  # 1:1: every film pixel on screen, so the full resolution is composited
    assert viewer.displayed_pixels().shape[:2] == (ROWS, COLS)
    viewer.fit()
    assert viewer.displayed_pixels().shape[:2] == size


def test_a_small_image_is_composited_as_it_is(qtbot) -> None:
    viewer = ImageViewer()
    qtbot.addWidget(viewer)
    image = np.tile(np.linspace(0.0, 1.0, 200, dtype=np.float32), (100, 1))
    viewer.set_image(image)
    assert viewer.display_factor == 1 and viewer.display_size() == (100, 200)
    assert viewer.displayed_pixels().shape[:2] == (100, 200)
