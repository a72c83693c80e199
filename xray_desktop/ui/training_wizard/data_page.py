"""Page 1 — Data: a folder per class (or a CSV), counts, class map, thumbnails, warnings, grouping rule."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from xray_desktop.progress import ProgressEvent
from xray_desktop.ui.job_tracker import JobTracker
from xray_desktop.ui.training_wizard.jobs import SurveyJob
from xray_desktop.ui.training_wizard.state import WizardState
from xray_desktop.ui.training_wizard.survey import (
    DataSurvey,
    dataset_warnings,
    default_class_map,
    label_counts,
    suggest_group_rule,
)
from xray_desktop.ui.training_wizard.widgets import image_label, tile

GROUP_RULES = (
    ("By patient — Kermany 'personN_…' / 'IM-NNNN-…' names", "pneumonia_patient"),
    ("By subject — digits of the file name (OAI knees)", "knee_subject"),
    ("By image — no patient ids are known", "image"),
    ("By regular expression on the file name (one group = patient)", "regex"),
)
LABEL_CHOICES = (("0 — negative (normal)", 0), ("1 — positive (condition)", 1), ("ignore", None))
THUMB = 56


class DataPage(QWizardPage):
    def __init__(self, state: WizardState, jobs: JobTracker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.survey: DataSurvey | None = None
        self.jobs = jobs
        self.setTitle("Data")
        self.setSubTitle(
            "Choose a folder with one sub-folder per class (or a CSV with path,label columns). "
            "Map each class to 0 (normal) or 1 (condition); patients never straddle the split."
        )

        self.location = QLineEdit()
        self.location.setPlaceholderText("folder with one sub-folder per class, or a CSV file")
        self.location.returnPressed.connect(self.scan)
        self.location.textChanged.connect(self.completeChanged)  # a typed path needs a scan before Next
        folder_button = QPushButton("Folder…")
        folder_button.clicked.connect(self._choose_folder)
        csv_button = QPushButton("CSV…")
        csv_button.clicked.connect(self._choose_csv)
        self.scan_button = QPushButton("Scan")
        self.scan_button.clicked.connect(self.rescan)
        location_row = QHBoxLayout()
        location_row.addWidget(self.location, 1)
        for button in (folder_button, csv_button, self.scan_button):
            location_row.addWidget(button)
        self.registerField("dataLocation*", self.location)

        self.validation = QLineEdit()
        self.validation.setPlaceholderText("optional: a separate validation folder (subjects must be disjoint)")
        self.validation.textChanged.connect(self._update_split_text)
        validation_button = QPushButton("Folder…")
        validation_button.clicked.connect(self._choose_validation)
        validation_row = QHBoxLayout()
        validation_row.addWidget(self.validation, 1)
        validation_row.addWidget(validation_button)

        self.group_rule = QComboBox()
        for text, name in GROUP_RULES:
            self.group_rule.addItem(text, name)
        self.group_rule.setCurrentIndex(self.group_rule.findData("image"))
        self.group_rule.currentIndexChanged.connect(self._refresh)
        self.pattern = QLineEdit()
        self.pattern.setPlaceholderText(r"e.g. ^(\d+)_  (the first group is the patient id)")
        self.pattern.setMinimumWidth(220)
        self.pattern.textChanged.connect(self._refresh)
        self.fraction = QDoubleSpinBox()
        self.fraction.setRange(0.05, 0.5)
        self.fraction.setSingleStep(0.05)
        self.fraction.setValue(0.2)
        self.fraction.valueChanged.connect(self._update_split_text)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(1234)
        self.seed.valueChanged.connect(self._update_split_text)
        split_row = QHBoxLayout()
        split_row.addWidget(self.group_rule, 1)
        split_row.addWidget(self.pattern)
        split_row.addWidget(QLabel("held out"))
        split_row.addWidget(self.fraction)
        split_row.addWidget(QLabel("seed"))
        split_row.addWidget(self.seed)
        self.split_text = QLabel()
        self.split_text.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Training data:", location_row)
        form.addRow("Validation:", validation_row)
        form.addRow("Grouping rule:", split_row)
        form.addRow("", self.split_text)

        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Class", "Images", "Label", "Samples"])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(170)

        self.summary = QLabel("No data scanned yet.")
        self.summary.setWordWrap(True)
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setObjectName("wizardWarnings")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setMaximumHeight(14)
        self.bar.hide()

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.warnings)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        self._update_split_text()

    # ----- choosing and scanning ------------------------------------------------------------------
    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Training data: one sub-folder per class", self.location.text())
        if folder:
            self.set_location(folder)

    def _choose_csv(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Training data: CSV with path,label", "", "CSV (*.csv)")
        if name:
            self.set_location(name)

    def _choose_validation(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Separate validation folder", self.validation.text())
        if folder:
            self.validation.setText(folder)

    def set_location(self, location: str | Path) -> None:
        self.location.setText(str(location))
        self.scan()

    def rescan(self) -> None:
        self.scan(force=True)

    def scanning(self) -> bool:
        return self.jobs.running("scan")

    def scan(self, force: bool = False) -> None:
        """Survey the location on a worker thread; the page stays responsive on big folders."""
        text = self.location.text().strip()
        if not text or self.scanning():
            return
        if not force and self.survey is not None and str(self.survey.location) == text:
            return
        self.survey = None
        self.table.setRowCount(0)
        self.status.setText(f"Scanning {text}…")
        self.bar.setRange(0, 0)
        self.bar.show()
        self.scan_button.setEnabled(False)
        location = Path(text)
        self.jobs.submit(
            "scan",
            SurveyJob(location),
            on_progress=self._on_progress,
            on_result=self._on_scanned,
            on_failed=self._on_failed,
            on_finished=self._on_finished,
        )
        self.completeChanged.emit()

    def _on_progress(self, event: ProgressEvent) -> None:
        if event.total:
            self.bar.setRange(0, event.total)
            self.bar.setValue(event.done)
        self.status.setText(event.message)

    def _on_scanned(self, survey: DataSurvey) -> None:
        self.survey = survey
        mapping = default_class_map(survey.classes)
        self.table.setRowCount(len(survey.classes))
        for row, cls in enumerate(survey.classes):
            self.table.setItem(row, 0, QTableWidgetItem(cls))
            count = QTableWidgetItem(str(survey.counts[cls]))
            self.table.setItem(row, 1, count)
            combo = QComboBox()
            for text, value in LABEL_CHOICES:
                combo.addItem(text, value)
            combo.setCurrentIndex(combo.findData(mapping[cls]))
            combo.currentIndexChanged.connect(self._refresh)
            self.table.setCellWidget(row, 2, combo)
            thumbs = survey.thumbnails.get(cls, [])
            cell = image_label(tile(thumbs, THUMB) if thumbs else None, f"first {len(thumbs)} images of {cls}")
            cell.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            self.table.setCellWidget(row, 3, cell)
            self.table.setRowHeight(row, THUMB + 8)
        suggestion = suggest_group_rule(survey.samples)
        if suggestion is not None and self.group_rule.currentData() == "image":
            self.group_rule.setCurrentIndex(self.group_rule.findData(suggestion[0]))
            self.status.setText(f"Grouping rule set to '{suggestion[0]}': the file names carry patient ids.")
        else:
            self.status.setText(f"Scanned {survey.location}.")
        self._refresh()

    def _on_failed(self, exc: BaseException) -> None:
        self.status.setText(f"<span style='color:#b00020'>Cannot use this data: {exc}</span>")

    def _on_finished(self) -> None:
        self.bar.hide()
        self.scan_button.setEnabled(True)
        self.completeChanged.emit()

    # ----- class map and warnings -------------------------------------------------------------------
    def _row(self, row: int) -> tuple[str, QComboBox]:
        """A class row of the table: its name and its label combo."""
        item, combo = self.table.item(row, 0), self.table.cellWidget(row, 2)
        assert item is not None and isinstance(combo, QComboBox)
        return item.text(), combo

    def class_map(self) -> dict[str, int]:
        mapping = {}
        for row in range(self.table.rowCount()):
            name, combo = self._row(row)
            if combo.currentData() is not None:
                mapping[name] = int(combo.currentData())
        return mapping

    def set_label(self, cls: str, value: int | None) -> None:
        """Map one class (tests and keyboard users)."""
        for row in range(self.table.rowCount()):
            name, combo = self._row(row)
            if name == cls:
                combo.setCurrentIndex(combo.findData(value))

    def rule(self) -> tuple[str, str | None]:
        name = self.group_rule.currentData()
        return name, (self.pattern.text().strip() or None) if name == "regex" else None

    def current_warnings(self) -> list[str]:
        if self.survey is None:
            return []
        return dataset_warnings(self.survey, self.class_map(), *self.rule())

    def _refresh(self) -> None:
        self.pattern.setEnabled(self.group_rule.currentData() == "regex")
        self._update_split_text()
        if self.survey is None:
            return
        mapping = self.class_map()
        labels = label_counts(self.survey, mapping)
        report = self.survey.report
        self.summary.setText(
            f"<b>{report.total} images</b> in {len(self.survey.classes)} classes · label 0: <b>{labels[0]}</b> · "
            f"label 1: <b>{labels[1]}</b> · duplicates: {len(report.duplicates)} sets · "
            f"unreadable: {len(report.unreadable) + len(self.survey.not_images)}"
        )
        warnings = self.current_warnings()
        self.warnings.setText(
            "".join(f"<span style='color:#8a4b00'>⚠ {html.escape(w)}</span><br>" for w in warnings)
            if warnings
            else "<span style='color:#1b6e20'>✓ No warnings.</span>"
        )
        self.completeChanged.emit()

    def _update_split_text(self) -> None:
        name, _ = self.rule()
        if self.validation.text().strip():
            text = "Validation is the separate folder; training refuses to start if a patient is in both."
        else:
            text = (
                f"Split: whole groups ({name}) are held out until each label has about {self.fraction.value():.0%} "
                f"of its images in validation (seed {self.seed.value()}); byte-identical files count as one group."
            )
        self.split_text.setText(text)

    # ----- QWizardPage --------------------------------------------------------------------------------
    def isComplete(self) -> bool:
        if self.survey is None or self.scanning() or self.location.text().strip() != str(self.survey.location):
            return False
        labels = label_counts(self.survey, self.class_map())
        name, pattern = self.rule()
        return bool(labels[0] and labels[1]) and (name != "regex" or bool(pattern))

    def validatePage(self) -> bool:
        name, pattern = self.rule()
        self.state.survey = self.survey
        self.state.class_map = self.class_map()
        self.state.group_rule = name
        self.state.group_pattern = pattern
        self.state.validation_fraction = float(self.fraction.value())
        self.state.seed = int(self.seed.value())
        self.state.location = self.survey.location if self.survey is not None else None
        val = self.validation.text().strip()
        self.state.validation_location = Path(val) if val else None
        return True

    def nextId(self) -> int:
        from xray_desktop.ui.training_wizard.wizard import PageId

        return int(PageId.MODEL)
