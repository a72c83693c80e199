"""Size limits every loader enforces, so a hostile or broken file is refused before it costs memory.

The limits are checked from the header (PIL's lazy open, the DICOM Rows/Columns elements) before any
pixel is decoded: a 50000×50000 "decompression bomb" is refused in microseconds, not after 2.5 GB.
"""

from __future__ import annotations

from pathlib import Path

from xray_desktop.errors import ImageLoadError

MAX_PIXELS = 100_000_000  # per frame; a 14×17 inch detector at 0.1 mm is about 24 megapixels
MIN_SIDE = 32  # smaller than this is an icon, not a radiograph
MAX_FILE_BYTES = 2 * 1024**3  # read into memory once; bigger files are refused before reading


def check_file_size(path: Path, size: int) -> None:
    """Refuse empty files and files too large to read into memory."""
    if size == 0:
        raise ImageLoadError(path, "the file is empty (0 bytes)")
    if size > MAX_FILE_BYTES:
        raise ImageLoadError(path, f"the file is {size / 1024**3:.1f} GB; the limit is {MAX_FILE_BYTES // 1024**3} GB")


def check_dimensions(path: Path, width: int, height: int, samples: int = 1) -> None:
    """Refuse absurd or tiny images from header dimensions, before decoding anything."""
    if width <= 0 or height <= 0:
        raise ImageLoadError(path, f"the header gives an impossible size of {width}×{height} pixels")
    pixels = width * height
    if pixels > MAX_PIXELS:
        raise ImageLoadError(
            path,
            f"the image claims {width}×{height} pixels ({pixels / 1e6:.0f} megapixels); "
            f"the limit is {MAX_PIXELS / 1e6:.0f} megapixels (refused before decoding)",
        )
    if width < MIN_SIDE or height < MIN_SIDE:
        raise ImageLoadError(
            path, f"the image is only {width}×{height} pixels; at least {MIN_SIDE}×{MIN_SIDE} is needed"
        )
    if samples not in (1, 3, 4):
        raise ImageLoadError(path, f"unsupported number of samples per pixel: {samples}")
