"""Odd DICOMs (issue 15, "extend the odd-input tests"): other modalities and compressed, multi-frame and palette
files, generated here with pydicom. Each one loads as a valid radiograph or is refused with one line naming the
file — never a traceback, never another exception type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate
from pydicom.uid import JPEG2000Lossless, JPEGLSLossless, JPEGLSNearLossless, RLELossless
from test_imaging_dicom import write_dicom

from xray_desktop.errors import ImageLoadError
from xray_desktop.imaging import load_radiograph

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4"
US_MULTIFRAME = "1.2.840.10008.5.1.4.1.1.3.1"
NM_IMAGE = "1.2.840.10008.5.1.4.1.1.20"
MG_IMAGE = "1.2.840.10008.5.1.4.1.1.1.2"


def _loads_or_refuses_in_one_line(path: Path):
    """The contract for any file: a usable Radiograph, or an ImageLoadError of one line that names the file."""
    try:
        r = load_radiograph(path)
    except ImageLoadError as exc:
        message = str(exc)
        assert "\n" not in message and path.name in message and "Traceback" not in message, message
        return None
    assert r.pixels.dtype == np.float32 and r.pixels.ndim == 2
    assert np.isfinite(r.pixels).all() and 0.0 <= float(r.pixels.min()) <= float(r.pixels.max()) <= 1.0
    return r


def _ramp(rows: int = 64, cols: int = 64, peak: int = 4095, dtype: Any = np.uint16) -> np.ndarray:
    return np.tile(np.linspace(0, peak, cols), (rows, 1)).astype(dtype)


def test_ct_slice_with_signed_hounsfield_values_loads(tmp_path: Path) -> None:
    hu = (_ramp(peak=3000).astype(np.int32) - 1024).astype(np.int16)
    path = write_dicom(
        tmp_path / "ct.dcm",
        hu,
        bits_stored=16,
        SOPClassUID=CT_IMAGE,
        Modality="CT",
        RescaleSlope=1,
        RescaleIntercept=0,
        WindowCenter=40,
        WindowWidth=400,
    )
    r = _loads_or_refuses_in_one_line(path)
    assert r is not None and r.modality == "CT"


@pytest.mark.parametrize(
    ("name", "sop", "modality", "bits"),
    [("mr", MR_IMAGE, "MR", 12), ("nm", NM_IMAGE, "NM", 8), ("mg", MG_IMAGE, "MG", 14)],
)
def test_other_greyscale_modalities_load_and_keep_their_modality(tmp_path, name, sop, modality, bits) -> None:
    pixels = _ramp(peak=2**bits - 1, dtype=np.uint8 if bits <= 8 else np.uint16)
    path = write_dicom(tmp_path / f"{name}.dcm", pixels, bits_stored=bits, SOPClassUID=sop, Modality=modality)
    r = _loads_or_refuses_in_one_line(path)
    assert r is not None and r.modality == modality


def test_ultrasound_colour_cine_loads_its_first_frame(tmp_path: Path) -> None:
    frames = np.zeros((4, 48, 64, 3), np.uint8)
    for i in range(4):
        frames[i, ..., 0] = 40 * i
        frames[i, 10:20, 10:20, 1] = 200
    path = write_dicom(
        tmp_path / "us.dcm", frames, photometric="RGB", bits_stored=8, SOPClassUID=US_MULTIFRAME, Modality="US"
    )
    r = _loads_or_refuses_in_one_line(path)
    assert r is not None and r.colour is not None and r.metadata["frames"] == 4


def test_rle_multi_frame_colour_loads(tmp_path: Path) -> None:
    frames = np.zeros((2, 32, 32, 3), np.uint8)
    frames[0, ..., 2] = 255
    path = write_dicom(tmp_path / "rle.dcm", frames, photometric="RGB", bits_stored=8, syntax=RLELossless)
    r = _loads_or_refuses_in_one_line(path)
    assert r is not None and r.metadata["frames"] == 2


def _encapsulated(path: Path, syntax: str, fragments: list[bytes], **elements: Any) -> Path:
    plain = write_dicom(path, _ramp(32, 32, 255, np.uint8), bits_stored=8, **elements)
    ds = pydicom.dcmread(plain)
    ds.file_meta.TransferSyntaxUID = syntax
    ds.PixelData = encapsulate(fragments)
    ds["PixelData"].VR = "OB"
    ds.save_as(path)
    return path


@pytest.mark.parametrize(
    "syntax",
    [JPEGLSLossless, JPEGLSNearLossless, JPEG2000Lossless, RLELossless],
    ids=["jpeg-ls", "jpeg-ls-near", "jpeg2000", "rle"],
)
def test_compressed_pixel_data_that_does_not_decode_is_one_line(tmp_path: Path, syntax: str) -> None:
    path = _encapsulated(tmp_path / f"bad-{syntax}.dcm", syntax, [b"\xff\x4f\xff\x51" + b"\x00" * 60])
    assert _loads_or_refuses_in_one_line(path) is None


def test_an_unsupported_transfer_syntax_is_one_line(tmp_path: Path) -> None:
    mpeg2 = "1.2.840.10008.1.2.4.100"  # MPEG2 video: a film, not an image this program reads
    path = _encapsulated(tmp_path / "video.dcm", mpeg2, [b"\x00\x00\x01\xb3" + b"\x00" * 60])
    assert _loads_or_refuses_in_one_line(path) is None


def test_palette_colour_without_its_tables_is_one_line(tmp_path: Path) -> None:
    path = write_dicom(tmp_path / "pal.dcm", _ramp(32, 32, 255, np.uint8), bits_stored=8)
    ds = pydicom.dcmread(path)
    ds.PhotometricInterpretation = "PALETTE COLOR"  # ...but no lookup tables at all
    ds.save_as(path)
    assert _loads_or_refuses_in_one_line(path) is None


def test_palette_colour_with_a_short_table_is_one_line_or_loads(tmp_path: Path) -> None:
    path = write_dicom(tmp_path / "pal-short.dcm", _ramp(32, 32, 255, np.uint8), bits_stored=8)
    ds = pydicom.dcmread(path)
    ds.PhotometricInterpretation = "PALETTE COLOR"
    for colour in ("Red", "Green", "Blue"):
        ds.add_new(f"{colour}PaletteColorLookupTableDescriptor", "US", [256, 0, 16])
        ds.add_new(f"{colour}PaletteColorLookupTableData", "OW", (np.arange(16, dtype=np.uint16) * 4096).tobytes())
    ds.save_as(path)
    _loads_or_refuses_in_one_line(path)


def test_a_multi_frame_volume_with_an_absurd_frame_count_is_one_line(tmp_path: Path) -> None:
    path = write_dicom(tmp_path / "vol.dcm", np.stack([_ramp(32, 32)] * 3), SOPClassUID=CT_IMAGE, Modality="CT")
    ds = pydicom.dcmread(path)
    ds.NumberOfFrames = 100000  # the header claims far more frames than the data holds
    ds.save_as(path)
    _loads_or_refuses_in_one_line(path)
