"""Ordinary image files (PNG, JPEG, TIFF, BMP, ...) into a Radiograph, through PIL.

The header is read first (PIL opens lazily) so the size limits run before any pixel is decoded;
EXIF orientation is applied so the picture is upright, as a viewer would show it.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from xray_desktop.errors import ImageLoadError
from xray_desktop.imaging.colour import split_colour
from xray_desktop.imaging.limits import MAX_PIXELS, check_dimensions
from xray_desktop.radiograph import Radiograph

_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
_COLOUR_MODES = frozenset({"RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "LAB", "HSV", "P", "PA"})
_EXIF_ORIENTATION_TAG = 0x0112

# Our own MAX_PIXELS check (limits.py) runs on every header; PIL's warning for 89–179 MP would only repeat it.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


def load_raster(path: Path, data: bytes, fmt: str, sha256: str) -> Radiograph:
    """Decode `data` (the bytes of `path`, sniffed as PIL format `fmt`) into a Radiograph."""
    notes: list[str] = []
    image = _open(path, data, fmt)
    width, height = image.size
    check_dimensions(path, width, height)
    frames = int(getattr(image, "n_frames", 1) or 1)
    if frames > 1:
        notes.append(f"multi-frame: showing frame 1 of {frames}")
    mode = image.mode
    orientation = _exif_orientation(image)
    _decode(path, image)
    if orientation not in (None, 1):
        image = ImageOps.exif_transpose(image)
        notes.append(f"EXIF orientation {orientation} applied")
    grey, colour, bit_depth = _to_arrays(path, image, mode, notes)
    metadata: dict[str, Any] = {"format": fmt, "mode": mode, "width": grey.shape[1], "height": grey.shape[0]}
    if frames > 1:
        metadata["frames"] = frames
    if orientation is not None:
        metadata["exif_orientation"] = orientation
    dpi = image.info.get("dpi")
    if dpi:
        metadata["dpi"] = [float(v) for v in dpi]
    return Radiograph(
        pixels=grey,
        source=path,
        format=fmt,
        bit_depth=bit_depth,
        photometric=mode,
        sha256=sha256,
        metadata=metadata,
        colour=colour,
        notes=notes,
    )


def _open(path: Path, data: bytes, fmt: str) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=[fmt])
    except Image.DecompressionBombError as exc:  # PIL's own header check fired first (over ~179 MP)
        raise ImageLoadError(path, _bomb_reason(exc)) from exc
    except UnidentifiedImageError as exc:
        raise ImageLoadError(path, f"the file starts like a {fmt} image but its header is damaged") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageLoadError(path, f"the {fmt} header cannot be read ({exc})") from exc


def _decode(path: Path, image: Image.Image) -> None:
    """Decode the pixels now, so a truncated or corrupt file fails here with a plain reason."""
    try:
        image.load()
    except Image.DecompressionBombError as exc:
        raise ImageLoadError(path, _bomb_reason(exc)) from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        reason = str(exc).lower()
        if "truncat" in reason or isinstance(exc, EOFError):
            raise ImageLoadError(path, f"the {image.format} file is truncated (it ends before the image data)") from exc
        raise ImageLoadError(path, f"the {image.format} image data is damaged ({exc})") from exc


def _bomb_reason(exc: Exception) -> str:
    claimed = re.search(r"\((\d+) pixels\)", str(exc))
    size = f"{int(claimed.group(1)) / 1e6:.0f} megapixels" if claimed else "too many pixels"
    return f"the image claims {size}; the limit is {MAX_PIXELS / 1e6:.0f} megapixels (refused before decoding)"


def _exif_orientation(image: Image.Image) -> int | None:
    try:
        value = image.getexif().get(_EXIF_ORIENTATION_TAG)
    except Exception:  # a broken EXIF block must not stop the image from loading
        return None
    return int(value) if isinstance(value, int) and 1 <= value <= 8 else None


def _to_arrays(
    path: Path, image: Image.Image, mode: str, notes: list[str]
) -> tuple[np.ndarray, np.ndarray | None, int]:
    """Return (grey float32 [0,1], colour or None, bits per sample in the source)."""
    if mode == "1":
        return np.asarray(image, dtype=bool).astype(np.float32), None, 1
    if mode == "L":
        return np.asarray(image, dtype=np.float32) / np.float32(255.0), None, 8
    if mode == "LA":
        notes.append("alpha channel ignored")
        return np.asarray(image.getchannel("L"), dtype=np.float32) / np.float32(255.0), None, 8
    if mode in _SIXTEEN_BIT_MODES or mode == "I":
        return _sixteen_bit(np.asarray(image), mode, notes)
    if mode == "F":
        return _min_max(np.asarray(image, dtype=np.float32), notes), None, 32
    if mode in _COLOUR_MODES:
        if mode in ("RGBA", "PA") or (mode == "P" and "transparency" in image.info):
            notes.append("alpha channel ignored")
        grey, colour = split_colour(np.asarray(image.convert("RGB")), 255.0)
        if colour is None and mode != "P":
            notes.append(f"{mode} file with grey content: kept as greyscale")
        return grey, colour, 8
    raise ImageLoadError(path, f"unsupported PIL image mode {mode!r}")


def _sixteen_bit(values: np.ndarray, mode: str, notes: list[str]) -> tuple[np.ndarray, None, int]:
    """16-bit greyscale, scaled by the detector depth its values fit (10, 12, 14 or 16 bits).

    Many exporters put 10–14-bit detector values in a 16-bit PNG/TIFF without saying so; dividing
    by 65535 would make them almost black. The smallest of those depths that holds the brightest
    value is used, and a note names it. Data that fits 8 bits is left on the 16-bit scale.
    """
    values = values.astype(np.float32)
    peak = float(values.max()) if values.size else 0.0
    low = float(values.min()) if values.size else 0.0
    if mode == "I" and (low < 0 or peak > 65535):
        return _min_max(values, notes), None, 32
    depth = 16
    if peak > 255:
        depth = next(bits for bits in (10, 12, 14, 16) if peak <= 2**bits - 1)
    if depth < 16:
        notes.append(f"16-bit file holding {depth}-bit values: scaled to the {depth}-bit range")
    return np.clip(values / np.float32(2**depth - 1), 0.0, 1.0), None, 16


def _min_max(values: np.ndarray, notes: list[str]) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    notes.append("values stretched min–max to [0, 1]")
    if high <= low:
        return np.zeros_like(values, dtype=np.float32)
    return ((values - low) / (high - low)).astype(np.float32)
