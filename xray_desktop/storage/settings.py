"""The application's typed settings: defaults, validation, and their encrypted file.

Validation is one function (`settings_from_dict`) used for the stored file, for an
imported JSON file and for every change from the dialog, so a bad value is refused
the same way everywhere, with the file and the field named.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xray_desktop.cam_methods import METHODS
from xray_desktop.encrypted_store import EncryptedStore, KeyHolder
from xray_desktop.errors import InputError
from xray_desktop.tasks import TASK_NAMES

COLORMAPS = ("jet", "turbo", "inferno", "viridis", "magma", "hot")  # those explain.overlay can draw
THEMES = ("light", "dark")
PAGE_SIZES = ("A4", "Letter")
MAX_IDLE_LOCK_MINUTES = 24 * 60
MAX_INFERENCE_THREADS = 256
SETTINGS_FILE_NAME = "settings.enc"
EXPORT_FORMAT = "xray-desktop-settings"
EXPORT_VERSION = 1


@dataclass(frozen=True)
class Settings:
    """Typed settings with their defaults. Change with `dataclasses.replace` and validate with `validated()`."""

    heatmap_alpha: float = 0.4
    colormap: str = "jet"
    method: str = "gradcam"
    hide_map_when_negative: bool = False
    theme: str = "light"
    idle_lock_minutes: int = 15  # 0 = never lock
    threshold_overrides: dict[str, float] = field(default_factory=dict)  # task -> threshold (admin only)
    big_fonts: bool = False
    teaching_mode: bool = False
    report_page_size: str = "A4"
    inference_threads: int = 0  # ONNX Runtime threads per model; 0 = the machine's cores
    collapse_outside_population: bool = True  # admin: hide the probability of an out-of-population film by default

    def threshold_for(self, task: str, registry_threshold: float) -> float:
        """The threshold in force for a task: an admin's override, else the model's recorded one."""
        return self.threshold_overrides.get(task, registry_threshold)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["threshold_overrides"] = dict(sorted(self.threshold_overrides.items()))
        return data

    def validated(self, source: str = "settings") -> Settings:
        return settings_from_dict(self.to_dict(), source)


FIELD_NAMES = tuple(f.name for f in dataclasses.fields(Settings))


def settings_from_dict(data: Mapping[str, Any], source: str) -> Settings:
    """Build Settings from a mapping, filling defaults; InputError names `source` and the bad field."""
    if not isinstance(data, Mapping):
        raise InputError(f"{source}: settings must be a JSON object, not {type(data).__name__}")
    unknown = sorted(set(data) - set(FIELD_NAMES))
    if unknown:
        raise InputError(f"{source}: unknown settings field {unknown[0]!r} (known: {', '.join(FIELD_NAMES)})")
    values: dict[str, Any] = {}
    for name, value in data.items():
        check = _CHECKS[name]
        try:
            values[name] = check(value)
        except ValueError as exc:
            raise InputError(f"{source}: field {name!r}: {exc}") from None
    return Settings(**values)


def _number(value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number, got {value!r}")
    if not low <= float(value) <= high:
        raise ValueError(f"must be between {low:g} and {high:g}, got {value!r}")
    return float(value)


def _choice(options: tuple[str, ...]):
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}, got {value!r}")
        return str(value)

    return check


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {value!r}")
    return value


def _minutes(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be a whole number of minutes, got {value!r}")
    if not 0 <= value <= MAX_IDLE_LOCK_MINUTES:
        raise ValueError(f"must be between 0 (never) and {MAX_IDLE_LOCK_MINUTES}, got {value!r}")
    return value


def _count(value: Any, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise ValueError(f"must be a whole number from 0 (the machine's cores) to {high}, got {value!r}")
    return value


def _thresholds(value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise ValueError(f"must be an object mapping task names to thresholds, got {value!r}")
    out = {}
    for task, threshold in value.items():
        if task not in TASK_NAMES:
            raise ValueError(f"unknown task {task!r} (known: {', '.join(TASK_NAMES)})")
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold < 1:
            raise ValueError(f"threshold for {task} must be a number strictly between 0 and 1, got {threshold!r}")
        out[str(task)] = float(threshold)
    return out


_CHECKS = {
    "heatmap_alpha": lambda v: _number(v, 0.0, 1.0),
    "colormap": _choice(COLORMAPS),
    "method": _choice(METHODS),
    "hide_map_when_negative": _flag,
    "theme": _choice(THEMES),
    "idle_lock_minutes": _minutes,
    "threshold_overrides": _thresholds,
    "big_fonts": _flag,
    "teaching_mode": _flag,
    "report_page_size": _choice(PAGE_SIZES),
    "inference_threads": lambda v: _count(v, MAX_INFERENCE_THREADS),
    "collapse_outside_population": _flag,
}


class SettingsStore:
    """Settings kept in an EncryptedStore (atomic, previous copy kept as `.bak`)."""

    def __init__(self, path: Path, key: KeyHolder | bytes) -> None:
        self.path = Path(path)
        self._store = EncryptedStore(self.path, key)

    def load(self) -> Settings:
        """The saved settings, or the defaults when nothing was saved yet."""
        document = self._store.load()
        return settings_from_dict(document.get("settings", {}), str(self.path))

    def save(self, settings: Settings) -> None:
        self._store.save({"version": EXPORT_VERSION, "settings": settings.to_dict()})

    def load_previous(self) -> Settings:
        """The copy kept before the last save (StoreError when there is none)."""
        document = self._store.load_backup()
        return settings_from_dict(document.get("settings", {}), str(self._store.backup_path))
