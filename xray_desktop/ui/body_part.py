"""Which tasks a case runs: its own body part (a bundled sample, a DICOM Body Part Examined) or the user's choice.

A PNG or JPEG says nothing about what it shows, and running every model on it
puts a knee model's verdict on a chest film. "Auto" lets the service's body-part
router choose (its answer and confidence are shown); the user can override it for
one image (the choice stays with that image and is never saved). Plain values only: the window and the tests
share this decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from xray_desktop.radiograph import Radiograph
from xray_desktop.tasks import BODY_PART_ALIASES, BODY_PARTS
from xray_desktop.ui.samples import SampleCase

# The user's choices, in menu order: value -> label.
BODY_PART_CHOICES: dict[str, str] = {
    "auto": "Auto (from DICOM)",
    "chest": "Chest",
    "knee": "Knee",
    "limb": "Limb",
    "all": "All tasks",
}
BODY_PART_SHORTCUTS: dict[str, str] = {
    "auto": "Alt+0",
    "chest": "Alt+1",
    "knee": "Alt+2",
    "limb": "Alt+3",
    "all": "Alt+4",
}


@dataclass(frozen=True)
class CaseTasks:
    """What one case is analysed for: `spec` goes to AnalyzeJob.tasks; `note` tells the user where it came from."""

    spec: str  # "auto", "all" or one of BODY_PARTS
    note: str
    own_part: bool  # the case names its body part itself, so the user's choice does not apply


def case_tasks(choice: str, sample: SampleCase | None, radiograph: Radiograph | None) -> CaseTasks:
    """A DICOM's or a sample's own body part wins; otherwise the user's choice ("auto" lets the service warn)."""
    dicom_value = radiograph.body_part if radiograph is not None else None
    part = BODY_PART_ALIASES.get(dicom_value.strip().upper()) if dicom_value else None
    if part is not None and dicom_value is not None:
        return CaseTasks(part, f"This case: {part} (DICOM Body Part Examined {dicom_value.strip()})", True)
    if sample is not None and sample.body_part in BODY_PARTS:
        return CaseTasks(sample.body_part, f"This case: {sample.body_part} (bundled sample)", True)
    if choice not in BODY_PART_CHOICES or choice == "auto":
        if dicom_value and dicom_value.strip():  # BREAST, HIP, WHOLE BODY: a part no model here reads
            return CaseTasks(
                "auto", f"This case: DICOM Body Part Examined {dicom_value.strip()}, no model reads it", False
            )
        return CaseTasks("auto", "This image names no body part", False)
    if choice == "all":
        return CaseTasks("all", "This image: all tasks (your choice)", False)
    return CaseTasks(choice, f"This image: {choice} (your choice)", False)
