"""DICOM files into a Radiograph: header checks first, then the first frame, then grey-level display.

Order of the grey-level pipeline (DICOM PS3.3 C.11): stored values → Modality LUT (Rescale
Slope/Intercept or a Modality LUT Sequence) → VOI (VOI LUT Sequence, else Window Center/Width,
else min–max) → MONOCHROME1 inversion, so bone is bright in every Radiograph.
"""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from xray_desktop.errors import ImageLoadError
from xray_desktop.imaging.colour import split_colour
from xray_desktop.imaging.dicom import DicomMetadata
from xray_desktop.imaging.limits import check_dimensions
from xray_desktop.radiograph import Radiograph

_PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
_MONOCHROME = ("MONOCHROME1", "MONOCHROME2")
# (7FE0,0010) Pixel Data as it appears in the byte stream; pydicom silently drops an element cut short.
_PIXEL_DATA_TAG_LE = b"\xe0\x7f\x10\x00"
_PIXEL_DATA_TAG_BE = b"\x7f\xe0\x00\x10"

# pydicom warns about harmless non-conformant values (e.g. an invalid UI string) in many real files.
# Filtered once, by module, when this module is first imported: `catch_warnings` would not be thread-safe.
warnings.filterwarnings("ignore", category=UserWarning, module=r"pydicom(\..*)?")


def load_dicom(path: Path, data: bytes, sha256: str) -> Radiograph:
    """Decode `data` (the bytes of `path`, sniffed as DICOM) into a Radiograph."""
    notes: list[str] = []
    ds = _read(path, data, notes)
    rows, columns, samples, frames = _geometry(path, ds)
    check_dimensions(path, columns, rows, samples)
    syntax = _ensure_transfer_syntax(ds, notes)
    if frames > 1:
        notes.append(f"multi-frame: showing frame 1 of {frames}")
    stored = _decode_first_frame(path, ds, syntax, frames)
    photometric = str(ds.get("PhotometricInterpretation", "") or "").strip().upper() or "MONOCHROME2"
    metadata: dict[str, Any] = {
        "format": "DICOM",
        "transfer_syntax": syntax.name,
        "transfer_syntax_uid": str(syntax),
        "width": columns,
        "height": rows,
        "frames": frames,
        "samples_per_pixel": samples,
        "bits_allocated": _int(ds, "BitsAllocated"),
        "bits_stored": _int(ds, "BitsStored"),
        "pixel_representation": _int(ds, "PixelRepresentation"),
    }
    if photometric != "PALETTE COLOR" and (photometric in _MONOCHROME or samples == 1):
        grey, colour = _greyscale(path, ds, stored, photometric, metadata, notes), None
    else:
        grey, colour = _colour(path, ds, stored, photometric)
    dicom = DicomMetadata.from_dataset(ds, transfer_syntax=syntax.name)
    bits = _int(ds, "BitsStored") or _int(ds, "BitsAllocated") or 8
    return Radiograph(
        pixels=np.ascontiguousarray(grey, dtype=np.float32),
        source=path,
        format="DICOM",
        bit_depth=bits,
        photometric=photometric,
        sha256=sha256,
        metadata=metadata,
        dicom=dicom,
        colour=colour,
        notes=notes,
    )


def _read(path: Path, data: bytes, notes: list[str]) -> Any:
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(io.BytesIO(data), force=True)
    except (InvalidDicomError, EOFError, OSError, ValueError, KeyError, TypeError, struct.error) as exc:
        raise ImageLoadError(
            path, f"the DICOM header cannot be read; the file is damaged or truncated ({exc})"
        ) from exc
    if not any(keyword in ds for keyword in _PIXEL_KEYWORDS):
        if _PIXEL_DATA_TAG_LE in data or _PIXEL_DATA_TAG_BE in data:
            raise ImageLoadError(path, "the DICOM file is truncated: its Pixel Data element is incomplete")
        raise ImageLoadError(
            path, "the DICOM file holds no image (no Pixel Data element): a report, a dose record, or a file cut short"
        )
    if data[128:132] != b"DICM":
        notes.append("no DICOM preamble/file meta header: read in forced mode")
    return ds


