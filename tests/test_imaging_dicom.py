"""load_radiograph on DICOM: the two real fixtures plus variants written here with pydicom."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.pixels import convert_color_space
from pydicom.sequence import Sequence
from pydicom.uid import (
    JPEG2000MC,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    RLELossless,
    generate_uid,
)

from xray_desktop.errors import ImageLoadError
from xray_desktop.imaging import load_radiograph
from xray_desktop.imaging.dicom import DicomMetadata


def _dataset(**elements: Any) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1"  # CR Image Storage
    ds.Modality = "CR"
    ds.BodyPartExamined = "CHEST"
    for keyword, value in elements.items():
        setattr(ds, keyword, value)
    return ds


def write_dicom(
    path: Path,
    pixels: np.ndarray,
    *,
    photometric: str = "MONOCHROME2",
    bits_stored: int = 12,
    preamble: bool = True,
    syntax: str | None = None,
    **elements: Any,
) -> Path:
    """Write `pixels` as a DICOM file; `syntax` compresses it (RLE, JPEG 2000) with pydicom's encoders."""
    ds = _dataset(**elements)
    ds.set_pixel_data(pixels, photometric, bits_stored)
    if (pixels.ndim == 3 and photometric == "MONOCHROME2") or pixels.ndim == 4:
        ds.NumberOfFrames = pixels.shape[0]
    if syntax is not None:
        ds.compress(syntax)
    if preamble:
        ds.save_as(path, enforce_file_format=True)
    else:
        del ds.file_meta
        ds.save_as(path, implicit_vr=True, little_endian=True)
    return path


def _grey(rows: int = 48, cols: int = 64, peak: int = 4095) -> np.ndarray:
    ramp = np.tile(np.linspace(0, peak, cols), (rows, 1)).astype(np.uint16)
    ramp[4:12, 4:12] = peak
    return ramp


def _minmax(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float64)
    return (values - values.min()) / (values.max() - values.min())


# --- the real fixtures -------------------------------------------------------------------------


def test_real_mono1_without_preamble_is_inverted_and_windowed(dicom_mono1: Path) -> None:
    r = load_radiograph(dicom_mono1)
    assert (r.format, r.photometric, r.bit_depth) == ("DICOM", "MONOCHROME1", 10)
    assert r.pixels.shape == (440, 440) and r.pixels.dtype == np.float32
    assert any("forced mode" in note for note in r.notes)
    assert "MONOCHROME1: inverted so bone is bright" in r.notes
    assert r.metadata["window"] == {"source": "file", "center": 550.0, "width": 1024.0, "function": "LINEAR"}
    stored = pydicom.dcmread(dicom_mono1, force=True)
    stored.file_meta = FileMetaDataset()
    stored.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
    raw = stored.pixel_array.astype(np.float64)
    expected = 1.0 - np.clip((raw - 549.5) / 1023 + 0.5, 0, 1)
    np.testing.assert_allclose(r.pixels, expected, atol=1e-5)
    assert (r.modality, r.body_part) == ("CR", "CHEST")


def test_real_jpeg_lossless_with_modality_lut_sequence(dicom_modality_lut: Path) -> None:
    r = load_radiograph(dicom_modality_lut)
    assert r.pixels.shape == (1576, 1976)
    assert "JPEG Lossless" in r.metadata["transfer_syntax"]
    assert r.metadata["modality_lut"] == "Modality LUT Sequence"
    assert r.metadata["window"]["source"] == "min-max"
    assert r.pixels.min() == 0.0 and r.pixels.max() == 1.0
    assert r.dicom.pixel_spacing == (0.15, 0.15)
    assert r.dicom.study_description == "MODALITYLUT - TEETH"


# --- preamble, photometric, modality and VOI ------------------------------------------------------


def test_with_and_without_preamble_give_the_same_pixels(tmp_path: Path) -> None:
    with_meta = load_radiograph(write_dicom(tmp_path / "a.dcm", _grey()))
    bare = load_radiograph(write_dicom(tmp_path / "bare", _grey(), preamble=False))
    assert (tmp_path / "bare").read_bytes()[128:132] != b"DICM"
    np.testing.assert_array_equal(with_meta.pixels, bare.pixels)
    assert not any("forced" in note for note in with_meta.notes)
    assert any("forced" in note for note in bare.notes)


def test_monochrome1_is_the_inverse_of_monochrome2(tmp_path: Path) -> None:
    mono2 = load_radiograph(write_dicom(tmp_path / "m2.dcm", _grey()))
    mono1 = load_radiograph(write_dicom(tmp_path / "m1.dcm", _grey(), photometric="MONOCHROME1"))
    np.testing.assert_allclose(mono1.pixels, 1.0 - mono2.pixels, atol=1e-6)
    assert mono2.pixels[8, 8] == 1.0 and mono1.pixels[8, 8] == 0.0


