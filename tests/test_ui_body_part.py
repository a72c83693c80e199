"""The body-part choice: a PNG runs only the chosen part's tasks, Auto warns and invites a choice, it belongs to one image."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from ui_support import KNEE_SAMPLE, PNEUMONIA_SAMPLE

from xray_desktop.services.analyze import UNKNOWN_BODY_PART_WARNING
from xray_desktop.tasks import TASK_NAMES
from xray_desktop.ui.body_part import case_tasks
from xray_desktop.ui.main_window import MainWindow
from xray_desktop.ui.preferences import Preferences
from xray_desktop.ui.samples import load_samples, sample_for

pytestmark = pytest.mark.slow

TIMEOUT_MS = 60000
CHEST = {"pneumonia", "cardiomegaly"}
KNEE = {"osteoarthritis", "osteoporosis"}


@pytest.fixture(autouse=True)
def no_error_dialogs(dialogs):
    """Choosing a body part never raises an error dialog."""
    yield
    assert dialogs.calls == []


@pytest.fixture
def chest_png(tmp_path: Path) -> Path:
    """A real chest film saved as a PNG outside the samples: it names no body part."""
    path = tmp_path / "film.png"
    Image.open(PNEUMONIA_SAMPLE).convert("L").resize((256, 256)).save(path)
    return path


def shown_tasks(window: MainWindow) -> set[str]:
    return {card.task for card in window.results.cards()}


def open_and_wait(qtbot, window: MainWindow, path: Path):
    with qtbot.waitSignal(window.analysisShown, timeout=TIMEOUT_MS) as blocker:
        window.open_path(path)
    return blocker.args[0]


def test_a_sample_uses_its_own_body_part_and_a_plain_png_the_choice() -> None:
    sample = sample_for(KNEE_SAMPLE, load_samples())
    assert case_tasks("chest", sample, None).spec == "knee"
    assert case_tasks("chest", None, None).spec == "chest"
    assert case_tasks("all", None, None).spec == "all"
    assert case_tasks("auto", None, None).spec == "auto"
    assert case_tasks("nonsense", None, None).spec == "auto"


def test_choosing_chest_runs_only_the_chest_tasks_on_a_png(qtbot, make_window, tiny_models_dir, chest_png) -> None:
    window = make_window()
    window.set_body_part("chest")
    analysis = open_and_wait(qtbot, window, chest_png)
    assert {r.task for r in analysis.results} == CHEST
    assert shown_tasks(window) == CHEST
    assert analysis.result_for("pneumonia").probability is not None
    assert UNKNOWN_BODY_PART_WARNING not in analysis.warnings
    assert not window.results.body_part_warning.isVisible()
    assert "chest (your choice)" in window.results.case_part.text()


def test_auto_on_a_png_shows_the_warning_and_choosing_there_re_analyses(
    qtbot, make_window, tiny_models_dir, chest_png
) -> None:
    window = make_window()
    assert window.body_part() == "auto"
    analysis = open_and_wait(qtbot, window, chest_png)
    assert {r.task for r in analysis.results} == set(TASK_NAMES)
    assert UNKNOWN_BODY_PART_WARNING in analysis.warnings
    warning = window.results.body_part_warning
    assert warning.isVisible()
    assert "Body part unknown" in warning.text.text()
    assert UNKNOWN_BODY_PART_WARNING not in window.results.warnings.text()  # not mistaken for a plausibility doubt

    with qtbot.waitSignal(window.analysisShown, timeout=TIMEOUT_MS) as blocker:
        warning.buttons["chest"].click()
    assert {r.task for r in blocker.args[0].results} == CHEST
    assert not warning.isVisible()
    assert window.results.body_part.currentData() == "chest"
    assert window.action("body_part:chest").isChecked()


def test_changing_the_choice_re_analyses_the_current_png_but_not_a_sample(
    qtbot, make_window, tiny_models_dir, chest_png
) -> None:
    window = make_window()
    window.set_body_part("chest")
    open_and_wait(qtbot, window, chest_png)
    with qtbot.waitSignal(window.analysisShown, timeout=TIMEOUT_MS) as blocker:
        window.action("body_part:knee").trigger()
    assert {r.task for r in blocker.args[0].results} == KNEE
    assert shown_tasks(window) == KNEE
    assert window.results.body_part.currentData() == "knee"

    # Changing again before the answer arrives: the chest analysis is dropped, only the last choice is shown.
    shown: list[set[str]] = []
    window.analysisShown.connect(lambda analysis: shown.append({r.task for r in analysis.results}))
    window.set_body_part("chest")
    window.set_body_part("all")
    qtbot.waitUntil(lambda: shown_tasks(window) == set(TASK_NAMES), timeout=TIMEOUT_MS)
    qtbot.wait(300)
    assert shown == [set(TASK_NAMES)]
    assert window._current.tasks == "all"

    open_and_wait(qtbot, window, PNEUMONIA_SAMPLE)
    jobs: list[object] = []
    window.models.jobStarted.connect(lambda *args: jobs.append(args))
    window.set_body_part("knee")
    qtbot.wait(300)
    assert jobs == []  # a chest sample stays chest
    assert shown_tasks(window) == CHEST
    assert "chest (bundled sample)" in window.results.case_part.text()


def test_a_choice_belongs_to_one_image_and_is_not_saved(
    qtbot, make_window, tiny_models_dir, chest_png, tmp_path
) -> None:
    window = make_window()
    window.set_body_part("chest")
    open_and_wait(qtbot, window, chest_png)
    assert window.body_part() == "chest"
    other = tmp_path / "knee.png"
    Image.open(KNEE_SAMPLE).convert("L").save(other)
    analysis = open_and_wait(qtbot, window, other)
    assert window.body_part() == "auto"  # the chest choice stayed with the first image
    assert {r.task for r in analysis.results} == set(TASK_NAMES)  # no router in the tiny models: Auto warns
    assert window.results.body_part.currentData() == "auto" and window.action("body_part:auto").isChecked()
    window.open_path(chest_png)  # back to the first image: its own choice comes back
    assert window.body_part() == "chest" and window.results.body_part.currentData() == "chest"
    window.close()
    again = make_window(preferences=Preferences(username=window.session.username))
    assert again.body_part() == "auto" and again.action("body_part:auto").isChecked()


def test_a_dicom_naming_its_body_part_ignores_the_choice(qtbot, make_window, tiny_models_dir) -> None:
    dicom = Path(__file__).parent / "fixtures" / "dicom" / "CR-MONO1-10-chest"  # Body Part Examined CHEST
    window = make_window()
    window.set_body_part("knee")
    analysis = open_and_wait(qtbot, window, dicom)
    assert {r.task for r in analysis.results} == CHEST
    assert UNKNOWN_BODY_PART_WARNING not in analysis.warnings
    assert "DICOM Body Part Examined CHEST" in window.results.case_part.text()