def _geometry(path: Path, ds: Any) -> tuple[int, int, int, int]:
    rows, columns = _int(ds, "Rows"), _int(ds, "Columns")
    if not rows or not columns:
        raise ImageLoadError(path, "the DICOM header has no image size (Rows/Columns missing)")
    samples = _int(ds, "SamplesPerPixel") or 1
    frames = max(1, _int(ds, "NumberOfFrames"))
    return rows, columns, samples, frames


def _ensure_transfer_syntax(ds: Any, notes: list[str]) -> Any:
    """Files without file meta (old ACR-NEMA style) carry no Transfer Syntax: take it from how they parsed."""
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import UID, ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

    meta = getattr(ds, "file_meta", None)
    if meta is not None and "TransferSyntaxUID" in meta:
        return UID(str(meta.TransferSyntaxUID))
    implicit, little = getattr(ds, "original_encoding", (True, True))
    syntax = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian if little else ExplicitVRBigEndian
    if meta is None:
        ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax
    notes.append(f"no transfer syntax in the file: assumed {syntax.name}")
    return syntax


def _decode_first_frame(path: Path, ds: Any, syntax: Any, frames: int) -> np.ndarray:
    from pydicom.pixels import pixel_array

    try:
        arr = pixel_array(ds, index=0 if frames > 1 else None)
    except MemoryError as exc:
        raise ImageLoadError(path, "not enough memory to decode the image") from exc
    except Exception as exc:  # pydicom raises many types here; each becomes one plain reason
        raise ImageLoadError(path, _decode_failure(syntax, exc)) from exc
    return np.asarray(arr)


