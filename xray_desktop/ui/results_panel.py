"""Results: per task a probability bar with its threshold, the decision and the model behind it.

Also carries the body-part choice (for images that name none) with a prominent
warning when every model had to run, the plausibility warnings, the teaching-mode curtain (answer hidden
until Reveal, then the known label for sample cases) and the disclaimer, which
is always visible whatever state the panel is in.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from xray_desktop import DISCLAIMER
from xray_desktop.explain import METHOD_NAMES, faithfulness_text
from xray_desktop.results import AnalysisResult, TaskResult, TaskStatus
from xray_desktop.tasks import BODY_PARTS, TASKS
from xray_desktop.ui.body_part import BODY_PART_CHOICES, BODY_PART_SHORTCUTS
from xray_desktop.ui.population_notice import PopulationNotice, PopulationPolicy
from xray_desktop.ui.probability_bar import ProbabilityBar


def task_title(task: str) -> str:
    return TASKS[task].positive_label if task in TASKS else task.title()


def model_line(result: TaskResult) -> str:
    name = result.model_name or result.model_id or "model"
    version = f" v{result.model_version}" if result.model_version else ""
    if result.validation_auc is None:
        return f"{name}{version} · no recorded validation AUC"
    measured = f" on {result.validation_data.split(' (')[0]}" if result.validation_data else ""
    return f"{name}{version} · {result.auc_split} AUC {result.validation_auc:.3f}{measured}"


class TaskCard(QFrame):
    """One task's answer; clicking it selects that task's heatmap."""

    clicked = Signal(str)

    def __init__(
        self, result: TaskResult, parent: QWidget | None = None, policy: PopulationPolicy | None = None
    ) -> None:
        super().__init__(parent)
        self.task = result.task
        self.population: PopulationNotice | None = None
        self.setObjectName("taskCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(4)
        title = QLabel(task_title(result.task))
        title.setObjectName("taskTitle")
        layout.addWidget(title)
        if result.status is TaskStatus.OK and result.probability is not None:
            threshold = result.threshold if result.threshold is not None else 0.5
            positive = bool(result.decision)
            decision = QLabel(
                f"{result.label or ('Positive' if positive else 'Normal')}"
                f"  —  {'above' if positive else 'below'} threshold {threshold:.2f}"
                + (f" ({result.operating_point} operating point)" if result.operating_point else "")
            )
            decision.setObjectName("decisionPositive" if positive else "decisionNegative")
            decision.setWordWrap(True)
            self.bar = ProbabilityBar(result.probability, threshold, positive)
            self.answer = QWidget()  # what an outside verdict collapses or greys
            answer_layout = QVBoxLayout(self.answer)
            answer_layout.setContentsMargins(0, 0, 0, 0)
            answer_layout.addWidget(self.bar)
            answer_layout.addWidget(decision)
            self.map_of = self._map_of_line(result)
            if self.map_of is not None:  # part of the answer: an outside verdict hides it with the decision
                answer_layout.addWidget(self.map_of)
            self.population = PopulationNotice(result, policy or PopulationPolicy(), self.answer)
            layout.addWidget(self.population)
            layout.addWidget(self.answer)
            meta = QLabel(model_line(result))
            meta.setToolTip(f"Validation data: {result.validation_data}" if result.validation_data else "")
            meta.setObjectName("modelLine")
            meta.setWordWrap(True)
            layout.addWidget(meta)
            self._add_map_lines(layout, result)
        elif result.status is TaskStatus.NOT_INSTALLED:
            status = QLabel("No model installed for this task")
            status.setObjectName("notInstalled")
            layout.addWidget(status)
        else:
            status = QLabel(f"Model unavailable: {result.message or 'unknown reason'}")
            status.setObjectName("unavailable")
            status.setWordWrap(True)
            layout.addWidget(status)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    @staticmethod
    def _map_of_line(result: TaskResult) -> QLabel | None:
        """Which class the map explains: the model's answer (None without a map)."""
        if not result.map_of or result.heatmap is None:
            return None
        label = QLabel(f"Map: evidence for {result.map_of} (the model's answer)")
        label.setObjectName("mapOf")
        label.setToolTip(
            "The map shows what supports the model's answer. On a film called normal it shows the evidence "
            "for normal, which explains that answer far better than the condition's map does."
        )
        label.setWordWrap(True)
        return label

    def _add_map_lines(self, layout: QVBoxLayout, result: TaskResult) -> None:
        """Under the map's answer: its faithfulness when checked, and the marker warning when it fired."""
        self.faithfulness: QLabel | None = None
        self.map_warning: QLabel | None = None
        if result.map_faithfulness is not None:
            method = METHOD_NAMES.get(result.method or "", result.method or "map")
            self.faithfulness = QLabel(
                f"{method} map: {faithfulness_text(result.map_faithfulness, result.map_random_baseline)}"
            )
            self.faithfulness.setObjectName("mapFaithfulness")
            self.faithfulness.setWordWrap(True)
            layout.addWidget(self.faithfulness)
        if result.map_warning and result.heatmap is not None:
            self.map_warning = QLabel(f"⚠ {result.map_warning[:1].upper()}{result.map_warning[1:]}.")
            self.map_warning.setObjectName("mapWarning")
            self.map_warning.setWordWrap(True)
            layout.addWidget(self.map_warning)

    def mousePressEvent(self, event) -> None:
        self.clicked.emit(self.task)
        super().mousePressEvent(event)


