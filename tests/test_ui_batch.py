"""Batch from the window: progress, cancel keeps the rows already written, CSV export."""

from __future__ import annotations

import csv
import shutil
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox
from ui_support import DialogRecorder, doctor_session, write_corrupt_image

from xray_desktop.paths import samples_dir
from xray_desktop.progress import Progress
from xray_desktop.ui.batch_dialog import BatchDialog
from xray_desktop.ui.engine import AnalysisEngine, BatchJob, BatchOutcome
from xray_desktop.ui.worker import ModelThread

pytestmark = pytest.mark.slow


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "cases"
    folder.mkdir()
    for path in sorted((samples_dir() / "chest").iterdir()):
        shutil.copy(path, folder / path.name)
    write_corrupt_image(folder)
    return folder


@pytest.fixture
def model_thread(qtbot):
    thread = ModelThread(AnalysisEngine())
    yield thread
    assert thread.shutdown()


def test_batch_job_runs_synchronously_and_reports_every_file(tiny_models_dir: Path, image_folder: Path) -> None:
    csv_path = image_folder.parent / "out.csv"
    outcome = BatchJob(doctor_session(), image_folder, "pneumonia", csv_path).run(AnalysisEngine(), Progress())
    assert isinstance(outcome, BatchOutcome)
    assert len(outcome.rows) == 9  # 8 chest samples + the broken file, which gets a row with its error
    broken = [r for r in outcome.rows if r["path"].endswith("broken.png")]
    assert len(broken) == 1 and broken[0]["error"]


def test_batch_dialog_runs_and_exports_the_csv(
    qtbot,
    model_thread: ModelThread,
    tiny_models_dir: Path,
    image_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog = BatchDialog(doctor_session(), model_thread, image_folder, ["pneumonia"])
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.batchFinished, timeout=120000) as blocker:
        dialog.start_button.click()
    outcome = blocker.args[0]
    assert not outcome.cancelled and len(outcome.rows) == 9
    assert dialog.table.rowCount() == 9
    exported = image_folder.parent / "exported.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(exported), "CSV (*.csv)"))
    dialog.export_button.click()
    assert exported.read_bytes() == outcome.csv_path.read_bytes()


def test_cancel_during_a_batch_stops_it_and_keeps_the_rows_done(
    qtbot,
    model_thread: ModelThread,
    tiny_models_dir: Path,
    image_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import xray_desktop.services.batch as batch_service

    real_run_batch = batch_service.run_batch

    def small_batches_that_wait_for_the_click(*args, progress, **kwargs):
        class Gate:
            """After the first rows, hold the worker until the GUI thread has pressed Cancel."""

            def update(self, *a, **k) -> None:
                progress.update(*a, **k)
                deadline = time.monotonic() + 30
                while not progress.cancelled and time.monotonic() < deadline:
                    time.sleep(0.01)

            def check_cancelled(self) -> None:
                progress.check_cancelled()

        return real_run_batch(*args, progress=Gate(), batch_size=2, **kwargs)

    monkeypatch.setattr(batch_service, "run_batch", small_batches_that_wait_for_the_click)
    recorder = DialogRecorder()
    monkeypatch.setattr(QMessageBox, "critical", recorder)
    dialog = BatchDialog(doctor_session(), model_thread, image_folder, ["pneumonia"])
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.batchFinished, timeout=120000) as blocker:
        dialog.start_button.click()
        qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=60000)
        dialog.cancel_button.click()  # the user presses Cancel while rows are being written
    outcome = blocker.args[0]
    assert outcome.cancelled
    assert len(outcome.rows) == 2  # the first batch of two is kept; nothing after the cancel
    with outcome.csv_path.open(newline="", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 2
    assert "Cancelled" in dialog.status.text() and "2 rows" in dialog.status.text()
    assert recorder.calls == []
    qtbot.waitUntil(lambda: not dialog.running(), timeout=10000)
    assert dialog.start_button.isEnabled()
