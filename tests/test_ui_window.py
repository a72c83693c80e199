"""The main window with a real tiny model: results appear, the slider only re-blends, errors are dialogs."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from ui_support import KNEE_SAMPLE, NORMAL_SAMPLE, PNEUMONIA_SAMPLE, DialogRecorder, write_corrupt_image

from xray_desktop.explain import overlay
from xray_desktop.models.registry import Registry
from xray_desktop.paths import samples_dir
from xray_desktop.ui.display import to_display_gray
from xray_desktop.ui.main_window import MainWindow
from xray_desktop.ui.preferences import Preferences
from xray_desktop.ui.probability_bar import ProbabilityBar

pytestmark = pytest.mark.slow

TIMEOUT_MS = 60000


def open_and_wait(qtbot, window: MainWindow, path: Path):
    with qtbot.waitSignal(window.analysisShown, timeout=TIMEOUT_MS) as blocker:
        window.open_path(path)
    return blocker.args[0]


def test_opening_a_sample_shows_probability_threshold_and_model(qtbot, make_window, tiny_models_dir: Path) -> None:
    window = make_window()
    analysis = open_and_wait(qtbot, window, PNEUMONIA_SAMPLE)
    result = analysis.result_for("pneumonia")
    assert result is not None and result.probability is not None
    cards = {card.task: card for card in window.results.cards()}
    assert set(cards) == {"pneumonia", "cardiomegaly"}  # the chest tasks of a chest sample
    bar = cards["pneumonia"].findChild(ProbabilityBar)
    assert bar.probability == pytest.approx(result.probability)
    assert bar.threshold == pytest.approx(0.5)
    texts = " ".join(label.text() for label in cards["pneumonia"].findChildren(type(window.status_label)))
    assert "Tiny test model (pneumonia) v0.0.1" in texts and "validation AUC" in texts
    not_installed = " ".join(label.text() for label in cards["cardiomegaly"].findChildren(type(window.status_label)))
    assert "No model installed" in not_installed
    assert window.results.disclaimer.isVisible()
    assert "not a medical device" in window.results.disclaimer.text()
    assert window.results.truth.text() == "Known answer: Pneumonia: present"


def test_opacity_slider_reblends_the_cached_map_without_recomputing(
    qtbot,
    make_window,
    tiny_models_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = {"colorize": 0, "jobs": 0}
    real_colorize = overlay.colorize

    def counting_colorize(heatmap, colormap="jet"):
        calls["colorize"] += 1
        return real_colorize(heatmap, colormap)

    monkeypatch.setattr(overlay, "colorize", counting_colorize)
    window = make_window()
    open_and_wait(qtbot, window, PNEUMONIA_SAMPLE)
    window.models.jobStarted.connect(lambda *_: calls.__setitem__("jobs", calls["jobs"] + 1))
    coloured_after_analysis = calls["colorize"]
    blends_before = window.viewer.blend_count
    radiograph = window._current.radiograph

    window.heatmap.opacity.setValue(0)
    plain = window.viewer.displayed_pixels()
    window.heatmap.opacity.setValue(100)
    full = window.viewer.displayed_pixels()
    window.heatmap.opacity.setValue(55)
    mid = window.viewer.displayed_pixels()

    grey = to_display_gray(radiograph.pixels, window.viewer.window_level())
    assert np.array_equal(plain[..., 0], grey)  # 0 %: the picture only
    coloured = window._current.coloured("gradcam", "pneumonia", "jet")
    assert np.abs(full.astype(int) - coloured.astype(int)).max() <= 1  # 100 %: the map only
    assert not np.array_equal(mid, plain) and not np.array_equal(mid, full)
    assert window.viewer.blend_count == blends_before + 3
    qtbot.wait(200)  # give a (wrong) recomputation the chance to be queued
    assert calls["colorize"] == coloured_after_analysis
    assert calls["jobs"] == 0
    assert window.prefs.opacity == 55


def test_a_corrupt_file_shows_one_error_and_the_window_stays_usable(
    qtbot,
    make_window,
    dialogs: DialogRecorder,
    tiny_models_dir: Path,
    tmp_path: Path,
) -> None:
    window = make_window()
    broken = write_corrupt_image(tmp_path)
    with qtbot.waitSignal(window.caseFailed, timeout=TIMEOUT_MS):
        window.open_path(broken)
    assert len(dialogs.calls) == 1
    title, text = dialogs.calls[0]
    assert title == "Cannot open image" and "broken.png" in text
    assert "Traceback" not in text
    analysis = open_and_wait(qtbot, window, NORMAL_SAMPLE)
    assert analysis.result_for("pneumonia").probability is not None
    assert len(dialogs.calls) == 1


def test_the_gui_thread_is_never_blocked_over_100_ms_during_an_analysis(
    qtbot,
    make_window,
    tiny_models_dir: Path,
) -> None:
    window = make_window()
    with qtbot.waitSignal(window.modelsReady, timeout=TIMEOUT_MS):
        window.start_models()
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    largest = samples_dir() / "unlabeled_chest" / "00000001_000.png"  # 1024 x 1024
    open_and_wait(qtbot, window, largest)
    with qtbot.waitSignal(window.analysisShown, timeout=TIMEOUT_MS):
        window.heatmap.method.setCurrentIndex(window.heatmap.method.findData("scorecam"))
    timer.stop()
    print(f"event-loop gaps during analysis: {len(gaps)} ticks, max {max(gaps) * 1000:.1f} ms")
    assert len(gaps) > 5
    assert max(gaps) < 0.100, f"event loop stalled for {max(gaps) * 1000:.0f} ms"


def test_teaching_mode_hides_the_answer_until_reveal_then_shows_the_true_label(
    qtbot,
    make_window,
    tiny_models_dir: Path,
) -> None:
    window = make_window(teaching=True)
    open_and_wait(qtbot, window, PNEUMONIA_SAMPLE)
    grey = to_display_gray(window._current.radiograph.pixels, window.viewer.window_level())
    assert window.results.cards() == []
    assert window.results.reveal_button.isVisible()
    assert not window.results.truth.isVisible()
    assert np.array_equal(window.viewer.displayed_pixels()[..., 0], grey)  # no heatmap yet
    assert not window.heatmap.isEnabled()
    shown_text = " ".join(
        [*window.viewer._info_lines, window.status_label.text(), window.case_list.list.item(0).text()]
    )
    assert "PNEUMONIA" not in shown_text.upper()  # the sample's file name would give the answer away
    assert "VIRUS" not in shown_text.upper()
    window.action("reveal").trigger()
    qtbot.waitUntil(lambda: bool(window.results.cards()), timeout=5000)
    assert window.results.truth.isVisible()
    assert "Pneumonia: present" in window.results.truth.text()
    assert not np.array_equal(window.viewer.displayed_pixels()[..., 0], grey)  # heatmap now blended
    assert window.font().pointSizeF() > 12  # projector-sized text


def test_switching_method_recomputes_once_and_reports_each_methods_time(
    qtbot,
    make_window,
    tiny_models_dir: Path,
) -> None:
    window = make_window()
    open_and_wait(qtbot, window, PNEUMONIA_SAMPLE)
    with qtbot.waitSignal(window.analysisShown, timeout=TIMEOUT_MS):
        window.heatmap.method.setCurrentIndex(window.heatmap.method.findData("gradcam++"))
    text = window.heatmap.timings.text()
    assert "Grad-CAM " in text and "Grad-CAM++ " in text
    jobs: list[str] = []
    window.models.jobStarted.connect(lambda _i, kind: jobs.append(kind))
    with qtbot.waitSignal(window.analysisShown, timeout=5000):
        window.heatmap.method.setCurrentIndex(window.heatmap.method.findData("gradcam"))  # cached: no new job
    qtbot.wait(100)
    assert jobs == []


def test_a_task_without_a_model_says_so(qtbot, make_window, tmp_path: Path, monkeypatch) -> None:
    empty = tmp_path / "no_models"
    Registry.empty(empty / "registry.json").save()
    monkeypatch.setenv("XRAY_DESKTOP_MODELS", str(empty))
    window = make_window()
    open_and_wait(qtbot, window, KNEE_SAMPLE)
    cards = window.results.cards()
    assert {c.task for c in cards} == {"osteoarthritis", "osteoporosis"}
    assert all(
        "No model installed" in " ".join(w.text() for w in c.findChildren(type(window.status_label))) for c in cards
    )


def test_dicom_overlay_shows_modality_without_patient_identity_and_toggles(
    qtbot,
    make_window,
    tiny_models_dir: Path,
) -> None:
    window = make_window()
    open_and_wait(qtbot, window, samples_dir() / "dicom" / "CR-MONO1-10-chest")
    lines = "\n".join(window.viewer._info_lines)
    assert "Modality: CR" in lines
    radiograph = window._current.radiograph
    identity = radiograph.dicom.display_fields(deidentified=False)
    for label in ("Patient name", "Patient ID"):
        if label in identity:
            assert identity[label] not in lines
    assert window.viewer.info_visible()
    window.action("info").trigger()
    assert not window.viewer.info_visible()


def test_view_settings_are_remembered_for_the_account(qtbot, make_window, isolated_home: Path) -> None:
    window = make_window()
    window.heatmap.opacity.setValue(70)
    window.heatmap.colormap.setCurrentText("inferno")
    window.action("dark").trigger()
    window.close()
    assert not (isolated_home / "ui_settings.ini").exists()  # per account, sealed: not a shared INI file
    again = make_window()
    assert again.heatmap.opacity.value() == 70
    assert again.heatmap.colormap.currentText() == "inferno"
    assert again.action("dark").isChecked()
    assert Preferences(username=again.session.username).recent_files == []


def test_dropping_a_file_opens_it(qtbot, make_window, tiny_models_dir: Path) -> None:
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    window = make_window()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(NORMAL_SAMPLE)), QUrl.fromLocalFile(str(PNEUMONIA_SAMPLE))])
    event = QDropEvent(
        QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    with qtbot.waitSignal(window.analysisShown, timeout=TIMEOUT_MS):
        window.dropEvent(event)
    assert window._current.path == NORMAL_SAMPLE
    assert window.case_list.paths() == [PNEUMONIA_SAMPLE, NORMAL_SAMPLE]


def test_a_worker_failure_without_a_handler_reaches_a_dialog(
    qtbot, make_window, dialogs: DialogRecorder, tmp_path: Path
) -> None:
    from xray_desktop.ui.engine import LoadJob

    window = make_window()
    with qtbot.waitSignal(window.models.unhandledFailure, timeout=TIMEOUT_MS):
        window.models.submit(LoadJob(write_corrupt_image(tmp_path, "orphan.png")))
    assert len(dialogs.calls) == 1 and "orphan.png" in dialogs.calls[0][1]


def test_recent_files_are_remembered_and_reopen(qtbot, make_window, tiny_models_dir: Path) -> None:
    window = make_window()
    with qtbot.waitSignal(window.analysisShown, timeout=TIMEOUT_MS):
        window.open_path(KNEE_SAMPLE)
    window.close()
    again = make_window()
    entries = [a for a in again.recent_menu.actions() if a.text() == str(KNEE_SAMPLE.resolve())]
    assert len(entries) == 1
    with qtbot.waitSignal(again.analysisShown, timeout=TIMEOUT_MS):
        entries[0].trigger()
    assert again._current.path == KNEE_SAMPLE.resolve()


def test_a_colour_photo_gets_the_plausibility_warning(qtbot, make_window, tiny_models_dir: Path, tmp_path) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    photo = tmp_path / "holiday.png"
    Image.fromarray(rng.integers(0, 255, (300, 300, 3), dtype=np.uint8)).save(photo)
    window = make_window()
    open_and_wait(qtbot, window, photo)
    assert window.results.warnings.isVisible()
    assert "radiograph" in window.results.warnings.text() and "holiday.png" in window.results.warnings.text()


def test_export_report_writes_a_pdf_with_the_result(qtbot, make_window, tiny_models_dir: Path, tmp_path, monkeypatch):
    from pypdf import PdfReader
    from PySide6.QtWidgets import QFileDialog

    window = make_window()
    open_and_wait(qtbot, window, PNEUMONIA_SAMPLE)
    out = tmp_path / "case.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PDF (*.pdf)"))
    assert window.action("report").isEnabled()
    with qtbot.waitSignal(window.models.jobResult, timeout=TIMEOUT_MS):
        window.action("report").trigger()
    text = " ".join(page.extract_text() for page in PdfReader(out).pages)
    assert "not a medical device" in text
    assert "Tiny test model (pneumonia)" in text
    assert "Report written" in window.status_label.text()