def test_no_window_uses_min_max(tmp_path: Path) -> None:
    values = _grey(peak=3000) + 500
    r = load_radiograph(write_dicom(tmp_path / "mm.dcm", values))
    np.testing.assert_allclose(r.pixels, _minmax(values), atol=1e-6)
    assert "no window in the file: min–max window used" in r.notes


def test_window_center_width_from_file_is_applied(tmp_path: Path) -> None:
    values = _grey()
    r = load_radiograph(write_dicom(tmp_path / "w.dcm", values, WindowCenter=1000, WindowWidth=801))
    expected = np.clip((values - 999.5) / 800 + 0.5, 0, 1)
    np.testing.assert_allclose(r.pixels, expected, atol=1e-6)
    assert r.metadata["window"]["center"] == 1000.0


def test_first_of_several_windows_is_used_with_note(tmp_path: Path) -> None:
    path = write_dicom(tmp_path / "w2.dcm", _grey(), WindowCenter=[1000, 3000], WindowWidth=[801, 400])
    r = load_radiograph(path)
    assert r.metadata["window"]["width"] == 801.0
    assert any("2 windows" in note for note in r.notes)


def test_rescale_slope_intercept_applies_before_the_window(tmp_path: Path) -> None:
    values = _grey()
    path = write_dicom(
        tmp_path / "ct.dcm", values, RescaleSlope=2, RescaleIntercept=-1000, WindowCenter=0, WindowWidth=2001
    )
    r = load_radiograph(path)
    hu = values * 2.0 - 1000
    np.testing.assert_allclose(r.pixels, np.clip((hu + 0.5) / 2000 + 0.5, 0, 1), atol=1e-6)
    assert r.metadata["rescale"] == {"slope": 2.0, "intercept": -1000.0}


def test_voi_lut_sequence_is_preferred_over_window(tmp_path: Path) -> None:
    values = (np.tile(np.arange(64), (48, 1)) % 16).astype(np.uint16)
    item = Dataset()
    item.LUTDescriptor = [16, 0, 8]
    item.add_new(0x00283006, "US", [255 - 17 * i for i in range(16)])  # LUT Data: an inverting LUT
    path = write_dicom(tmp_path / "voi.dcm", values, bits_stored=8, WindowCenter=8, WindowWidth=16)
    ds = pydicom.dcmread(path)
    ds.VOILUTSequence = Sequence([item])
    ds.save_as(path)
    r = load_radiograph(path)
    np.testing.assert_allclose(r.pixels, (255 - 17 * values) / 255.0, atol=1e-6)
    assert r.metadata["window"] == {"source": "VOI LUT Sequence"}


def test_modality_lut_sequence_maps_stored_values_before_min_max(tmp_path: Path) -> None:
    values = (np.tile(np.arange(64), (48, 1)) % 32).astype(np.uint16)
    table = [(i * i) % 700 for i in range(32)]  # non-monotonic, so only a real lookup reproduces it
    item = Dataset()
    item.LUTDescriptor = [32, 0, 16]
    item.ModalityLUTType = "US"
    item.add_new(0x00283006, "US", table)
    path = write_dicom(tmp_path / "mlut.dcm", values, bits_stored=8)
    ds = pydicom.dcmread(path)
    ds.ModalityLUTSequence = Sequence([item])
    ds.save_as(path)
    r = load_radiograph(path)
    np.testing.assert_allclose(r.pixels, _minmax(np.array(table)[values]), atol=1e-6)
    assert r.metadata["modality_lut"] == "Modality LUT Sequence"


@pytest.mark.parametrize("bits", [8, 10, 12, 16])
def test_bits_stored_8_to_16_are_read_with_their_depth(tmp_path: Path, bits: int) -> None:
    peak = 2**bits - 1
    values = _grey(peak=peak).astype(np.uint8 if bits == 8 else np.uint16)
    r = load_radiograph(write_dicom(tmp_path / f"b{bits}.dcm", values, bits_stored=bits))
    assert r.bit_depth == bits
    np.testing.assert_allclose(r.pixels, _minmax(values), atol=1e-6)


def test_signed_pixels_are_read(tmp_path: Path) -> None:
    values = (_grey().astype(np.int32) - 2048).astype(np.int16)
    r = load_radiograph(write_dicom(tmp_path / "signed.dcm", values, bits_stored=16))
    np.testing.assert_allclose(r.pixels, _minmax(values), atol=1e-6)


# --- colour ---------------------------------------------------------------------------------------


