"""The population verdict on a result card: "Outside this model's training population" and why.

When the film is outside, the probability is collapsed behind "Show anyway" for doctors and greyed for
students (an administrator can turn the collapsing off, never the verdict), and in teaching mode the
reason is written as a lesson. Plain widgets; the card owns the answer widget this one hides or greys.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget

from xray_desktop.results import TaskResult

OUTSIDE_TITLE = "Outside this model's training population"
LESSON = (
    "Lesson: a model only knows the films it was trained on. This film differs from them ({reason}), so its "
    "number is not evidence either way — the model answers with the same confidence on films it has never "
    "seen the like of."
)


@dataclass(frozen=True)
class PopulationPolicy:
    """How the window presents an outside verdict: from the role, the admin setting and teaching mode."""

    collapse: bool = True  # admin setting collapse_outside_population
    student: bool = False  # students see the probability greyed, with no "show anyway"
    teaching: bool = False  # the reason is shown as a lesson


class PopulationNotice(QFrame):
    """The verdict line; for an outside film the reason, and "Show anyway" when the answer is collapsed."""

    showAnyway = Signal(str)  # task

    def __init__(self, result: TaskResult, policy: PopulationPolicy, answer: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.task = result.task
        self.answer = answer
        self.collapsed = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.show_button: QPushButton | None = None
        if result.population != "outside":
            self.setObjectName("populationIn" if result.population == "in" else "populationUnknown")
            self.line = QLabel(_short(result))
            self.line.setObjectName("populationLine")
            self.line.setWordWrap(True)
            self.line.setToolTip(result.population_reason)
            layout.addWidget(self.line)
            return
        self.setObjectName("populationOutside")
        self.title = QLabel(f"⚠ {OUTSIDE_TITLE}")
        self.title.setObjectName("populationOutsideTitle")
        layout.addWidget(self.title)
        self.reason = QLabel(result.population_reason[:1].upper() + result.population_reason[1:])
        self.reason.setObjectName("populationReason")
        self.reason.setWordWrap(True)
        layout.addWidget(self.reason)
        if policy.teaching:
            self.lesson = QLabel(LESSON.format(reason=result.population_reason))
            self.lesson.setObjectName("populationLesson")
            self.lesson.setWordWrap(True)
            layout.addWidget(self.lesson)
        if not policy.collapse:
            return
        if policy.student:
            answer.setEnabled(False)  # greyed: visible, but plainly not an answer to act on
            answer.setToolTip("Greyed: this film is outside the model's training population")
            return
        self.collapsed = True
        answer.hide()
        self.show_button = QPushButton("Show the probability anyway")
        self.show_button.setObjectName("populationShowAnyway")
        self.show_button.clicked.connect(self.reveal)
        layout.addWidget(self.show_button)

    def reveal(self) -> None:
        """The doctor asked to see it: the answer (and, through the signal, its heatmap) comes back."""
        self.collapsed = False
        self.answer.show()
        if self.show_button is not None:
            self.show_button.hide()
        self.showAnyway.emit(self.task)


def _short(result: TaskResult) -> str:
    if result.population == "in":
        return "Within the training population"
    return result.population_reason[:1].upper() + result.population_reason[1:] if result.population_reason else ""
