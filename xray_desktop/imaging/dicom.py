"""DICOM header fields worth showing, kept apart from the pixels, and their de-identification.

This module does not import pydicom at import time: `DicomMetadata` is a plain value that reports,
history and the UI can use without the DICOM stack; `from_dataset` reads one from a pydicom Dataset.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

# Fields that identify a patient, a visit or a member of staff; `deidentify` blanks them.
IDENTIFYING_FIELDS: tuple[str, ...] = (
    "patient_name",
    "patient_id",
    "other_patient_ids",
    "patient_birth_date",
    "patient_address",
    "patient_telephone",
    "institution_name",
    "institution_address",
    "institutional_department",
    "referring_physician",
    "performing_physician",
    "operators_name",
    "station_name",
    "accession_number",
    "study_id",
)
# Unique identifiers that would let anyone link the image back to the hospital's archive; replaced.
UID_FIELDS: tuple[str, ...] = ("study_instance_uid", "series_instance_uid", "sop_instance_uid")

# (attribute, DICOM keyword) for the text fields read straight from the header.
_TEXT_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("modality", "Modality"),
    ("body_part", "BodyPartExamined"),
    ("view_position", "ViewPosition"),
    ("laterality", "Laterality"),
    ("study_description", "StudyDescription"),
    ("series_description", "SeriesDescription"),
    ("study_date", "StudyDate"),
    ("study_time", "StudyTime"),
    ("series_date", "SeriesDate"),
    ("acquisition_date", "AcquisitionDate"),
    ("content_date", "ContentDate"),
    ("patient_name", "PatientName"),
    ("patient_id", "PatientID"),
    ("other_patient_ids", "OtherPatientIDs"),
    ("patient_birth_date", "PatientBirthDate"),
    ("patient_sex", "PatientSex"),
    ("patient_age", "PatientAge"),
    ("patient_address", "PatientAddress"),
    ("patient_telephone", "PatientTelephoneNumbers"),
    ("institution_name", "InstitutionName"),
    ("institution_address", "InstitutionAddress"),
    ("institutional_department", "InstitutionalDepartmentName"),
    ("referring_physician", "ReferringPhysicianName"),
    ("performing_physician", "PerformingPhysicianName"),
    ("operators_name", "OperatorsName"),
    ("station_name", "StationName"),
    ("accession_number", "AccessionNumber"),
    ("study_id", "StudyID"),
    ("manufacturer", "Manufacturer"),
    ("manufacturer_model", "ManufacturerModelName"),
    ("photometric", "PhotometricInterpretation"),
    ("study_instance_uid", "StudyInstanceUID"),
    ("series_instance_uid", "SeriesInstanceUID"),
    ("sop_instance_uid", "SOPInstanceUID"),
)

# Labels for `display_fields`, in display order.
_DISPLAY: tuple[tuple[str, str], ...] = (
    ("patient_name", "Patient name"),
    ("patient_id", "Patient ID"),
    ("patient_birth_date", "Birth date"),
    ("patient_sex", "Sex"),
    ("patient_age", "Age"),
    ("modality", "Modality"),
    ("body_part", "Body part"),
    ("view_position", "View"),
    ("laterality", "Laterality"),
    ("study_description", "Study"),
    ("series_description", "Series"),
    ("study_date", "Study date"),
    ("institution_name", "Institution"),
    ("referring_physician", "Referring physician"),
    ("accession_number", "Accession number"),
    ("manufacturer", "Manufacturer"),
    ("manufacturer_model", "Model"),
    ("pixel_spacing", "Pixel spacing"),
)


@dataclass(frozen=True)
class DicomMetadata:
    """What the DICOM header says about an image; every text field is "" when absent."""

    modality: str = ""
    body_part: str = ""
    view_position: str = ""
    laterality: str = ""
    study_description: str = ""
    series_description: str = ""
    study_date: str = ""
    study_time: str = ""
    series_date: str = ""
    acquisition_date: str = ""
    content_date: str = ""
    patient_name: str = ""
    patient_id: str = ""
    other_patient_ids: str = ""
    patient_birth_date: str = ""
    patient_sex: str = ""
    patient_age: str = ""
    patient_address: str = ""
    patient_telephone: str = ""
    institution_name: str = ""
    institution_address: str = ""
    institutional_department: str = ""
    referring_physician: str = ""
    performing_physician: str = ""
    operators_name: str = ""
    station_name: str = ""
    accession_number: str = ""
    study_id: str = ""
    manufacturer: str = ""
    manufacturer_model: str = ""
    photometric: str = ""
    study_instance_uid: str = ""
    series_instance_uid: str = ""
    sop_instance_uid: str = ""
    transfer_syntax: str = ""
    pixel_spacing: tuple[float, float] | None = None  # mm (row, column); Imager Pixel Spacing if that is all there is
    rows: int = 0
    columns: int = 0
    bits_stored: int = 0
    number_of_frames: int = 1
    deidentified: bool = False

    @classmethod
    def from_dataset(cls, ds: Any, transfer_syntax: str = "") -> DicomMetadata:
        """Read the fields from a pydicom Dataset; malformed values become "" rather than errors."""
        values: dict[str, Any] = {name: _text(ds, keyword) for name, keyword in _TEXT_KEYWORDS}
        values["pixel_spacing"] = _spacing(ds, "PixelSpacing") or _spacing(ds, "ImagerPixelSpacing")
        values["rows"] = _integer(ds, "Rows")
        values["columns"] = _integer(ds, "Columns")
        values["bits_stored"] = _integer(ds, "BitsStored")
        values["number_of_frames"] = max(1, _integer(ds, "NumberOfFrames"))
        values["transfer_syntax"] = transfer_syntax
        return cls(**values)

    def deidentify(self) -> DicomMetadata:
        """A copy without names, IDs, birth date, address, institution, staff or accession; new random UIDs.

        Kept: modality, body part, view, descriptions, study dates, sex, age, equipment, geometry. The
        UIDs are replaced with fresh random ones (not hashes of the originals, which could be confirmed).
        """
        if self.deidentified:
            return self
        from pydicom.uid import generate_uid

        blanks: dict[str, Any] = dict.fromkeys(IDENTIFYING_FIELDS, "")
        uids: dict[str, Any] = {name: generate_uid() for name in UID_FIELDS if getattr(self, name)}
        return replace(self, **blanks, **uids, deidentified=True)

    def display_fields(self, deidentified: bool = True) -> dict[str, str]:
        """Label → value for overlays and reports, non-empty fields only; identifying ones only if asked."""
        source = self.deidentify() if deidentified else self
        shown: dict[str, str] = {}
        for name, label in _DISPLAY:
            value = getattr(source, name)
            if name == "pixel_spacing":
                text = f"{value[0]:g} × {value[1]:g} mm" if value else ""
            else:
                text = str(value).strip()
            if text:
                shown[label] = text
        return shown

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready) of every field."""
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        if self.pixel_spacing is not None:
            out["pixel_spacing"] = list(self.pixel_spacing)
        return out


def _text(ds: Any, keyword: str) -> str:
    try:
        value = ds.get(keyword)
    except Exception:  # a malformed element must not stop the image from loading
        return ""
    if value is None:
        return ""
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return "\\".join(str(v) for v in value).strip()
    return str(value).strip()


def _integer(ds: Any, keyword: str) -> int:
    try:
        value = ds.get(keyword)
        return int(value) if value not in (None, "") else 0
    except Exception:
        return 0


def _spacing(ds: Any, keyword: str) -> tuple[float, float] | None:
    try:
        value = ds.get(keyword)
        if value is None or len(value) != 2:
            return None
        row, col = float(value[0]), float(value[1])
    except Exception:
        return None
    return (row, col) if row > 0 and col > 0 else None
