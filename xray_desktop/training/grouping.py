"""File name -> patient/subject id, so a split never puts one patient on both sides.

Images of the same patient are nearly identical to a CNN; splitting them by image
inflates validation figures. Each rule returns the group id for a file name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from xray_desktop.errors import InputError

GroupRule = Callable[[Path], str]

_PERSON = re.compile(r"^(person\d+)_", re.IGNORECASE)
_IM = re.compile(r"^((?:NORMAL\d*-)?IM-\d+)-", re.IGNORECASE)


def pneumonia_patient(path: Path) -> str:
    """Kermany chest films: `person123_bacteria_4.jpeg` -> person123; `NORMAL2-IM-0468-0001` -> NORMAL2-IM-0468."""
    name = path.name
    for pattern in (_PERSON, _IM):
        match = pattern.match(name)
        if match:
            return match.group(1).upper() if pattern is _IM else match.group(1).lower()
    return f"file:{name}"


def knee_subject(path: Path) -> str:
    """OAI knee films: the digits of the name are the subject (`9001695L` and `9001695R` are one person)."""
    digits = re.sub(r"\D", "", path.stem)
    return digits or f"file:{path.name}"


def by_image(path: Path) -> str:
    """No patient ids exist (e.g. the cardiomegaly subset): every image is its own group."""
    return f"file:{path.parent.name}/{path.name}"


def regex_rule(pattern: str) -> GroupRule:
    """Group by the first capture group of `pattern`, searched in the file name, then in the whole path
    (so `.../patient00012/study1/image1.png` works too); no match: the image is its own group."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise InputError(f"group_pattern {pattern!r} is not a valid regular expression ({exc})") from None
    if compiled.groups < 1:
        raise InputError(f"group_pattern {pattern!r} needs one capture group for the patient id")

    def rule(path: Path) -> str:
        match = compiled.search(path.name) or compiled.search(path.as_posix())
        return match.group(1) if match else by_image(path)

    return rule


def group_rule(name: str, pattern: str | None = None) -> GroupRule:
    """Look a rule up by the name used in recipes."""
    rules: dict[str, GroupRule] = {
        "pneumonia_patient": pneumonia_patient,
        "knee_subject": knee_subject,
        "image": by_image,
    }
    if name == "regex":
        if not pattern:
            raise InputError("group_rule 'regex' needs group_pattern")
        return regex_rule(pattern)
    try:
        return rules[name]
    except KeyError:
        raise InputError(f"unknown group rule {name!r}; choose one of {', '.join([*rules, 'regex'])}") from None
