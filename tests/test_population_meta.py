"""DICOM header checks against the model card's population, the Modality in `inspect`, and the verdict's words."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from xray_desktop.imaging.dicom import DicomMetadata
from xray_desktop.imaging.modality import modality_problem
from xray_desktop.models.registry import ModelEntry
from xray_desktop.services.population import NOT_AVAILABLE, verdict
from xray_desktop.services.population_meta import age_reason, metadata_reasons, parse_age_years, view_reason

PAEDIATRIC = {"age_years": [1, 5], "views": ["AP", "PA"]}


def _entry(**population) -> ModelEntry:
    return ModelEntry.from_dict(
        {
            "id": "m",
            "task": "pneumonia",
            "display_name": "m",
            "version": "1",
            "backbone": "small_cnn",
            "file": "m.keras",
            "sha256": "0" * 64,
            "input_size": [32, 32],
            "channels": 1,
            "preprocessing": {"resize": "stretch", "normalisation": "unit"},
            "labels": ["Normal", "Pneumonia"],
            "threshold": 0.5,
            "population": population or PAEDIATRIC,
        }
    )


def test_dicom_ages_are_read_in_every_unit() -> None:
    assert parse_age_years("054Y") == 54
    assert parse_age_years("006M") == pytest.approx(0.5)
    assert parse_age_years("052W") == pytest.approx(52 * 7 / 365.25)
    assert parse_age_years("") is None and parse_age_years("abc") is None


def test_age_outside_the_card_is_said_in_words() -> None:
    assert age_reason("054Y", PAEDIATRIC) == "adult film: age 54; trained on ages 1–5"
    assert age_reason("005Y", PAEDIATRIC) is None  # five years and some months is still "5"
    assert age_reason("012Y", PAEDIATRIC) == "child's film: age 12; trained on ages 1–5"
    assert age_reason("003M", {"age_years": [18, 100]}) == "infant's film: age 3 months; trained on ages 18–100"
    assert age_reason("054Y", {}) is None  # the card says nothing: no claim


def test_view_body_part_and_modality_reasons() -> None:
    assert view_reason("LL", PAEDIATRIC) == "lateral view; trained on AP/PA views"
    assert view_reason("PA", PAEDIATRIC) is None
    header = DicomMetadata(modality="MG", body_part="BREAST", view_position="CC", patient_age="061Y")
    reasons = metadata_reasons(header, PAEDIATRIC, "pneumonia")
    assert reasons[0] == "DICOM Modality MG: a mammogram, not a plain radiograph"
    assert "body part BREAST (DICOM); this model reads chest films" in reasons
    assert "view CC; trained on AP/PA views" in reasons
    assert "adult film: age 61; trained on ages 1–5" in reasons
    for code in ("CT", "MR", "US", "XA", "MG", "XC"):
        assert modality_problem(code)
    assert modality_problem("CR") is None and modality_problem("DX") is None and modality_problem("") is None


def test_the_verdict_combines_its_sources_and_says_when_no_gate_exists() -> None:
    entry = _entry()
    assert verdict(entry, None, None, None) == ("unknown", NOT_AVAILABLE)
    adult = DicomMetadata(modality="CR", body_part="CHEST", view_position="PA", patient_age="054Y")
    population, reason = verdict(entry, adult, None, None)
    assert population == "outside" and reason == "adult film: age 54; trained on ages 1–5"
    population, reason = verdict(entry, None, None, None, ["the image is in colour"])
    assert population == "outside" and reason == "not a radiograph: the image is in colour"


def _write_dicom(path: Path, modality: str) -> Path:
    from pydicom import Dataset
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID, ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPClassUID, ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = modality
    pixels = (np.random.default_rng(0).random((128, 128)) * 4000).astype(np.uint16)
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = pixels.tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.mark.parametrize("modality", ["CT", "MR", "XA", "MG"])
def test_inspect_does_not_call_ct_mr_xa_or_mammography_plausible(tmp_path, capsys, modality) -> None:
    from xray_desktop.cli import main

    path = _write_dicom(tmp_path / f"{modality}.dcm", modality)
    assert main(["inspect", "--json", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)[0]
    assert report["modality"] == modality and report["plausibility"]["plausible"] is False
    assert any(f"Modality {modality}" in r for r in report["plausibility"]["reasons"])
    main(["inspect", str(path)])
    assert "plausible radiograph: NO" in capsys.readouterr().out


def test_a_cr_film_stays_plausible(dicom_mono1, capsys) -> None:
    from xray_desktop.cli import main

    main(["inspect", "--json", str(dicom_mono1)])
    assert json.loads(capsys.readouterr().out)[0]["plausibility"]["plausible"] is True


def test_entry_population_survives_the_registry_round_trip() -> None:
    entry = replace(_entry(), population_check={"file": "m.population.npz", "sha256": "1" * 64})
    again = ModelEntry.from_dict(entry.to_dict())
    assert again.population == PAEDIATRIC and again.population_check["file"] == "m.population.npz"
