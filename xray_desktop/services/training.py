"""Train-and-package use-case shared by `xray-desktop train`, `training/launch_run.py` and the training wizard.

Plain functions (Orange3 style) in two steps, so the wizard can show the Evaluate page between them
and the CLI can run both at once: `run_training` checks the TRAIN permission and the model id,
records `training_started` and trains with a Progress that carries cancellation; `register_run`
evaluates and registers the best checkpoint and records `model_trained`. Every caller therefore
leaves the same audit trail, refuses the same duplicate ids and names run folders the same way (UTC).
TensorFlow is imported only when a step runs, so the window never waits on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xray_desktop import paths
from xray_desktop.errors import InputError
from xray_desktop.progress import Cancelled, Progress
from xray_desktop.security.permissions import Permission
from xray_desktop.services.session import Session
from xray_desktop.training.recipes import Recipe


@dataclass
class TrainingResult:
    packaged: Any  # training.packaging.PackagedModel, None when a cancelled run was not packaged
    run_dir: Path
    cancelled: bool


def default_run_dir(recipe: Recipe, root: Path | None = None) -> Path:
    """A fresh per-run folder `<recipe name>-<UTC stamp>` under the user's data folder (or `root`)."""
    base = root or paths.data_home() / "training_runs"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    run = base / f"{recipe.name}-{stamp}"
    suffix = 1
    while run.exists():
        suffix += 1
        run = base / f"{recipe.name}-{stamp}-{suffix}"
    return run


def refuse_existing_id(recipe: Recipe, models_dir: Path | None = None, replace: bool = False) -> None:
    """Raise InputError when the recipe's model id is already registered (checked before hours of training)."""
    from xray_desktop.models.registry import Registry

    registry_file = (models_dir or paths.models_dir()) / "registry.json"
    if replace or not registry_file.is_file():
        return
    if Registry.load(registry_file).find(recipe.model_id) is not None:
        raise InputError(
            f"{registry_file}: model {recipe.model_id!r} is already registered; raise the recipe's version "
            "(or pass --replace to overwrite it)"
        )


def starting_model(recipe: Recipe, models_dir: Path | None = None) -> tuple[str, Path] | None:
    """(model id, checksum-verified Keras file) of the recipe's `init_from`, or None to start from scratch.

    Raises InputError (before any training) when the id is not registered or its file does not match its sha256.
    """
    if not recipe.init_from:
        return None
    from xray_desktop.models.checksum import sha256_file
    from xray_desktop.models.registry import Registry

    registry_file = (models_dir or paths.models_dir()) / "registry.json"
    registry = Registry.load(registry_file) if registry_file.is_file() else None
    entry = registry.find(recipe.init_from) if registry is not None else None
    if entry is None or registry is None:
        raise InputError(f"{recipe.source or recipe.name}: init_from model {recipe.init_from!r} is not registered")
    path = registry.models_dir / entry.file
    if not path.is_file() or sha256_file(path) != entry.sha256:
        raise InputError(f"{path}: init_from model file is missing or does not match its sha256")
    if entry.backbone != recipe.backbone or tuple(entry.input_size) != tuple(recipe.input_size):
        raise InputError(
            f"{recipe.source or recipe.name}: init_from {entry.id!r} is {entry.backbone} at {entry.input_size[0]} px, "
            f"the recipe trains {recipe.backbone} at {recipe.input_size[0]} px"
        )
    return entry.id, path


def _require(session: Session, activate: bool) -> None:
    session.require(Permission.TRAIN)
    if activate:
        session.require(Permission.MANAGE_MODELS)


