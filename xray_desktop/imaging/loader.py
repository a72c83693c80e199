"""`load_radiograph`: any supported file into one Radiograph, or an ImageLoadError saying why not.

The file is read once: its bytes give the sha256 (the image's identity in history, audit and
reports), the format sniffed from magic bytes (never the extension), and the decoder's input.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from xray_desktop.errors import ImageLoadError
from xray_desktop.imaging.limits import check_file_size
from xray_desktop.imaging.sniff import SNIFF_BYTES, sniff_format
from xray_desktop.radiograph import Radiograph

SUPPORTED_DESCRIPTION = "PNG, JPEG, TIFF, BMP or DICOM"

_EXTENSIONS: dict[str, frozenset[str]] = {
    "PNG": frozenset({".png"}),
    "JPEG": frozenset({".jpg", ".jpeg", ".jpe", ".jfif"}),
    "TIFF": frozenset({".tif", ".tiff"}),
    "BMP": frozenset({".bmp", ".dib"}),
    "GIF": frozenset({".gif"}),
    "WEBP": frozenset({".webp"}),
    "DICOM": frozenset({".dcm", ".dicom", ".dic", ""}),
}
# For file dialogs: every suffix the loader reads (DICOM files often have none, so offer "All files" too).
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(sorted({ext for exts in _EXTENSIONS.values() for ext in exts if ext}))


def load_radiograph(path: str | Path) -> Radiograph:
    """Load `path` as a greyscale float32 [0, 1] Radiograph with bone bright.

    Raises ImageLoadError(path, reason) for anything unusable: missing, empty, truncated, not an
    image, no pixel data, too large (checked from the header before decoding) or too small.
    """
    source = Path(path)
    data = _read_bytes(source)
    fmt = sniff_format(data[:SNIFF_BYTES])
    if fmt is None:
        raise ImageLoadError(source, f"not a recognised image file (expected {SUPPORTED_DESCRIPTION})")
    sha256 = hashlib.sha256(data).hexdigest()
    if fmt == "DICOM":
        from xray_desktop.imaging.dicom_loader import load_dicom

        radiograph = load_dicom(source, data, sha256)
    else:
        from xray_desktop.imaging.raster import load_raster

        radiograph = load_raster(source, data, fmt, sha256)
    _note_misleading_extension(source, fmt, radiograph)
    return radiograph


def _read_bytes(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise ImageLoadError(path, "this is a folder, not an image file")
        size = path.stat().st_size
        check_file_size(path, size)
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise ImageLoadError(path, "the file does not exist") from exc
    except PermissionError as exc:
        raise ImageLoadError(path, "permission denied when reading the file") from exc
    except OSError as exc:
        raise ImageLoadError(path, f"the file cannot be read ({exc.strerror or exc})") from exc


def _note_misleading_extension(path: Path, fmt: str, radiograph: Radiograph) -> None:
    """Say when the extension named another format: the content decided, the user should know."""
    suffix = path.suffix.lower()
    if suffix in SUPPORTED_SUFFIXES and suffix not in _EXTENSIONS[fmt]:
        radiograph.notes.append(f"the extension {suffix} is misleading: the content is {fmt}")
