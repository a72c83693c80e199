"""One registered model as a value: its file, checksum, input spec, threshold, calibration and metrics.

`ModelEntry.from_dict` validates every field of a registry entry (docs/registry.md) and raises a
`RegistryError` naming the field that is wrong; `models.registry.Registry` holds the entries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from xray_desktop.errors import RegistryError
from xray_desktop.models.calibration import calibration_of, check_calibration
from xray_desktop.preprocess_spec import NORMALISATIONS, RESIZE_MODES, PreprocessSpec
from xray_desktop.tasks import TASK_NAMES

_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SHA_PATTERN = re.compile(r"^[0-9a-f]{64}$")
_REQUIRED = (
    "id",
    "task",
    "display_name",
    "version",
    "backbone",
    "file",
    "sha256",
    "input_size",
    "channels",
    "preprocessing",
    "labels",
    "threshold",
)

DEFAULT_OPERATING_POINT = "balanced"
_OPTIONAL_OBJECTS: dict[str, type] = {
    "calibration": dict,
    "operating_points": list,
    "population": dict,
    "population_check": dict,
    "cam_layers": list,
    "onnx": dict,
    "map_sanity": dict,
}


@dataclass
class ModelEntry:
    """One registered model file and everything needed to run and describe it honestly."""

    id: str
    task: str
    display_name: str
    version: str
    backbone: str
    file: str  # relative to the models folder
    sha256: str
    input_size: tuple[int, int]
    channels: int
    preprocessing: dict[str, str]  # {"resize": ..., "normalisation": ...}
    labels: tuple[str, str]  # (negative, positive)
    threshold: float
    temperature: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    card: str | None = None
    # What the model knows, stored with it (DESIGN.md): each optional, so registries from before still load.
    calibration: dict[str, Any] = field(default_factory=dict)  # {"method": none|temperature|platt|isotonic, "params"}
    operating_points: list[dict[str, Any]] = field(default_factory=list)  # named thresholds chosen on validation
    population: dict[str, Any] = field(default_factory=dict)  # the card's population {age_years, views, sites}
    population_check: dict[str, Any] = field(default_factory=dict)  # fitted feature gate {file, sha256, ...}
    cam_layers: list[str] = field(default_factory=list)  # CAM target layers chosen by measurement, first = default
    onnx: dict[str, Any] = field(default_factory=dict)  # exported inference graph {file, sha256, ...}
    # explain-eval's weight-randomisation check per map method {method: {mean_spearman, bound, passed, n}}: kept
    # in the entry (not only on the card) so that a model imported as a package still warns about a failed method
    map_sanity: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # unknown keys, kept so a newer writer loses nothing

    @property
    def spec(self) -> PreprocessSpec:
        return PreprocessSpec(
            input_size=self.input_size,
            channels=self.channels,
            resize=self.preprocessing["resize"],
            normalisation=self.preprocessing["normalisation"],
        )

    @property
    def effective_calibration(self) -> dict[str, Any]:
        """`calibration` when recorded, else the legacy bare `temperature`, else none."""
        return calibration_of(self.calibration, self.temperature)

    def operating_point(self, name: str | None) -> tuple[str | None, float]:
        """(name, threshold) of the named operating point, else the default one, else the bare threshold."""
        by_name = {str(op["name"]): float(op["threshold"]) for op in self.operating_points}
        for candidate in (name, DEFAULT_OPERATING_POINT):
            if candidate in by_name:
                return candidate, by_name[candidate]
        return None, self.threshold

    @property
    def headline_metrics(self) -> tuple[str, dict[str, Any]]:
        """("internal test", metrics) where the card has a test split, else ("validation", metrics)."""
        test = self.metrics.get("test")
        if isinstance(test, dict) and test.get("auc") is not None:
            return "internal test", test
        return "validation", self.validation

    @property
    def validation(self) -> dict[str, Any]:
        """The recorded validation metrics ({} when none were recorded)."""
        value = self.metrics.get("validation")
        return value if isinstance(value, dict) else {}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "task": self.task,
            "display_name": self.display_name,
            "version": self.version,
            "backbone": self.backbone,
            "file": self.file,
            "sha256": self.sha256,
            "input_size": list(self.input_size),
            "channels": self.channels,
            "preprocessing": dict(self.preprocessing),
            "labels": list(self.labels),
            "threshold": self.threshold,
        }
        if self.temperature is not None:
            data["temperature"] = self.temperature
        data["metrics"] = self.metrics
        data["provenance"] = self.provenance
        if self.card is not None:
            data["card"] = self.card
        for key in _OPTIONAL_OBJECTS:
            value = getattr(self, key)
            if value:
                data[key] = value
        data.update(self.extra)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "model") -> ModelEntry:
        """Validate one registry entry; `where` prefixes error messages (e.g. "models[2]")."""
        if not isinstance(data, Mapping):
            raise RegistryError(f"{where}: must be an object, got {type(data).__name__}")
        for key in _REQUIRED:
            if key not in data:
                raise RegistryError(f"{where}.{key}: missing")
        model_id = _string(data, "id", where)
        where = f"{where} ({model_id})"
        if not _ID_PATTERN.match(model_id):
            raise RegistryError(f"{where}.id: use letters, digits, '.', '_' or '-' (got {model_id!r})")
        task = _string(data, "task", where)
        if task not in TASK_NAMES:
            raise RegistryError(f"{where}.task: {task!r} is not one of {', '.join(TASK_NAMES)}")
        file = _string(data, "file", where)
        rel = PurePosixPath(file)
        if rel.is_absolute() or ".." in rel.parts or "\\" in file:
            raise RegistryError(f"{where}.file: must be a path relative to the models folder, got {file!r}")
        sha = _string(data, "sha256", where).lower()
        if not _SHA_PATTERN.match(sha):
            raise RegistryError(f"{where}.sha256: must be 64 hex digits")
        size = data["input_size"]
        if not (isinstance(size, list | tuple) and len(size) == 2 and all(_is_int(v) and v >= 8 for v in size)):
            raise RegistryError(f"{where}.input_size: must be [height, width] in pixels, got {size!r}")
        channels = data["channels"]
        if channels not in (1, 3) or not _is_int(channels):
            raise RegistryError(f"{where}.channels: must be 1 or 3, got {channels!r}")
        prep = data["preprocessing"]
        if not isinstance(prep, Mapping):
            raise RegistryError(f"{where}.preprocessing: must be an object with resize and normalisation")
        if prep.get("resize") not in RESIZE_MODES:
            raise RegistryError(f"{where}.preprocessing.resize: must be one of {', '.join(RESIZE_MODES)}")
        if prep.get("normalisation") not in NORMALISATIONS:
            raise RegistryError(f"{where}.preprocessing.normalisation: must be one of {', '.join(NORMALISATIONS)}")
        if prep["normalisation"] == "imagenet" and channels != 3:
            raise RegistryError(f"{where}.preprocessing.normalisation: 'imagenet' needs channels = 3")
        labels = data["labels"]
        if not (isinstance(labels, list | tuple) and len(labels) == 2 and all(isinstance(v, str) for v in labels)):
            raise RegistryError(f"{where}.labels: must be [negative, positive] names")
        threshold = data["threshold"]
        if not _is_number(threshold) or not 0.0 < threshold < 1.0:
            raise RegistryError(f"{where}.threshold: must be a number between 0 and 1, got {threshold!r}")
        temperature = data.get("temperature")
        if temperature is not None and (not _is_number(temperature) or temperature <= 0):
            raise RegistryError(f"{where}.temperature: must be a positive number, got {temperature!r}")
        metrics = data.get("metrics", {})
        if not isinstance(metrics, Mapping):
            raise RegistryError(f"{where}.metrics: must be an object")
        for split, values in metrics.items():
            _check_metrics(values, f"{where}.metrics.{split}")
        provenance = data.get("provenance", {})
        if not isinstance(provenance, Mapping):
            raise RegistryError(f"{where}.provenance: must be an object")
        card = data.get("card")
        if card is not None and (not isinstance(card, str) or "/" in card or "\\" in card):
            raise RegistryError(f"{where}.card: must be a file name in the models folder, got {card!r}")
        optional: dict[str, Any] = {}
        for key, kind in _OPTIONAL_OBJECTS.items():
            value = data.get(key, kind())
            if not isinstance(value, kind):
                raise RegistryError(f"{where}.{key}: must be {'a list' if kind is list else 'an object'}")
            optional[key] = kind(value)
        if optional["calibration"]:
            problem = check_calibration(optional["calibration"], f"{where}.calibration")
            if problem:
                raise RegistryError(problem)
        for i, op in enumerate(optional["operating_points"]):
            t = op.get("threshold") if isinstance(op, Mapping) else None
            named = isinstance(op, Mapping) and isinstance(op.get("name"), str)
            if not (named and isinstance(t, int | float) and _is_number(t) and 0 < t < 1):
                raise RegistryError(f"{where}.operating_points[{i}]: needs a name and a threshold between 0 and 1")
        known = {*_REQUIRED, "temperature", "metrics", "provenance", "card", *_OPTIONAL_OBJECTS}
        return cls(
            id=model_id,
            task=task,
            display_name=_string(data, "display_name", where),
            version=_string(data, "version", where),
            backbone=_string(data, "backbone", where),
            file=file,
            sha256=sha,
            input_size=(int(size[0]), int(size[1])),
            channels=int(channels),
            preprocessing={"resize": str(prep["resize"]), "normalisation": str(prep["normalisation"])},
            labels=(labels[0], labels[1]),
            threshold=float(threshold),
            temperature=None if temperature is None else float(temperature),
            metrics=dict(metrics),
            provenance=dict(provenance),
            card=card,
            **optional,
            extra={k: v for k, v in data.items() if k not in known},
        )


def _string(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise RegistryError(f"{where}.{key}: must be a non-empty string")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_metrics(values: Any, where: str) -> None:
    """Recorded metrics must say what they were measured on, so nothing unmeasured is ever shown."""
    if not isinstance(values, Mapping):
        raise RegistryError(f"{where}: must be an object")
    for key in ("auc", "sensitivity", "specificity", "accuracy"):
        if key in values and values[key] is not None and not (_is_number(values[key]) and 0 <= values[key] <= 1):
            raise RegistryError(f"{where}.{key}: must be a number between 0 and 1, got {values[key]!r}")
    ci = values.get("auc_ci95")
    if ci is not None and not (isinstance(ci, list | tuple) and len(ci) == 2 and all(_is_number(v) for v in ci)):
        raise RegistryError(f"{where}.auc_ci95: must be [low, high]")
    if "n" in values and not (_is_int(values["n"]) and values["n"] > 0):
        raise RegistryError(f"{where}.n: must be a positive integer, got {values['n']!r}")
    if any(k in values for k in ("auc", "sensitivity", "specificity")) and not values.get("data"):
        raise RegistryError(f"{where}.data: say what these metrics were measured on")