def run_training(
    session: Session,
    recipe: Recipe,
    data_root: Path,
    run_dir: Path,
    *,
    weights: str | Path | None = None,
    progress: Progress | None = None,
    on_epoch: Callable[[Any], None] | None = None,
    strategy: Any = None,
    cache_dir: Path | None = None,
    resume: bool = False,
    models_dir: Path | None = None,
    replace: bool = False,
    activate: bool = False,
) -> Any:
    """Step 1: check, record `training_started`, train; returns the trainer's TrainOutcome (for an ensemble
    recipe: record `ensemble_assembled` and build it from its registered members, an AssembledRun).

    Raises:
        NotAllowedError: the session may not train (or activate).
        InputError: bad data or recipe, or the model id is taken. Cancelled: before any epoch finished.
    """
    _require(session, activate)
    refuse_existing_id(recipe, models_dir, replace)
    if recipe.members:
        from xray_desktop.training.ensemble import assemble

        session.record("ensemble_assembled", recipe=recipe.name, task=recipe.task, members=list(recipe.members))
        return assemble(recipe, run_dir, data_root, models_dir or paths.models_dir())
    from xray_desktop.training.trainer import train

    start = starting_model(recipe, models_dir)
    session.record("training_started", recipe=recipe.name, task=recipe.task, data_root=str(data_root))
    try:
        return train(
            recipe,
            data_root,
            run_dir,
            weights=weights,
            init_from=start,
            progress=progress,
            on_epoch=on_epoch,
            strategy=strategy,
            cache_dir=cache_dir,
            resume=resume,
        )
    except (Cancelled, KeyboardInterrupt):
        session.record("training_cancelled", recipe=recipe.name, run_dir=str(run_dir))
        raise
    except BaseException as exc:  # a crashed job is audited as failed, never left as "started"
        session.record(
            "training_failed", recipe=recipe.name, run_dir=str(run_dir), error=f"{type(exc).__name__}: {exc}"
        )
        raise


def register_run(
    session: Session,
    recipe: Recipe,
    run_dir: Path,
    data_root: Path,
    *,
    activate: bool = False,
    models_dir: Path | None = None,
    replace: bool = False,
    progress: Progress | None = None,
) -> Any:
    """Step 2: evaluate the run's best checkpoint, register it, record `model_trained`; returns the PackagedModel.

    Raises:
        NotAllowedError: the session may not train (or activate).
        InputError: a model with this id is already registered (change the version, or `replace`).
    """
    _require(session, activate)
    from xray_desktop.training.packaging import package_run

    refuse_existing_id(recipe, models_dir, replace)
    packaged = package_run(
        recipe, run_dir, data_root, models_dir=models_dir, activate=activate, replace=replace, progress=progress
    )
    session.record(
        "model_trained",
        model_id=packaged.entry.id,
        sha256=packaged.entry.sha256,
        task=packaged.entry.task,
        validation_auc=round(packaged.evaluation.auc, 4),
        activated=activate,
        run_dir=str(run_dir),
    )
    return packaged


def train_and_package(
    session: Session,
    recipe: Recipe,
    data_root: Path,
    *,
    activate: bool = False,
    weights: str | Path | None = None,
    run_dir: Path | None = None,
    models_dir: Path | None = None,
    progress: Progress | None = None,
    on_epoch: Callable[[Any], None] | None = None,
    strategy: Any = None,
    package_cancelled: bool = True,
    replace: bool = False,
) -> TrainingResult:
    """Both steps: train `recipe`, then register its best checkpoint (also after a cancel, by default)."""
    run_dir = run_dir or default_run_dir(recipe)
    outcome = run_training(
        session,
        recipe,
        data_root,
        run_dir,
        activate=activate,
        models_dir=models_dir,
        replace=replace,
        weights=weights,
        progress=progress,
        on_epoch=on_epoch,
        strategy=strategy,
    )
    if outcome.cancelled and not package_cancelled:
        session.record("training_cancelled", recipe=recipe.name, run_dir=str(run_dir))
        return TrainingResult(None, run_dir, True)
    packaged = register_run(
        session, recipe, run_dir, data_root, activate=activate, models_dir=models_dir, replace=replace
    )
    return TrainingResult(packaged, run_dir, outcome.cancelled)


def package_existing_run(
    session: Session,
    recipe: Recipe,
    run_dir: Path,
    data_root: Path,
    *,
    activate: bool = False,
    models_dir: Path | None = None,
    replace: bool = False,
) -> TrainingResult:
    """Evaluate and register a run trained earlier (e.g. a long background run stopped at a deadline)."""
    packaged = register_run(
        session, recipe, run_dir, data_root, activate=activate, models_dir=models_dir, replace=replace
    )
    return TrainingResult(packaged, run_dir, False)
