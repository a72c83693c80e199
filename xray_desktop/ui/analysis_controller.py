"""Analysis in the window: warm-up, analysing the current case, showing its outcome and map, teaching mode.

The controller owns what the user chose to see (method, colormap, map task, body part, teaching)
and submits jobs to the model thread through the window's `JobTracker` ("case" slot for the
current case, "warm_up" for the background warm-up). It never computes anything itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QFileDialog

from xray_desktop.security.permissions import Permission
from xray_desktop.tasks import TASKS
from xray_desktop.ui.body_part import BODY_PART_CHOICES, case_tasks
from xray_desktop.ui.case_state import CaseState, mapped_tasks
from xray_desktop.ui.engine import AnalysisOutcome, AnalyzeJob, ReportJob, WarmUpJob, WarmUpReport
from xray_desktop.ui.heatmap_controls import METHODS
from xray_desktop.ui.theme import apply_theme

if TYPE_CHECKING:
    from xray_desktop.ui.main_window import MainWindow


class AnalysisController:
    def __init__(self, window: MainWindow) -> None:
        self.w = window
        prefs = window.prefs
        self.method = prefs.method if prefs.method in METHODS else "gradcam"
        self.colormap = prefs.colormap
        self.pending_part = "auto"  # the choice for the next image opened; each case keeps its own (never saved)
        self.collapse_outside = True  # admin setting collapse_outside_population
        self.map_task: str | None = None
        self.teaching = False
        self.hide_negative_maps = False

    # ----- models -------------------------------------------------------------------------------
    def start_models(self) -> None:
        """Warm the installed models up in the background; an analysis pre-empts this and it resumes after."""
        self.w.model_status.setText("Models: loading…")
        self.w.jobs.submit(
            "warm_up",
            WarmUpJob(self.method),
            on_result=self._models_ready,
            on_failed=self._models_failed,
            on_cancelled=lambda _partial: self.w.model_status.setText("Models: loading as needed…"),
        )

    def yield_warm_up(self) -> None:
        """Call after queueing a case job: the warm-up stops at its next cancel point and resumes once the
        case's jobs are done, so the first result is not queued behind every model."""
        if self.w.jobs.cancel("warm_up"):
            self.w.jobs.when_idle("case", self._resume_warm_up)

    def _resume_warm_up(self) -> None:
        """After the case's jobs: warm the other models up, once the case has an answer (not after a failure)."""
        state = self.w.cases.current
        if state is not None and state.outcomes:
            self.start_models()

    def _models_ready(self, report: WarmUpReport) -> None:
        status = self.w.model_status
        names = ", ".join(TASKS[t].positive_label for t in report.ready)
        count = len(report.ready)
        status.setText(f"● {count} model{'s' if count > 1 else ''} ready" if count else "No models installed")
        tip = [f"Ready: {names or 'none'}", f"Warm-up took {report.seconds:.1f} s", *report.problems]
        if report.problems:
            status.setText(status.text() + f" ({len(report.problems)} unavailable)")
        status.setToolTip("\n".join(tip))
        self.w.modelsReady.emit(report)

    def _models_failed(self, exc: BaseException) -> None:
        self.w.model_status.setText("Models unavailable")
        self.w.model_status.setToolTip(str(exc))
        self.w.status_label.setText(f"Models unavailable: {exc}")
        self.w.modelsReady.emit(exc)

    # ----- analysing the current case ---------------------------------------------------------------
    def threshold_overrides(self) -> dict[str, float]:
        """An admin's per-task thresholds from the settings; analyses and batches use them instead of the registry's."""
        services = self.w.services
        if services is None or services.settings is None:
            return {}
        return dict(services.settings.get().threshold_overrides)

    def show_or_analyse(self, state: CaseState) -> None:
        """Show the cached outcome for the current method, or analyse the case on the model thread."""
        w = self.w
        tasks = case_tasks(state.body_part, state.sample, state.radiograph)
        w.results.set_case_part(tasks.note)
        if state.use_tasks(tasks.spec):
            w.jobs.cancel("case")  # an analysis for the old task set: its answer is stale
        if self.method in state.outcomes:
            self.show_outcome(state)
            return
        if self.teaching and not state.revealed:
            w.results.clear("Analysing… (the answer stays hidden until you reveal it)")
        else:
            w.results.clear(f"Analysing with {METHODS[self.method]}…")
        w.heatmap.set_timings(state.timings(self.map_task), busy_method=self.method)
        assert state.radiograph is not None
        job = AnalyzeJob(
            w.session,
            state.radiograph,
            self.method,
            self.colormap,
            tasks.spec,
            self.hide_negative_maps,
            self.threshold_overrides(),
        )
        w.status_label.setText(f"Analysing {state.name}")
        w.jobs.submit(
            "case",
            job,
            on_result=lambda outcome, s=state, t=tasks.spec: self._analysed(s, outcome, t),
            on_failed=lambda exc, s=state: self.case_failed(s, "Analysis failed", exc),
        )
        self.yield_warm_up()

    def _analysed(self, state: CaseState, outcome: AnalysisOutcome, tasks: str | None = None) -> None:
        if tasks is not None and tasks != state.tasks:
            return  # finished before its cancel point, for a task set the user has since changed
        first = not state.outcomes
        state.add_outcome(outcome)
        if first:
            self.w.account.record_history(state, outcome)
        if state is self.w.cases.current:
            self.w.status_label.setText(f"{state.name}: analysed in {outcome.seconds:.2f} s")
            self.show_outcome(state)

    def show_outcome(self, state: CaseState) -> None:
        w = self.w
        analysis = state.analysis(self.method)
        assert analysis is not None
        hidden = self.teaching and not state.revealed
        w.results.set_result(analysis, state.sample.truth_text() if state.sample else "")
        w.results.set_hidden(hidden)
        with_maps = mapped_tasks(analysis)
        if self.map_task not in {r.task for r in with_maps}:
            self.map_task = with_maps[0].task if with_maps else None
        w.heatmap.set_tasks([(r.task, TASKS[r.task].positive_label) for r in with_maps], self.map_task)
        w.heatmap.set_available(bool(with_maps))
        self.update_map()
        self.update_report_action()
        if w.feedback is not None:
            w.feedback.set_analysis(None if hidden else analysis, state.history_id)
        w.analysisShown.emit(analysis)

    def update_report_action(self) -> None:
        state = self.w.cases.current
        shown = state is not None and state.analysis(self.method) is not None
        hidden = self.teaching and state is not None and not state.revealed  # no PDF with the answer before Reveal
        self.w.action("report").setEnabled(shown and not hidden and self.w.session.can(Permission.REPORT))
        patient = self.w.action("report_patient")  # the same rule, for the roles that may see patient fields
        patient.setEnabled(shown and not hidden and self.w.session.can(Permission.REPORT_PATIENT_DATA))

    def case_failed(self, state: CaseState, title: str, exc: BaseException) -> None:
        w = self.w
        if state is w.cases.current:
            w.results.clear(f"{state.name}: {exc}")
            w.status_label.setText(f"{title}: {state.name}")
        w.caseFailed.emit(str(exc))
        w.error_sink(title, exc)

    # ----- body part, heatmap -------------------------------------------------------------------------
    @property
    def body_part(self) -> str:
        """The body-part choice of the current image (or, with none open, of the next one)."""
        state = self.w.cases.current if hasattr(self.w, "cases") else None
        return state.body_part if state is not None else self.pending_part

    def take_pending_part(self) -> str:
        """For a newly opened image: the choice made with no image open, once; later images start from Auto."""
        part, self.pending_part = self.pending_part, "auto"
        return part

    def show_body_part(self, choice: str) -> None:
        w = self.w
        w.results.set_body_part(choice)
        action = w.action(f"body_part:{choice}")
        if not action.isChecked():
            action.setChecked(True)

    def set_body_part(self, choice: str) -> None:
        """Choose the body part of the current image (with none open: of the next); it is re-analysed if needed.

        The choice belongs to that one image: later images start from Auto, and nothing is saved.
        """
        if choice not in BODY_PART_CHOICES:
            return
        w = self.w
        self.show_body_part(choice)
        state = w.cases.current
        if state is None:
            self.pending_part = choice
            return
        state.body_part = choice
        if state.radiograph is None:
            return
        tasks = case_tasks(choice, state.sample, state.radiograph)
        if tasks.spec != state.tasks:
            self.show_or_analyse(state)
        else:  # the case names its own body part, or nothing changed: no second analysis
            w.results.set_case_part(tasks.note)

    def select_map_task(self, task: str) -> None:
        self.map_task = task
        combo = self.w.heatmap.task
        index = combo.findData(task)
        if index >= 0 and index != combo.currentIndex():
            combo.blockSignals(True)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)
        self.update_map()

    def update_map(self) -> None:
        w = self.w
        state = w.cases.current
        hidden = self.teaching and state is not None and not state.revealed
        w.heatmap.setEnabled(not hidden)
        if state is None or self.map_task is None or self.method not in state.outcomes:
            w.viewer.set_heatmap(None)
            w.viewer.set_boxes([])
            if state is not None:
                w.heatmap.set_timings(state.timings(self.map_task))
            w.map_checks.refresh()
            return
        hidden = hidden or not w.results.map_allowed(self.map_task)  # a collapsed answer hides its map too
        size = w.viewer.display_size()  # a large film's map is coloured at the viewer's display level
        w.viewer.set_heatmap(None if hidden else state.coloured(self.method, self.map_task, self.colormap, size))
        analysis = state.analysis(self.method)
        result = analysis.result_for(self.map_task) if analysis else None
        w.viewer.set_boxes([] if hidden or result is None else list(result.boxes))
        w.heatmap.set_timings(state.timings(self.map_task))
        w.map_checks.refresh()

    def on_opacity(self, value: float) -> None:
        self.w.viewer.set_opacity(value)  # re-blends the cached coloured map; nothing is recomputed
        self.w.prefs.opacity = round(value * 100)

    def nudge_opacity(self, step: int) -> None:
        opacity = self.w.heatmap.opacity
        opacity.setValue(opacity.value() + step)

    def on_colormap(self, name: str) -> None:
        self.colormap = name
        self.w.prefs.colormap = name
        self.update_map()

    def on_method(self, method: str) -> None:
        self.method = method
        self.w.prefs.method = method
        state = self.w.cases.current
        if state is not None and state.radiograph is not None:
            self.show_or_analyse(state)

    # ----- teaching ------------------------------------------------------------------------------------
    def set_teaching(self, on: bool) -> None:
        """Teaching mode hides the AI answer and map until Reveal, and enlarges fonts for a projector."""
        w = self.w
        on = bool(on)
        self.teaching = on
        action = w.action("teaching")
        if action.isChecked() != on:
            action.setChecked(on)
        apply_theme(QApplication.instance(), w.theme, teaching=on)
        w.fill_samples_menu()
        w.right_panel.setMinimumWidth(480 if on else 300)
        w.update_title()
        state = w.cases.current
        if state is not None and self.method in state.outcomes:
            self.show_outcome(state)
        else:
            self.update_map()
        self.apply_population_policy()

    def apply_population_policy(self) -> None:
        """Outside-population answers: collapsed for doctors, greyed for students, a lesson in teaching mode."""
        from xray_desktop.security.permissions import Role
        from xray_desktop.ui.population_notice import PopulationPolicy

        student = self.w.session.role is Role.STUDENT
        self.w.results.set_population_policy(PopulationPolicy(self.collapse_outside, student, self.teaching))
        self.update_map()

    def reveal(self) -> None:
        state = self.w.cases.current
        if state is None or not self.teaching or state.revealed:
            return
        state.revealed = True
        self.w.session.record("teaching_reveal", image=str(state.path))
        if self.method in state.outcomes:
            self.show_outcome(state)

    # ----- report --------------------------------------------------------------------------------------
    def export_report(self, *, include_patient_data: bool = False) -> None:
        """Ask where, then write the PDF on the model thread; `include_patient_data` adds the DICOM patient fields."""
        w = self.w
        state = w.cases.current
        analysis = state.analysis(self.method) if state else None
        if state is None or analysis is None or (self.teaching and not state.revealed):
            return
        default = str(Path(w.prefs.last_folder) / f"{state.path.stem}_report.pdf")
        name, _ = QFileDialog.getSaveFileName(w, "Export PDF report", default, "PDF (*.pdf)")
        if not name:
            return
        job = ReportJob(w.session, analysis, Path(name), self.colormap, w.viewer.opacity(), include_patient_data)
        w.status_label.setText(f"Writing {name}")
        w.models.submit(
            job,
            on_result=lambda path: w.status_label.setText(f"Report written to {path}"),
            on_failed=lambda exc: w.error_sink("Report not written", exc),
        )
