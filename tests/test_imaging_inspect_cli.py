"""`xray-desktop inspect`: text and JSON output, one stderr line per bad file, exit 3 when any is bad."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from xray_desktop.cli import main
from xray_desktop.errors import EXIT_INPUT


def test_inspect_dicom_prints_size_depth_photometric_modality_and_verdict(
    dicom_mono1: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inspect", str(dicom_mono1)]) == 0
    out = capsys.readouterr().out
    assert "size: 440×440" in out and "bit depth: 10" in out and "photometric: MONOCHROME1" in out
    assert "modality: CR" in out and "body part: CHEST" in out
    assert "note: MONOCHROME1: inverted so bone is bright" in out
    assert "plausible radiograph: yes" in out


def test_inspect_json_is_one_parseable_array(
    dicom_mono1: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flat = tmp_path / "flat.png"
    Image.fromarray(np.full((64, 64), 90, np.uint8)).save(flat)
    assert main(["inspect", "--json", str(dicom_mono1), str(flat)]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert [r["format"] for r in reports] == ["DICOM", "PNG"]
    dicom, png = reports
    assert (dicom["width"], dicom["height"], dicom["bit_depth"]) == (440, 440, 10)
    assert dicom["modality"] == "CR" and dicom["dicom"]["Body part"] == "CHEST"
    assert "Accession number" not in dicom["dicom"]  # de-identified by default
    assert dicom["plausibility"]["plausible"] is True
    assert png["plausibility"]["plausible"] is False and png["plausibility"]["reasons"]
    assert png["modality"] is None and len(png["sha256"]) == 64


def test_inspect_bad_files_exit_3_with_one_line_each_and_still_reports_good_ones(
    dicom_mono1: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    noise = tmp_path / "noise.dcm"
    noise.write_bytes(np.random.default_rng(0).integers(0, 256, 2048, dtype=np.uint8).tobytes())
    code = main(["inspect", str(empty), str(dicom_mono1), str(noise)])
    captured = capsys.readouterr()
    assert code == EXIT_INPUT
    assert captured.err.splitlines() == [
        f"xray-desktop: error: {empty}: the file is empty (0 bytes)",
        f"xray-desktop: error: {noise}: not a recognised image file (expected PNG, JPEG, TIFF, BMP or DICOM)",
    ]
    assert "size: 440×440" in captured.out
    assert "Traceback" not in captured.err


def test_inspect_without_files_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect"]) == 2
