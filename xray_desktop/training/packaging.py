"""Turn a finished training run into a shipped model: evaluate, write file + card + plots, register.

Used at the end of every `xray-desktop train` and by the wizard. The metrics in
the card and the registry come from predicting the packaged file's own weights
on the recipe's validation split (TensorFlow-only module).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from xray_desktop import paths
from xray_desktop.errors import InputError
from xray_desktop.models.calibration import calibrate
from xray_desktop.models.registry import ModelEntry, Registry
from xray_desktop.progress import Progress
from xray_desktop.tasks import require_task
from xray_desktop.training.arrays import LoadedImages, load_images
from xray_desktop.training.calibrators import CalibrationChoice, choose_calibration
from xray_desktop.training.card import write_card
from xray_desktop.training.data_plan import DataPlan, plan_data
from xray_desktop.training.evaluation import Evaluation, evaluate_with
from xray_desktop.training.operating_points import DEFAULT_POINT, OperatingPoint, choose_operating_points, with_test
from xray_desktop.training.pipeline import predict_planes
from xray_desktop.training.plots import save_learning_curve, save_plots
from xray_desktop.training.recipes import Recipe
from xray_desktop.training.splits import samples_fingerprint
from xray_desktop.training.trainer import class_weights


@dataclass
class PackagedModel:
    entry: ModelEntry
    evaluation: Evaluation
    model_path: Path
    card_path: Path
    target_met: bool | None  # judged on the internal test where the recipe has one
    test_evaluation: Evaluation | None = None


def read_run_record(run_dir: Path) -> tuple[dict, Path]:
    """The run's record and the best checkpoint it names (the file `package_run` ships)."""
    record_path = run_dir / "run.json"
    if not record_path.is_file():
        raise InputError(f"{run_dir}: no run.json; the run did not finish an epoch")
    record = json.loads(record_path.read_text(encoding="utf-8"))
    checkpoint = run_dir / record["checkpoint"]
    if not checkpoint.is_file():
        raise InputError(f"{checkpoint}: checkpoint missing")
    return record, checkpoint


