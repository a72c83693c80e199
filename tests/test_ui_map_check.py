"""'Check this map' in the window: runs on the model thread, shows progress, can be cancelled, and its
faithfulness line appears under the map's answer; the marker warning is visible on its card."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from ui_support import PNEUMONIA_SAMPLE, doctor_session

from xray_desktop.explain import MARKER_WARNING
from xray_desktop.imaging.loader import load_radiograph
from xray_desktop.progress import Progress
from xray_desktop.ui.engine import AnalysisEngine, AnalyzeJob
from xray_desktop.ui.map_check_job import CheckMapJob

pytestmark = pytest.mark.slow

TIMEOUT_MS = 60000


def _open(qtbot, window, path: Path):
    with qtbot.waitSignal(window.analysisShown, timeout=TIMEOUT_MS) as blocker:
        window.open_path(path)
    return blocker.args[0]


def test_check_this_map_shows_the_faithfulness_under_the_map(qtbot, make_window, tiny_models_dir: Path) -> None:
    window = make_window()
    analysis = _open(qtbot, window, PNEUMONIA_SAMPLE)
    assert window.map_check.button.isEnabled()
    with qtbot.waitSignal(window.mapChecked, timeout=TIMEOUT_MS) as blocker:
        window.map_check.button.click()
        assert window.map_check.progress.isVisible() and window.map_check.cancel.isVisible()
    outcome = blocker.args[0]
    result = analysis.result_for("pneumonia")
    assert result.map_faithfulness == outcome.faithfulness and result.map_random_baseline == outcome.random_baseline
    card = next(c for c in window.results.cards() if c.task == "pneumonia")
    assert card.faithfulness is not None and "a random map scores" in card.faithfulness.text()
    qtbot.waitUntil(lambda: not window.map_check.progress.isVisible(), timeout=5000)
    assert window.map_check.status.text().startswith("faithfulness ")


def test_a_map_check_can_be_cancelled(qtbot, make_window, tiny_models_dir: Path) -> None:
    window = make_window()
    _open(qtbot, window, PNEUMONIA_SAMPLE)
    with qtbot.waitSignal(window.models.jobCancelled, timeout=TIMEOUT_MS):
        window.check_map()
        window.cancel_map_check()
    qtbot.waitUntil(lambda: window.map_check.button.isEnabled(), timeout=5000)
    assert "cancelled" in window.map_check.status.text()


def test_the_marker_warning_is_shown_on_the_card(qtbot, make_window, tiny_models_dir: Path, tmp_path: Path) -> None:
    image = np.random.default_rng(2).uniform(0.0, 0.35, (64, 64))
    image[0:12, 0:12] = 0.95
    path = tmp_path / "corner.png"
    cv2.imwrite(str(path), (image * 255).astype(np.uint8))
    window = make_window()
    window.set_body_part("chest")
    _open(qtbot, window, path)
    card = next(c for c in window.results.cards() if c.task == "pneumonia")
    assert card.map_warning is not None
    qtbot.waitUntil(card.map_warning.isVisible, timeout=5000)
    assert MARKER_WARNING in card.map_warning.text().lower()


def test_the_job_runs_without_qt(tiny_models_dir: Path) -> None:
    engine = AnalysisEngine()
    session = doctor_session()
    radiograph = load_radiograph(PNEUMONIA_SAMPLE)
    outcome = AnalyzeJob(session, radiograph, tasks=["pneumonia"]).run(engine, Progress())
    result = outcome.analysis.result_for("pneumonia")
    checked = CheckMapJob(session, radiograph, result).run(engine, Progress())
    assert 0.0 <= checked.random_baseline <= 1.0 and 0.0 <= checked.faithfulness <= 1.0
    assert result.map_faithfulness is None  # the job never edits the result the window shows
