"""The main window: it composes the widgets and routes work to the model thread; it computes nothing itself.

Dependencies are passed in (the session, the engine, the preferences), so tests
and screenshots build a window with an explicit session and no login.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
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
from xray_desktop.security.permissions import Permission
from xray_desktop.services.session import Session
from xray_desktop.tasks import TASKS
from xray_desktop.ui.about_dialog import AboutDialog
from xray_desktop.ui.app_services import AppServices
from xray_desktop.ui.body_part import BODY_PART_CHOICES, case_tasks
from xray_desktop.ui.case_list import CaseList
from xray_desktop.ui.case_state import CaseState, mapped_tasks
from xray_desktop.ui.engine import (
    AnalysisEngine,
    AnalysisOutcome,
    AnalyzeJob,
    LoadedImage,
    LoadJob,
    ReportJob,
    WarmUpJob,
)
from xray_desktop.ui.error_dialog import show_error
from xray_desktop.ui.feedback_widget import FeedbackWidget
from xray_desktop.ui.heatmap_controls import METHODS, HeatmapControls
from xray_desktop.ui.idle_guard import IdleGuard
from xray_desktop.ui.preferences import Preferences
from xray_desktop.ui.results_panel import ResultsPanel
from xray_desktop.ui.samples import SampleCase, load_samples, sample_for
from xray_desktop.ui.theme import apply_theme
from xray_desktop.ui.viewer import ImageViewer
from xray_desktop.ui.window_account import WindowAccountMixin
from xray_desktop.ui.window_menus import build_main_menus, fill_samples_menu, refresh_permissions
from xray_desktop.ui.worker import ModelThread

OPEN_FILTER = "X-ray images (*.png *.jpg *.jpeg *.tif *.tiff *.bmp *.dcm *.dicom *.dic);;All files (*)"


class MainWindow(WindowAccountMixin, QMainWindow):
    analysisShown = Signal(object)  # AnalysisResult now on screen
    caseFailed = Signal(str)  # message of a case that could not be opened or analysed
    modelsReady = Signal(object)  # WarmUpReport, or the exception when warm-up failed

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
        self.prefs = preferences or Preferences()
        self.models = ModelThread(engine or AnalysisEngine(session), self)
        # Where errors go: a dialog; non-interactive runs (screenshots) replace it to collect them instead.
        self.error_sink: Callable[[str, BaseException], None] = lambda title, exc: show_error(self, title, exc)
        self.models.unhandledFailure.connect(lambda exc: self.error_sink("Error", exc))
        self.models.busyChanged.connect(self._set_busy)
        self.samples: list[SampleCase] = load_samples()
        self._cases: dict[Path, CaseState] = {}
        self._current: CaseState | None = None
        self._active_job: int | None = None
        self._teaching = False
        self._theme = self.prefs.theme
        self._method = self.prefs.method if self.prefs.method in METHODS else "gradcam"
        self._colormap = self.prefs.colormap
        self._body_part = self.prefs.body_part  # for images that name no body part
        self._map_task: str | None = None
        self._warmup_job: int | None = None
        self._rewarm = False  # the warm-up gave way to an analysis and should resume after it

        self.setWindowTitle(f"XRay Desktop {__version__} — {session.username} ({session.role.value})")
        self.setAcceptDrops(True)
        self._hide_negative_maps = False
        self._logged_out = False  # set once the audit log has the log-out, so closing does not repeat it
        self._build_widgets()
        self._build_menus()
        self._build_status_bar()
        self._restore_geometry()
        apply_theme(QApplication.instance(), self._theme)
        self.idle_guard: IdleGuard | None = None
        settings = self._connect_settings()
        self.set_teaching(teaching or bool(settings is not None and settings.teaching_mode))
        refresh_permissions(self)

    # ----- construction ---------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.viewer = ImageViewer()
        self.viewer.setAcceptDrops(False)  # drops go to the window
        self.case_list = CaseList()
        self.case_list.caseActivated.connect(self.open_path)
        self.results = ResultsPanel()
        self.results.taskSelected.connect(self.select_map_task)
        self.results.revealRequested.connect(self.reveal)
        self.results.set_body_part(self._body_part)
        self.results.bodyPartChosen.connect(self.set_body_part)
        self.heatmap = HeatmapControls()
        self.heatmap.opacity.setValue(self.prefs.opacity)
        self.heatmap.set_colormap(self._colormap)
        self.heatmap.set_method(self._method)
        self.viewer.set_opacity(self.prefs.opacity / 100.0)
        self.heatmap.opacityChanged.connect(self._on_opacity)
        self.heatmap.colormapChanged.connect(self._on_colormap)
        self.heatmap.methodChanged.connect(self._on_method)
        self.heatmap.taskChanged.connect(self.select_map_task)
        self.heatmap.heatmapToggled.connect(self.viewer.set_heatmap_visible)
        self.heatmap.boxesToggled.connect(self.viewer.set_boxes_visible)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(6, 6, 6, 6)
        right_layout.addWidget(self.results, 1)
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
        self._right = right
        self.setCentralWidget(self.splitter)

    def _action(self, menu: QMenu, text: str, slot, shortcuts=(), checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setCheckable(checkable)
        (action.toggled if checkable else action.triggered).connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        build_main_menus(self)

    def _fill_samples_menu(self, teaching: bool) -> None:
        fill_samples_menu(self, teaching)

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

    # ----- models -------------------------------------------------------------------------------
    def start_models(self) -> None:
        """Start the model thread and warm the installed models up; call after the window is shown.

        An analysis requested meanwhile pre-empts the warm-up (it loads the models it needs itself);
        the warm-up resumes after that analysis, so the first result is not queued behind every model.
        """
        self._rewarm = False
        self.model_status.setText("Models: loading…")
        self._warmup_job = self.models.submit(
            WarmUpJob(self._method),
            on_result=self._models_ready,
            on_failed=self._models_failed,
            on_cancelled=lambda _partial: self.model_status.setText("Models: loading as needed…"),
            on_finished=self._warmup_finished,
        )

    def _warmup_finished(self) -> None:
        self._warmup_job = None

    def _yield_warmup(self) -> None:
        if self._warmup_job is not None:
            self.models.cancel(self._warmup_job)
            self._rewarm = True

    def _models_ready(self, report) -> None:
        names = ", ".join(TASKS[t].positive_label for t in report.ready)
        if report.ready:
            self.model_status.setText(f"● {len(report.ready)} model{'s' if len(report.ready) > 1 else ''} ready")
        else:
            self.model_status.setText("No models installed")
        tip = [f"Ready: {names or 'none'}", f"Warm-up took {report.seconds:.1f} s", *report.problems]
        if report.problems:
            self.model_status.setText(self.model_status.text() + f" ({len(report.problems)} unavailable)")
        self.model_status.setToolTip("\n".join(tip))
        self.modelsReady.emit(report)

    def _models_failed(self, exc: BaseException) -> None:
        self._warmup_job = None
        self.model_status.setText("Models unavailable")
        self.model_status.setToolTip(str(exc))
        self.status_label.setText(f"Models unavailable: {exc}")
        self.modelsReady.emit(exc)

    def _set_busy(self, busy: bool) -> None:
        self.busy_bar.setVisible(busy)

    # ----- opening cases ----------------------------------------------------------------------------
    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open X-ray image", self.prefs.last_folder, OPEN_FILTER)
        if name:
            self.prefs.last_folder = str(Path(name).parent)
            self.open_path(Path(name))

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Analyse every image in a folder", self.prefs.last_folder)
        if folder:
            self.prefs.last_folder = folder
            self.open_batch(Path(folder))

    def open_batch(self, folder: Path):
        from xray_desktop.models.registry import Registry
        from xray_desktop.ui.batch_dialog import BatchDialog

        try:
            registry = Registry.load()
        except Exception as exc:
            self.error_sink("Batch analysis", exc)
            return None
        tasks = [t for t in TASKS if registry.active_entry(t) is not None]
        dialog = BatchDialog(self.models, folder, tasks, self, self._threshold_overrides())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def open_path(self, path: Path | str) -> None:
        """Show a case: cached results immediately, otherwise load and analyse it on the model thread."""
        path = Path(path)
        state = self._cases.get(path)
        if state is None:
            state = CaseState(path, sample=sample_for(path, self.samples))
            self._cases[path] = state
        if self._active_job is not None and (self._current is None or self._current.path != path):
            self.models.cancel(self._active_job)
            self._active_job = None
        self._current = state
        self.case_list.add_case(path, state.sample.title if state.sample else None)
        self.prefs.add_recent(path)
        self._rebuild_recent()
        self.report_action.setEnabled(False)
        if state.radiograph is None:
            self._yield_warmup()
            self.viewer.set_image(None)
            self.results.clear(f"Loading {state.name}…")
            self.status_label.setText(f"Loading {state.name}")
            self._active_job = self.models.submit(
                LoadJob(path),
                on_result=lambda r, s=state: self._loaded(s, r),
                on_failed=lambda exc, s=state: self._case_failed(s, "Cannot open image", exc),
            )
        else:
            self._show_image(state)
            self._show_or_analyse(state)

    def _loaded(self, state: CaseState, loaded: LoadedImage) -> None:
        state.radiograph, state.quantized = loaded.radiograph, loaded.quantized
        if state is self._current:
            self._active_job = None
            self._show_image(state)
            self._show_or_analyse(state)

    def _show_image(self, state: CaseState) -> None:
        r = state.radiograph
        assert r is not None
        lines = [f"{state.name}  ·  {r.format} {r.width}×{r.height}, {r.bit_depth}-bit"]
        if r.dicom is not None:
            lines += [f"{k}: {v}" for k, v in r.dicom.display_fields(deidentified=True).items()]
        self.viewer.set_image(r.pixels, lines, state.quantized)
        self.setWindowFilePath(str(state.path))

    def _threshold_overrides(self) -> dict[str, float]:
        """An admin's per-task thresholds from the settings; analyses and batches use them instead of the registry's."""
        if self.services is None or self.services.settings is None:
            return {}
        return dict(self.services.settings.get().threshold_overrides)

    def _show_or_analyse(self, state: CaseState) -> None:
        tasks = case_tasks(self._body_part, state.sample, state.radiograph)
        self.results.set_case_part(tasks.note)
        if state.use_tasks(tasks.spec) and self._active_job is not None:
            self.models.cancel(self._active_job)  # an analysis for the old task set: its answer is stale
            self._active_job = None
        if self._method in state.outcomes:
            self._show_outcome(state)
            return
        if self._teaching and not state.revealed:
            self.results.clear("Analysing… (the answer stays hidden until you reveal it)")
        else:
            self.results.clear(f"Analysing with {METHODS[self._method]}…")
        self.heatmap.set_timings(state.timings(self._map_task), busy_method=self._method)
        job = AnalyzeJob(
            state.radiograph,
            self._method,
            self._colormap,
            tasks.spec,
            self._hide_negative_maps,
            self._threshold_overrides(),
        )
        self._yield_warmup()
        self.status_label.setText(f"Analysing {state.name}")
        self._active_job = self.models.submit(
            job,
            on_result=lambda outcome, s=state, t=tasks.spec: self._analysed(s, outcome, t),
            on_failed=lambda exc, s=state: self._case_failed(s, "Analysis failed", exc),
        )

    def _analysed(self, state: CaseState, outcome: AnalysisOutcome, tasks: str | None = None) -> None:
        if tasks is not None and tasks != state.tasks:
            return  # finished before its cancel point, for a task set the user has since changed
        first = not state.outcomes
        state.add_outcome(outcome)
        if first:
            self._record_history(state, outcome)
        if self._rewarm and self._warmup_job is None:
            self.start_models()
        if state is self._current:
            self._active_job = None
            self.status_label.setText(f"{state.name}: analysed in {outcome.seconds:.2f} s")
            self._show_outcome(state)

    def _show_outcome(self, state: CaseState) -> None:
        analysis = state.analysis(self._method)
        assert analysis is not None
        truth = state.sample.truth_text() if state.sample else ""
        self.results.set_result(analysis, truth)
        self.results.set_hidden(self._teaching and not state.revealed)
        with_maps = mapped_tasks(analysis)
        if self._map_task not in {r.task for r in with_maps}:
            self._map_task = with_maps[0].task if with_maps else None
        self.heatmap.set_tasks([(r.task, TASKS[r.task].positive_label) for r in with_maps], self._map_task)
        self.heatmap.set_available(bool(with_maps))
        self._update_map()
        self.report_action.setEnabled(self.session.can(Permission.REPORT))
        if self.feedback is not None:
            hidden = self._teaching and not state.revealed
            self.feedback.set_analysis(None if hidden else analysis, state.history_id)
        self.analysisShown.emit(analysis)

    def _case_failed(self, state: CaseState, title: str, exc: BaseException) -> None:
        if state is self._current:
            self._active_job = None
            self.results.clear(f"{state.name}: {exc}")
            self.status_label.setText(f"{title}: {state.name}")
        self.caseFailed.emit(str(exc))
        self.error_sink(title, exc)

    # ----- body part ----------------------------------------------------------------------------
    def body_part(self) -> str:
        return self._body_part

    def set_body_part(self, choice: str) -> None:
        """Choose the body part for images that name none; the current case is re-analysed if it is one."""
        if choice not in BODY_PART_CHOICES:
            return
        self._body_part = choice
        self.prefs.body_part = choice
        self.results.set_body_part(choice)
        action = getattr(self, "body_part_actions", {}).get(choice)
        if action is not None and not action.isChecked():
            action.setChecked(True)
        state = self._current
        if state is None or state.radiograph is None:
            return
        tasks = case_tasks(choice, state.sample, state.radiograph)
        if tasks.spec != state.tasks:
            self._show_or_analyse(state)
        else:  # the case names its own body part, or nothing changed: no second analysis
            self.results.set_case_part(tasks.note)

    # ----- heatmap ------------------------------------------------------------------------------
    def select_map_task(self, task: str) -> None:
        self._map_task = task
        index = self.heatmap.task.findData(task)
        if index >= 0 and index != self.heatmap.task.currentIndex():
            self.heatmap.task.blockSignals(True)
            self.heatmap.task.setCurrentIndex(index)
            self.heatmap.task.blockSignals(False)
        self._update_map()

    def _update_map(self) -> None:
        state = self._current
        hidden = self._teaching and state is not None and not state.revealed
        self.heatmap.setEnabled(not hidden)
        if state is None or self._map_task is None or self._method not in state.outcomes:
            self.viewer.set_heatmap(None)
            self.viewer.set_boxes([])
            if state is not None:
                self.heatmap.set_timings(state.timings(self._map_task))
            return
        coloured = None if hidden else state.coloured(self._method, self._map_task, self._colormap)
        self.viewer.set_heatmap(coloured)
        analysis = state.analysis(self._method)
        result = analysis.result_for(self._map_task) if analysis else None
        self.viewer.set_boxes([] if hidden or result is None else list(result.boxes))
        self.heatmap.set_timings(state.timings(self._map_task))

    def _on_opacity(self, value: float) -> None:
        self.viewer.set_opacity(value)  # re-blends the cached coloured map; nothing is recomputed
        self.prefs.opacity = round(value * 100)

    def _nudge_opacity(self, step: int) -> None:
        self.heatmap.opacity.setValue(self.heatmap.opacity.value() + step)

    def _on_colormap(self, name: str) -> None:
        self._colormap = name
        self.prefs.colormap = name
        self._update_map()

    def _on_method(self, method: str) -> None:
        self._method = method
        self.prefs.method = method
        state = self._current
        if state is not None and state.radiograph is not None:
            self._show_or_analyse(state)

    # ----- teaching, theme, misc --------------------------------------------------------------------
    def set_teaching(self, on: bool) -> None:
        """Teaching mode hides the AI answer and map until Reveal, and enlarges fonts for a projector."""
        on = bool(on)
        self._teaching = on
        if self.teaching_action.isChecked() != on:
            self.teaching_action.setChecked(on)
        apply_theme(QApplication.instance(), self._theme, teaching=on)
        self._fill_samples_menu(teaching=on)
        self._right.setMinimumWidth(480 if on else 300)
        title = self.windowTitle().removesuffix(" — teaching mode")
        self.setWindowTitle(title + (" — teaching mode" if on else ""))
        if self._current is not None and self._method in self._current.outcomes:
            self._show_outcome(self._current)
        else:
            self._update_map()

    def teaching(self) -> bool:
        return self._teaching

    def reveal(self) -> None:
        state = self._current
        if state is None or not self._teaching or state.revealed:
            return
        state.revealed = True
        self.session.record("teaching_reveal", image=str(state.path))
        if self._method in state.outcomes:
            self._show_outcome(state)

    def set_dark(self, dark: bool) -> None:
        self._theme = "dark" if dark else "light"
        self.prefs.theme = self._theme
        apply_theme(QApplication.instance(), self._theme, teaching=self._teaching)

    def show_about(self) -> None:
        AboutDialog(self).exec()

    def _step_case(self, offset: int) -> None:
        path = self.case_list.step(offset)
        if path is not None:
            self.open_path(path)

    def _rebuild_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.prefs.recent_files
        for entry in recent:
            action = self.recent_menu.addAction(entry)
            action.triggered.connect(lambda _=False, p=entry: self.open_path(Path(p)))
        if recent:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", lambda: (self.prefs.clear_recent(), self._rebuild_recent()))
        self.recent_menu.setEnabled(bool(recent))

    def export_report(self) -> None:
        state = self._current
        analysis = state.analysis(self._method) if state else None
        if state is None or analysis is None:
            return
        default = str(Path(self.prefs.last_folder) / f"{state.path.stem}_report.pdf")
        name, _ = QFileDialog.getSaveFileName(self, "Export PDF report", default, "PDF (*.pdf)")
        if not name:
            return
        job = ReportJob(analysis, Path(name), self._colormap, self.viewer.opacity())
        self.status_label.setText(f"Writing {name}")
        self.models.submit(
            job,
            on_result=lambda path: self.status_label.setText(f"Report written to {path}"),
            on_failed=lambda exc: self.error_sink("Report not written", exc),
        )

    # ----- drag and drop -----------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        event.acceptProposedAction()
        folders = [p for p in paths if p.is_dir()]
        files = [p for p in paths if not p.is_dir()]
        for path in files[1:]:
            self.case_list.add_case(path)
        if files:
            QTimer.singleShot(0, lambda: self.open_path(files[0]))
        elif folders and self.session.can(Permission.BATCH):
            QTimer.singleShot(0, lambda: self.open_batch(folders[0]))

    # ----- closing -------------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        self.prefs.geometry = self.saveGeometry()
        self.prefs.qsettings.setValue("window/splitter", self.splitter.saveState())
        self.prefs.sync()
        self.status_label.setText("Stopping the model thread…")
        if self.idle_guard is not None:
            QApplication.instance().removeEventFilter(self.idle_guard)
            self.idle_guard.timer.stop()
        self.models.shutdown()
        if self.services is not None and self.services.auth is not None and not self._logged_out:
            self._logged_out = True
            self.services.auth.logout(self.session, reason="exit")
        super().closeEvent(event)
