"""The window with the per-user services: history, feedback, settings, lock and log-out, About."""

from __future__ import annotations

from pathlib import Path

import pytest
from ui_support import PNEUMONIA_SAMPLE, analyse

from xray_desktop.security.permissions import Role
from xray_desktop.services.session import Session
from xray_desktop.ui import login_dialog
from xray_desktop.ui.about_dialog import ATTRIBUTION, AboutDialog
from xray_desktop.ui.app_services import AppServices
from xray_desktop.ui.main_window import MainWindow

pytestmark = pytest.mark.slow


def test_an_analysis_is_kept_in_history_and_offered_for_feedback(
    qtbot,
    window: MainWindow,
    services: AppServices,
    tiny_models_dir: Path,
) -> None:
    analysis = analyse(qtbot, window)
    entries = services.history.list_history(window.session)
    assert len(entries) == 1 and entries[0].image_sha256 == analysis.image_sha256
    assert window._current.history_id == entries[0].id
    assert window.feedback is not None and window.feedback.current_task() == "pneumonia"
    window.open_path(PNEUMONIA_SAMPLE)  # shown again from the cache: not recorded twice
    assert len(services.history.list_history(window.session)) == 1


def test_teaching_mode_keeps_the_feedback_form_empty_until_reveal(
    qtbot,
    window: MainWindow,
    tiny_models_dir: Path,
) -> None:
    window.set_teaching(True)
    analyse(qtbot, window)
    assert window.feedback.current_task() is None
    window.reveal()
    assert window.feedback.current_task() == "pneumonia"


def test_saved_settings_change_the_window(qtbot, window: MainWindow, services: AppServices) -> None:
    services.settings.update(window.session, heatmap_alpha=0.8, colormap="inferno", theme="dark", idle_lock_minutes=3)
    qtbot.waitUntil(lambda: window.heatmap.opacity.value() == 80, timeout=5000)
    assert window.heatmap.colormap.currentText() == "inferno"
    assert window.action("dark").isChecked()
    assert window.idle_guard is not None and window.idle_guard.lock.minutes == 3


def test_lock_hides_the_images_and_unlocking_resumes_the_same_user(
    qtbot,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[dict] = []

    def fake_login(auth, parent=None, **options):
        seen.append(options)
        assert not window.centralWidget().isVisible()  # nothing on screen while locked
        return Session(window.session.username, window.session.role, auth.audit)

    monkeypatch.setattr(login_dialog, "run_login", fake_login)
    window.lock_session()
    assert seen and seen[0]["username"] == "admin" and seen[0]["fixed_user"] is True
    assert window.centralWidget().isVisible()
    assert not window.idle_guard.lock.locked


def test_logging_out_clears_the_cases_and_a_student_loses_batch(
    qtbot,
    window: MainWindow,
    services: AppServices,
    monkeypatch: pytest.MonkeyPatch,
    tiny_models_dir: Path,
) -> None:
    analyse(qtbot, window)
    monkeypatch.setattr(login_dialog, "run_login", lambda auth, parent=None, **o: Session("stud", Role.STUDENT))
    window.log_out()
    assert window.case_list.paths() == []
    assert not window.viewer.has_image()
    assert window.session.username == "stud"
    assert not window.action("batch").isEnabled()
    assert not window.action("users").isVisible()
    window.close()
    events = [(e.actor, e.event, e.details.get("reason")) for e in services.auth.audit.entries()]
    assert ("admin", "logout", "user") in events and ("stud", "logout", "exit") in events


def test_about_box_lists_versions_models_and_dataset_credits(qtbot, tiny_models_dir: Path) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    text = dialog.text.toPlainText()
    assert "not a medical device" in text
    assert "Tiny test model (pneumonia) v0.0.1" in text and "validation AUC" in text
    assert "Fracture: no model installed" in text
    assert "Kermany" in text and "Chen" in text and "ChestX-ray14" in text and "CC BY 4.0" in text
    assert len(ATTRIBUTION) >= 3
    assert "TensorFlow" in text and "Qt for Python" in text


def test_start_up_asks_for_the_first_administrator_then_logs_in(
    qtbot,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    auth_service,
) -> None:
    from xray_desktop.ui import first_admin_dialog, startup

    monkeypatch.setattr("xray_desktop.services.auth.AuthService.open", classmethod(lambda cls, home=None: auth_service))
    calls: list[str] = []

    def first_admin(auth, parent=None):
        calls.append("first_admin")
        return auth.create_first_admin("boss", "Correct-horse-42")

    def login(auth, parent=None, **options):
        calls.append("login")
        return None  # the user cancels

    monkeypatch.setattr(first_admin_dialog, "run_first_admin", first_admin)
    monkeypatch.setattr(login_dialog, "run_login", login)
    session, services = startup.interactive_login()
    assert session.username == "boss" and session.role is Role.ADMIN
    assert services.auth is auth_service and services.history is not None
    assert startup.interactive_login() is None  # an account exists now: the login dialog, cancelled
    assert calls == ["first_admin", "login"]


def test_cancelling_the_login_exits_without_a_window(qtbot) -> None:
    from xray_desktop.ui.app import GuiOptions, run_gui

    assert run_gui(GuiOptions(), login=lambda: None) == 0


def test_an_admin_threshold_override_decides_and_a_change_reanalyses(
    qtbot, window: MainWindow, services: AppServices, tiny_models_dir: Path
) -> None:
    first = analyse(qtbot, window).result_for("pneumonia")
    assert first.threshold_source == "registry"
    with qtbot.waitSignal(window.analysisShown, timeout=60000) as blocker:
        services.settings.update(window.session, threshold_overrides={"pneumonia": 0.999})
    again = blocker.args[0].result_for("pneumonia")
    assert again.threshold == 0.999 and again.threshold_source == "admin override"
    assert again.decision is (again.probability >= 0.999)
