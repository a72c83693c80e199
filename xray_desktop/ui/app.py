"""Start the window: QApplication, theme, session, window shown first, models warmed up after.

TensorFlow is imported only by the model thread, after the window is on screen.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from xray_desktop.errors import EXIT_INPUT, EXIT_OK, InputError, XRayError
from xray_desktop.services.session import Session
from xray_desktop.ui.app_services import AppServices
from xray_desktop.ui.error_dialog import configure_logging, install_excepthook
from xray_desktop.ui.main_window import MainWindow
from xray_desktop.ui.preferences import Preferences
from xray_desktop.ui.preload import SessionPreload
from xray_desktop.ui.startup import audited_os_session, interactive_login

APP_ID = "XRayDesktop"
SCREENSHOT_SIZE = (1360, 840)


def ensure_app(argv: Sequence[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "xray-desktop", *(argv or [])])
        app.setApplicationName(APP_ID)
        app.setOrganizationName(APP_ID)
        app.setApplicationDisplayName("XRay Desktop")
    return app  # type: ignore[return-value]


@dataclass
class GuiOptions:
    open_paths: list[Path] = field(default_factory=list)
    teaching: bool = False
    theme: str | None = None
    screenshot: Path | None = None
    timings: Path | None = None  # write {"window_shown": t, "first_result": t} (epoch seconds) here
    timeout_s: float = 120.0


def wait_for_case(window: MainWindow, timeout_s: float) -> bool:
    """Spin the event loop until the current case shows a result (True) or fails / times out (False)."""
    loop = QEventLoop()
    outcome: dict[str, bool] = {}

    def done(ok: bool) -> None:
        outcome.setdefault("ok", ok)
        loop.quit()

    window.analysisShown.connect(lambda _r: done(True))
    window.caseFailed.connect(lambda _m: done(False))
    QTimer.singleShot(int(timeout_s * 1000), lambda: done(False))
    loop.exec()
    return outcome.get("ok", False)


def wait_until_idle(window: MainWindow, timeout_s: float) -> bool:
    """Spin the event loop until the model thread has no job left (e.g. the warm-up after a first result)."""
    if not window.models.busy():
        return True
    loop = QEventLoop()
    window.models.busyChanged.connect(lambda busy: None if busy else loop.quit())
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    return not window.models.busy()


def save_screenshot(window: MainWindow, out: Path) -> Path:
    QApplication.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(out)):
        raise OSError(f"{out}: could not write the screenshot")
    return out


def _apply_thread_setting(engine: object, services: AppServices | None) -> None:
    """The admin's `inference_threads` setting (0 = the machine's cores) for the sessions opened from now on."""
    settings = getattr(services, "settings", None)
    threads = settings.get().inference_threads if settings is not None else 0
    if threads:
        engine.threads = threads  # type: ignore[attr-defined]
        manager = getattr(engine, "_manager", None)
        if manager is not None and manager.threads != threads:
            manager.threads = threads
            manager.unload()  # preloaded with the default count: reopen (a fraction of a second each)


Login = Callable[[], tuple[Session, AppServices | None] | None]


def screenshot_login() -> tuple[Session, AppServices | None]:
    return audited_os_session(), None


def run_gui(options: GuiOptions, login: Login | None = None) -> int:
    """The `xray-desktop gui` command. The window logs in; screenshot runs are non-interactive (OS session)."""
    if options.screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = ensure_app()
    configure_logging()
    if login is None:
        login = screenshot_login if options.screenshot is not None else interactive_login
    preload = SessionPreload()
    preload.start()  # the models' sessions load on a model thread while the user logs in
    logged_in = login()
    if logged_in is None:
        preload.stop()
        return EXIT_OK  # the user cancelled the login
    session, services = logged_in
    engine = preload.engine
    _apply_thread_setting(engine, services)
    prefs = Preferences(username=session.username)
    if options.theme:
        prefs.theme = options.theme
    window = MainWindow(session, engine=engine, preferences=prefs, teaching=options.teaching, services=services)
    errors: list[BaseException] = []
    if options.screenshot is not None:
        window.error_sink = lambda _title, exc: errors.append(exc)  # nobody is there to close a dialog
        window.resize(*SCREENSHOT_SIZE)  # the offscreen screen is small; a remembered geometry would be clamped
    else:
        install_excepthook(lambda: window)
    window.show()
    timings: dict[str, float] = {}
    QApplication.processEvents()
    timings["window_shown"] = time.time()
    preload.stop()  # the window's model thread takes over; what is loaded stays loaded
    window.start_models()
    status = EXIT_OK
    if options.open_paths:
        window.open_path(options.open_paths[0])
        for extra in options.open_paths[1:]:
            window.case_list.add_case(extra)
    if options.screenshot is not None or options.timings is not None:
        ok = wait_for_case(window, options.timeout_s) if options.open_paths else True
        timings["first_result"] = time.time()
        if options.screenshot is not None:
            save_screenshot(window, options.screenshot)
        if options.timings is not None:
            options.timings.write_text(json.dumps(timings), encoding="utf-8")
        status = EXIT_OK if ok else EXIT_INPUT
        if options.screenshot is not None:
            window.close()
            if errors:
                raise errors[0] if isinstance(errors[0], XRayError) else InputError(f"{errors[0]}")
            if not ok:
                raise InputError(f"{options.open_paths[0]}: no analysis within {options.timeout_s:g} s")
            return status
    app.exec()
    return status


__all__ = ["GuiOptions", "ensure_app", "run_gui", "save_screenshot", "wait_for_case"]
