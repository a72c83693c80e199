"""The one long-lived thread that owns TensorFlow and the loaded models.

A `ModelWorker` lives on a `QThread` for the life of the window. Requests come
in through a queued signal, one job at a time; every job reports through the
same six signals. Cancelling sets the job's `Progress` flag, which the job
checks between units of work; the thread is never terminated. Worker code
never touches a widget: it only emits values.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from xray_desktop.progress import Cancelled, Progress, ProgressEvent
from xray_desktop.ui.engine import AnalysisEngine

log = logging.getLogger(__name__)


class PythonEventThread(QThread):
    """A QThread whose event loop runs inside a Python frame, so its Python thread state lives as long as it.

    With the default C++ `run()`, PySide creates a fresh Python thread state for each queued slot
    call and destroys it afterwards. TensorFlow keeps per-thread Python state (eager context, graph
    stacks) and crashes (segfault while tracing) when a later job finds it gone. Measured here: a
    second model traced on a plain QThread crashed every time; with this class it does not.
    """

    def run(self) -> None:
        self.exec()


class Job(Protocol):
    kind: str

    def run(self, engine: AnalysisEngine, progress: Progress) -> Any: ...


class ModelWorker(QObject):
    """Runs jobs on the model thread; knows nothing about widgets."""

    started = Signal(int, str)  # job id, kind
    progress = Signal(int, object)  # job id, ProgressEvent
    result = Signal(int, object)  # job id, the job's return value
    failed = Signal(int, object)  # job id, the exception
    finished = Signal(int)  # job id, always last
    cancelled = Signal(int, object)  # job id, partial result or None

    def __init__(self, engine: AnalysisEngine) -> None:
        super().__init__()
        self.engine = engine

    @Slot(int, object, object)
    def run_job(self, job_id: int, job: Job, progress: Progress) -> None:
        """Execute one job and report it; also callable synchronously (tests, scripts)."""
        progress.on_update = lambda event: self.progress.emit(job_id, event)
        self.started.emit(job_id, job.kind)
        try:
            progress.check_cancelled()
            value = job.run(self.engine, progress)
        except Cancelled as exc:
            self.cancelled.emit(job_id, getattr(exc, "partial", None))
        except Exception as exc:  # reported to the GUI, which shows it; never swallowed here
            log.info("job %s (%s) failed: %s", job_id, job.kind, exc, exc_info=True)
            self.failed.emit(job_id, exc)
        else:
            self.result.emit(job_id, value)
        finally:
            self.finished.emit(job_id)


@dataclass
class JobHandlers:
    """Callbacks run on the GUI thread for one job; any may be None."""

    on_result: Callable[[Any], None] | None = None
    on_failed: Callable[[BaseException], None] | None = None
    on_progress: Callable[[ProgressEvent], None] | None = None
    on_cancelled: Callable[[Any], None] | None = None
    on_finished: Callable[[], None] | None = None


class ModelThread(QObject):
    """Owns the QThread and the worker; the window talks to the models only through this.

    `submit(job, on_result=..., on_failed=...)` dispatches the worker's signals
    back to per-job callbacks on the GUI thread. A failure whose job has no
    `on_failed` handler is re-emitted as `unhandledFailure`, which the window
    turns into a dialog, so no error is ever silent.
    """

    _request = Signal(int, object, object)
    unhandledFailure = Signal(object)  # the exception
    busyChanged = Signal(bool)
    # The worker's six signals, re-emitted on the GUI thread (safe to wait on from GUI code and tests).
    jobStarted = Signal(int, str)
    jobProgress = Signal(int, object)
    jobResult = Signal(int, object)
    jobFailed = Signal(int, object)
    jobCancelled = Signal(int, object)
    jobFinished = Signal(int)

    def __init__(self, engine: AnalysisEngine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._pending: dict[int, Progress] = {}
        self._handlers: dict[int, JobHandlers] = {}
        self.qthread = PythonEventThread()
        self.qthread.setObjectName("model-thread")
        self.worker = ModelWorker(engine)
        self.worker.moveToThread(self.qthread)
        queued = Qt.ConnectionType.QueuedConnection
        self._request.connect(self.worker.run_job, queued)
        self.worker.started.connect(self.jobStarted, queued)
        self.worker.result.connect(self._on_result, queued)
        self.worker.failed.connect(self._on_failed, queued)
        self.worker.progress.connect(self._on_progress, queued)
        self.worker.cancelled.connect(self._on_cancelled, queued)
        self.worker.finished.connect(self._on_finished, queued)

    @property
    def running(self) -> bool:
        return self.qthread.isRunning()

    def start(self) -> None:
        if not self.qthread.isRunning():
            self.qthread.start()

    def submit(
        self,
        job: Job,
        *,
        on_result: Callable[[Any], None] | None = None,
        on_failed: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[ProgressEvent], None] | None = None,
        on_cancelled: Callable[[Any], None] | None = None,
        on_finished: Callable[[], None] | None = None,
    ) -> int:
        """Queue a job; returns its id (signals carry it). Starts the thread on first use."""
        job_id = next(self._ids)
        progress = Progress()
        was_busy = self.busy()
        self._pending[job_id] = progress
        self._handlers[job_id] = JobHandlers(on_result, on_failed, on_progress, on_cancelled, on_finished)
        self.start()
        self._request.emit(job_id, job, progress)
        if not was_busy:
            self.busyChanged.emit(True)
        return job_id

    def cancel(self, job_id: int) -> None:
        progress = self._pending.get(job_id)
        if progress is not None:
            progress.cancel()

    def cancel_all(self) -> None:
        for progress in self._pending.values():
            progress.cancel()

    def busy(self) -> bool:
        return bool(self._pending)

    def shutdown(self, wait_ms: int = 30000) -> bool:
        """Cancel everything, let the current unit finish, stop the thread. True when it stopped."""
        self.cancel_all()
        if not self.qthread.isRunning():
            return True
        self.qthread.quit()
        return bool(self.qthread.wait(wait_ms))

    # ----- dispatch (GUI thread) ----------------------------------------------------------------
    @Slot(int, object)
    def _on_result(self, job_id: int, value: object) -> None:
        self.jobResult.emit(job_id, value)
        handlers = self._handlers.get(job_id)
        if handlers is not None and handlers.on_result is not None:
            handlers.on_result(value)

    @Slot(int, object)
    def _on_failed(self, job_id: int, exc: object) -> None:
        self.jobFailed.emit(job_id, exc)
        handlers = self._handlers.get(job_id)
        if handlers is not None and handlers.on_failed is not None:
            handlers.on_failed(exc)  # type: ignore[arg-type]
        else:
            self.unhandledFailure.emit(exc)

    @Slot(int, object)
    def _on_progress(self, job_id: int, event: object) -> None:
        self.jobProgress.emit(job_id, event)
        handlers = self._handlers.get(job_id)
        if handlers is not None and handlers.on_progress is not None:
            handlers.on_progress(event)  # type: ignore[arg-type]

    @Slot(int, object)
    def _on_cancelled(self, job_id: int, partial: object) -> None:
        self.jobCancelled.emit(job_id, partial)
        handlers = self._handlers.get(job_id)
        if handlers is not None and handlers.on_cancelled is not None:
            handlers.on_cancelled(partial)

    @Slot(int)
    def _on_finished(self, job_id: int) -> None:
        self._pending.pop(job_id, None)
        handlers = self._handlers.pop(job_id, None)
        if handlers is not None and handlers.on_finished is not None:
            handlers.on_finished()
        self.jobFinished.emit(job_id)
        if not self._pending:
            self.busyChanged.emit(False)


__all__ = ["Job", "JobHandlers", "ModelThread", "ModelWorker", "ProgressEvent"]
