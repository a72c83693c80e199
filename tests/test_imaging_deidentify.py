"""DicomMetadata.deidentify drops every identifying field and replaces UIDs; display_fields respects it."""

from __future__ import annotations

import json
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.uid import UID

from xray_desktop.imaging import load_radiograph
from xray_desktop.imaging.dicom import IDENTIFYING_FIELDS, UID_FIELDS, DicomMetadata

IDENTIFYING = {
    "PatientName": "Doe^Jane",
    "PatientID": "PID-778899",
    "OtherPatientIDs": "ALT-445566",
    "PatientBirthDate": "19610203",
    "PatientAddress": "12 Harbour Road",
    "PatientTelephoneNumbers": "555-0199",
    "InstitutionName": "St Example Hospital",
    "InstitutionAddress": "1 Hospital Way",
    "InstitutionalDepartmentName": "Radiology East",
    "ReferringPhysicianName": "Who^Doctor",
    "PerformingPhysicianName": "Grey^Meredith",
    "OperatorsName": "Tech^Tom",
    "StationName": "XRAY-ROOM-3",
    "AccessionNumber": "ACC-123456",
    "StudyID": "STUDY-42",
}
UIDS = {
    "StudyInstanceUID": "1.2.826.0.1.3680043.2.1125.1",
    "SeriesInstanceUID": "1.2.826.0.1.3680043.2.1125.2",
    "SOPInstanceUID": "1.2.826.0.1.3680043.2.1125.3",
}


def _metadata() -> DicomMetadata:
    ds = Dataset()
    for keyword, value in {**IDENTIFYING, **UIDS}.items():
        setattr(ds, keyword, value)
    ds.Modality, ds.BodyPartExamined, ds.StudyDescription = "DX", "KNEE", "Knee AP"
    ds.PatientSex, ds.PixelSpacing = "F", [0.1, 0.1]
    return DicomMetadata.from_dataset(ds)


def test_every_identifying_header_field_is_read() -> None:
    metadata = _metadata()
    for name in IDENTIFYING_FIELDS:
        assert getattr(metadata, name), f"{name} was not read from the dataset"


def test_deidentify_drops_every_identifying_value() -> None:
    clean = _metadata().deidentify()
    assert clean.deidentified
    for name in IDENTIFYING_FIELDS:
        assert getattr(clean, name) == "", name
    dumped = json.dumps(clean.as_dict())
    for value in [*IDENTIFYING.values(), *UIDS.values()]:
        assert value not in dumped
    assert "Doe" not in dumped


def test_deidentify_replaces_uids_with_fresh_valid_ones() -> None:
    original = _metadata()
    clean = original.deidentify()
    for name in UID_FIELDS:
        new = getattr(clean, name)
        assert new and new != getattr(original, name)
        assert UID(new).is_valid


def test_deidentify_keeps_clinical_context() -> None:
    clean = _metadata().deidentify()
    assert (clean.modality, clean.body_part, clean.study_description, clean.pixel_spacing) == (
        "DX", "KNEE", "Knee AP", (0.1, 0.1)
    )  # fmt: skip


def test_display_fields_hide_identity_unless_asked() -> None:
    metadata = _metadata()
    shown = metadata.display_fields()
    assert shown["Modality"] == "DX" and shown["Body part"] == "KNEE" and shown["Pixel spacing"] == "0.1 × 0.1 mm"
    text = " ".join(shown.values())
    for value in IDENTIFYING.values():
        assert value not in text
    full = metadata.display_fields(deidentified=False)
    assert full["Patient name"] == "Doe^Jane" and full["Accession number"] == "ACC-123456"


def test_real_fixture_loses_its_accession_and_institution(dicom_mono1: Path) -> None:
    metadata = load_radiograph(dicom_mono1).dicom
    assert metadata.accession_number == "FUJI95714"
    clean = metadata.deidentify()
    dumped = json.dumps(clean.as_dict())
    assert "FUJI95714" not in dumped and "FUJI PHOTO FILM CO.," not in clean.institution_name
    assert clean.institution_name == "" and clean.modality == "CR"
