"""load_radiograph on ordinary image files: every PIL mode we promise, EXIF orientation, lying extensions."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from xray_desktop.imaging import Radiograph, load_radiograph


def _ramp(height: int = 48, width: int = 64) -> np.ndarray:
    """A uint8 greyscale ramp with a bright square, so orientation and values are checkable."""
    ramp = np.tile(np.linspace(0, 200, width, dtype=np.uint8), (height, 1))
    ramp[4:12, 4:12] = 255
    return ramp


def _colourful(height: int = 48, width: int = 64) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // width, y * 255 // height, 255 - x * 255 // width], axis=2).astype(np.uint8)


def test_png_8bit_grey_is_float_unit_range_with_identity(tmp_path: Path) -> None:
    path = tmp_path / "grey.png"
    Image.fromarray(_ramp()).save(path)
    r = load_radiograph(path)
    assert isinstance(r, Radiograph)
    assert r.pixels.dtype == np.float32 and r.pixels.shape == (48, 64)
    np.testing.assert_allclose(r.pixels, _ramp() / 255.0, atol=1e-6)
    assert (r.format, r.bit_depth, r.photometric) == ("PNG", 8, "L")
    assert r.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert r.source == path and r.colour is None and r.dicom is None


def test_path_given_as_string_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "grey.png"
    Image.fromarray(_ramp()).save(path)
    assert load_radiograph(str(path)).source == path


@pytest.mark.parametrize(("fmt", "suffix"), [("JPEG", ".jpg"), ("TIFF", ".tif"), ("BMP", ".bmp")])
def test_jpeg_tiff_bmp_grey_load_with_their_format(tmp_path: Path, fmt: str, suffix: str) -> None:
    path = tmp_path / f"grey{suffix}"
    Image.fromarray(_ramp()).save(path, format=fmt)
    r = load_radiograph(path)
    assert r.format == fmt and r.bit_depth == 8 and r.pixels.shape == (48, 64)
    tolerance = 0.05 if fmt == "JPEG" else 1e-6
    assert np.abs(r.pixels - _ramp() / 255.0).mean() < tolerance


def test_png_16bit_full_range_keeps_16_bits(tmp_path: Path) -> None:
    values = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (40, 1))
    path = tmp_path / "wide.png"
    Image.fromarray(values).save(path)
    r = load_radiograph(path)
    assert r.bit_depth == 16
    np.testing.assert_allclose(r.pixels, values / 65535.0, atol=1e-6)


@pytest.mark.parametrize(("peak", "depth"), [(1023, 10), (4000, 12), (9000, 14)])
def test_16bit_file_holding_fewer_bits_is_scaled_to_their_range_with_note(
    tmp_path: Path, peak: int, depth: int
) -> None:
    values = np.tile(np.linspace(0, peak, 64).astype(np.uint16), (40, 1))
    path = tmp_path / "detector.tif"
    Image.fromarray(values).save(path)
    r = load_radiograph(path)
    assert r.bit_depth == 16 and r.format == "TIFF"
    np.testing.assert_allclose(r.pixels, values / (2**depth - 1), atol=1e-6)
    assert f"16-bit file holding {depth}-bit values: scaled to the {depth}-bit range" in r.notes


def test_rgb_colour_source_keeps_colour_and_grey_is_luma(tmp_path: Path) -> None:
    rgb = _colourful()
    path = tmp_path / "colour.png"
    Image.fromarray(rgb).save(path)
    r = load_radiograph(path)
    assert r.photometric == "RGB" and r.colour is not None and r.colour.shape == (48, 64, 3)
    np.testing.assert_allclose(r.colour, rgb / 255.0, atol=1e-6)
    luma = (rgb / 255.0) @ np.array([0.299, 0.587, 0.114])
    np.testing.assert_allclose(r.pixels, luma, atol=1e-5)


def test_rgb_file_with_grey_content_is_kept_as_greyscale(tmp_path: Path) -> None:
    path = tmp_path / "grey_rgb.png"
    Image.fromarray(_ramp()).convert("RGB").save(path)
    r = load_radiograph(path)
    assert r.photometric == "RGB" and r.colour is None
    np.testing.assert_allclose(r.pixels, _ramp() / 255.0, atol=1e-6)
    assert any("grey content" in note for note in r.notes)


def test_rgba_drops_alpha_with_note(tmp_path: Path) -> None:
    rgba = np.dstack([_colourful(), np.full((48, 64), 128, np.uint8)])
    path = tmp_path / "alpha.png"
    Image.fromarray(rgba, mode="RGBA").save(path)
    r = load_radiograph(path)
    assert r.photometric == "RGBA" and r.colour is not None
    np.testing.assert_allclose(r.colour, _colourful() / 255.0, atol=1e-6)
    assert "alpha channel ignored" in r.notes


def test_palette_image_is_expanded_through_its_palette(tmp_path: Path) -> None:
    grey = Image.fromarray(_ramp())
    path = tmp_path / "palette.png"
    grey.convert("P").save(path)
    r = load_radiograph(path)
    assert r.photometric == "P" and r.bit_depth == 8
    expected = np.asarray(Image.open(path).convert("L"), dtype=np.float32) / 255.0
    np.testing.assert_allclose(r.pixels, expected, atol=1 / 255)


@pytest.mark.parametrize("fmt", ["JPEG", "TIFF"])
def test_cmyk_source_loads_as_colour_converted_to_grey(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"cmyk.{fmt.lower()}"
    Image.fromarray(_colourful()).convert("CMYK").save(path, format=fmt)
    r = load_radiograph(path)
    assert r.photometric == "CMYK" and r.format == fmt
    assert r.colour is not None and r.pixels.shape == (48, 64)
    assert r.pixels.min() >= 0.0 and r.pixels.max() <= 1.0


def test_bilevel_image_is_one_bit_zero_or_one(tmp_path: Path) -> None:
    path = tmp_path / "mask.png"
    Image.fromarray(_ramp() > 100).save(path)
    r = load_radiograph(path)
    assert r.bit_depth == 1 and r.photometric == "1"
    assert set(np.unique(r.pixels).tolist()) == {0.0, 1.0}
    np.testing.assert_array_equal(r.pixels, (_ramp() > 100).astype(np.float32))


def test_exif_orientation_is_applied_so_image_is_upright(tmp_path: Path) -> None:
    stored = _ramp(48, 64)  # bright square at top-left of the stored pixels
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    path = tmp_path / "phone.jpg"
    Image.fromarray(stored).save(path, exif=exif, quality=95)
    r = load_radiograph(path)
    assert r.pixels.shape == (64, 48)
    assert r.pixels[4:12, -12:-4].mean() > 0.9  # the square moved to the top-right
    assert r.pixels[4:12, 4:12].mean() < 0.5
    assert any("EXIF orientation 6" in note for note in r.notes)
    assert r.metadata["exif_orientation"] == 6


def test_png_named_jpg_is_read_by_content_and_noted(tmp_path: Path) -> None:
    path = tmp_path / "liar.jpg"
    Image.fromarray(_ramp()).save(path, format="PNG")
    r = load_radiograph(path)
    assert r.format == "PNG"
    np.testing.assert_allclose(r.pixels, _ramp() / 255.0, atol=1e-6)
    assert any("misleading" in note and "PNG" in note for note in r.notes)


def test_jpeg_named_dcm_is_read_as_jpeg(tmp_path: Path) -> None:
    path = tmp_path / "liar.dcm"
    Image.fromarray(_ramp()).save(path, format="JPEG")
    assert load_radiograph(path).format == "JPEG"


def test_jpeg_without_extension_is_read(tmp_path: Path) -> None:
    path = tmp_path / "noext"
    Image.fromarray(_ramp()).save(path, format="JPEG")
    r = load_radiograph(path)
    assert r.format == "JPEG" and not any("misleading" in note for note in r.notes)


def test_multi_page_tiff_shows_first_page_with_note(tmp_path: Path) -> None:
    first, second = Image.fromarray(_ramp()), Image.fromarray(255 - _ramp())
    path = tmp_path / "pages.tif"
    first.save(path, save_all=True, append_images=[second])
    r = load_radiograph(path)
    np.testing.assert_allclose(r.pixels, _ramp() / 255.0, atol=1e-6)
    assert "multi-frame: showing frame 1 of 2" in r.notes
