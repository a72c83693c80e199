"""Keras callbacks that connect training to the Qt-free Progress and to per-epoch listeners.

The wizard and the CLI drive the same training core: progress is reported per
batch, cancellation is checked between batches (the best checkpoint so far is
kept), and each finished epoch's metrics go to an `on_epoch` hook.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import keras

from xray_desktop.atomic import atomic_write_text
from xray_desktop.progress import Progress


@dataclass(frozen=True)
class EpochMetrics:
    """What one finished epoch measured (NaN where a value was not computed)."""

    epoch: int  # 1-based
    epochs: int
    loss: float
    auc: float
    val_loss: float
    val_auc: float
    learning_rate: float
    seconds: float


EpochHook = Callable[[EpochMetrics], None]


class ProgressCallback(keras.callbacks.Callback):
    """Per-batch progress and cancellation between batches.

    Keras still ends an epoch that was stopped part-way (validation, `on_epoch_end`); `cut_short`
    tells the other callbacks so that a partial epoch is never recorded or resumed as a finished one.
    """

    def __init__(self, progress: Progress, epochs: int, steps_per_epoch: int) -> None:
        super().__init__()
        self.progress = progress
        self.epochs = epochs
        self.steps = max(1, steps_per_epoch)
        self.epoch = 0
        self.cancelled = False
        self.cut_short = False

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch
        self.cut_short = False

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        done = self.epoch * self.steps + batch + 1
        loss = (logs or {}).get("loss")
        text = f"epoch {self.epoch + 1}/{self.epochs}, batch {batch + 1}/{self.steps}"
        if loss is not None:
            text += f", loss {float(loss):.4f}"
        self.progress.update(done, self.epochs * self.steps, text)
        if self.progress.cancelled:
            self.cancelled = True
            self.cut_short = batch + 1 < self.steps
            self.model.stop_training = True


def _never() -> bool:
    return False


class EpochHookCallback(keras.callbacks.Callback):
    """Calls `hook(EpochMetrics)` after each epoch and keeps the history for the model card."""

    def __init__(
        self,
        epochs: int,
        hook: EpochHook | None = None,
        history: list[EpochMetrics] | None = None,
        cut_short: Callable[[], bool] = _never,
    ) -> None:
        super().__init__()
        self.epochs = epochs
        self.hook = hook
        self.history: list[EpochMetrics] = list(history or [])
        self.cut_short = cut_short  # true while the current epoch was stopped part-way
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.monotonic()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.cut_short():
            return
        logs = logs or {}
        lr = self.model.optimizer.learning_rate
        metrics = EpochMetrics(
            epoch=epoch + 1,
            epochs=self.epochs,
            loss=_num(logs.get("loss")),
            auc=_num(logs.get("auc")),
            val_loss=_num(logs.get("val_loss")),
            val_auc=_num(logs.get("val_auc")),
            learning_rate=_num(keras.ops.convert_to_numpy(lr) if lr is not None else None),
            seconds=time.monotonic() - self._start,
        )
        self.history.append(metrics)
        if self.hook is not None:
            self.hook(metrics)


def _num(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


@dataclass
class RunState:
    """What a run needs to continue where it stopped: written after every epoch into `state.json`."""

    epoch: int = 0  # epochs finished
    best_val_auc: float = -math.inf
    best_val_loss: float = math.inf
    wait: int = 0  # epochs since the best validation AUC (early stopping)
    lr_wait: int = 0  # epochs since the best validation loss (plateau schedule)
    learning_rate: float = 0.0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    stopped_early: bool = False
    history: list[dict] = field(default_factory=list)  # EpochMetrics as dicts, for the card's learning curve

    @classmethod
    def load(cls, path: Path) -> RunState:
        data = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, path: Path) -> None:
        atomic_write_text(path, json.dumps(asdict(self), indent=2, allow_nan=True) + "\n")


def cosine_rate(base: float, epoch: int, epochs: int, warmup: int = 1, floor: float = 0.02) -> float:
    """Linear warm-up, then cosine decay to `floor`·base: a pure function of the epoch, so a resumed run
    follows exactly the schedule an uninterrupted one would."""
    if epoch < warmup:
        return base * (epoch + 1) / (warmup + 1)
    span = max(1, epochs - warmup)
    t = min(1.0, (epoch - warmup) / span)
    return base * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t)))


class ResumableRun(keras.callbacks.Callback):
    """Best checkpoint by validation AUC, early stopping, the learning-rate schedule and `last.keras`,
    all with their state on disk so `--resume` continues a stopped run instead of starting again.

    One callback instead of ModelCheckpoint + ReduceLROnPlateau + EarlyStopping, whose counters
    reset at every `fit` and so cannot survive a restart.
    """

    def __init__(
        self,
        run_dir: Path,
        state: RunState,
        *,
        schedule: str,
        base_rate: float,
        epochs: int,
        early_stop_patience: int,
        reduce_lr_patience: int,
        clock: Callable[[], tuple[float, float]],
        history: list[EpochMetrics],
        cut_short: Callable[[], bool] = _never,
    ) -> None:
        super().__init__()
        self.history = history  # the EpochHookCallback's list (that callback runs first)
        self.cut_short = cut_short
        self.run_dir = run_dir
        self.state = state
        self.schedule = schedule
        self.base_rate = base_rate
        self.epochs = epochs
        self.early_stop_patience = early_stop_patience
        self.reduce_lr_patience = reduce_lr_patience
        self.clock = clock  # (wall seconds, CPU seconds) of this process since fit began

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.schedule == "cosine":
            self.model.optimizer.learning_rate.assign(cosine_rate(self.base_rate, epoch, self.epochs))
        elif self.state.learning_rate:
            self.model.optimizer.learning_rate.assign(self.state.learning_rate)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.cut_short():
            return  # a partial epoch: `--resume` trains this epoch again from the last finished one
        logs = logs or {}
        state = self.state
        val_auc, val_loss = _num(logs.get("val_auc")), _num(logs.get("val_loss"))
        if not math.isnan(val_auc) and val_auc > state.best_val_auc:
            state.best_val_auc, state.wait = val_auc, 0
            _save_model(self.model, self.run_dir / "best.keras")
        else:
            state.wait += 1
        lr = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        if self.schedule != "cosine":
            if not math.isnan(val_loss) and val_loss < state.best_val_loss:
                state.best_val_loss, state.lr_wait = val_loss, 0
            else:
                state.lr_wait += 1
                if state.lr_wait >= self.reduce_lr_patience:
                    lr, state.lr_wait = max(lr * 0.5, 1e-6), 0
        state.learning_rate = lr
        state.epoch = epoch + 1
        wall, cpu = self.clock()
        state.seconds, state.cpu_seconds = wall, cpu
        state.history = [asdict(m) for m in self.history]
        if state.wait >= self.early_stop_patience:
            state.stopped_early = True
            self.model.stop_training = True
        _save_model(self.model, self.run_dir / "last.keras")  # with optimizer state, for --resume
        state.save(self.run_dir / "state.json")
        _write_history_csv(self.history, self.run_dir / "history.csv")


def _write_history_csv(history: list[EpochMetrics], path: Path) -> None:
    """The learning curve as a spreadsheet, rewritten whole from the finished epochs (never a partial one)."""
    names = [f.name for f in fields(EpochMetrics)]
    rows = [",".join(names)] + [",".join(repr(getattr(m, n)) for n in names) for m in history]
    atomic_write_text(path, "\n".join(rows) + "\n")


def _save_model(model: keras.Model, path: Path) -> None:
    """Keras writes in place; a half-written checkpoint would be worse than none, so write beside and swap."""
    tmp = path.with_name(path.stem + ".partial.keras")
    model.save(tmp)
    os.replace(tmp, path)
