"""The five binary tasks the program knows, and which body part each belongs to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    name: str
    body_part: str  # "chest", "knee" or "limb"
    positive_label: str
    negative_label: str = "Normal"

    @property
    def labels(self) -> tuple[str, str]:
        return (self.negative_label, self.positive_label)


TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        Task("pneumonia", "chest", "Pneumonia"),
        Task("cardiomegaly", "chest", "Cardiomegaly"),
        Task("osteoarthritis", "knee", "Osteoarthritis"),
        Task("osteoporosis", "knee", "Osteoporosis"),
        Task("fracture", "limb", "Fracture"),
    )
}
TASK_NAMES: tuple[str, ...] = tuple(TASKS)
BODY_PARTS: tuple[str, ...] = ("chest", "knee", "limb")


def tasks_of_body_part(part: str) -> tuple[str, ...]:
    """The tasks that belong to one of our body parts ("chest" -> pneumonia, cardiomegaly)."""
    return tuple(t.name for t in TASKS.values() if t.body_part == part)


# DICOM Body Part Examined (0018,0015) values → our body parts, for `--task auto`.
BODY_PART_ALIASES: dict[str, str] = {
    "CHEST": "chest",
    "THORAX": "chest",
    "LUNG": "chest",
    "KNEE": "knee",
    "LEG": "limb",
    "ARM": "limb",
    "HAND": "limb",
    "WRIST": "limb",
    "FOOT": "limb",
    "ANKLE": "limb",
    "ELBOW": "limb",
    "SHOULDER": "limb",
    "FOREARM": "limb",
    "HUMERUS": "limb",
    "FEMUR": "limb",
    "TIBIA": "limb",
    "EXTREMITY": "limb",
}


def tasks_for_body_part(body_part: str | None) -> tuple[str, ...]:
    """Tasks relevant to a DICOM body part; empty when unknown (caller then runs all installed)."""
    if not body_part:
        return ()
    part = BODY_PART_ALIASES.get(body_part.strip().upper())
    return tasks_of_body_part(part) if part else ()


def require_task(name: str) -> Task:
    from xray_desktop.errors import UsageError

    try:
        return TASKS[name]
    except KeyError:
        raise UsageError(f"unknown task {name!r}; choose one of {', '.join(TASK_NAMES)}") from None
