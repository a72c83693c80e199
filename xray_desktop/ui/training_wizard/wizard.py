"""The training wizard: Data → Model → Train → Evaluate → Register, over the same core as `xray-desktop train`.

Shaped like Qt for Python's licensewizard example (IntEnum page ids, required fields, nextId /
initializePage). It is modeless and its jobs run on the model thread it is given (the main
window's, so Keras only ever runs there), tracked by a `JobTracker`. Closing it while a job runs
cancels the job at its next cancel point and closes once the job has stopped (the best
checkpoint so far stays in the run folder).
"""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QWidget, QWizard

from xray_desktop.security.permissions import Permission
from xray_desktop.services.session import Session
from xray_desktop.ui.engine import AnalysisEngine
from xray_desktop.ui.job_tracker import JobTracker
from xray_desktop.ui.training_wizard.data_page import DataPage
from xray_desktop.ui.training_wizard.evaluate_page import EvaluatePage
from xray_desktop.ui.training_wizard.model_page import ModelPage
from xray_desktop.ui.training_wizard.register_page import RegisterPage
from xray_desktop.ui.training_wizard.state import WizardState
from xray_desktop.ui.training_wizard.train_page import TrainPage
from xray_desktop.ui.worker import ModelThread


class PageId(IntEnum):
    DATA = 0
    MODEL = 1
    TRAIN = 2
    EVALUATE = 3
    REGISTER = 4


class TrainingWizard(QWizard):
    modelRegistered = Signal(object)  # models.registry.ModelEntry of the newly registered model

    def __init__(self, session: Session, parent: QWidget | None = None, models: ModelThread | None = None) -> None:
        """Raises NotAllowedError when the session may not train (students).

        `models` is the window's model thread; without one (tests, screenshots) the wizard owns one.
        """
        session.require(Permission.TRAIN)
        super().__init__(parent)
        self.session = session
        self.state = WizardState()
        self._closing = False  # reject() waits for the jobs to stop
        self._close_parent = False  # the main window's close waits for the jobs to stop
        self._own_models = models is None
        self.models = models if models is not None else ModelThread(AnalysisEngine(), self)
        self.jobs = JobTracker(self.models)
        self.setWindowTitle("Train a model")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        self.data_page = DataPage(self.state, self.jobs)
        self.model_page = ModelPage(self.state)
        self.train_page = TrainPage(self.state, session, self.jobs)
        self.evaluate_page = EvaluatePage(self.state, self.jobs)
        self.register_page = RegisterPage(self.state, session, self.jobs)
        self.setPage(PageId.DATA, self.data_page)
        self.setPage(PageId.MODEL, self.model_page)
        self.setPage(PageId.TRAIN, self.train_page)
        self.setPage(PageId.EVALUATE, self.evaluate_page)
        self.setPage(PageId.REGISTER, self.register_page)
        self.setStartId(PageId.DATA)
        # Bound methods, not lambdas capturing self: PySide6 crashed later (on the next app-wide restyle) when a
        # lambda holding the wizard was connected to a child page's signal and the wizard was then destroyed.
        self.register_page.registered.connect(self._on_registered)
        self.models.jobFinished.connect(self._job_finished)
        self.resize(1040, 780)
        if parent is not None:
            parent.installEventFilter(self)  # the main window must not close under a running training job

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Closing the parent window while a job runs: cancel it, close the parent once the job has stopped."""
        if watched is self.parent() and event.type() == QEvent.Type.Close and self.busy():
            event.ignore()
            self._close_parent = True
            self.jobs.cancel_all()
            return True
        return super().eventFilter(watched, event)

    def _job_finished(self, _job_id: int) -> None:
        """After any model-thread job: finish a close that was waiting for this wizard's jobs to stop."""
        if self.busy():
            return
        if self._closing:
            self._closing = False
            self.reject()
        parent = self.parentWidget()
        if self._close_parent and parent is not None:
            self._close_parent = False
            parent.close()

    def _on_registered(self, packaged: object) -> None:
        self.modelRegistered.emit(packaged.entry)  # type: ignore[attr-defined]

    def busy(self) -> bool:
        return self.jobs.busy()

    def reject(self) -> None:
        """Cancel, or close once the running job reached its cancel point (never terminate a thread)."""
        if not self.busy():
            self._stop_own_thread()
            super().reject()
            return
        if self._closing:
            return
        self._closing = True
        self.train_page.status.setText("Stopping: the current batch finishes and the best checkpoint is kept…")
        self.jobs.cancel_all()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy():
            event.ignore()
            self.reject()
            return
        self._stop_own_thread()
        super().closeEvent(event)

    def done(self, result: int) -> None:
        if result and self.busy():
            return
        self._stop_own_thread()
        super().done(result)

    def _stop_own_thread(self) -> None:
        """Every job has finished here; a model thread this wizard started is stopped before Qt deletes it."""
        if self._own_models:
            self.models.shutdown(10000)
