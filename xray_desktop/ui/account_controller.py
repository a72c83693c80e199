"""The window's per-user side: history, application settings, idle lock, lock and log-out.

A new log-in replaces the window's session; jobs already queued keep the session they were
created with (each job carries its own), so nothing changes a session another thread is using.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QApplication

from xray_desktop.errors import XRayError
from xray_desktop.services.session import Session
from xray_desktop.ui.account_switch import forget_account, load_account
from xray_desktop.ui.case_state import CaseState
from xray_desktop.ui.engine import AnalysisOutcome
from xray_desktop.ui.gui_thread import call_on_gui_thread
from xray_desktop.ui.heatmap_controls import METHODS
from xray_desktop.ui.idle_guard import IdleGuard

if TYPE_CHECKING:
    from xray_desktop.ui.main_window import MainWindow


class AccountController:
    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self.idle_guard: IdleGuard | None = None
        self.logged_out = False  # set once the audit log has the log-out, so closing does not repeat it
        self._applied_overrides: dict[str, float] = {}

    def record_history(self, state: CaseState, outcome: AnalysisOutcome) -> None:
        """Keep the first analysis of each opened case; a history failure is reported, never fatal."""
        services = self.w.services
        if services is None or services.history is None:
            return
        try:
            entry = services.history.record_analysis(self.w.session, outcome.analysis)
        except XRayError as exc:
            self.w.status_label.setText(f"Not saved to history: {exc}")
            return
        state.history_id = entry.id

    def connect_settings(self) -> Any | None:
        """Apply the saved application settings and follow later changes; start the idle lock."""
        services = self.w.services
        if services is None or services.settings is None:
            return None
        settings = services.settings.get()
        self.apply_settings(settings, initial=True)
        services.settings.subscribe(lambda new: call_on_gui_thread(lambda: self.apply_settings(new)))
        if services.auth is not None:
            from xray_desktop.security.idle import IdleLock

            self.idle_guard = IdleGuard(IdleLock(settings.idle_lock_minutes), self.lock_session, self.w)
            app = QApplication.instance()
            assert app is not None
            app.installEventFilter(self.idle_guard)
        return settings

    def apply_settings(self, settings: Any, initial: bool = False) -> None:
        """Settings saved in the Settings dialog: method, map hiding, theme, fonts, idle lock; the opacity and
        colormap there are defaults, so at start-up the remembered view values (QSettings) win. A changed
        threshold override or map-hiding rule makes cached results stale, so they are recomputed."""
        w, analysis = self.w, self.w.analysis
        stale = not initial and (
            bool(settings.hide_map_when_negative) != analysis.hide_negative_maps
            or dict(settings.threshold_overrides) != self._applied_overrides
        )
        self._applied_overrides = dict(settings.threshold_overrides)
        collapse = bool(getattr(settings, "collapse_outside_population", True))
        if collapse != analysis.collapse_outside:
            analysis.collapse_outside = collapse
            analysis.apply_population_policy()
        analysis.hide_negative_maps = bool(settings.hide_map_when_negative)
        if settings.method in METHODS and settings.method != analysis.method:
            w.heatmap.set_method(settings.method)
            if initial:
                analysis.method = settings.method
            else:
                analysis.on_method(settings.method)
        if not initial:
            w.heatmap.opacity.setValue(round(settings.heatmap_alpha * 100))
            if settings.colormap != analysis.colormap:
                w.heatmap.set_colormap(settings.colormap)
                analysis.on_colormap(settings.colormap)
            w.action("dark").setChecked(settings.theme == "dark")
            if settings.teaching_mode != analysis.teaching:
                analysis.set_teaching(settings.teaching_mode)
        if self.idle_guard is not None:
            self.idle_guard.lock.set_minutes(settings.idle_lock_minutes)
        current = w.cases.current
        if stale:
            w.cases.forget()
            if current is not None and current.radiograph is not None:
                analysis.show_or_analyse(current)

    def set_session(self, session: Session) -> None:
        """Another user logged in: services, permissions and the title follow; open cases stay."""
        w = self.w
        w.session = session
        load_account(w, session.username)
        if w.feedback is not None:
            w.feedback.set_session(session)
        w.update_title()
        w.refresh_permissions()
        w.analysis.apply_population_policy()

    def lock_session(self) -> None:
        """Hide the images and ask the same user to log in again; cancelling logs out and closes."""
        w = self.w
        if w.services is None or w.services.auth is None:
            return
        from xray_desktop.ui.login_dialog import run_login

        guard = self.idle_guard
        if guard is not None:
            guard.lock.lock_now()
        w.splitter.hide()
        w.session.record("locked")
        session = run_login(
            w.services.auth,
            w,
            username=w.session.username,
            fixed_user=True,
            notice="The window was locked. Log in again to continue.",
        )
        if session is None:
            w.services.auth.logout(w.session, reason="idle")
            self.logged_out = True
            w.close()
            return
        if guard is not None:
            guard.lock.unlocked()
        self.set_session(session)
        w.splitter.show()

    def log_out(self) -> None:
        """Log out and let someone else log in (open cases are cleared first, for privacy)."""
        w = self.w
        if w.services is None or w.services.auth is None:
            return
        from xray_desktop.ui.login_dialog import run_login

        w.services.auth.logout(w.session, reason="user")
        w.cases.forget(clear_cases=True)
        forget_account(w)
        session = run_login(w.services.auth, w)
        if session is None:
            self.logged_out = True
            w.close()
            return
        self.set_session(session)

    def close(self) -> None:
        """The window closes: stop the idle lock and log the session out once."""
        w = self.w
        if self.idle_guard is not None:
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self.idle_guard)
            self.idle_guard.timer.stop()
        if w.services is not None and w.services.auth is not None and not self.logged_out:
            self.logged_out = True
            w.services.auth.logout(w.session, reason="exit")
