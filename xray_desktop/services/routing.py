"""Which tasks run on a film: its DICOM body part, the body-part router's answer, or the caller's choice.

"auto" never means "every model": a DICOM body part no model reads (BREAST, HIP, WHOLE BODY) runs nothing
and says so; a film that names no part is routed by the registry's body-part router, and a film the router
cannot place (or calls "not a radiograph") runs nothing, with the reason and how to choose a part anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from xray_desktop.models.router import ADULT, CHILD, NOT_RADIOGRAPH, BodyPartRouter, RouterVerdict
from xray_desktop.radiograph import Radiograph
from xray_desktop.tasks import BODY_PART_ALIASES, BODY_PARTS, TASKS, tasks_of_body_part

CHOOSE = "choose the body part (or a task) to run a model anyway"
ADULT_AGE = 18  # years: the age ranges on the cards split here (children 1–5, adults 18–100)
UNKNOWN_BODY_PART_WARNING = (
    "body part unknown (no DICOM Body Part Examined): every task's model was run, and a model only means "
    "something on its own body part (a knee model on a chest film says nothing); choose the body part or task"
)


@dataclass
class Routing:
    tasks: list[str]
    part: str | None  # one of BODY_PARTS, "unsupported", NOT_RADIOGRAPH, or None (not known)
    source: str  # "dicom", "router" or "request"
    confidence: float | None = None
    note: str = ""
    warnings: list[str] = field(default_factory=list)
    answer: RouterVerdict | None = None  # the router's answer, when it was asked (no DICOM body part)


def dicom_part(radiograph: Radiograph) -> tuple[str | None, str]:
    """(our body part or "unsupported", the DICOM value) when the file names one, else (None, "")."""
    value = (radiograph.body_part or "").strip()
    if not value:
        return None, ""
    return BODY_PART_ALIASES.get(value.upper(), "unsupported"), value.upper()


def route(radiograph: Radiograph, router: BodyPartRouter | None, router_problem: str | None = None) -> Routing:
    """The tasks "auto" runs on this film, and why, in words."""
    part, value = dicom_part(radiograph)
    if part == "unsupported":
        note = f"DICOM Body Part Examined {value}: no model here reads this body part ({', '.join(BODY_PARTS)})"
        return Routing([], "unsupported", "dicom", None, note, [f"{note}; no model was run; {CHOOSE}"])
    if part is not None:
        return Routing(
            list(tasks_of_body_part(part)), part, "dicom", None, f"{part} (DICOM Body Part Examined {value})"
        )
    if router is None:
        why = f" ({router_problem})" if router_problem else ""
        return Routing(
            list(TASKS), None, "none", None, f"body part unknown; no body-part router{why}", [UNKNOWN_BODY_PART_WARNING]
        )
    answer = router.classify(radiograph.pixels, radiograph.colour)
    share = f"{answer.confidence:.0%}"
    if answer.part == NOT_RADIOGRAPH:
        note = f"not a chest, knee or limb radiograph (body-part router, {share})"
        warnings = [f"{note}: no model was run; {CHOOSE}"]
        return Routing([], NOT_RADIOGRAPH, "router", answer.confidence, note, warnings, answer)
    if answer.part is None:
        note = f"body part not recognised (body-part router's best guess: {_label(answer.best)}, {share})"
        warnings = [f"{note}: no model was run; {CHOOSE}"]
        return Routing([], None, "router", answer.confidence, note, warnings, answer)
    note = f"{answer.part} (body-part router, {share})"
    return Routing(list(tasks_of_body_part(answer.part)), answer.part, "router", answer.confidence, note, [], answer)


def router_reason(answer: RouterVerdict | None, task: str) -> str | None:
    """ "looks like a knee film (body-part router, 99 %); this model reads chest films", when confident."""
    if answer is None or answer.part is None or task not in TASKS:
        return None
    expected = TASKS[task].body_part
    if answer.part == expected:
        return None
    share = f"{answer.confidence:.0%}"
    if answer.part == NOT_RADIOGRAPH:
        return f"does not look like a chest, knee or limb radiograph (body-part router, {share})"
    return f"looks like a {answer.part} film (body-part router, {share}); this model reads {expected} films"


def age_group_reason(answer: RouterVerdict | None, population: Mapping[str, Any]) -> str | None:
    """ "looks like a child's chest film (age-group check, 99 %); trained on ages 18–100", when the router's
    age-group head is confident and the card's age range excludes that group (a film with no DICOM age)."""
    span = population.get("age_years")
    if answer is None or answer.age_group is None or not (isinstance(span, list | tuple) and len(span) == 2):
        return None
    low, high = float(span[0]), float(span[1])
    excluded = (answer.age_group == CHILD and low >= ADULT_AGE) or (answer.age_group == ADULT and high < ADULT_AGE)
    if not excluded:
        return None
    who = "a child's" if answer.age_group == CHILD else "an adult's"
    return (
        f"looks like {who} chest film (age-group check, {answer.age_confidence:.0%}); "
        f"trained on ages {span[0]:g}–{span[1]:g}"
    )


def router_of(manager: Any) -> tuple[BodyPartRouter | None, str | None]:
    """The manager's body-part router, or (None, why) when it has none or it is unusable."""
    get = getattr(manager, "router", None)
    return get() if callable(get) else (None, None)


def no_model_note(part: str | None, tasks: list[str], registry: Any) -> str | None:
    """ "limb: no model installed for this body part" when none of the part's tasks has an active model."""
    if part not in BODY_PARTS or any(registry.active_entry(t) is not None for t in tasks):
        return None
    return f"{part}: no model installed for this body part ({', '.join(tasks)})"


def _label(name: str) -> str:
    return "not a radiograph" if name == NOT_RADIOGRAPH else name
