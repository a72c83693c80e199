"""Files load_radiograph must refuse with a plain reason naming the file, and refuse cheaply."""

from __future__ import annotations

import struct
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from xray_desktop.errors import EXIT_INPUT, ImageLoadError
from xray_desktop.imaging import load_radiograph


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header claiming width×height 8-bit grey pixels, with a tiny compressed body."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", body) + _png_chunk(b"IEND", b"")


def _refusal(path: Path) -> str:
    with pytest.raises(ImageLoadError) as info:
        load_radiograph(path)
    assert info.value.path == str(path)
    assert str(path) in str(info.value)
    assert info.value.exit_code == EXIT_INPUT
    return info.value.reason


def test_missing_file_is_refused(tmp_path: Path) -> None:
    assert "does not exist" in _refusal(tmp_path / "nowhere.png")


def test_folder_is_refused(tmp_path: Path) -> None:
    assert "folder" in _refusal(tmp_path)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    assert "empty" in _refusal(path)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_image_is_refused_as_truncated(tmp_path: Path, fmt: str) -> None:
    rng = np.random.default_rng(0)
    full = tmp_path / "full"
    Image.fromarray(rng.integers(0, 255, (128, 128), dtype=np.uint8)).save(full, format=fmt)
    data = full.read_bytes()
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data[: len(data) // 2])
    reason = _refusal(path)
    assert "truncated" in reason


def test_random_bytes_are_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "noise.png"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    assert "not a recognised image file" in _refusal(path)


def test_text_file_is_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("patient notes, not an image\n" * 20)
    assert "not a recognised image file" in _refusal(path)


def test_bomb_header_is_refused_fast_without_allocating(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_bomb_png(50000, 50000))
    tracemalloc.start()
    started = time.perf_counter()
    try:
        reason = _refusal(path)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "2500 megapixels" in reason and "refused before decoding" in reason
    assert elapsed < 1.0
    assert peak < 20 * 1024**2  # decoding would need 2.5 GB


def test_image_just_over_pixel_limit_is_refused_from_header(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(_bomb_png(10001, 10000))  # 100.01 MP: over our limit, under PIL's own bomb check
    reason = _refusal(path)
    assert "10001×10000" in reason and "limit is 100 megapixels" in reason


def test_image_smaller_than_minimum_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "icon.png"
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(path)
    reason = _refusal(path)
    assert "16×16" in reason and "32×32" in reason


def test_damaged_png_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    _refusal(path)
