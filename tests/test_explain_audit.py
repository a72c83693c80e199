"""Shortcut audit: map mass on the border bands and on burned-in markers, and the single-film warning."""

from __future__ import annotations

import cv2
import numpy as np

from xray_desktop.explain import MARKER_WARNING
from xray_desktop.explain.audit import border_mask, marker_mask, mass_shares, shortcut_warning


def _film(size: int = 512, marker: bool = True) -> np.ndarray:
    """A smooth 'chest' (bright body, darker lungs, dark outside) with a burned-in white R near the corner."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    film = np.full((size, size), 0.08, np.float32)
    body = ((xx - 0.5) / 0.38) ** 2 + ((yy - 0.55) / 0.45) ** 2 < 1.0
    film[body] = 0.6
    for cx in (0.36, 0.64):
        lung = ((xx - cx) / 0.11) ** 2 + ((yy - 0.5) / 0.25) ** 2 < 1.0
        film[lung] = 0.3
    film = cv2.GaussianBlur(film, (0, 0), 4)
    if marker:
        letter = np.zeros((size, size), np.uint8)
        cv2.putText(letter, "R", (int(0.05 * size), int(0.12 * size)), cv2.FONT_HERSHEY_SIMPLEX, size / 300, 255, 4)
        film = np.maximum(film, letter.astype(np.float32) / 255.0)
    return film


def _blob(size: int, cx: float, cy: float, radius: float) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size] / size
    return np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * radius**2))).astype(np.float32)


def test_border_bands_are_the_outer_8_percent_on_each_side():
    mask = border_mask((100, 200))
    assert mask[:8].all() and mask[-8:].all() and mask[:, :16].all() and mask[:, -16:].all()
    assert not mask[8:92, 16:184].any()
    shares = mass_shares(np.ones((100, 200), np.float32), np.zeros((100, 200), np.float32))
    assert abs(shares.border - (1 - 0.84 * 0.84)) < 0.01  # a uniform map: 29.4 % on the borders


def test_the_burned_in_marker_is_found_and_anatomy_is_not():
    film = _film()
    mask = marker_mask(film)
    ys, xs = np.nonzero(mask)
    assert mask.any(), "the R was not detected"
    assert xs.max() < 0.25 * 512 and ys.max() < 0.2 * 512, "something other than the R was marked"
    assert not marker_mask(_film(marker=False)).any()


def test_a_bright_central_lesion_is_not_a_marker():
    film = _film(marker=False)
    cv2.circle(film, (256, 280), 20, 1.0, -1)
    assert not marker_mask(film).any()


def test_a_map_on_the_marker_gets_the_warning_and_one_on_the_lungs_does_not():
    film = _film()
    on_marker = _blob(512, 0.08, 0.09, 0.03)
    on_lung = _blob(512, 0.36, 0.5, 0.08)
    shares = mass_shares(on_marker, film)
    assert shares.marker > 0.3 and shares.either > 0.5
    assert shortcut_warning(on_marker, film) == MARKER_WARNING
    assert shortcut_warning(on_lung, film) is None
    assert shortcut_warning(None, film) is None
    assert mass_shares(np.zeros((512, 512), np.float32), film) is None


def test_a_map_of_another_resolution_is_brought_to_the_film():
    film = _film()
    small = cv2.resize(_blob(512, 0.08, 0.09, 0.03), (16, 16), interpolation=cv2.INTER_AREA)
    assert shortcut_warning(small, film) == MARKER_WARNING


def test_border_occlusion_moves_a_model_that_reads_the_border_and_not_one_that_reads_the_centre():
    from xray_desktop.explain.audit import blank_border, border_occlusion

    rng = np.random.default_rng(4)
    images = rng.random((20, 50, 50, 1)).astype(np.float32) * 0.2
    images[:10, :4, :, 0] = 1.0  # half the films carry a bright band along the top edge (a burned-in strip)
    blanked = blank_border(images)
    assert max(float(f[:4].std()) for f in blanked) < 1e-6 and np.allclose(
        blanked[:, 10:40, 10:40], images[:, 10:40, 10:40]
    )

    def reads_the_top_edge(batch: np.ndarray) -> np.ndarray:
        return batch[:, :4, :, 0].mean(axis=(1, 2))

    def reads_the_centre(batch: np.ndarray) -> np.ndarray:
        return batch[:, 10:40, 10:40, 0].mean(axis=(1, 2)) * 5

    edge = border_occlusion(reads_the_top_edge, images, threshold=0.5)
    centre = border_occlusion(reads_the_centre, images, threshold=0.5)
    assert edge.n == 20 and edge.decisions_changed == 0.5 and edge.mean_abs_delta > 0.4
    assert centre.decisions_changed == 0.0 and centre.mean_abs_delta < 1e-6