class BodyPartWarning(QFrame):
    """The service's "body part unknown" warning, with one button per body part to choose it right there."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bodyPartWarning")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        self.text = QLabel()
        self.text.setObjectName("bodyPartWarningText")
        self.text.setWordWrap(True)
        layout.addWidget(self.text)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("Analyse as:"))
        self.buttons: dict[str, QPushButton] = {}
        for part in BODY_PARTS:
            button = QPushButton(BODY_PART_CHOICES[part])
            button.setToolTip(f"Run only the {part} models on this image ({BODY_PART_SHORTCUTS[part]})")
            button.clicked.connect(lambda _=False, p=part: self.chosen.emit(p))
            buttons.addWidget(button)
            self.buttons[part] = button
        buttons.addStretch(1)
        layout.addLayout(buttons)

    def set_warning(self, warning: str) -> None:
        self.text.setText(f"⚠ {warning[:1].upper()}{warning[1:]}.")


class ResultsPanel(QWidget):
    taskSelected = Signal(str)
    revealRequested = Signal()
    bodyPartChosen = Signal(str)  # a value of BODY_PART_CHOICES
    populationShown = Signal(str)  # "show anyway" on an outside-population result: its map may show now

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultsPanel")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)

        self.header = QLabel("Results")
        self.header.setObjectName("panelHeader")
        self.body_part = QComboBox()
        self.body_part.setObjectName("bodyPartChoice")
        for value, label in BODY_PART_CHOICES.items():
            self.body_part.addItem(label, value)
        self.body_part.setToolTip(
            "The body part of images that name none (PNG, JPEG, DICOM without Body Part Examined); "
            "only its models run. Samples and DICOMs that name theirs use their own. (View › Body part)"
        )
        self.body_part.currentIndexChanged.connect(lambda _i: self.bodyPartChosen.emit(self.body_part.currentData()))
        header_row = QHBoxLayout()
        header_row.addWidget(self.header, 1)
        header_row.addWidget(QLabel("Body part:"))
        header_row.addWidget(self.body_part)
        outer.addLayout(header_row)

        self.case_part = QLabel()
        self.case_part.setObjectName("imageNotes")
        self.case_part.hide()
        outer.addWidget(self.case_part)

        self.body_part_warning = BodyPartWarning()
        self.body_part_warning.chosen.connect(self.bodyPartChosen)
        self.body_part_warning.hide()
        outer.addWidget(self.body_part_warning)

        self.warnings = QLabel()
        self.warnings.setObjectName("plausibilityWarning")
        self.warnings.setWordWrap(True)
        self.warnings.hide()
        outer.addWidget(self.warnings)

        self.notes = QLabel()
        self.notes.setObjectName("imageNotes")
        self.notes.setWordWrap(True)
        self.notes.hide()
        outer.addWidget(self.notes)

        self.status = QLabel("Open an image to analyse it.")
        self.status.setObjectName("resultsStatus")
        self.status.setWordWrap(True)
        outer.addWidget(self.status)

        self.reveal_button = QPushButton("Reveal AI answer  (Space)")
        self.reveal_button.setObjectName("revealButton")
        self.reveal_button.clicked.connect(self.revealRequested)
        self.reveal_button.hide()
        outer.addWidget(self.reveal_button)

        self.truth = QLabel()
        self.truth.setObjectName("truthLabel")
        self.truth.setWordWrap(True)
        self.truth.hide()
        outer.addWidget(self.truth)

        self._cards_host = QWidget()
        self._cards = QVBoxLayout(self._cards_host)
        self._cards.setContentsMargins(0, 0, 0, 0)
        self._cards.setSpacing(8)
        self._cards.addStretch(1)
        self.cards_scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._cards_host)
        outer.addWidget(scroll, 1)

        self.disclaimer = QLabel(DISCLAIMER)
        self.disclaimer.setObjectName("disclaimer")
        self.disclaimer.setWordWrap(True)
        self.disclaimer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(self.disclaimer)

        self._result: AnalysisResult | None = None
        self._shown_anyway: set[str] = set()
        self.population_policy = PopulationPolicy()
        self._card_widgets: list[TaskCard] = []
        self._hidden = False
        self._truth_text = ""

    # ----- state ------------------------------------------------------------------------------
    def show_busy(self, message: str) -> None:
        self.status.setText(message)
        self.status.show()

    def set_body_part(self, choice: str) -> None:
        """Show the user's choice without emitting `bodyPartChosen` (the window calls this)."""
        index = self.body_part.findData(choice)
        if index >= 0 and index != self.body_part.currentIndex():
            self.body_part.blockSignals(True)
            self.body_part.setCurrentIndex(index)
            self.body_part.blockSignals(False)

    def set_case_part(self, note: str) -> None:
        """Where the current case's body part comes from (its sample entry, its DICOM, or the choice)."""
        self.case_part.setText(note)
        self.case_part.setVisible(bool(note))

    def clear(self, message: str = "Open an image to analyse it.") -> None:
        self._result = None
        self._truth_text = ""
        self.warnings.hide()
        self.body_part_warning.hide()
        self.notes.hide()
        self.truth.hide()
        self.reveal_button.hide()
        self._clear_cards()
        self.show_busy(message)

    def set_warnings(self, warnings: list[str], notes: list[str] | None = None) -> None:
        """Plausibility warnings in a yellow box; loader notes (how the file was read) as plain text."""
        if warnings:
            self.warnings.setText("⚠ Does this look like a radiograph?\n• " + "\n• ".join(warnings))
            self.warnings.show()
        else:
            self.warnings.hide()
        if notes:
            self.notes.setText("\n".join(f"ℹ {n}" for n in notes))
            self.notes.show()
        else:
            self.notes.hide()

    def set_result(self, result: AnalysisResult, truth_text: str = "") -> None:
        from xray_desktop.services.analyze import UNKNOWN_BODY_PART_WARNING  # loaded by the model thread by now

        if result is not self._result:
            self._shown_anyway = set()
        self._result = result
        self._truth_text = truth_text
        notes = list(result.image.notes) if result.image is not None else []
        from xray_desktop.services.routing import CHOOSE

        routed = [w for w in result.warnings if w == UNKNOWN_BODY_PART_WARNING or w.endswith(CHOOSE)]
        if routed:
            self.body_part_warning.set_warning(routed[0])
        self.body_part_warning.setVisible(bool(routed))
        if result.body_part_source == "router":
            self.set_case_part(f"This image: {result.body_part_note} — choose a body part to override")
        others = [w for w in result.warnings if w not in notes and w not in routed]
        self.set_warnings(others, notes)
        self._render()

    def refresh(self) -> None:
        """Redraw the cards from the (possibly updated) result, e.g. after its map was checked."""
        self._render()

    def map_allowed(self, task: str | None) -> bool:
        """A collapsed outside-population answer hides its heatmap too, until "show anyway"."""
        result = self._result.result_for(task) if self._result is not None and task else None
        if result is None or result.population != "outside" or task in self._shown_anyway:
            return True
        return not self.population_policy.collapse

    def set_population_policy(self, policy: PopulationPolicy) -> None:
        self.population_policy = policy
        self._render()

    def set_hidden(self, hidden: bool) -> None:
        """Teaching mode: hide the answer until `reveal()`."""
        self._hidden = hidden
        self._render()

    def is_hidden(self) -> bool:
        return self._hidden

    def reveal(self) -> None:
        self.set_hidden(False)

    def cards(self) -> list[TaskCard]:
        return list(self._card_widgets)

    # ----- drawing ----------------------------------------------------------------------------
    def _clear_cards(self) -> None:
        for card in self._card_widgets:
            self._cards.removeWidget(card)
            card.hide()
            card.deleteLater()
        self._card_widgets = []

    def _render(self) -> None:
        self._clear_cards()
        result = self._result
        if result is None:
            self.reveal_button.hide()
            self.truth.hide()
            return
        if self._hidden:
            self.status.setText("Teaching mode: the AI answer and heatmap are hidden. Decide first, then reveal.")
            self.status.show()
            self.reveal_button.show()
            self.truth.hide()
            return
        self.reveal_button.hide()
        if self._truth_text:
            self.truth.setText(f"Known answer: {self._truth_text}")
            self.truth.show()
        else:
            self.truth.hide()
        if not result.results:
            self.status.setText("No task applies to this image.")
            self.status.show()
        elif all(r.status is TaskStatus.NOT_INSTALLED for r in result.results):
            self.status.setText("No model is installed for these tasks yet (Help › About lists the installed models).")
            self.status.show()
        else:
            self.status.hide()
        ordered = sorted(result.results, key=lambda r: r.status is not TaskStatus.OK)  # the service's order
        for index, task_result in enumerate(ordered):
            card = TaskCard(task_result, policy=self.population_policy)
            card.clicked.connect(self.taskSelected)
            if card.population is not None:
                card.population.showAnyway.connect(self._shown_anyway.add)
                card.population.showAnyway.connect(self.populationShown)
            self._cards.insertWidget(index, card)
            self._card_widgets.append(card)
