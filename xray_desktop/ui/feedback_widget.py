"""Agree / Disagree / Unsure on the model's answer, with the correct label and a comment.

The widget only collects input and calls the FeedbackService it is given; it
never touches the database itself. Earlier feedback on the same image (found by
its hash) is listed, so a re-opened case shows what readers said before.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from xray_desktop.errors import XRayError
from xray_desktop.results import AnalysisResult, TaskStatus
from xray_desktop.security.permissions import Permission
from xray_desktop.services.feedback import FeedbackService
from xray_desktop.services.session import Session
from xray_desktop.storage.feedback import FeedbackEntry, Verdict
from xray_desktop.tasks import TASKS

NO_LABEL = "— not sure —"


class FeedbackWidget(QWidget):
    """Feedback form for the analysis on screen; emits `saved(FeedbackEntry)` after a successful save."""

    saved = Signal(object)

    def __init__(self, service: FeedbackService, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._session = session
        self._analysis: AnalysisResult | None = None
        self._history_id: str | None = None

        self.task_combo = QComboBox()
        self.verdict_group = QButtonGroup(self)
        self.verdict_buttons: dict[Verdict, QPushButton] = {}
        verdict_row = QHBoxLayout()
        for verdict, text in ((Verdict.AGREE, "Agree"), (Verdict.DISAGREE, "Disagree"), (Verdict.UNSURE, "Unsure")):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setObjectName(f"verdict_{verdict.value}")
            self.verdict_group.addButton(button)
            self.verdict_buttons[verdict] = button
            verdict_row.addWidget(button)
        self.label_combo = QComboBox()
        self.comment_edit = QPlainTextEdit()
        self.comment_edit.setPlaceholderText("Comment (optional)")
        self.comment_edit.setMaximumHeight(70)
        self.save_button = QPushButton("Save feedback")
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.previous_label = QLabel()
        self.previous_label.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Task", self.task_combo)
        form.addRow("Your reading", verdict_row)
        form.addRow("Correct label", self.label_combo)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.comment_edit)
        layout.addWidget(self.save_button)
        layout.addWidget(self.status_label)
        layout.addWidget(self.previous_label)
        layout.addStretch(1)

        self.task_combo.currentIndexChanged.connect(self._task_changed)
        self.verdict_group.buttonClicked.connect(self._verdict_clicked)
        self.save_button.clicked.connect(self.save)
        self.set_analysis(None)

    @property
    def allowed(self) -> bool:
        return self._session.can(Permission.FEEDBACK)

    def set_session(self, session: Session) -> None:
        """After a log-in as someone else."""
        self._session = session
        self.set_analysis(self._analysis, self._history_id)

    def set_analysis(self, analysis: AnalysisResult | None, history_id: str | None = None) -> None:
        """Show the form for a new analysis (None clears it); lists earlier feedback on the same image."""
        self._analysis = analysis
        self._history_id = history_id
        self.task_combo.blockSignals(True)
        self.task_combo.clear()
        if analysis is not None:
            for result in analysis.results:
                if result.status is TaskStatus.OK:
                    self.task_combo.addItem(TASKS[result.task].positive_label, result.task)
        self.task_combo.blockSignals(False)
        self._reset_inputs()
        self._task_changed()
        usable = self.task_combo.count() > 0
        for widget in (self.task_combo, self.label_combo, self.comment_edit, self.save_button):
            widget.setEnabled(usable and self.allowed)
        for button in self.verdict_buttons.values():
            button.setEnabled(usable and self.allowed)
        if not self.allowed:
            self.status_label.setText(f"Your role ({self._session.role.value}) cannot give feedback.")
        elif analysis is not None and not usable:
            self.status_label.setText("No model answer on this image to give feedback on.")
        else:
            self.status_label.clear()
        self._show_previous()

    def current_task(self) -> str | None:
        return self.task_combo.currentData()

    def current_verdict(self) -> Verdict | None:
        return next((v for v, b in self.verdict_buttons.items() if b.isChecked()), None)

    def save(self) -> FeedbackEntry | None:
        """Store the feedback through the service; errors are shown in the widget, never raised to Qt."""
        task, verdict = self.current_task(), self.current_verdict()
        if self._analysis is None or task is None:
            return None
        if verdict is None:
            self.status_label.setText("Choose Agree, Disagree or Unsure first.")
            return None
        label = self.label_combo.currentData()
        try:
            entry = self._service.record(
                self._session,
                self._analysis,
                task,
                verdict,
                correct_label=label,
                comment=self.comment_edit.toPlainText(),
                history_id=self._history_id,
            )
        except XRayError as exc:
            self.status_label.setText(str(exc))
            return None
        self.status_label.setText("Feedback saved. Thank you.")
        self._reset_inputs()
        self._show_previous()
        self.saved.emit(entry)
        return entry

    def _reset_inputs(self) -> None:
        self.verdict_group.setExclusive(False)
        for button in self.verdict_buttons.values():
            button.setChecked(False)
        self.verdict_group.setExclusive(True)
        self.comment_edit.clear()

    def _task_changed(self) -> None:
        self.label_combo.clear()
        self.label_combo.addItem(NO_LABEL, None)
        task = self.current_task()
        if task is not None:
            for label in TASKS[task].labels:
                self.label_combo.addItem(label, label)

    def _verdict_clicked(self) -> None:
        """Pre-select the label the verdict implies; the user can still change it."""
        task, verdict = self.current_task(), self.current_verdict()
        if self._analysis is None or task is None or verdict is None:
            return
        result = self._analysis.result_for(task)
        if verdict is Verdict.UNSURE or result is None or result.decision is None:
            self.label_combo.setCurrentIndex(0)
            return
        positive = result.decision if verdict is Verdict.AGREE else not result.decision
        spec = TASKS[task]
        self.label_combo.setCurrentIndex(
            self.label_combo.findData(spec.positive_label if positive else spec.negative_label)
        )

    def _show_previous(self) -> None:
        sha = self._analysis.image_sha256 if self._analysis is not None else None
        if not sha:
            self.previous_label.clear()
            return
        try:
            entries = self._service.for_image(self._session, sha)
        except XRayError as exc:
            self.previous_label.setText(f"Earlier feedback cannot be shown: {exc}")
            return
        if not entries:
            self.previous_label.setText("No earlier feedback on this image.")
            return
        lines = [
            f"{e.created.astimezone():%Y-%m-%d %H:%M} {e.username}: {e.task} — {e.verdict.value}"
            + (f" ({e.correct_label})" if e.correct_label else "")
            + (f": {e.comment}" if e.comment else "")
            for e in entries[-5:]
        ]
        self.previous_label.setText("Earlier feedback on this image:\n" + "\n".join(lines))
