"""Page 3 — Train: live loss/AUC curves, epoch and batch progress with ETA, Cancel, and a log.

Training runs on the model thread through `services.training.run_training`, exactly as
`xray-desktop train` runs it (same audit entry, same UTC run-folder naming). Cancel sets the core's Progress flag: the current batch finishes, the epoch is
validated and the best checkpoint so far is kept, so a cancelled run can still be evaluated
and registered. The wizard is modeless: the main window stays usable meanwhile.
"""

from __future__ import annotations

import math
import re
import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from xray_desktop.progress import ProgressEvent
from xray_desktop.services.session import Session
from xray_desktop.services.training import default_run_dir
from xray_desktop.training.recipes import recipe_from_dict
from xray_desktop.ui.error_dialog import describe
from xray_desktop.ui.job_tracker import JobTracker
from xray_desktop.ui.training_wizard.jobs import TrainJob
from xray_desktop.ui.training_wizard.recipe_io import save_recipe
from xray_desktop.ui.training_wizard.state import WizardState
from xray_desktop.ui.training_wizard.widgets import CurvesCanvas

# The training core's per-batch message (training.callbacks.ProgressCallback).
BATCH_MESSAGE = re.compile(r"epoch (\d+)/(\d+), batch (\d+)/(\d+)(?:, loss ([-+0-9.eE]+|nan|inf))?")


