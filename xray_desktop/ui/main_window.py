"""The main window: a thin shell that lays out the widgets; controllers do the work.

`CaseController` opens cases, `AnalysisController` analyses them and shows the outcome,
`AccountController` handles history, settings, lock and log-out; the commands are one action
table (`window_actions`). Dependencies are passed in (the session, the engine, the
preferences), so tests and screenshots build a window with an explicit session and no login.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMenu,
    QProgressBar,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from xray_desktop import __version__
from xray_desktop.services.session import Session
from xray_desktop.ui.about_dialog import AboutDialog
from xray_desktop.ui.account_controller import AccountController
from xray_desktop.ui.actions import ActionTable
from xray_desktop.ui.analysis_controller import AnalysisController
from xray_desktop.ui.app_services import AppServices
from xray_desktop.ui.case_controller import OPEN_FILTER, CaseController
from xray_desktop.ui.case_list import CaseList
from xray_desktop.ui.case_state import CaseState
from xray_desktop.ui.engine import AnalysisEngine
from xray_desktop.ui.error_dialog import show_error
from xray_desktop.ui.feedback_widget import FeedbackWidget
from xray_desktop.ui.heatmap_controls import HeatmapControls
from xray_desktop.ui.idle_guard import IdleGuard
from xray_desktop.ui.job_tracker import JobTracker
from xray_desktop.ui.map_check_controller import MapCheckController
from xray_desktop.ui.map_check_widget import MapCheckBar
from xray_desktop.ui.preferences import Preferences
from xray_desktop.ui.results_panel import ResultsPanel
from xray_desktop.ui.samples import SampleCase, load_samples
from xray_desktop.ui.theme import apply_theme
from xray_desktop.ui.viewer import ImageViewer
from xray_desktop.ui.window_actions import build_menus, fill_samples_menu, window_actions
from xray_desktop.ui.worker import ModelThread

__all__ = ["OPEN_FILTER", "MainWindow"]


class MainWindow(QMainWindow):
    analysisShown = Signal(object)  # AnalysisResult now on screen
    caseFailed = Signal(str)  # message of a case that could not be opened or analysed
    modelsReady = Signal(object)  # WarmUpReport, or the exception when warm-up failed
    mapChecked = Signal(object)  # MapCheckOutcome of "Check this map"

    recent_menu: QMenu
    samples_menu: QMenu

    def __init__(
        self,
        session: Session,
        *,
        engine: AnalysisEngine | None = None,
        preferences: Preferences | None = None,
        teaching: bool = False,
        services: AppServices | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.services = services
        self.prefs = preferences or Preferences(username=session.username)  # this account's, sealed
        self.theme = self.prefs.theme
        self.models = ModelThread(engine or AnalysisEngine(), self)
        self.jobs = JobTracker(self.models)
        # Where errors go: a dialog; non-interactive runs (screenshots) replace it to collect them instead.
        self.error_sink: Callable[[str, BaseException], None] = lambda title, exc: show_error(self, title, exc)
        self.models.unhandledFailure.connect(lambda exc: self.error_sink("Error", exc))
        self.models.busyChanged.connect(self._set_busy)
        self.samples: list[SampleCase] = load_samples()
        self.cases = CaseController(self)
        self.analysis = AnalysisController(self)
        self.account = AccountController(self)
        self.map_checks = MapCheckController(self)

        self.setAcceptDrops(True)
        self._build_widgets()
        self.actions_table = ActionTable(self, window_actions(self))
        build_menus(self, self.actions_table)
        self.cases.rebuild_recent()
        fill_samples_menu(self)
        self._build_status_bar()
        self._restore_geometry()
        self.update_title()
        apply_theme(QApplication.instance(), self.theme)
        settings = self.account.connect_settings()
        self.set_teaching(teaching or bool(settings is not None and settings.teaching_mode))
        self.refresh_permissions()

    # ----- construction ---------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        analysis = self.analysis
        self.viewer = ImageViewer()
        self.viewer.setAcceptDrops(False)  # drops go to the window
        self.case_list = CaseList()
        self.case_list.caseActivated.connect(self.open_path)
        self.results = ResultsPanel()
        self.results.taskSelected.connect(analysis.select_map_task)
        self.results.revealRequested.connect(analysis.reveal)
        self.results.set_body_part(analysis.body_part)
        self.results.bodyPartChosen.connect(analysis.set_body_part)
        self.results.populationShown.connect(lambda _task: analysis.update_map())
        self.heatmap = HeatmapControls()
        self.heatmap.opacity.setValue(self.prefs.opacity)
        self.heatmap.set_colormap(analysis.colormap)
        self.heatmap.set_method(analysis.method)
        self.viewer.set_opacity(self.prefs.opacity / 100.0)
        self.heatmap.opacityChanged.connect(analysis.on_opacity)
        self.heatmap.colormapChanged.connect(analysis.on_colormap)
        self.heatmap.methodChanged.connect(analysis.on_method)
        self.heatmap.taskChanged.connect(analysis.select_map_task)
        self.heatmap.heatmapToggled.connect(self.viewer.set_heatmap_visible)
        self.heatmap.boxesToggled.connect(self.viewer.set_boxes_visible)

        self.right_panel = right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(6, 6, 6, 6)
        right_layout.addWidget(self.results, 1)
        self.map_check = MapCheckBar()
        self.map_check.checkRequested.connect(self.map_checks.check)
        self.map_check.cancelRequested.connect(self.map_checks.cancel)
        right_layout.addWidget(self.map_check)
        self.feedback: FeedbackWidget | None = None
        if self.services is not None and self.services.feedback is not None:
            self.feedback = FeedbackWidget(self.services.feedback, self.session)
            self.tools_tabs = QTabWidget()
            self.tools_tabs.addTab(self.heatmap, "Explanation")
            self.tools_tabs.addTab(self.feedback, "Feedback")
            self.heatmap.setTitle("")
            right_layout.addWidget(self.tools_tabs)
        else:
            right_layout.addWidget(self.heatmap)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(6, 6, 0, 6)
        left_layout.addWidget(self.case_list)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.viewer)
        self.splitter.addWidget(right)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([220, 760, 340])
        left.setMinimumWidth(160)
        right.setMinimumWidth(300)
        self.setCentralWidget(self.splitter)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.status_label = QLabel("Ready")
        self.model_status = QLabel("Models: not loaded yet")
        self.busy_bar = QProgressBar()
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.setMaximumHeight(14)
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.hide()
        status.addWidget(self.status_label, 1)
        status.addPermanentWidget(self.busy_bar)
        status.addPermanentWidget(self.model_status)

    def _restore_geometry(self) -> None:
        geometry = self.prefs.geometry
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1320, 820)
        state = self.prefs.qsettings.value("window/splitter")
        if state is not None:
            self.splitter.restoreState(state)

    def _set_busy(self, busy: bool) -> None:
        self.busy_bar.setVisible(busy)

    # ----- the shell's own small jobs ------------------------------------------------------------------
    def action(self, name: str) -> QAction:
        """The window's QAction called `name` in the action table (see window_actions)."""
        return self.actions_table[name]

    def refresh_permissions(self) -> None:
        """Enable the entries the current role may use (after a login as someone else)."""
        self.actions_table.refresh(self.session)
        self.analysis.update_report_action()

    def update_title(self) -> None:
        title = f"XRay Desktop {__version__} — {self.session.username} ({self.session.role.value})"
        self.setWindowTitle(title + (" — teaching mode" if self.analysis.teaching else ""))

    def fill_samples_menu(self) -> None:
        fill_samples_menu(self)

    def set_dark(self, dark: bool) -> None:
        self.theme = "dark" if dark else "light"
        self.prefs.theme = self.theme
        apply_theme(QApplication.instance(), self.theme, teaching=self.analysis.teaching)

    def show_about(self) -> None:
        AboutDialog(self).exec()

    # ----- the public surface (tests, the app, the wizard) delegate to the controllers -----------------
    @property
    def _current(self) -> CaseState | None:
        return self.cases.current

    @property
    def idle_guard(self) -> IdleGuard | None:
        return self.account.idle_guard

    def open_path(self, path: Path | str) -> None:
        self.cases.open_path(path)

    def open_batch(self, folder: Path) -> Any:
        return self.cases.open_batch(folder)

    def start_models(self) -> None:
        """Start the model thread and warm the installed models up; call after the window is shown."""
        self.analysis.start_models()

    def body_part(self) -> str:
        return self.analysis.body_part

    def set_body_part(self, choice: str) -> None:
        self.analysis.set_body_part(choice)

    def select_map_task(self, task: str) -> None:
        self.analysis.select_map_task(task)

    def set_teaching(self, on: bool) -> None:
        self.analysis.set_teaching(on)

    def teaching(self) -> bool:
        return self.analysis.teaching

    def reveal(self) -> None:
        self.analysis.reveal()

    def check_map(self) -> None:
        self.map_checks.check()

    def cancel_map_check(self) -> None:
        self.map_checks.cancel()

    def export_report(self) -> None:
        self.analysis.export_report()

    def apply_settings(self, settings: Any, initial: bool = False) -> None:
        self.account.apply_settings(settings, initial)

    def set_session(self, session: Session) -> None:
        self.account.set_session(session)

    def lock_session(self) -> None:
        self.account.lock_session()

    def log_out(self) -> None:
        self.account.log_out()

    def forget_results(self, clear_cases: bool = False) -> None:
        self.cases.forget(clear_cases)

    # ----- drag and drop, closing ------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        event.acceptProposedAction()
        QTimer.singleShot(0, lambda: self.cases.dropped(paths))  # after the drag source's event returns

    def closeEvent(self, event: QCloseEvent) -> None:
        self.prefs.geometry = self.saveGeometry()
        self.prefs.qsettings.setValue("window/splitter", self.splitter.saveState())
        self.prefs.sync()
        self.status_label.setText("Stopping the model thread…")
        self.jobs.cancel_all()
        self.models.shutdown()
        self.account.close()
        super().closeEvent(event)