def _rgb() -> np.ndarray:
    y, x = np.mgrid[0:48, 0:64]
    return np.stack([x * 4, y * 5, 255 - x * 4], axis=2).astype(np.uint8)


def test_rgb_dicom_keeps_colour(tmp_path: Path) -> None:
    r = load_radiograph(write_dicom(tmp_path / "rgb.dcm", _rgb(), photometric="RGB", bits_stored=8))
    assert r.photometric == "RGB" and r.colour is not None
    np.testing.assert_allclose(r.colour, _rgb() / 255.0, atol=1e-6)


def test_ybr_full_dicom_is_converted_to_rgb(tmp_path: Path) -> None:
    ybr = convert_color_space(_rgb(), "RGB", "YBR_FULL")
    r = load_radiograph(write_dicom(tmp_path / "ybr.dcm", ybr, photometric="YBR_FULL", bits_stored=8))
    assert r.photometric == "YBR_FULL"
    assert np.abs(r.colour - _rgb() / 255.0).max() <= 3 / 255


def test_palette_colour_dicom_is_expanded_through_its_tables(tmp_path: Path) -> None:
    indices = (np.tile(np.arange(64), (48, 1)) * 4).astype(np.uint8)
    path = write_dicom(tmp_path / "pal.dcm", indices, bits_stored=8)
    ds = pydicom.dcmread(path)
    ds.PhotometricInterpretation = "PALETTE COLOR"
    ramp = np.arange(256, dtype=np.uint16) * 257
    for colour, table in (("Red", ramp), ("Green", ramp[::-1].copy()), ("Blue", np.zeros(256, np.uint16))):
        ds.add_new(f"{colour}PaletteColorLookupTableDescriptor", "US", [256, 0, 16])
        ds.add_new(f"{colour}PaletteColorLookupTableData", "OW", table.tobytes())
    ds.save_as(path)
    r = load_radiograph(path)
    assert r.photometric == "PALETTE COLOR" and r.colour is not None
    np.testing.assert_allclose(r.colour[..., 0], indices / 255.0, atol=1e-6)
    np.testing.assert_allclose(r.colour[..., 1], 1.0 - indices / 255.0, atol=1e-6)


# --- frames and transfer syntaxes -----------------------------------------------------------------


