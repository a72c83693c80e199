"""assess_plausibility: every real sample passes; colour photos, flat frames, strips and masks do not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from xray_desktop.imaging import load_radiograph
from xray_desktop.imaging.quality import Plausibility, assess_plausibility

REPO = Path(__file__).resolve().parent.parent
REAL_FILES = sorted(
    p for p in (REPO / "resources" / "samples").rglob("*") if p.is_file() and p.suffix not in (".md", ".json")
) + sorted((REPO / "tests" / "fixtures" / "dicom").iterdir())


def _save(tmp_path: Path, array: np.ndarray, name: str = "img.png") -> Path:
    path = tmp_path / name
    Image.fromarray(array).save(path)
    return path


def test_there_are_real_samples_to_check() -> None:
    assert len(REAL_FILES) >= 15


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_every_real_sample_is_plausible(path: Path) -> None:
    verdict = assess_plausibility(load_radiograph(path))
    assert verdict.plausible, verdict.reasons
    assert verdict.reasons == []


def test_colourful_photo_like_image_is_not_plausible(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:200, 0:300]
    rgb = np.stack([x * 255 // 300, y * 255 // 200, (x + y) % 256], axis=2).astype(np.int16)
    rgb = np.clip(rgb + rng.integers(-30, 30, rgb.shape), 0, 255).astype(np.uint8)
    verdict = assess_plausibility(load_radiograph(_save(tmp_path, rgb)))
    assert not verdict.plausible
    assert any("colour" in reason for reason in verdict.reasons)
    assert verdict.coloured_fraction > 0.5


def test_grey_x_ray_saved_as_rgb_jpeg_is_still_plausible(tmp_path: Path) -> None:
    grey = np.asarray(Image.open(REPO / "resources/samples/knee/KL0__9006140L.png").convert("RGB"))
    path = tmp_path / "rgb.jpg"
    Image.fromarray(grey).save(path, quality=75)
    verdict = assess_plausibility(load_radiograph(path))
    assert verdict.plausible, verdict.reasons


@pytest.mark.parametrize("level", [0, 128, 255])
def test_flat_image_is_not_plausible(tmp_path: Path, level: int) -> None:
    verdict = assess_plausibility(load_radiograph(_save(tmp_path, np.full((128, 128), level, np.uint8))))
    assert not verdict.plausible
    assert any("uniform" in reason for reason in verdict.reasons)
    assert verdict.contrast == 0.0


def test_near_constant_noisy_image_is_not_plausible(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    values = np.clip(120 + rng.normal(0, 2, (128, 128)), 0, 255).astype(np.uint8)
    verdict = assess_plausibility(load_radiograph(_save(tmp_path, values)))
    assert not verdict.plausible and verdict.contrast < 0.08


def test_two_level_mask_is_not_plausible(tmp_path: Path) -> None:
    mask = np.zeros((128, 128), np.uint8)
    mask[32:96, 32:96] = 255
    verdict = assess_plausibility(load_radiograph(_save(tmp_path, mask)))
    assert not verdict.plausible
    assert any("grey levels" in reason for reason in verdict.reasons)


def test_long_strip_is_not_plausible(tmp_path: Path) -> None:
    strip = np.tile(np.linspace(0, 255, 600).astype(np.uint8), (40, 1))
    verdict = assess_plausibility(load_radiograph(_save(tmp_path, strip)))
    assert not verdict.plausible
    assert any("strip" in reason for reason in verdict.reasons)


def test_verdict_carries_its_measurements(dicom_mono1: Path) -> None:
    verdict = assess_plausibility(load_radiograph(dicom_mono1))
    assert isinstance(verdict, Plausibility)
    figures = verdict.as_dict()
    assert (figures["width"], figures["height"]) == (440, 440)
    assert figures["contrast"] > 0.3 and figures["entropy_bits"] > 4 and figures["mean_saturation"] == 0.0
