"""Qt-free progress and cancellation, shared by the CLI's progress bar and the UI's workers.

Long work (batch, training, evaluation) takes a `Progress` and calls `update()`
between units of work and `check_cancelled()` at every cancel point. The UI
connects `on_update` to a Qt signal; the CLI draws a text bar.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field


class Cancelled(Exception):
    """Raised at a cancel point after `Progress.cancel()`; work done so far is kept."""


@dataclass
class ProgressEvent:
    done: int
    total: int | None
    message: str = ""
    detail: object = None  # a value for the listener, e.g. training.callbacks.EpochMetrics after each epoch


@dataclass
class Progress:
    on_update: Callable[[ProgressEvent], None] | None = None
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    def update(self, done: int, total: int | None = None, message: str = "", detail: object = None) -> None:
        if self.on_update is not None:
            self.on_update(ProgressEvent(done, total, message, detail))

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()