def test_multi_frame_shows_first_frame_with_note(tmp_path: Path) -> None:
    frames = np.stack([_grey(), 4095 - _grey(), _grey() // 2])
    r = load_radiograph(write_dicom(tmp_path / "multi.dcm", frames))
    np.testing.assert_allclose(r.pixels, _minmax(frames[0]), atol=1e-6)
    assert "multi-frame: showing frame 1 of 3" in r.notes
    assert r.metadata["frames"] == 3


@pytest.mark.parametrize("syntax", [RLELossless, JPEG2000Lossless], ids=["rle", "jpeg2000"])
def test_lossless_compressed_equals_uncompressed(tmp_path: Path, syntax: str) -> None:
    plain = load_radiograph(write_dicom(tmp_path / "plain.dcm", _grey()))
    packed = load_radiograph(write_dicom(tmp_path / "packed.dcm", _grey(), syntax=syntax))
    assert pydicom.dcmread(tmp_path / "packed.dcm").file_meta.TransferSyntaxUID == syntax
    np.testing.assert_array_equal(packed.pixels, plain.pixels)


def test_deflated_transfer_syntax_is_read(tmp_path: Path) -> None:
    path = write_dicom(tmp_path / "plain.dcm", _grey())
    ds = pydicom.dcmread(path)
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    deflated = tmp_path / "deflated.dcm"
    ds.save_as(deflated, enforce_file_format=True)
    assert b"CHEST" not in deflated.read_bytes()[300:]  # the data set really is compressed
    np.testing.assert_array_equal(load_radiograph(deflated).pixels, load_radiograph(path).pixels)


def test_compressed_multi_frame_decodes_first_frame(tmp_path: Path) -> None:
    frames = np.stack([_grey(), 4095 - _grey()])
    r = load_radiograph(write_dicom(tmp_path / "rle_multi.dcm", frames, syntax=RLELossless))
    np.testing.assert_allclose(r.pixels, _minmax(frames[0]), atol=1e-6)


def test_jpeg_baseline_dicom_is_decoded(tmp_path: Path) -> None:
    import io

    from PIL import Image

    grey = (_grey() // 16).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(grey).save(buffer, format="JPEG", quality=95)
    ds = _dataset(
        Rows=48, Columns=64, SamplesPerPixel=1, PhotometricInterpretation="MONOCHROME2",
        BitsAllocated=8, BitsStored=8, HighBit=7, PixelRepresentation=0, SOPInstanceUID=generate_uid(),
    )  # fmt: skip
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.PixelData = encapsulate([buffer.getvalue()])
    ds["PixelData"].VR = "OB"
    path = tmp_path / "jpeg.dcm"
    ds.save_as(path, enforce_file_format=True)
    r = load_radiograph(path)
    assert "JPEG Baseline" in r.metadata["transfer_syntax"]
    assert np.abs(r.pixels - _minmax(grey)).mean() < 0.02


def test_dicom_named_png_is_read_as_dicom(tmp_path: Path) -> None:
    r = load_radiograph(write_dicom(tmp_path / "liar.png", _grey()))
    assert r.format == "DICOM"
    assert any("misleading" in note for note in r.notes)


# --- refusals --------------------------------------------------------------------------------------


def test_dicom_without_pixel_data_is_refused(tmp_path: Path) -> None:
    ds = _dataset(SOPInstanceUID=generate_uid())
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    path = tmp_path / "report.dcm"
    ds.save_as(path, enforce_file_format=True)
    with pytest.raises(ImageLoadError, match="no Pixel Data"):
        load_radiograph(path)


def test_truncated_dicom_is_refused(tmp_path: Path) -> None:
    path = write_dicom(tmp_path / "whole.dcm", _grey(256, 256))
    data = path.read_bytes()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[: len(data) - 4000])
    with pytest.raises(ImageLoadError, match=r"cut\.dcm: .*(truncated|damaged)"):
        load_radiograph(cut)


@pytest.mark.parametrize("syntax", [RLELossless, JPEG2000Lossless], ids=["rle", "jpeg2000"])
def test_truncated_compressed_dicom_is_refused_as_truncated(tmp_path: Path, syntax: str) -> None:
    data = write_dicom(tmp_path / "whole.dcm", _grey(256, 256), syntax=syntax).read_bytes()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(ImageLoadError, match="truncated"):
        load_radiograph(cut)


def test_damaged_compressed_pixel_data_is_refused_as_damaged(tmp_path: Path) -> None:
    data = bytearray(write_dicom(tmp_path / "whole.dcm", _grey(256, 256), syntax=JPEG2000Lossless).read_bytes())
    middle = len(data) // 2
    data[middle : middle + 200] = b"\xff" * 200
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(bytes(data))
    with pytest.raises(ImageLoadError, match=r"bad\.dcm: .*JPEG 2000.*damaged"):
        load_radiograph(bad)


def test_compression_without_an_installed_decoder_is_named(tmp_path: Path) -> None:
    """pydicom has no decoder for JPEG 2000 Part 2 multi-component: the reason must say so."""
    ds = _dataset(
        Rows=48, Columns=64, SamplesPerPixel=1, PhotometricInterpretation="MONOCHROME2",
        BitsAllocated=16, BitsStored=12, HighBit=11, PixelRepresentation=0, SOPInstanceUID=generate_uid(),
    )  # fmt: skip
    ds.file_meta.TransferSyntaxUID = JPEG2000MC
    ds.PixelData = encapsulate([b"\xff\x4f\xff\x51" + bytes(64)])
    ds["PixelData"].VR = "OB"
    path = tmp_path / "j2k_part2.dcm"
    ds.save_as(path, enforce_file_format=True)
    with pytest.raises(ImageLoadError, match=r"compressed as JPEG 2000 Part 2 Multi-component.*no installed decoder"):
        load_radiograph(path)


def test_dicom_bomb_header_is_refused_before_decoding(tmp_path: Path) -> None:
    path = write_dicom(tmp_path / "bomb.dcm", _grey())
    ds = pydicom.dcmread(path)
    ds.Rows, ds.Columns = 50000, 50000  # claims 5 GB of 16-bit pixels; the file holds 6 kB
    ds.save_as(path)
    started = time.perf_counter()
    with pytest.raises(ImageLoadError, match=r"50000×50000.*refused before decoding"):
        load_radiograph(path)
    assert time.perf_counter() - started < 1.0


def test_tiny_dicom_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageLoadError, match="16×16"):
        load_radiograph(write_dicom(tmp_path / "tiny.dcm", _grey(16, 16)))


def test_dicom_metadata_is_attached(tmp_path: Path) -> None:
    path = write_dicom(tmp_path / "meta.dcm", _grey(), PatientName="Doe^Jane", PixelSpacing=[0.2, 0.25])
    r = load_radiograph(path)
    assert isinstance(r.dicom, DicomMetadata)
    assert (r.dicom.patient_name, r.dicom.pixel_spacing, r.dicom.rows, r.dicom.columns) == (
        "Doe^Jane", (0.2, 0.25), 48, 64
    )  # fmt: skip
