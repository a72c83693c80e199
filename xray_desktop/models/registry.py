"""The model registry (`models/registry.json`): which models exist, how to feed them, which one runs.

The schema is documented in docs/registry.md. Every field is validated on load and a
`RegistryError` names the field that is wrong, because a half-understood registry would
mean running a model with the wrong input size, normalisation or threshold.
A task with no model is a normal state: `active_entry(task)` returns None.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from xray_desktop import paths
from xray_desktop.atomic import atomic_open, atomic_write_text
from xray_desktop.errors import ModelUnavailableError, RegistryError
from xray_desktop.models.checksum import sha256_file
from xray_desktop.models.entry import _SHA_PATTERN, DEFAULT_OPERATING_POINT, ModelEntry
from xray_desktop.tasks import TASK_NAMES

__all__ = ["DEFAULT_OPERATING_POINT", "SCHEMA_VERSION", "ModelEntry", "Registry"]

SCHEMA_VERSION = 1


@dataclass
class Registry:
    """All registered models plus the active model per task; `path` is where it is saved."""

    path: Path
    models: list[ModelEntry] = field(default_factory=list)
    active_models: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(TASK_NAMES))
    active_operating_points: dict[str, str] = field(default_factory=dict)  # task -> name (an admin's choice)
    router: dict[str, Any] = field(default_factory=dict)  # the body-part router {file, sha256, classes, metrics}

    @property
    def models_dir(self) -> Path:
        return self.path.parent

    @classmethod
    def load(cls, path: str | Path | None = None) -> Registry:
        """Read and validate the registry (default: `paths.registry_path()`).

        Raises:
            RegistryError: the file is missing, not JSON, or breaks the schema (the field is named).
        """
        target = Path(path) if path is not None else paths.registry_path()
        try:
            text = target.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise RegistryError(f"{target}: model registry not found") from None
        except OSError as exc:
            raise RegistryError(f"{target}: cannot read the model registry ({exc.strerror or exc})") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RegistryError(f"{target}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
        try:
            return cls.from_dict(data, target)
        except RegistryError as exc:
            raise RegistryError(f"{target}: {exc}") from None

    @classmethod
    def empty(cls, path: str | Path) -> Registry:
        """A registry with the five tasks and no models (a fresh models folder)."""
        return cls(path=Path(path))

    @classmethod
    def from_dict(cls, data: Any, path: Path) -> Registry:
        if not isinstance(data, Mapping):
            raise RegistryError("the registry must be a JSON object")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise RegistryError(f"schema_version: expected {SCHEMA_VERSION}, got {version!r}")
        raw_models = data.get("models")
        if not isinstance(raw_models, list):
            raise RegistryError("models: missing or not a list")
        models = [ModelEntry.from_dict(m, f"models[{i}]") for i, m in enumerate(raw_models)]
        seen: set[str] = set()
        for entry in models:
            if entry.id in seen:
                raise RegistryError(f"models: id {entry.id!r} appears twice")
            seen.add(entry.id)
        active = data.get("active_models")
        if not isinstance(active, Mapping):
            raise RegistryError("active_models: missing or not an object")
        by_id = {m.id: m for m in models}
        for task in TASK_NAMES:
            if task not in active:
                raise RegistryError(f"active_models.{task}: missing (use null for 'no model installed')")
        for task, model_id in active.items():
            if task not in TASK_NAMES:
                raise RegistryError(f"active_models.{task}: unknown task")
            if model_id is None:
                continue
            if model_id not in by_id:
                raise RegistryError(f"active_models.{task}: no model with id {model_id!r}")
            if by_id[model_id].task != task:
                raise RegistryError(f"active_models.{task}: model {model_id!r} is for {by_id[model_id].task}")
        points = data.get("active_operating_points", {})
        if not isinstance(points, Mapping) or not all(
            t in TASK_NAMES and isinstance(n, str) for t, n in points.items()
        ):
            raise RegistryError("active_operating_points: must map task names to operating point names")
        router = data.get("router", {})
        if not isinstance(router, Mapping) or (router and not _SHA_PATTERN.match(str(router.get("sha256", "")))):
            raise RegistryError("router: must be an object with file and sha256")
        return cls(
            path=path,
            models=models,
            active_models={t: active[t] for t in TASK_NAMES},
            active_operating_points=dict(points),
            router=dict(router),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "models": [m.to_dict() for m in self.models],
            "active_models": {t: self.active_models.get(t) for t in TASK_NAMES},
            **(
                {"active_operating_points": dict(sorted(self.active_operating_points.items()))}
                if self.active_operating_points
                else {}
            ),
            **({"router": self.router} if self.router else {}),
        }

    def save(self) -> None:
        """Write atomically: a crash mid-save leaves the previous registry intact."""
        atomic_write_text(self.path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")

    def entries_for(self, task: str) -> list[ModelEntry]:
        return [m for m in self.models if m.task == task]

    def find(self, model_id: str) -> ModelEntry | None:
        return next((m for m in self.models if m.id == model_id), None)

    def get(self, model_id: str) -> ModelEntry:
        entry = self.find(model_id)
        if entry is None:
            raise ModelUnavailableError(f"no model with id {model_id!r} in {self.path}")
        return entry

    def active_entry(self, task: str) -> ModelEntry | None:
        """The model that runs for `task`, or None when no model is installed for it."""
        model_id = self.active_models.get(task)
        return self.find(model_id) if model_id else None

    def operating_point(self, entry: ModelEntry) -> tuple[str | None, float]:
        """The operating point (name, threshold) that runs for this entry's task."""
        return entry.operating_point(self.active_operating_points.get(entry.task))

    def set_operating_point(self, task: str, name: str) -> None:
        """Make `name` the active operating point of `task`'s active model (an admin's setting)."""
        entry = self.active_entry(task)
        if entry is None:
            raise RegistryError(f"no model installed for {task}")
        names = [str(op["name"]) for op in entry.operating_points]
        if name not in names:
            known = ", ".join(names) or "none (this model has a single threshold)"
            raise RegistryError(f"{entry.id} has no operating point {name!r}; it has: {known}")
        self.active_operating_points[task] = name

    def add(self, entry: ModelEntry, activate: bool = False) -> None:
        """Add `entry` (replacing one with the same id) after validating it; optionally make it active."""
        ModelEntry.from_dict(entry.to_dict(), f"model {entry.id!r}")
        self.models = [m for m in self.models if m.id != entry.id] + [entry]
        if activate:
            self.activate(entry.task, entry.id)

    def activate(self, task: str, model_id: str | None) -> None:
        """Make `model_id` the model that runs for `task` (None: no model for the task)."""
        if task not in TASK_NAMES:
            raise RegistryError(f"active_models.{task}: unknown task")
        if model_id is not None:
            entry = self.get(model_id)
            if entry.task != task:
                raise RegistryError(f"model {model_id!r} is for {entry.task}, not {task}")
        self.active_models[task] = model_id

    def remove(self, model_id: str) -> ModelEntry:
        """Unregister a model (the file stays); its task has no active model afterwards if it was active."""
        entry = self.get(model_id)
        self.models = [m for m in self.models if m.id != model_id]
        for task, active in self.active_models.items():
            if active == model_id:
                self.active_models[task] = None
        return entry

    def model_path(self, entry: ModelEntry) -> Path:
        return self.models_dir / entry.file

    def card_path(self, entry: ModelEntry) -> Path | None:
        return self.models_dir / entry.card if entry.card else None

    def install_file(self, source: str | Path, entry: ModelEntry, activate: bool = False) -> ModelEntry:
        """Copy a model file into the models folder as `entry.file`, record its sha256, add and save.

        The copy is atomic and its checksum is computed from the copied bytes, so the registry
        always describes exactly the file that is on disk.
        """
        target = self.models_dir / entry.file
        if Path(source).resolve() != target.resolve():
            with open(source, "rb") as src, atomic_open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        installed = replace(entry, sha256=sha256_file(target))
        self.add(installed, activate=activate)
        self.save()
        return installed
