"""Preprocessing follows the registry spec exactly, and maps come back onto the original image."""

from __future__ import annotations

import numpy as np
import pytest

from xray_desktop.imaging.preprocess import IMAGENET_MEAN, PreprocessSpec, prepare_batch, prepare_input, restore_map


def test_stretch_resizes_to_the_input_size_and_keeps_unit_range():
    pixels = np.random.default_rng(0).random((50, 80)).astype(np.float32)
    out = prepare_input(pixels, PreprocessSpec((32, 16), 1, "stretch", "unit"))
    assert out.shape == (32, 16, 1) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_letterbox_keeps_aspect_and_pads_with_black():
    pixels = np.ones((20, 40), np.float32)  # wide image
    out = prepare_input(pixels, PreprocessSpec((40, 40), 1, "letterbox", "unit"))[:, :, 0]
    assert np.all(out[:10] == 0.0) and np.all(out[30:] == 0.0)
    assert np.all(out[10:30] == 1.0)


@pytest.mark.parametrize(
    ("normalisation", "expected"),
    [("unit", 0.5), ("minus_one_one", 0.0), ("imagenet", (0.5 - IMAGENET_MEAN[0]) / 0.229)],
)
def test_normalisation_modes(normalisation: str, expected: float):
    out = prepare_input(np.full((8, 8), 0.5, np.float32), PreprocessSpec((8, 8), 3, "stretch", normalisation))
    assert out.shape == (8, 8, 3)
    assert out[0, 0, 0] == pytest.approx(expected, abs=1e-5)
    if normalisation != "imagenet":
        assert np.all(out[..., 0] == out[..., 2])  # greyscale replicated to 3 channels


def test_restore_map_undoes_the_letterbox():
    spec = PreprocessSpec((40, 40), 1, "letterbox", "unit")
    model_map = np.zeros((40, 40), np.float32)
    model_map[10:30, 0:20] = 1.0  # left half of the image content (rows 10-30 hold the 20x40 image)
    restored = restore_map(model_map, spec, (20, 40))
    assert restored.shape == (20, 40)
    assert restored[:, :18].min() > 0.9 and restored[:, 22:].max() < 0.1


def test_spec_round_trips_and_rejects_nonsense():
    spec = PreprocessSpec((224, 224), 3, "letterbox", "imagenet")
    assert PreprocessSpec.from_dict(spec.to_dict()) == spec
    registry_style = {
        "input_size": [128, 128],
        "channels": 1,
        "preprocessing": {"resize": "stretch", "normalisation": "unit"},
    }
    assert PreprocessSpec.from_dict(registry_style) == PreprocessSpec((128, 128), 1)
    with pytest.raises(ValueError, match="needs channels = 3"):
        PreprocessSpec((64, 64), 1, "stretch", "imagenet")
    with pytest.raises(ValueError, match="resize must be one of"):
        PreprocessSpec((64, 64), 1, "crop")
    with pytest.raises(ValueError, match=r"shape \(4, 4, 3\)"):
        prepare_input(np.zeros((4, 4, 3), np.float32), PreprocessSpec((8, 8)))
    assert prepare_batch([], PreprocessSpec((8, 8))).shape == (0, 8, 8, 1)
