"""Overlay rendering is separate from map computation: colour once, re-blend cheaply, boxes around hot regions."""

from __future__ import annotations

import numpy as np
import pytest

from xray_desktop.explain.overlay import attention_boxes, blend, colorize, render_overlay, to_rgb


def test_colorize_maps_low_and_high_to_different_colours():
    heat = np.zeros((4, 6), np.float32)
    heat[:, 3:] = 1.0
    rgb = colorize(heat, "jet")
    assert rgb.shape == (4, 6, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[0, 0]) != tuple(rgb[0, 5])
    assert rgb[0, 5, 0] > rgb[0, 5, 2]  # jet: hot is red
    assert rgb[0, 0, 2] > rgb[0, 0, 0]  # cold is blue


def test_alpha_zero_shows_only_the_picture_and_alpha_one_only_the_map():
    gray = np.linspace(0, 1, 20, dtype=np.float32).reshape(4, 5)
    heat = np.random.default_rng(0).random((4, 5)).astype(np.float32)
    np.testing.assert_array_equal(render_overlay(gray, heat, "viridis", 0.0), to_rgb(gray))
    np.testing.assert_array_equal(render_overlay(gray, heat, "viridis", 1.0), colorize(heat, "viridis"))
    half = blend(to_rgb(gray), colorize(heat, "viridis"), 0.5).astype(int)
    assert np.all(np.abs(half - (to_rgb(gray).astype(int) + colorize(heat, "viridis")) / 2) <= 1)


def test_nan_map_renders_as_cold_not_garbage():
    heat = np.full((3, 3), np.nan, np.float32)
    np.testing.assert_array_equal(colorize(heat, "jet"), colorize(np.zeros((3, 3), np.float32), "jet"))


def test_map_of_another_size_is_resized_to_the_picture():
    assert render_overlay(np.zeros((40, 30), np.float32), np.ones((4, 3), np.float32)).shape == (40, 30, 3)


def test_unknown_colormap_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown colormap 'rainbow-unicorn'"):
        colorize(np.zeros((2, 2), np.float32), "rainbow-unicorn")


def test_attention_boxes_surround_hot_regions_largest_first_and_drop_speckle():
    heat = np.zeros((100, 100), np.float32)
    heat[10:30, 20:50] = 0.9  # 30 x 20 region
    heat[60:70, 60:70] = 0.7  # 10 x 10 region
    heat[90, 5] = 1.0  # one-pixel speckle
    assert attention_boxes(heat, threshold=0.6, min_area_fraction=0.002) == [(20, 10, 30, 20), (60, 60, 10, 10)]
    assert attention_boxes(heat, threshold=0.8) == [(20, 10, 30, 20)]
    assert attention_boxes(np.zeros((10, 10), np.float32)) == []
