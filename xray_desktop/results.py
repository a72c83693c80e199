"""Values that travel from the analysis service to the window, the CLI, reports, batch CSV, history and audit.

A leaf module: one result type, so every surface shows the same fields (DESIGN.md, "What a verdict carries").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from xray_desktop.radiograph import Radiograph


class TaskStatus(StrEnum):
    OK = "ok"
    NOT_INSTALLED = "not_installed"  # normal state: no model registered/active for the task
    UNAVAILABLE = "unavailable"  # a model is registered but missing, corrupt or incompatible


@dataclass
class TaskResult:
    task: str
    status: TaskStatus
    message: str = ""  # the reason when status is not OK, shown as-is
    model_id: str | None = None
    model_name: str | None = None
    model_version: str | None = None
    model_sha256: str | None = None
    validation_auc: float | None = None  # the registry's headline AUC: internal test where recorded, else validation
    auc_split: str = "validation"  # which split `validation_auc` was measured on ("internal test" or "validation")
    validation_data: str | None = None  # what that AUC was measured on
    probability: float | None = None  # calibrated (the registry's calibration applied)
    calibration_method: str = "none"  # "none" | "temperature" | "platt" | "isotonic" (from the registry)
    threshold: float | None = None
    threshold_source: str = "registry"  # or "admin override" (settings.threshold_overrides)
    operating_point: str | None = None  # the active named operating point, e.g. "balanced"
    population: str = "unknown"  # "in" | "outside" | "unknown": is this film one the model knows?
    population_reason: str = ""  # in words, e.g. "adult film: age 54; trained on ages 1-5"
    map_faithfulness: float | None = None  # deletion/insertion score of the map, when checked
    map_random_baseline: float | None = None  # what a random map scores on the same film
    map_warning: str | None = None  # e.g. "this map points at a film marker, not at anatomy"
    decision: bool | None = None  # True = condition present at the threshold
    label: str | None = None  # e.g. "Pneumonia" or "Normal"
    method: str | None = None  # explanation method used, if any
    map_of: str | None = None  # the label whose evidence the map shows: the decided one ("Normal" on negatives)
    heatmap: np.ndarray | None = None  # float32 HxW in [0, 1], at the image's resolution
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)  # x, y, w, h (fracture)
    predict_seconds: float | None = None
    explain_seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "status": self.status.value,
            "message": self.message,
            "model_id": self.model_id,
            "probability": None if self.probability is None else round(float(self.probability), 6),
            "decision": None if self.decision is None else ("positive" if self.decision else "negative"),
            "label": self.label,
            "calibration_method": self.calibration_method,
            "threshold": self.threshold,
            "threshold_source": self.threshold_source,
            "operating_point": self.operating_point,
            "population": self.population,
            "population_reason": self.population_reason,
            "method": self.method,
            "map_of": self.map_of,
            "map_faithfulness": None if self.map_faithfulness is None else round(float(self.map_faithfulness), 4),
            "map_random_baseline": (
                None if self.map_random_baseline is None else round(float(self.map_random_baseline), 4)
            ),
            "map_warning": self.map_warning,
        }


@dataclass
class AnalysisResult:
    path: str
    image: Radiograph | None = None
    results: list[TaskResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None  # the file could not be used at all
    body_part: str | None = None  # "chest" | "knee" | "limb" | "unsupported" | "not_radiograph" | None (unknown)
    body_part_source: str = ""  # "dicom" | "router" | "request" (the user's or caller's choice) | "sample"
    body_part_confidence: float | None = None  # the router's probability, when it chose
    body_part_note: str = ""  # in words, e.g. "chest (body-part router, 99 %)"

    @property
    def image_sha256(self) -> str | None:
        return self.image.sha256 if self.image is not None else None

    def result_for(self, task: str) -> TaskResult | None:
        return next((r for r in self.results if r.task == task), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.image_sha256,
            "results": [r.to_json() for r in self.results],
            "warnings": list(self.warnings),
            "error": self.error,
            "body_part": {
                "part": self.body_part,
                "source": self.body_part_source,
                "confidence": None if self.body_part_confidence is None else round(self.body_part_confidence, 4),
                "note": self.body_part_note,
            },
        }
