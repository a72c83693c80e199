"""Pixel maths behind the viewer: window/level, inversion and the cached-map blend."""

from __future__ import annotations

import numpy as np
import pytest

from xray_desktop.ui.display import WINDOW_PRESETS, WindowLevel, blend, to_display_gray


def test_full_window_maps_zero_to_black_and_one_to_white() -> None:
    pixels = np.array([[0.0, 0.5, 1.0]], np.float32)
    out = to_display_gray(pixels, WindowLevel())
    assert out.dtype == np.uint8
    assert out.tolist() == [[0, 127, 255]]


def test_narrow_window_clips_outside_values_and_invert_flips() -> None:
    pixels = np.array([[0.2, 0.5, 0.8]], np.float32)
    narrow = to_display_gray(pixels, WindowLevel(level=0.5, width=0.2))
    assert narrow.tolist() == [[0, 127, 255]]
    inverted = to_display_gray(pixels, WindowLevel(level=0.5, width=0.2, invert=True))
    assert inverted.tolist() == [[255, 128, 0]]


def test_window_adjustment_is_clamped_to_sane_range() -> None:
    wl = WindowLevel(0.5, 0.1).adjusted(5.0, -5.0)
    assert wl.level == 1.0
    assert wl.width == pytest.approx(0.02)


def test_blend_mixes_grey_and_map_by_alpha() -> None:
    gray = np.full((2, 2), 100, np.uint8)
    coloured = np.zeros((2, 2, 3), np.uint8)
    coloured[..., 0] = 200
    half = blend(gray, coloured, 0.5)
    assert half[0, 0].tolist() == [150, 50, 50]
    assert blend(gray, coloured, 0.0)[0, 0].tolist() == [100, 100, 100]
    assert blend(gray, coloured, 1.0)[0, 0].tolist() == [200, 0, 0]


def test_blend_refuses_a_map_of_another_size() -> None:
    with pytest.raises(ValueError, match="differ in size"):
        blend(np.zeros((4, 4), np.uint8), np.zeros((2, 2, 3), np.uint8), 0.5)


def test_presets_are_valid_windows() -> None:
    for preset in WINDOW_PRESETS.values():
        assert 0.0 <= preset.level <= 1.0 and preset.width > 0
