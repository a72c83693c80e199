"""What a DICOM header says about whether a film is in a model's training population (no pixels involved).

The population is data on the model's card: `{"age_years": [lo, hi], "views": [...], "sites": [...]}`.
Each check answers only when both the header and the card say something; silence is no evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from xray_desktop.imaging.modality import modality_problem
from xray_desktop.tasks import BODY_PART_ALIASES, TASKS

_AGE = re.compile(r"^\s*(\d{1,3})\s*([DWMY]?)\s*$", re.IGNORECASE)
_UNIT_YEARS = {"D": 1 / 365.25, "W": 7 / 365.25, "M": 1 / 12, "Y": 1.0, "": 1.0}
LATERAL_VIEWS = frozenset({"LL", "RL", "LAT", "LATERAL", "LLD", "RLD", "XTABLE", "LLO", "RLO"})


def parse_age_years(value: str | None) -> float | None:
    """DICOM Age String ("054Y", "006M", "012W", "030D") -> years; None when absent or malformed."""
    match = _AGE.match(value or "")
    if not match:
        return None
    return int(match.group(1)) * _UNIT_YEARS[match.group(2).upper()]


def describe_age(years: float) -> str:
    if years < 1:
        months = round(years * 12)
        return f"{months} month{'s' if months != 1 else ''}"
    return f"{int(years)}"


def age_reason(age_text: str | None, population: Mapping[str, Any]) -> str | None:
    """ "adult film: age 54; trained on ages 1–5" when the age lies outside the card's [lo, hi] years."""
    span = population.get("age_years")
    years = parse_age_years(age_text)
    if years is None or not (isinstance(span, list | tuple) and len(span) == 2):
        return None
    low, high = float(span[0]), float(span[1])
    if low <= years < high + 1:  # "5" on the card covers a child of 5 years and 11 months
        return None
    who = "adult film" if years >= 18 else ("child's film" if years >= 1 else "infant's film")
    if years < low and years >= 18:
        who = "younger patient"
    return f"{who}: age {describe_age(years)}; trained on ages {span[0]:g}–{span[1]:g}"


def body_part_reason(body_part: str | None, task: str) -> str | None:
    """A DICOM Body Part Examined that is not the model's body part (an unknown value counts as another part)."""
    value = (body_part or "").strip()
    if not value or task not in TASKS:
        return None
    expected = TASKS[task].body_part
    part = BODY_PART_ALIASES.get(value.upper())
    if part == expected:
        return None
    return f"body part {value.upper()} (DICOM); this model reads {expected} films"


def view_reason(view: str | None, population: Mapping[str, Any]) -> str | None:
    """ "lateral view" for a lateral film on a PA/AP model; another listed-out view is named."""
    code = (view or "").strip().upper()
    views = [str(v).upper() for v in population.get("views") or []]
    if not code or not views or code in views:
        return None
    trained = "/".join(views)
    if code in LATERAL_VIEWS:
        return f"lateral view; trained on {trained} views"
    return f"view {code}; trained on {trained} views"


def metadata_reasons(dicom: Any, population: Mapping[str, Any], task: str) -> list[str]:
    """Every reason the header gives for this film being outside the model's population (empty: none found)."""
    if dicom is None:
        return []
    reasons = [
        modality_problem(getattr(dicom, "modality", "")),
        body_part_reason(getattr(dicom, "body_part", ""), task),
        view_reason(getattr(dicom, "view_position", ""), population),
        age_reason(getattr(dicom, "patient_age", ""), population),
    ]
    return [r for r in reasons if r]