def format_eta(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds < 0:
        return "—"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


class TrainPage(QWizardPage):
    def __init__(self, state: WizardState, session: Session, jobs: JobTracker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.session = session
        self.jobs = jobs
        self._train_started: float | None = None
        self._first_done = 0
        self.setTitle("Train")
        self.setSubTitle(
            "Training runs in the background; the rest of the program stays usable. "
            "Cancel keeps the best checkpoint so far (chosen by validation AUC)."
        )
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.start_button = QPushButton("Start training")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)

        self.epoch_bar = QProgressBar()
        self.epoch_bar.setFormat("epoch %v / %m")
        self.batch_bar = QProgressBar()
        self.batch_bar.setFormat("%p %")
        self.eta = QLabel("ETA —")
        self.eta.setMinimumWidth(190)
        bars = QHBoxLayout()
        bars.addWidget(QLabel("Epochs"))
        bars.addWidget(self.epoch_bar, 1)
        bars.addWidget(QLabel("Batches"))
        bars.addWidget(self.batch_bar, 1)
        bars.addWidget(self.eta)

        self.curves = CurvesCanvas()
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(5000)
        self.log.setPlaceholderText("The training log appears here.")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.curves)
        splitter.addWidget(self.log)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        self.status = QLabel()
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addLayout(bars)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)

    # ----- lifecycle -----------------------------------------------------------------------------
    def initializePage(self) -> None:
        raw = self.state.raw_recipe or {}
        aug = raw.get("augmentation", {})
        self.summary.setText(
            f"<b>{raw.get('task')}</b> · {raw.get('backbone')} at {raw.get('input_size', [0])[0]} px · "
            f"{raw.get('regimen')} regimen: {raw.get('epochs')} epochs, lr {raw.get('learning_rate', 0):g}, "
            f"batch {raw.get('batch_size')} · split {raw.get('group_rule')} · "
            f"augmentation rotate ±{aug.get('rotate_deg', 0):g}°, flip {'on' if aug.get('hflip') else 'off'}"
        )
        if self.state.outcome is None and not self.running():
            self._reset_display()
            self.status.setText("Ready. Press Start training.")

    def cleanupPage(self) -> None:
        """Going back keeps the finished run; a changed recipe on the Model page discards it."""

    def running(self) -> bool:
        return self.jobs.running("train")

    def _reset_display(self) -> None:
        self.curves.clear()
        self.log.clear()
        self.epoch_bar.setRange(0, max(1, int((self.state.raw_recipe or {}).get("epochs", 1))))
        self.epoch_bar.setValue(0)
        self.batch_bar.setRange(0, 1)
        self.batch_bar.setValue(0)
        self.eta.setText("ETA —")

    def start(self) -> None:
        """Write the recipe into a fresh run folder and train it on the training thread."""
        state = self.state
        if self.running() or state.raw_recipe is None or state.data_root is None:
            return
        state.reset_after_training()
        self._reset_display()
        try:
            state.run_dir = default_run_dir(recipe_from_dict(dict(state.raw_recipe)))
            state.run_dir.mkdir(parents=True)
            state.recipe = save_recipe(state.raw_recipe, state.run_dir / "recipe.toml")
        except Exception as exc:  # the core refused the recipe: say why, keep the page usable
            self._append(f"Recipe refused: {describe(exc)}")
            self.status.setText(f"<span style='color:#b00020'>{describe(exc)}</span>")
            return
        job = TrainJob(self.session, state.recipe, state.data_root, state.run_dir, state.weights)
        self._append(f"Run folder: {state.run_dir}")
        self._append(f"Recipe: {state.run_dir / 'recipe.toml'} (repeat with: xray-desktop train --recipe <it>)")
        self._append("Training on the model thread.")
        self.jobs.submit(
            "train",
            job,
            on_progress=self._on_progress,
            on_result=self._on_result,
            on_cancelled=self._on_cancelled,
            on_failed=self._on_failed,
            on_finished=self._on_finished,
        )
        self._train_started = None
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText("Loading images…")
        self._lock_navigation()

    def cancel(self) -> None:
        if self.running():
            self.jobs.cancel("train")
            self.cancel_button.setEnabled(False)
            self.status.setText(
                "Cancelling: the current batch finishes, the epoch is validated, the best checkpoint is kept…"
            )
            self._append("Cancel requested.")

    # ----- worker signals (GUI thread) ------------------------------------------------------------------
    def _on_progress(self, event: ProgressEvent) -> None:
        if event.detail is not None:  # an epoch finished: its metrics
            self._on_epoch(event.detail)
            return
        match = BATCH_MESSAGE.match(event.message)
        if match is None:
            self.status.setText(event.message)
            if event.total:
                self.batch_bar.setRange(0, event.total)
                self.batch_bar.setValue(event.done)
            return
        epoch, epochs, batch, batches = (int(match.group(i)) for i in range(1, 5))
        now = time.monotonic()
        if self._train_started is None:
            self._train_started, self._first_done = now, event.done - 1
        total = event.total or epochs * batches
        self.batch_bar.setRange(0, total)
        self.batch_bar.setValue(event.done)
        self.batch_bar.setFormat(f"epoch {epoch}: batch {batch}/{batches}")
        self.epoch_bar.setRange(0, epochs)
        self.epoch_bar.setValue(epoch - 1)
        done_here = event.done - self._first_done
        if done_here > 0:
            rate = (now - self._train_started) / done_here
            self.eta.setText(f"ETA {format_eta(rate * (total - event.done))} (at most)")
        if match.group(5):
            self.curves.add_batch_loss(epoch - 1 + batch / batches, float(match.group(5)))
        self.status.setText(event.message)

    def _on_epoch(self, metrics: Any) -> None:
        self.curves.add_epoch(metrics)
        m = metrics
        self.epoch_bar.setValue(int(m.epoch))
        self._append(
            f"epoch {m.epoch}/{m.epochs}: loss {m.loss:.4f}, AUC {m.auc:.4f}, val loss {m.val_loss:.4f}, "
            f"val AUC {m.val_auc:.4f}, lr {m.learning_rate:.2g}, {m.seconds:.1f} s"
        )

    def _on_result(self, outcome: object) -> None:
        self.state.outcome = outcome
        self._report_outcome(outcome, "Training finished")

    def _on_cancelled(self, outcome: object) -> None:
        if outcome is None:
            self._append("Cancelled before the first epoch finished: there is no checkpoint to keep.")
            self.status.setText("Cancelled before any epoch finished. Start again when ready.")
            return
        self.state.outcome = outcome
        self._report_outcome(outcome, "Cancelled — best checkpoint kept")

    def _report_outcome(self, outcome: Any, title: str) -> None:
        best = outcome.best_epoch
        scored = {m.epoch: m for m in outcome.history}
        best_text = f"best epoch {best} (val AUC {scored[best].val_auc:.4f})" if best in scored else "no scored epoch"
        self._append(
            f"{title}: {outcome.epochs_run} epoch(s) in {outcome.seconds:.0f} s, {best_text}; "
            f"{outcome.train_count} training and {len(outcome.validation.labels)} validation images."
        )
        self._append(f"Checkpoint: {outcome.checkpoint}")
        if outcome.plan.excluded_samples:
            self._append(f"{outcome.plan.excluded_samples} demo-case images kept out of training.")
        for path, reason in outcome.plan.unreadable[:20]:
            self._append(f"unreadable, left out: {path}: {reason}")
        self.status.setText(f"{title}: {best_text}. Next: evaluate it on the validation split.")

    def _on_failed(self, exc: BaseException) -> None:
        self._append(f"Training failed: {describe(exc)}")
        self.status.setText(f"<span style='color:#b00020'>Training failed: {describe(exc)}</span>")

    def _on_finished(self) -> None:
        if self._train_started is not None:
            self.eta.setText(f"took {format_eta(time.monotonic() - self._train_started)}")
        self.start_button.setEnabled(True)
        self.start_button.setText("Train again")
        self.cancel_button.setEnabled(False)
        self.completeChanged.emit()

    def _append(self, line: str) -> None:
        self.log.appendPlainText(f"{time.strftime('%H:%M:%S')}  {line}")

    def _lock_navigation(self) -> None:
        self.completeChanged.emit()
        wizard = self.wizard()
        if wizard is not None:
            wizard.button(QWizard.WizardButton.BackButton).setEnabled(False)

    # ----- QWizardPage --------------------------------------------------------------------------------
    def isComplete(self) -> bool:
        return self.state.outcome is not None and not self.running()

    def nextId(self) -> int:
        from xray_desktop.ui.training_wizard.wizard import PageId

        return int(PageId.EVALUATE)
