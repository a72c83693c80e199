"""Page 4 — Evaluate: ROC, confusion matrix, reliability diagram, the threshold with its sensitivity and
specificity, per-class errors, and the worst mistakes with their Grad-CAM maps.

Every figure comes from the training core's evaluation of the best checkpoint on the recipe's
validation split (`jobs.evaluate_run`), the same computation `package_run` records in the card.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from xray_desktop.progress import ProgressEvent
from xray_desktop.ui.error_dialog import describe
from xray_desktop.ui.job_tracker import JobTracker
from xray_desktop.ui.training_wizard.jobs import EvaluateJob, EvaluationView
from xray_desktop.ui.training_wizard.state import WizardState
from xray_desktop.ui.training_wizard.widgets import image_label, plot_label, tile

PLOT_WIDTH = 270
MISTAKE_SIZE = 112


def metrics_text(view: EvaluationView) -> str:
    """The headline, every number from the recorded evaluation (and what it was measured on)."""
    ev = view.evaluation
    t, half = ev.at_threshold, ev.at_0_5
    return (
        f"Validation: {view.data} — n = {ev.n} ({ev.n_pos} positive), fingerprint {view.fingerprint}<br>"
        f"<b>AUC {ev.auc:.3f}</b> (bootstrap 95% CI {ev.auc_ci95[0]:.3f}–{ev.auc_ci95[1]:.3f}) · "
        f"<b>threshold {t.threshold:.3f}</b> (balanced operating point on calibrated p): "
        f"<b>sensitivity {t.sensitivity:.3f}</b>, <b>specificity {t.specificity:.3f}</b>, "
        f"PPV {t.ppv:.3f}, NPV {t.npv:.3f}, accuracy {t.accuracy:.3f}<br>"
        f"At 0.5: sensitivity {half.sensitivity:.3f}, specificity {half.specificity:.3f} · "
        f"calibration {(ev.calibration or {}).get('method', 'temperature')} "
        f"(ECE {ev.ece_before:.3f} → {ev.ece_after:.3f})<br>"
        "<i>Threshold and calibration were fitted on this same validation set and the checkpoint was chosen by "
        "its AUC, so these figures are somewhat optimistic; a recipe with an internal test split gets its "
        "headline figures there.</i>"
    )


class EvaluatePage(QWizardPage):
    def __init__(self, state: WizardState, jobs: JobTracker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.jobs = jobs
        self._evaluated_outcome: object = None
        self.setTitle("Evaluate")
        self.setSubTitle("The best checkpoint on the validation split: what it gets right, and where it fails.")
        self.headline = QLabel("Evaluating…")
        self.headline.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setMaximumHeight(14)
        self.bar.setRange(0, 0)
        self.plots_row = QHBoxLayout()
        self.plots = QWidget()
        self.plots.setLayout(self.plots_row)

        self.per_class = QTableWidget(0, 5)
        self.per_class.setHorizontalHeaderLabels(["Class", "Label", "Images", "Errors", "Error rate"])
        self.per_class.verticalHeader().setVisible(False)
        self.per_class.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        per_class_box = QGroupBox("Errors per class (at the chosen threshold)")
        QVBoxLayout(per_class_box).addWidget(self.per_class)

        self.mistakes_grid = QGridLayout()
        self.mistakes_grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        mistakes_widget = QWidget()
        mistakes_widget.setLayout(self.mistakes_grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(mistakes_widget)
        mistakes_box = QGroupBox("Worst mistakes, with Grad-CAM (where the model looked)")
        QVBoxLayout(mistakes_box).addWidget(scroll)
        bottom = QHBoxLayout()
        bottom.addWidget(per_class_box, 2)
        bottom.addWidget(mistakes_box, 3)

        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.bar)
        layout.addWidget(self.plots)
        layout.addLayout(bottom, 1)

    def initializePage(self) -> None:
        if self.state.evaluation is not None and self._evaluated_outcome is self.state.outcome:
            return
        self.start()

    def cleanupPage(self) -> None:
        """Keep the evaluation when going back; a new training run replaces it."""

    def running(self) -> bool:
        return self.jobs.running("evaluate")

    def start(self) -> None:
        state = self.state
        if self.running() or state.recipe is None or state.run_dir is None or state.data_root is None:
            return
        state.evaluation = None
        self._evaluated_outcome = state.outcome
        self._clear()
        self.headline.setText("Evaluating the best checkpoint on the validation split…")
        self.bar.show()
        recipe, run_dir, data_root = state.recipe, state.run_dir, state.data_root
        self.jobs.submit(
            "evaluate",
            EvaluateJob(recipe, run_dir, data_root),
            on_progress=self._on_progress,
            on_result=self._on_result,
            on_failed=self._on_failed,
            on_finished=self._on_finished,
        )
        self.completeChanged.emit()
        wizard = self.wizard()
        if wizard is not None:
            wizard.button(QWizard.WizardButton.BackButton).setEnabled(False)

    def _clear(self) -> None:
        for layout in (self.plots_row, self.mistakes_grid):
            while layout.count():
                item = layout.takeAt(0)
                widget = item.widget() if item is not None else None
                if widget is not None:
                    widget.deleteLater()
        self.per_class.setRowCount(0)

    def _on_progress(self, event: ProgressEvent) -> None:
        self.headline.setText(event.message or "Evaluating…")

    def _on_result(self, view: EvaluationView) -> None:
        self.state.evaluation = view
        self.show_view(view)

    def show_view(self, view: EvaluationView) -> None:
        self._clear()
        self.headline.setText(metrics_text(view))
        for kind in ("roc", "confusion", "reliability"):
            if kind in view.plots:
                self.plots_row.addWidget(plot_label(view.plots[kind], PLOT_WIDTH))
        labels = self.state.recipe.class_map if self.state.recipe else {}
        self.per_class.setRowCount(len(view.per_class))
        for row, errors in enumerate(view.per_class):
            values = (
                errors.source_class,
                str(labels.get(errors.source_class, errors.label)),
                str(errors.n),
                str(errors.errors),
                f"{errors.rate:.1%}",
            )
            for col, value in enumerate(values):
                self.per_class.setItem(row, col, QTableWidgetItem(value))
        if not view.mistakes:
            self.mistakes_grid.addWidget(QLabel("No validation image is misclassified at the chosen threshold."), 0, 0)
        for index, mistake in enumerate(view.mistakes):
            cell = QWidget()
            box = QVBoxLayout(cell)
            box.setContentsMargins(2, 2, 2, 2)
            box.addWidget(image_label(tile([mistake.overlay], MISTAKE_SIZE), str(mistake.path)))
            caption = QLabel(
                f"{mistake.kind}<br>p = {mistake.probability:.2f} · {mistake.source_class}<br>"
                f"<small>{mistake.path.name}</small>"
            )
            caption.setWordWrap(True)
            box.addWidget(caption)
            box.addStretch(1)
            self.mistakes_grid.addWidget(cell, index // 3, index % 3)

    def _on_failed(self, exc: BaseException) -> None:
        self.headline.setText(f"<span style='color:#b00020'>Evaluation failed: {describe(exc)}</span>")

    def _on_finished(self) -> None:
        self.bar.hide()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.state.evaluation is not None and not self.running()

    def nextId(self) -> int:
        from xray_desktop.ui.training_wizard.wizard import PageId

        return int(PageId.REGISTER)
