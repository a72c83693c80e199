"""One QThread per long wizard job (scan, train, evaluate, register), with the app's six-signal contract.

The job is a plain function `fn(progress, emit_epoch)`; the worker only emits values and never
touches a widget. Cancelling sets the core's `Progress` flag, which training checks between
batches (the best checkpoint so far is kept); the thread is never terminated. A job that
returns after a cancel reports its partial value through `cancelled`, not `result`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from xray_desktop.progress import Cancelled, Progress
from xray_desktop.ui.worker import PythonEventThread

log = logging.getLogger(__name__)

JobFunction = Callable[[Progress, Callable[[Any], None]], Any]


class JobWorker(QObject):
    """Runs one job function; `run()` can also be called synchronously (tests)."""

    started = Signal()
    progress = Signal(object)  # xray_desktop.progress.ProgressEvent
    epoch = Signal(object)  # training.callbacks.EpochMetrics, one per finished epoch
    result = Signal(object)  # the function's return value
    failed = Signal(object)  # the exception
    cancelled = Signal(object)  # the partial value (e.g. a TrainOutcome with the best checkpoint) or None
    finished = Signal()  # always last

    def __init__(self, fn: JobFunction) -> None:
        super().__init__()
        self._fn = fn
        self._progress = Progress(on_update=self.progress.emit)

    @property
    def is_cancelled(self) -> bool:
        return self._progress.cancelled

    def cancel(self) -> None:
        """Thread-safe: the job stops at its next cancel point."""
        self._progress.cancel()

    @Slot()
    def run(self) -> None:
        self.started.emit()
        try:
            value = self._fn(self._progress, self.epoch.emit)
        except Cancelled as exc:
            self.cancelled.emit(getattr(exc, "partial", None))
        except Exception as exc:  # reported to the page, which shows it; never swallowed here
            log.info("wizard job failed: %s", exc, exc_info=True)
            self.failed.emit(exc)
        else:
            (self.cancelled if self._progress.cancelled else self.result).emit(value)
        finally:
            self.finished.emit()


class JobThread(QObject):
    """Owns a QThread and its JobWorker; the thread quits by itself once the job has finished."""

    def __init__(self, fn: JobFunction, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread = PythonEventThread()  # TF keeps per-thread Python state: see ui.worker
        self.thread.setObjectName(name)
        self.worker = JobWorker(fn)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.finished.connect(self.thread.quit)
        self.worker.finished.connect(self._mark_done)  # queued to this (GUI-thread) object, before page slots
        self._state = "new"

    def start(self) -> None:
        self._state = "running"
        self.thread.start()

    @Slot()
    def _mark_done(self) -> None:
        self._state = "done"

    def cancel(self) -> None:
        self.worker.cancel()

    @property
    def running(self) -> bool:
        """True from start() until the GUI thread has seen `finished` (the QThread may still be winding down)."""
        return self._state == "running"

    def wait(self, ms: int = 60000) -> bool:
        """Block until the thread has stopped (closing the wizard); True when it did."""
        return bool(self.thread.wait(ms))