def _decode_failure(syntax: Any, exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = "; ".join(lines) if lines else type(exc).__name__
    lowered = text.lower()
    if any(hint in lowered for hint in ("missing dependencies", "no pixel data decoder", "not supported")):
        return f"the pixel data is compressed as {syntax.name} and no installed decoder can read it ({text})"
    if "less than expected" in lowered or "truncat" in lowered or "length" in lowered:
        return f"the DICOM pixel data is truncated or the wrong length ({text})"
    return f"the DICOM pixel data ({syntax.name}) is damaged and cannot be decoded ({text})"


def _greyscale(
    path: Path, ds: Any, stored: np.ndarray, photometric: str, metadata: dict[str, Any], notes: list[str]
) -> np.ndarray:
    from pydicom.pixels import apply_modality_lut

    if stored.ndim != 2:
        raise ImageLoadError(path, f"expected one greyscale frame, decoded an array of shape {stored.shape}")
    if "ModalityLUTSequence" in ds:
        metadata["modality_lut"] = "Modality LUT Sequence"
    elif "RescaleSlope" in ds or "RescaleIntercept" in ds:
        metadata["rescale"] = {
            "slope": _float(ds, "RescaleSlope", 1.0),
            "intercept": _float(ds, "RescaleIntercept", 0.0),
        }
    values = np.asarray(apply_modality_lut(stored, ds), dtype=np.float64)
    grey = _voi(ds, values, metadata, notes)
    if photometric == "MONOCHROME1":
        grey = 1.0 - grey
        notes.append("MONOCHROME1: inverted so bone is bright")
    return grey.astype(np.float32)


def _voi(ds: Any, values: np.ndarray, metadata: dict[str, Any], notes: list[str]) -> np.ndarray:
    """Map modality values to [0, 1] with the file's VOI LUT or window, else min–max."""
    if ds.get("VOILUTSequence"):
        lut_item = ds.VOILUTSequence[0]
        from pydicom.pixels import apply_voi

        indices = np.rint(values).astype(np.int64)  # a LUT is indexed by integers; rescaled values are floats
        out = np.asarray(apply_voi(indices, ds, index=0), dtype=np.float64)
        bits = int(lut_item.LUTDescriptor[2]) if "LUTDescriptor" in lut_item else 16
        metadata["window"] = {"source": "VOI LUT Sequence"}
        return np.clip(out / float(2**bits - 1), 0.0, 1.0)
    window = _window(ds)
    if window is not None:
        center, width, function = window
        metadata["window"] = {"source": "file", "center": center, "width": width, "function": function}
        if _count(ds, "WindowCenter") > 1:
            notes.append(f"{_count(ds, 'WindowCenter')} windows in the file: using the first")
        return _apply_window(values, center, width, function)
    low, high = float(values.min()), float(values.max())
    metadata["window"] = {"source": "min-max", "center": (low + high) / 2, "width": high - low}
    notes.append("no window in the file: min–max window used")
    if high <= low:
        return np.zeros_like(values)
    return (values - low) / (high - low)


def _window(ds: Any) -> tuple[float, float, str] | None:
    try:
        center = _first(ds.get("WindowCenter"))
        width = _first(ds.get("WindowWidth"))
    except (TypeError, ValueError):
        return None
    if center is None or width is None or width <= 0:
        return None
    function = str(ds.get("VOILUTFunction", "LINEAR") or "LINEAR").strip().upper()
    if function not in ("LINEAR", "LINEAR_EXACT", "SIGMOID") or (function == "LINEAR" and width < 1):
        function = "LINEAR_EXACT"
    return center, width, function


def _apply_window(values: np.ndarray, center: float, width: float, function: str) -> np.ndarray:
    """DICOM PS3.3 C.11.2.1.2: LINEAR, LINEAR_EXACT and SIGMOID windows, output in [0, 1]."""
    if function == "SIGMOID":
        return 1.0 / (1.0 + np.exp(-4.0 * (values - center) / width))
    if function == "LINEAR_EXACT":
        return np.clip((values - center) / width + 0.5, 0.0, 1.0)
    if width == 1:
        return (values > center - 0.5).astype(np.float64)
    return np.clip((values - (center - 0.5)) / (width - 1) + 0.5, 0.0, 1.0)


def _colour(path: Path, ds: Any, stored: np.ndarray, photometric: str) -> tuple[np.ndarray, np.ndarray | None]:
    """RGB / YBR (pydicom converts YBR to RGB while decoding) and PALETTE COLOR into grey + colour."""
    if photometric == "PALETTE COLOR":
        from pydicom.pixels import apply_color_lut

        try:
            rgb = np.asarray(apply_color_lut(stored, ds))
            bits = int(ds.RedPaletteColorLookupTableDescriptor[2])
        except Exception as exc:
            raise ImageLoadError(path, f"the palette colour table cannot be applied ({exc})") from exc
        return split_colour(rgb, float(2**bits - 1))
    if stored.ndim != 3 or stored.shape[2] != 3:
        raise ImageLoadError(
            path, f"photometric {photometric} decoded to shape {stored.shape}, expected rows×columns×3"
        )
    bits = _int(ds, "BitsStored") or 8
    return split_colour(stored, float(2**bits - 1))


def _first(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        if len(value) == 0:
            return None
        value = value[0]
    return float(value)


def _count(ds: Any, keyword: str) -> int:
    value = ds.get(keyword)
    if value is None:
        return 0
    return len(value) if type(value).__name__ == "MultiValue" or isinstance(value, list | tuple) else 1


def _int(ds: Any, keyword: str) -> int:
    try:
        value = ds.get(keyword)
        return int(value) if value not in (None, "") else 0
    except (TypeError, ValueError):
        return 0


def _float(ds: Any, keyword: str, default: float) -> float:
    try:
        value = ds.get(keyword)
        return float(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default
