"""The training core shared by `xray-desktop train` and the training wizard (TensorFlow-only module).

`train(recipe, data_root, ...)` discovers the data, splits it without patient
leakage, loads images through the app's loader and preprocessing, trains with
checkpoint-best / ReduceLROnPlateau / EarlyStopping, and returns the best
checkpoint with everything evaluation and packaging need. It is a plain function
(Orange3 style): a Progress carries batch progress and cancellation.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from xray_desktop import paths
from xray_desktop.atomic import atomic_write_text
from xray_desktop.errors import InputError
from xray_desktop.progress import Cancelled, Progress
from xray_desktop.training.arrays import LoadedImages, load_images
from xray_desktop.training.backbones import build_model
from xray_desktop.training.callbacks import (
    EpochHook,
    EpochHookCallback,
    EpochMetrics,
    ProgressCallback,
    ResumableRun,
    RunState,
)
from xray_desktop.training.data_plan import DataPlan, plan_data
from xray_desktop.training.pipeline import make_dataset
from xray_desktop.training.recipes import Recipe
from xray_desktop.training.regimens import Regimen, resolve_regimen


@dataclass
class TrainOutcome:
    """The best checkpoint of a run and what it was trained and selected on."""

    recipe: Recipe
    plan: DataPlan
    checkpoint: Path  # best model so far (by validation AUC); a Keras 3 .keras file
    regimen: Regimen
    history: list[EpochMetrics]
    seconds: float
    cancelled: bool
    validation: LoadedImages
    train_count: int
    weights_file: str | None = None
    replicas: int = 1
    cpu_seconds: float = 0.0  # process CPU time: shows how much of the wall time the machine really gave
    notes: list[str] = field(default_factory=list)

    @property
    def epochs_run(self) -> int:
        return len(self.history)

    @property
    def best_epoch(self) -> int | None:
        scored = [m for m in self.history if not np.isnan(m.val_auc)]
        return max(scored, key=lambda m: m.val_auc).epoch if scored else None


def class_weights(labels: np.ndarray) -> dict[int, float]:
    """Inverse-frequency weights so the minority class counts as much as the majority."""
    counts = np.bincount(labels.astype(int), minlength=2)
    if counts.min() == 0:
        raise InputError("training data needs images of both classes")
    total = counts.sum()
    return {0: float(total / (2 * counts[0])), 1: float(total / (2 * counts[1]))}


def train(
    recipe: Recipe,
    data_root: Path,
    run_dir: Path,
    *,
    weights: str | Path | None = None,
    progress: Progress | None = None,
    on_epoch: EpochHook | None = None,
    strategy: tf.distribute.Strategy | None = None,
    cache_dir: Path | None = None,
    resume: bool = False,
    init_from: tuple[str, Path] | None = None,
) -> TrainOutcome:
    """Train `recipe` on data under `data_root`, writing checkpoints and a CSV log into `run_dir`.

    With `resume`, a run folder that holds `last.keras` and `state.json` continues from its last
    finished epoch (weights, optimizer, schedule, early-stopping counters and history).
    `init_from` (model id, verified Keras file) starts a fresh run from that model's weights.

    Raises:
        InputError: the data is missing, one-class, or leaks groups between train and validation.
        Cancelled: cancelled before any epoch finished (nothing worth keeping exists yet).
    """
    progress = progress or Progress()
    strategy = strategy or tf.distribute.get_strategy()
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    cpu_started = time.process_time()
    plan = plan_data(recipe, data_root)
    spec = plan.spec
    cache = cache_dir or paths.data_home() / "training_cache"
    train_images = load_images(plan.split.train, spec, cache, progress)
    val_images = load_images(plan.split.validation, spec, cache, progress)
    plan.unreadable.extend(train_images.unreadable + val_images.unreadable)
    if len(set(train_images.labels.tolist())) < 2 or len(set(val_images.labels.tolist())) < 2:
        raise InputError(f"{plan.data_dir}: train and validation both need readable images of both classes")

    regimen = resolve_regimen(recipe.regimen, recipe.epochs, recipe.learning_rate)
    replicas = int(strategy.num_replicas_in_sync)
    batch = recipe.batch_size * replicas
    cap = paths.max_steps()
    train_ds = make_dataset(
        train_images.planes, train_images.labels, spec, batch, True, recipe.run_seed, recipe.augmentation, cap
    )
    val_ds = make_dataset(val_images.planes, val_images.labels, spec, batch, False, recipe.run_seed, None, cap)
    steps = int(np.ceil(len(train_images.planes) / batch))
    steps = min(steps, cap) if cap else steps

    state, history = _resume_point(run_dir) if resume else (RunState(), [])
    with strategy.scope():
        if state.epoch:
            model = keras.saving.load_model(run_dir / "last.keras", compile=True)
        else:
            model = build_model(recipe.backbone, spec.input_size, spec.channels, weights, seed=recipe.run_seed)
            if init_from is not None:
                _start_from(model, *init_from)
            model.compile(
                optimizer=keras.optimizers.Adam(regimen.learning_rate),
                loss="binary_crossentropy",
                metrics=[keras.metrics.AUC(name="auc")],
            )
    checkpoint = run_dir / "best.keras"
    progress_cb = ProgressCallback(progress, regimen.epochs, steps)
    epoch_cb = EpochHookCallback(regimen.epochs, on_epoch, history, cut_short=lambda: progress_cb.cut_short)
    earlier_wall, earlier_cpu = state.seconds, state.cpu_seconds

    def clock() -> tuple[float, float]:
        return (
            earlier_wall + time.monotonic() - started,
            earlier_cpu + time.process_time() - cpu_started,
        )

    run_cb = ResumableRun(
        run_dir,
        state,
        schedule=recipe.lr_schedule,
        base_rate=regimen.learning_rate,
        epochs=regimen.epochs,
        early_stop_patience=_patience(recipe.lr_schedule, regimen),
        reduce_lr_patience=regimen.reduce_lr_patience,
        clock=clock,
        history=epoch_cb.history,
        cut_short=lambda: progress_cb.cut_short,
    )
    callbacks = [epoch_cb, run_cb, progress_cb]
    if state.epoch < regimen.epochs and not state.stopped_early:
        model.fit(
            train_ds,
            validation_data=val_ds,
            epochs=regimen.epochs,
            initial_epoch=state.epoch,
            class_weight=class_weights(train_images.labels),
            callbacks=callbacks,
            verbose=0,
            shuffle=False,  # the tf.data pipeline shuffles (seeded)
        )
    if not checkpoint.is_file():
        raise Cancelled()
    wall, cpu = clock()
    outcome = TrainOutcome(
        recipe=recipe,
        plan=plan,
        checkpoint=checkpoint,
        regimen=regimen,
        history=epoch_cb.history,
        seconds=wall,
        cancelled=progress_cb.cancelled,
        validation=val_images,
        train_count=len(train_images.planes),
        weights_file=str(weights) if weights else _started_from(init_from),
        replicas=replicas,
        cpu_seconds=cpu,
    )
    write_run_record(outcome, run_dir / "run.json")
    return outcome


def _start_from(model: keras.Model, model_id: str, path: Path) -> None:
    """Copy every weight of the registered model into the freshly built one (same architecture or InputError)."""
    source = keras.saving.load_model(path, compile=False)
    ours, theirs = model.get_weights(), source.get_weights()
    if len(ours) != len(theirs) or any(a.shape != b.shape for a, b in zip(ours, theirs, strict=True)):
        raise InputError(f"{path}: model {model_id!r} does not have this recipe's architecture; cannot start from it")
    model.set_weights(theirs)


def _started_from(init_from: tuple[str, Path] | None) -> str | None:
    return f"the weights of {init_from[0]} (a longer schedule on the same split)" if init_from else None


def _patience(schedule: str, regimen: Regimen) -> int:
    """Early-stopping patience. A cosine schedule does its best work in the low-rate tail, so it gets at
    least a third of its epochs: a plateau half-way is noise at a high rate, not the end of learning."""
    if schedule == "cosine":
        return max(regimen.early_stop_patience, -(-regimen.epochs // 3))
    return regimen.early_stop_patience


def _resume_point(run_dir: Path) -> tuple[RunState, list[EpochMetrics]]:
    """The state and history of a stopped run, or a fresh start where there is nothing to resume."""
    state_file, last = run_dir / "state.json", run_dir / "last.keras"
    if not (state_file.is_file() and last.is_file()):
        return RunState(), []
    state = RunState.load(state_file)
    return state, [EpochMetrics(**m) for m in state.history][: state.epoch]


def write_run_record(outcome: TrainOutcome, path: Path) -> None:
    """What happened in the run (for packaging later and for the model card's provenance)."""
    record = {
        "recipe": str(outcome.recipe.source) if outcome.recipe.source else outcome.recipe.name,
        "checkpoint": outcome.checkpoint.name,
        "regimen": asdict(outcome.regimen),
        "history": [asdict(m) for m in outcome.history],
        "seconds": outcome.seconds,
        "cpu_seconds": outcome.cpu_seconds,
        "cancelled": outcome.cancelled,
        "train_count": outcome.train_count,
        "weights_file": outcome.weights_file,
        "replicas": outcome.replicas,
        "best_epoch": outcome.best_epoch,
    }
    atomic_write_text(path, json.dumps(record, indent=2, allow_nan=True) + "\n")
