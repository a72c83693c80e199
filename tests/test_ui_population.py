"""The window, the report and the CSV show the population verdict and its reason (real films, shipped models)."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest
from population_support import ADULT, PAEDIATRIC, shipped_models_folder

from xray_desktop.security.permissions import Role
from xray_desktop.services.session import Session
from xray_desktop.storage.settings import Settings
from xray_desktop.ui.main_window import MainWindow
from xray_desktop.ui.population_notice import OUTSIDE_TITLE

pytestmark = pytest.mark.slow
TIMEOUT_MS = 300000  # real models on a shared 2-core machine: TensorFlow import and loads take a while


@pytest.fixture(scope="module")
def models_folder(tmp_path_factory) -> Path:
    return shipped_models_folder(tmp_path_factory.mktemp("shipped") / "models")


@pytest.fixture(autouse=True)
def shipped_models(monkeypatch, models_folder):
    monkeypatch.setenv("XRAY_DESKTOP_MODELS", str(models_folder))


def open_and_wait(qtbot, window, path: Path):
    with qtbot.waitSignal(window.analysisShown, timeout=TIMEOUT_MS) as blocker:
        window.open_path(path)
    return blocker.args[0]


def card(window, task: str):
    return next(c for c in window.results.cards() if c.task == task)


def test_an_adult_film_is_outside_for_the_paediatric_model_and_its_answer_collapses(
    qtbot, make_window, tmp_path
) -> None:
    import shutil

    window = make_window()
    film = shutil.copy(ADULT[0], tmp_path / "adult.png")  # a plain PNG, not the bundled sample: the router decides
    analysis = open_and_wait(qtbot, window, Path(film))
    assert analysis.body_part == "chest" and "body-part router" in window.results.case_part.text()
    pneumonia = card(window, "pneumonia")
    notice = pneumonia.population
    assert notice.objectName() == "populationOutside"
    assert OUTSIDE_TITLE in notice.title.text()
    assert "unlike the training films: distance" in notice.reason.text()
    assert notice.reason.text().startswith("Looks like an adult's chest film (age-group check, ")
    assert pneumonia.answer.isHidden() and not notice.show_button.isHidden()
    assert window.analysis.map_task == "cardiomegaly"  # the map of a model that knows the film comes first
    assert not window.results.map_allowed("pneumonia")
    notice.show_button.click()
    assert not pneumonia.answer.isHidden() and window.results.map_allowed("pneumonia")
    assert card(window, "cardiomegaly").population.objectName() == "populationIn"


def test_students_see_it_greyed_and_an_admin_can_turn_collapsing_off(qtbot, dialogs) -> None:
    window = MainWindow(Session(username="student1", role=Role.STUDENT, audit=None))
    qtbot.addWidget(window)
    window.show()
    try:
        open_and_wait(qtbot, window, ADULT[0])
        pneumonia = card(window, "pneumonia")
        assert not pneumonia.answer.isHidden() and not pneumonia.answer.isEnabled()
        assert pneumonia.population.show_button is None
        window.apply_settings(replace(Settings(), collapse_outside_population=False))
        pneumonia = card(window, "pneumonia")
        assert not pneumonia.answer.isHidden() and pneumonia.answer.isEnabled()
        assert OUTSIDE_TITLE in pneumonia.population.title.text()  # the verdict never goes away
        assert window.results.map_allowed("pneumonia")
    finally:
        window.close()


def test_teaching_mode_shows_the_reason_as_a_lesson(qtbot, make_window) -> None:
    window = make_window(teaching=True)
    open_and_wait(qtbot, window, ADULT[0])
    window.reveal()
    lesson = card(window, "pneumonia").population.lesson.text()
    assert lesson.startswith("Lesson: a model only knows the films it was trained on")
    assert "unlike the training films" in lesson


def test_the_report_carries_the_verdict_and_the_reason(qtbot, make_window, tmp_path, monkeypatch) -> None:
    from pypdf import PdfReader
    from PySide6.QtWidgets import QFileDialog

    window = make_window()
    open_and_wait(qtbot, window, ADULT[0])
    out = tmp_path / "case.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PDF (*.pdf)"))
    with qtbot.waitSignal(window.models.jobResult, timeout=TIMEOUT_MS):
        window.action("report").trigger()
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(out).pages)
    assert "Outside this model's training population" in text
    assert "unlike the training films: distance" in text


def test_the_batch_dialog_table_and_csv_show_the_verdict(qtbot, tmp_path) -> None:
    import shutil

    from xray_desktop.ui.batch_dialog import BatchDialog
    from xray_desktop.ui.engine import AnalysisEngine
    from xray_desktop.ui.worker import ModelThread

    folder = tmp_path / "films"
    folder.mkdir()
    shutil.copy(ADULT[0], folder / "adult.png")
    shutil.copy(PAEDIATRIC[0], folder / "child.jpeg")
    thread = ModelThread(AnalysisEngine())
    try:
        dialog = BatchDialog(Session(username="dr", role=Role.DOCTOR, audit=None), thread, folder, ["pneumonia"])
        qtbot.addWidget(dialog)
        with qtbot.waitSignal(dialog.batchFinished, timeout=TIMEOUT_MS) as blocker:
            dialog.start_button.click()
        headers = [dialog.table.horizontalHeaderItem(c).text() for c in range(dialog.table.columnCount())]
        assert "population" in headers and "population_reason" in headers
        with open(blocker.args[0].csv_path, newline="", encoding="utf-8") as handle:
            rows = {Path(r["path"]).name: r for r in csv.DictReader(handle)}
        assert rows["adult.png"]["population"] == "outside"
        assert "unlike the training films" in rows["adult.png"]["population_reason"]
        column = headers.index("population_reason")
        shown = [dialog.table.item(r, column).text() for r in range(dialog.table.rowCount())]
        assert any("unlike the training films" in text for text in shown)
    finally:
        assert thread.shutdown()
