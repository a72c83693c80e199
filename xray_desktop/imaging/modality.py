"""What a DICOM Modality (0008,0060) says about whether a file is a plain radiograph our models can read."""

from __future__ import annotations

# Plain projection radiography: computed, digital, and the generic radiographic codes.
RADIOGRAPH_MODALITIES = frozenset({"CR", "DX", "RG", "DR", "RF"})

# Modalities that are never the input of a plain-radiograph model, in words for the user.
NOT_RADIOGRAPH: dict[str, str] = {
    "CT": "a CT slice",
    "MR": "an MR image",
    "US": "an ultrasound image",
    "XA": "an angiogram (XA)",
    "MG": "a mammogram",
    "NM": "a nuclear-medicine image",
    "PT": "a PET image",
    "PX": "a panoramic dental X-ray",
    "IO": "an intra-oral dental X-ray",
    "XC": "a photograph (external camera)",
    "VL": "a photograph (visible light)",
    "OP": "an ophthalmic photograph",
    "ES": "an endoscopy image",
    "SM": "a microscopy slide",
    "GM": "a microscopy image",
    "DG": "a diaphanography image",
    "OCT": "an OCT scan",
    "BMD": "a bone densitometry image",
}


def modality_problem(modality: str | None) -> str | None:
    """A reason in words when the Modality is not a plain radiograph, else None (absent or unknown: no claim)."""
    code = (modality or "").strip().upper()
    if code in NOT_RADIOGRAPH:
        return f"DICOM Modality {code}: {NOT_RADIOGRAPH[code]}, not a plain radiograph"
    return None
