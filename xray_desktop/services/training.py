"""Train-and-package use-case shared by `xray-desktop train` and the training wizard.

A plain function (Orange3 style): it checks the TRAIN permission (and
MANAGE_MODELS to activate), trains with a Progress that carries cancellation,
then evaluates and registers the best checkpoint. TensorFlow is imported only
when it runs, so the window never waits on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xray_desktop import paths
from xray_desktop.progress import Progress
from xray_desktop.security.permissions import Permission
from xray_desktop.services.session import Session
from xray_desktop.training.recipes import Recipe


@dataclass
class TrainingResult:
    packaged: Any  # training.packaging.PackagedModel
    run_dir: Path
    cancelled: bool


def default_run_dir(recipe: Recipe) -> Path:
    """A fresh per-run folder under the user's data folder (checkpoints, history, run record)."""
    import datetime as dt

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return paths.data_home() / "training_runs" / f"{recipe.name}-{stamp}"


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
    """Train `recipe`, then evaluate and register its best checkpoint (also after a cancel, by default).

    Raises:
        NotAllowedError: the session may not train (or activate).
        InputError: bad data or recipe. Cancelled: cancelled before any epoch finished.
    """
    session.require(Permission.TRAIN)
    if activate:
        session.require(Permission.MANAGE_MODELS)
    from xray_desktop.training.packaging import package_run
    from xray_desktop.training.trainer import train

    _refuse_existing_id(recipe, models_dir, replace)  # before hours of training, not after
    run_dir = run_dir or default_run_dir(recipe)
    session.record("training_started", recipe=recipe.name, task=recipe.task, data_root=str(data_root))
    outcome = train(
        recipe, data_root, run_dir, weights=weights, progress=progress, on_epoch=on_epoch, strategy=strategy
    )
    if outcome.cancelled and not package_cancelled:
        session.record("training_cancelled", recipe=recipe.name, run_dir=str(run_dir))
        return TrainingResult(None, run_dir, True)
    packaged = package_run(recipe, run_dir, data_root, models_dir=models_dir, activate=activate, replace=replace)
    session.record(
        "model_trained",
        model_id=packaged.entry.id,
        sha256=packaged.entry.sha256,
        validation_auc=round(packaged.evaluation.auc, 4),
        activated=activate,
    )
    return TrainingResult(packaged, run_dir, outcome.cancelled)


def _refuse_existing_id(recipe: Recipe, models_dir: Path | None, replace: bool) -> None:
    from xray_desktop.errors import InputError
    from xray_desktop.models.registry import Registry

    registry_file = (models_dir or paths.models_dir()) / "registry.json"
    if replace or not registry_file.is_file():
        return
    if Registry.load(registry_file).find(recipe.model_id) is not None:
        raise InputError(
            f"{registry_file}: model {recipe.model_id!r} is already registered; raise the recipe's version "
            "(or pass --replace to overwrite it)"
        )


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
    session.require(Permission.TRAIN)
    if activate:
        session.require(Permission.MANAGE_MODELS)
    from xray_desktop.training.packaging import package_run

    packaged = package_run(recipe, run_dir, data_root, models_dir=models_dir, activate=activate, replace=replace)
    session.record("model_trained", model_id=packaged.entry.id, sha256=packaged.entry.sha256, activated=activate)
    return TrainingResult(packaged, run_dir, False)
