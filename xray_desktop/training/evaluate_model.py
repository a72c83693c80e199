"""Evaluate a registered model on labelled data: the recipe's validation split or any labelled folder.

`xray-desktop evaluate` calls this. Predictions use the registered file (checksum
verified by the ModelManager) and the same prediction path as packaging, and the
recorded calibration and default threshold are applied as recorded, so pointing it at the
card's validation or internal-test data reproduces the card's figures (the fingerprint proves the
data is the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xray_desktop import paths
from xray_desktop.errors import InputError, ModelUnavailableError
from xray_desktop.models.manager import ModelManager
from xray_desktop.models.registry import ModelEntry, Registry
from xray_desktop.progress import Progress
from xray_desktop.training.arrays import load_images
from xray_desktop.training.data_plan import plan_data
from xray_desktop.training.datasets import discover
from xray_desktop.training.evaluation import Evaluation, evaluate_with
from xray_desktop.training.grouping import by_image
from xray_desktop.training.recipes import Recipe
from xray_desktop.training.splits import samples_fingerprint


@dataclass
class ModelEvaluation:
    entry: ModelEntry
    evaluation: Evaluation
    data: str
    fingerprint: str
    unreadable: list[tuple[str, str]]
    split: str = "validation"  # which of the card's figures this reproduces ("data" for another folder)

    @property
    def matches_card(self) -> bool | None:
        """Whether this was the data the card's figures for this split were measured on."""
        recorded_split = self.entry.metrics.get("test" if self.split == "test" else "validation")
        recorded = recorded_split.get("data_fingerprint") if isinstance(recorded_split, dict) else None
        return None if not recorded else recorded == self.fingerprint

    def to_json(self) -> dict[str, Any]:
        return {
            "model_id": self.entry.id,
            "task": self.entry.task,
            "metrics": self.evaluation.to_metrics(self.data, self.fingerprint),
            "same_data_as_card": self.matches_card,
            "unreadable": [{"path": p, "reason": r} for p, r in self.unreadable],
        }


def pick_entry(registry: Registry, task: str, model_id: str | None) -> ModelEntry:
    if model_id:
        entry = registry.get(model_id)
        if entry.task != task:
            raise ModelUnavailableError(f"model {model_id!r} is for {entry.task}, not {task}")
        return entry
    active = registry.active_entry(task)
    if active is None:
        raise ModelUnavailableError(f"no model installed for {task}; pass --model ID")
    return active


def evaluate_model(
    task: str,
    *,
    model_id: str | None = None,
    recipe: Recipe | None = None,
    data: Path | None = None,
    split: str = "validation",
    class_map: dict[str, int] | None = None,
    registry: Registry | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> ModelEvaluation:
    """With `recipe`: `data` is the data root and `split` picks train/validation of the recipe's split.
    Without: `data` is a folder-per-class dataset or CSV, labelled by `class_map` (default: the model's)."""
    registry = registry or Registry.load()
    entry = pick_entry(registry, task, model_id)
    loaded = _manager(registry).load(entry)  # ONNX Runtime where installed: no TensorFlow to evaluate
    if recipe is not None:
        if recipe.task != task:
            raise InputError(f"recipe {recipe.name!r} is for {recipe.task}, not {task}")
        recorded = Path(entry.provenance.get("data_root") or "../shared/data")
        root = data or (recorded if recorded.is_absolute() else paths.install_root() / recorded)
        plan = plan_data(recipe, root)
        samples = plan.split.part(split)
        description = {
            "validation": plan.validation_description,
            "test": plan.test_description,
        }.get(split, f"{recipe.data} training split")
    else:
        if data is None:
            raise InputError("evaluate needs --data (a labelled folder or CSV) or --recipe")
        mapping = class_map or entry.provenance.get("class_map")
        if not mapping:
            raise InputError(f"model {entry.id!r} records no class map; pass --class-map NAME=0,NAME=1")
        samples, _report = discover(data, {str(k): int(v) for k, v in mapping.items()}, by_image)
        description = f"{data} ({len(samples)} images)"
    images = load_images(samples, entry.spec, cache_dir or paths.data_home() / "training_cache", progress)
    if len(images.planes) == 0:
        raise InputError(f"{data}: none of the images could be read")
    p_raw = predict_loaded(loaded, images.planes, entry.spec)
    try:
        evaluation = evaluate_with(images.labels, p_raw, entry.effective_calibration, entry.threshold)
    except ValueError as exc:
        raise InputError(f"{data}: {exc}") from None
    used_split = split if recipe is not None else "data"
    return ModelEvaluation(
        entry, evaluation, description, samples_fingerprint(images.samples), images.unreadable, used_split
    )


def _manager(registry: Registry) -> ModelManager:
    """The analysis runtime (ONNX Runtime where installed), exporting graphs an old entry lacks."""
    from xray_desktop.models.backend import resolve_backend
    from xray_desktop.training.onnx_register import ensure_onnx

    return ModelManager(registry, backend=resolve_backend(None), exporter=lambda r, e: ensure_onnx(r, e))


def predict_loaded(loaded: Any, planes: Any, spec: Any, batch_size: int = 64) -> Any:
    """Raw probabilities, shape (n,), through the loaded model's `predict_raw` (either engine)."""
    import numpy as np

    from xray_desktop.training.arrays import model_input

    outputs = []
    for start in range(0, len(planes), batch_size):
        batch = np.stack([model_input(p, spec) for p in planes[start : start + batch_size]])
        outputs.append(np.asarray(loaded.predict_raw(batch)).reshape(-1))
    return np.concatenate(outputs) if outputs else np.zeros(0, np.float32)
