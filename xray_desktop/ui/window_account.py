"""The window's per-user side: history, application settings, idle lock, lock and log-out.

A mixin of MainWindow (kept in its own module so main_window.py stays about viewing
and analysing). It uses the window's `services`, `session`, `models`, `feedback`,
`heatmap` and a few of its methods.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from xray_desktop import __version__
from xray_desktop.errors import XRayError
from xray_desktop.services.session import Session
from xray_desktop.ui.case_state import CaseState
from xray_desktop.ui.engine import AnalysisOutcome
from xray_desktop.ui.heatmap_controls import METHODS
from xray_desktop.ui.idle_guard import IdleGuard
from xray_desktop.ui.window_menus import refresh_permissions


class WindowAccountMixin:
    def _record_history(self, state: CaseState, outcome: AnalysisOutcome) -> None:
        """Keep the first analysis of each opened case; a history failure is reported, never fatal."""
        if self.services is None or self.services.history is None:
            return
        try:
            entry = self.services.history.record_analysis(self.session, outcome.analysis)
        except XRayError as exc:
            self.status_label.setText(f"Not saved to history: {exc}")
            return
        state.history_id = entry.id

    def _connect_settings(self):
        """Apply the saved application settings and follow later changes; start the idle lock."""
        if self.services is None or self.services.settings is None:
            return None
        settings = self.services.settings.get()
        self.apply_settings(settings, initial=True)
        self.services.settings.subscribe(lambda new: QTimer.singleShot(0, lambda: self.apply_settings(new)))
        if self.services.auth is not None:
            from xray_desktop.security.idle import IdleLock

            self.idle_guard = IdleGuard(IdleLock(settings.idle_lock_minutes), self.lock_session, self)
            QApplication.instance().installEventFilter(self.idle_guard)
        return settings

    def apply_settings(self, settings, initial: bool = False) -> None:
        """Settings saved in the Settings dialog: method, map hiding, theme, fonts, idle lock; the opacity and
        colormap there are defaults, so at start-up the remembered view values (QSettings) win. A changed
        threshold override or map-hiding rule makes cached results stale, so they are recomputed."""
        stale = not initial and (
            bool(settings.hide_map_when_negative) != self._hide_negative_maps
            or dict(settings.threshold_overrides) != getattr(self, "_applied_overrides", {})
        )
        self._applied_overrides = dict(settings.threshold_overrides)
        self._hide_negative_maps = bool(settings.hide_map_when_negative)
        if settings.method in METHODS and settings.method != self._method:
            self.heatmap.set_method(settings.method)
            if initial:
                self._method = settings.method
            else:
                self._on_method(settings.method)
        if not initial:
            self.heatmap.opacity.setValue(round(settings.heatmap_alpha * 100))
            if settings.colormap != self._colormap:
                self.heatmap.set_colormap(settings.colormap)
                self._on_colormap(settings.colormap)
            self.dark_action.setChecked(settings.theme == "dark")
            if settings.teaching_mode != self._teaching:
                self.set_teaching(settings.teaching_mode)
        if self.idle_guard is not None:
            self.idle_guard.lock.set_minutes(settings.idle_lock_minutes)
        if stale:
            self.forget_results()
            if self._current is not None and self._current.radiograph is not None:
                self._show_or_analyse(self._current)

    def set_session(self, session: Session) -> None:
        """Another user logged in: services, permissions and the title follow; open cases stay."""
        self.session = session
        self.models.worker.engine.session = session  # read by the next job; the model thread keeps its models
        if self.feedback is not None:
            self.feedback.set_session(session)
        title = f"XRay Desktop {__version__} — {session.username} ({session.role.value})"
        self.setWindowTitle(title + (" — teaching mode" if self._teaching else ""))
        refresh_permissions(self)

    def lock_session(self) -> None:
        """Hide the images and ask the same user to log in again; cancelling logs out and closes."""
        if self.services is None or self.services.auth is None:
            return
        from xray_desktop.ui.login_dialog import run_login

        guard = self.idle_guard
        if guard is not None:
            guard.lock.lock_now()
        self.centralWidget().hide()
        self.session.record("locked")
        session = run_login(
            self.services.auth,
            self,
            username=self.session.username,
            fixed_user=True,
            notice="The window was locked. Log in again to continue.",
        )
        if session is None:
            self.services.auth.logout(self.session, reason="idle")
            self._logged_out = True
            self.close()
            return
        if guard is not None:
            guard.lock.unlocked()
        self.set_session(session)
        self.centralWidget().show()

    def log_out(self) -> None:
        """Log out and let someone else log in (open cases are cleared first, for privacy)."""
        if self.services is None or self.services.auth is None:
            return
        from xray_desktop.ui.login_dialog import run_login

        self.services.auth.logout(self.session, reason="user")
        self.forget_results(clear_cases=True)
        session = run_login(self.services.auth, self)
        if session is None:
            self._logged_out = True
            self.close()
            return
        self.set_session(session)

    def forget_results(self, clear_cases: bool = False) -> None:
        """Drop cached analyses (after a model change); with `clear_cases` also the images and the list."""
        if clear_cases:
            self._cases.clear()
            self._current = None
            self.case_list.list.clear()
            self.viewer.set_image(None)
            self.results.clear()
            if self.feedback is not None:
                self.feedback.set_analysis(None)
            return
        for state in self._cases.values():
            state.outcomes.clear()
            state.clear_colour_cache()
