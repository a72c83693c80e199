"""Batch analysis of a folder: progress, cancel (rows already done are kept) and CSV export."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from xray_desktop.atomic import atomic_write_bytes
from xray_desktop.progress import ProgressEvent
from xray_desktop.services.session import Session
from xray_desktop.tasks import TASKS
from xray_desktop.ui.engine import BatchJob, BatchOutcome
from xray_desktop.ui.error_dialog import show_error
from xray_desktop.ui.worker import ModelThread


def default_csv_path(folder: Path, task: str) -> Path:
    """Beside the folder, not inside it, so a re-run does not meet its own output."""
    return folder.parent / f"{folder.name}_{task}_results.csv"


class BatchDialog(QDialog):
    batchFinished = Signal(object)  # BatchOutcome, also after a cancel (with the rows done)

    def __init__(
        self,
        session: Session,
        models: ModelThread,
        folder: Path,
        tasks: list[str],
        parent: QWidget | None = None,
        threshold_overrides: dict[str, float] | None = None,
    ) -> None:
        super().__init__(parent)
        self.threshold_overrides = dict(threshold_overrides or {})
        self.setWindowTitle(f"Batch analysis — {folder.name}")
        self.resize(760, 520)
        self.session = session
        self.models = models
        self.folder = Path(folder)
        self.job_id: int | None = None
        self.outcome: BatchOutcome | None = None

        self.task = QComboBox()
        for task in tasks:
            self.task.addItem(TASKS[task].positive_label if task in TASKS else task, task)
        self.csv_path = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_csv)
        csv_row = QHBoxLayout()
        csv_row.addWidget(self.csv_path, 1)
        csv_row.addWidget(browse)
        self.save_maps = QCheckBox("Also save heatmap images")
        form = QFormLayout()
        form.addRow("Folder", QLabel(str(self.folder)))
        form.addRow("Task", self.task)
        form.addRow("Results CSV", csv_row)
        form.addRow("", self.save_maps)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = QLabel("Choose a task and press Start.")
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)

        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel batch")
        self.cancel_button.setEnabled(False)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setEnabled(False)
        self.close_button = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.export_button.clicked.connect(self._export)
        self.close_button.clicked.connect(self.close)
        self.task.currentIndexChanged.connect(self._suggest_csv)
        self._suggest_csv()
        if not tasks:
            self.start_button.setEnabled(False)
            self.status.setText("No model is installed, so there is nothing to run.")

    def selected_task(self) -> str:
        return str(self.task.currentData())

    def _suggest_csv(self) -> None:
        if self.task.count():
            self.csv_path.setText(str(default_csv_path(self.folder, self.selected_task())))

    def _browse_csv(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save batch results as", self.csv_path.text(), "CSV (*.csv)")
        if name:
            self.csv_path.setText(name)

    # ----- running -----------------------------------------------------------------------------
    def start(self) -> None:
        csv_path = Path(self.csv_path.text()).expanduser()
        heatmaps = csv_path.with_name(csv_path.stem + "_heatmaps") if self.save_maps.isChecked() else None
        task = self.selected_task()
        job = BatchJob(self.session, self.folder, task, csv_path, heatmaps, self.threshold_overrides.get(task))
        self.outcome = None
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.export_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.status.setText("Starting…")
        self.job_id = self.models.submit(
            job,
            on_result=self._done,
            on_failed=self._failed,
            on_progress=self._progress,
            on_cancelled=self._cancelled,
            on_finished=self._finished,
        )

    def cancel(self) -> None:
        if self.job_id is not None:
            self.models.cancel(self.job_id)
            self.status.setText("Cancelling after the current image…")
            self.cancel_button.setEnabled(False)

    def running(self) -> bool:
        return self.job_id is not None

    def _progress(self, event: ProgressEvent) -> None:
        if event.total:
            self.progress.setRange(0, event.total)
            self.progress.setValue(event.done)
            self.status.setText(f"{event.done} of {event.total}  {event.message}".rstrip())
        else:
            self.status.setText(event.message or f"{event.done} done")

    def _done(self, outcome: BatchOutcome) -> None:
        self._show(outcome, f"Done: {len(outcome.rows)} rows written to {outcome.csv_path}")

    def _cancelled(self, partial: object) -> None:
        if isinstance(partial, BatchOutcome):
            self._show(partial, f"Cancelled: the {len(partial.rows)} rows done are kept in {partial.csv_path}")
        else:
            self.status.setText("Cancelled.")

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(f"Failed: {exc}")
        show_error(self, "Batch analysis failed", exc)

    def _finished(self) -> None:
        self.job_id = None
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)

    def _show(self, outcome: BatchOutcome, message: str) -> None:
        self.outcome = outcome
        self.status.setText(message)
        columns = list(outcome.rows[0].keys()) if outcome.rows else []
        self.table.clear()
        self.table.setColumnCount(len(columns))
        self.table.setHorizontalHeaderLabels(columns)
        self.table.setRowCount(len(outcome.rows))
        for r, row in enumerate(outcome.rows):
            for c, key in enumerate(columns):
                text = row.get(key) or ""
                if key == "path":
                    text = self._relative(text)
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.export_button.setEnabled(outcome.csv_path.is_file())
        self.batchFinished.emit(outcome)

    def _relative(self, path: str) -> str:
        """Paths inside the folder are shown relative to it (the CSV keeps them in full)."""
        try:
            return str(Path(path).relative_to(self.folder))
        except ValueError:
            return path

    def _export(self) -> None:
        if self.outcome is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, "Export CSV", str(self.outcome.csv_path), "CSV (*.csv)")
        if name and Path(name) != self.outcome.csv_path:
            atomic_write_bytes(name, self.outcome.csv_path.read_bytes())
            self.status.setText(f"Exported to {name}")

    def closeEvent(self, event) -> None:
        if self.job_id is not None:
            self.cancel()
        super().closeEvent(event)


__all__ = ["BatchDialog", "default_csv_path"]