def package_run(
    recipe: Recipe,
    run_dir: Path,
    data_root: Path,
    *,
    models_dir: Path | None = None,
    activate: bool = False,
    replace: bool = False,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> PackagedModel:
    """Evaluate the run's best checkpoint on the recipe's validation split and register it.

    Raises:
        InputError: the run folder has no checkpoint or record, or the model id is already registered
            and `replace` is False (bump the recipe's version instead of overwriting a shipped model).
    """
    record, checkpoint = read_run_record(run_dir)
    registry_file = (models_dir or paths.models_dir()) / "registry.json"
    registry = Registry.load(registry_file) if registry_file.is_file() else Registry.empty(registry_file)
    if registry.find(recipe.model_id) is not None and not replace:
        raise InputError(
            f"{registry_file}: model {recipe.model_id!r} is already registered; raise the recipe's version "
            "(or pass --replace to overwrite it)"
        )
    plan = plan_data(recipe, data_root)
    cache = cache_dir or paths.data_home() / "training_cache"
    validation = load_images(plan.split.validation, plan.spec, cache, progress)
    test = load_images(plan.split.test, plan.spec, cache, progress) if plan.split.test else None
    train_labels = np.array([s.label for s in plan.split.train], dtype=np.float32)

    model = keras.saving.load_model(checkpoint, compile=False)
    clean = run_dir / "model.keras"
    model.save(clean)  # without optimizer state: a third of the size
    p_val = predict_planes(model, validation.planes, plan.spec)
    p_test = predict_planes(model, test.planes, plan.spec) if test is not None else None
    y_test = test.labels if test is not None else None
    scored = score_outputs(validation.labels, p_val, y_test, p_test)
    val_eval, test_eval = scored.validation, scored.test
    headline = test_eval or val_eval

    registry = Registry.load(registry_file) if registry_file.is_file() else Registry.empty(registry_file)
    model_id = recipe.model_id
    prefix = registry.models_dir / model_id
    y_head, p_head = validation.labels, p_val
    if test_eval is not None and y_test is not None and p_test is not None:
        y_head, p_head = y_test, p_test
    plots = save_plots(y_head, p_head, calibrate(p_head, scored.calibration.calibration), headline, prefix)
    plots.update(save_learning_curve(record["history"], prefix))
    task = require_task(recipe.task)
    metrics = {"validation": val_eval.to_metrics(plan.validation_description, plan.split.fingerprint)}
    if test_eval is not None:
        metrics["test"] = test_eval.to_metrics(plan.test_description, plan.split.test_fingerprint or "")
    provenance = _provenance(recipe, plan, record, train_labels, data_root)
    cal = scored.calibration.calibration
    entry = ModelEntry(
        id=model_id,
        task=recipe.task,
        display_name=recipe.display_name or f"{task.positive_label} — {recipe.backbone}",
        version=recipe.version,
        backbone=recipe.backbone,
        file=f"{model_id}.keras",
        sha256="0" * 64,  # replaced by install_file with the installed bytes' hash
        input_size=recipe.input_size,
        channels=recipe.channels,
        preprocessing={"resize": plan.spec.resize, "normalisation": plan.spec.normalisation},
        labels=task.labels,
        threshold=float(val_eval.at_threshold.threshold),
        temperature=None,
        metrics=metrics,
        provenance=provenance,
        card=f"{model_id}.md",
        calibration=cal,
        operating_points=[op.to_dict() for op in scored.points],
        population=dict(recipe.population),
    )
    installed = registry.install_file(clean, entry, activate=activate)
    installed = _with_onnx(registry, installed, model)
    head_images = test if test is not None else validation
    card = {
        **installed.to_dict(),
        "description": recipe.description,
        "caveats": list(recipe.caveats),
        "target_auc": recipe.target_auc,
        "plots": plots,
        "calibration_choice": asdict(scored.calibration),
        "per_class": _per_class(head_images, calibrate(p_head, cal), installed.threshold),
        "reproduce": _reproduce(recipe),
    }
    md_name, _ = write_card(prefix, card)
    target_met = None if recipe.target_auc is None else bool(headline.auc >= recipe.target_auc)
    return PackagedModel(
        installed, val_eval, registry.model_path(installed), registry.models_dir / md_name, target_met, test_eval
    )


@dataclass
class ScoredOutputs:
    """Calibration, operating points and metrics fitted on validation, measured once on the test split."""

    calibration: CalibrationChoice
    points: list[OperatingPoint]
    validation: Evaluation
    test: Evaluation | None


def score_outputs(
    y_val: np.ndarray, p_val: np.ndarray, y_test: np.ndarray | None, p_test: np.ndarray | None
) -> ScoredOutputs:
    """Everything the registry records about a model's outputs; the test split chooses nothing
    except whether the calibration ships (it must not make the test ECE worse)."""
    choice = choose_calibration(y_val, p_val, y_test, p_test)
    cal = choice.calibration
    points = choose_operating_points(y_val, calibrate(p_val, cal))
    if y_test is not None and p_test is not None:
        points = with_test(points, y_test, calibrate(p_test, cal))
    default = next(op for op in points if op.name == DEFAULT_POINT)
    val_eval = evaluate_with(y_val, p_val, cal, default.threshold)
    test_eval = None
    if y_test is not None and p_test is not None:
        test_eval = evaluate_with(y_test, p_test, cal, default.threshold)
    return ScoredOutputs(choice, points, val_eval, test_eval)


def _provenance(
    recipe: Recipe, plan: DataPlan, record: dict[str, Any], train_labels: np.ndarray, data_root: Path
) -> dict[str, Any]:
    minutes = record["seconds"] / 60.0
    epochs = len(record["history"])
    members = record.get("members") or []
    if members:
        trained_for = (
            f"no training of its own: the mean logit of {len(members)} registered models trained on this split "
            "(their cards give each one's training)"
        )
    else:
        planned = record["regimen"]["epochs"]
        stopped = (
            f" of {planned} planned (stopped early on request; best checkpoint kept)" if record.get("cancelled") else ""
        )
        trained_for = f"{epochs} epochs{stopped}, {minutes:.0f} minutes on {_machine()}" + _cpu_note(record)
    return {
        "recipe": _relative(recipe.source) if recipe.source else recipe.name,
        "data": recipe.data
        + (f" + {recipe.validation_data} (validation)" if recipe.validation_data else "")
        + (f" + {recipe.test_data} (internal test)" if recipe.test_data else ""),
        "data_root": _data_root_text(data_root),
        "data_fingerprint": samples_fingerprint(plan.split.train),
        "validation_fingerprint": plan.split.fingerprint,
        "test_fingerprint": plan.split.test_fingerprint,
        "split": plan.split.rule,
        "group_rule": recipe.group_rule,
        "seed": recipe.seed,
        "train_seed": recipe.run_seed,
        "class_map": recipe.class_map,
        "train_images": len(plan.split.train),
        "excluded_demo_images": plan.excluded_samples,
        "dataset_report": [line.replace(str(Path(data_root)), "<data root>") for line in plan.report.lines()],
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "code_version": _git_sha(),
        "trained_for": trained_for,
        "members": members,
        "best_epoch": record.get("best_epoch"),
        "history": record["history"],
        "regimen": record["regimen"],
        "batch_size": recipe.batch_size,
        "class_weights": {str(k): round(v, 4) for k, v in class_weights(train_labels).items()},
        "augmentation": "each member's own (see its card)" if members else asdict(recipe.augmentation),
        "initial_weights": (
            "the members' trained weights, unchanged"
            if members
            else record.get("weights_file") or "random initialisation (trained from scratch)"
        ),
    }


def _data_root_text(data_root: Path) -> str:
    """Relative to the install root when possible (`../shared/data`), so the registry holds no machine paths."""
    root = Path(data_root).resolve()
    try:
        return str(Path("..") / root.relative_to(paths.install_root().parent))
    except ValueError:
        return str(data_root)


def _per_class(validation: LoadedImages, p_cal: np.ndarray, threshold: float) -> dict[str, tuple[int, float]]:
    """Predicted-positive rate per source class (e.g. per KL grade): where the errors sit."""
    out: dict[str, tuple[int, float]] = {}
    classes = np.array([s.source_class for s in validation.samples])
    for name in sorted(set(classes.tolist())):
        mask = classes == name
        out[name] = (int(mask.sum()), round(float((p_cal[mask] >= threshold).mean()), 4))
    return out


def _reproduce(recipe: Recipe) -> list[str]:
    source = _relative(recipe.source) if recipe.source else f"<recipe {recipe.name}>"
    return [
        f"xray-desktop train --recipe {source} --activate --admin <administrator>",
        f"xray-desktop evaluate --task {recipe.task} --recipe {source} --split validation --model {recipe.model_id}",
        f"xray-desktop evaluate --task {recipe.task} --recipe {source} --split test --model {recipe.model_id}",
    ]


def _relative(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return str(Path(path).resolve().relative_to(paths.install_root()))
    except ValueError:
        return str(path)


def _git_sha() -> str:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=paths.install_root(),
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    sha = result.stdout.strip() or "unknown"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "xray_desktop/training", "training/recipes"],
        cwd=paths.install_root(),
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return f"{sha}+uncommitted changes" if dirty.stdout.strip() else sha


def _cpu_note(record: dict[str, Any]) -> str:
    cpu = record.get("cpu_seconds")
    return f" ({cpu / 60:.0f} CPU-minutes used)" if cpu else ""


def _machine() -> str:
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if gpus:
        return f"{len(gpus)} GPU(s)"
    return f"{os.cpu_count()} CPU cores"


def _with_onnx(registry: Registry, entry: ModelEntry, model: Any) -> ModelEntry:
    """Export the ONNX inference graphs; a model that fails the parity check is unregistered again."""
    from xray_desktop.training.onnx_register import OnnxExportError, ensure_onnx

    try:
        return ensure_onnx(registry, entry, model=model)
    except OnnxExportError:
        registry.remove(entry.id)
        registry.save()
        raise
