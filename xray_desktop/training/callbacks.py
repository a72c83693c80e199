"""Keras callbacks that connect training to the Qt-free Progress and to per-epoch listeners.

The wizard and the CLI drive the same training core: progress is reported per
batch, cancellation is checked between batches (the best checkpoint so far is
kept), and each finished epoch's metrics go to an `on_epoch` hook.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import keras

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
    """Per-batch progress and cancellation between batches."""

    def __init__(self, progress: Progress, epochs: int, steps_per_epoch: int) -> None:
        super().__init__()
        self.progress = progress
        self.epochs = epochs
        self.steps = max(1, steps_per_epoch)
        self.epoch = 0
        self.cancelled = False

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        done = self.epoch * self.steps + batch + 1
        loss = (logs or {}).get("loss")
        text = f"epoch {self.epoch + 1}/{self.epochs}, batch {batch + 1}/{self.steps}"
        if loss is not None:
            text += f", loss {float(loss):.4f}"
        self.progress.update(done, self.epochs * self.steps, text)
        if self.progress.cancelled:
            self.cancelled = True
            self.model.stop_training = True


class EpochHookCallback(keras.callbacks.Callback):
    """Calls `hook(EpochMetrics)` after each epoch and keeps the history for the model card."""

    def __init__(self, epochs: int, hook: EpochHook | None = None) -> None:
        super().__init__()
        self.epochs = epochs
        self.hook = hook
        self.history: list[EpochMetrics] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.monotonic()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
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
