"""'Check this map' in the window: submit on the model thread ("map_check" slot), progress, cancel, show.

The figures are written into the cached result on the GUI thread, then the results panel re-renders,
so the window, the PDF report (which reads the same result) and a later switch back all show them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xray_desktop.explain import faithfulness_text
from xray_desktop.results import TaskResult, TaskStatus
from xray_desktop.ui.case_state import CaseState
from xray_desktop.ui.map_check_job import CheckMapJob, MapCheckOutcome

if TYPE_CHECKING:
    from xray_desktop.ui.main_window import MainWindow

SLOT = "map_check"


class MapCheckController:
    def __init__(self, window: MainWindow) -> None:
        self.w = window

    def _shown(self) -> tuple[CaseState | None, TaskResult | None]:
        """The current case and the result whose map is on screen (None when there is no map to check)."""
        analysis_ctl = self.w.analysis
        state = self.w.cases.current
        if state is None or state.radiograph is None or analysis_ctl.map_task is None:
            return state, None
        if analysis_ctl.method not in state.outcomes:
            return state, None
        result = state.outcomes[analysis_ctl.method].analysis.result_for(analysis_ctl.map_task)
        if result is None or result.status is not TaskStatus.OK or result.heatmap is None:
            return state, None
        hidden = analysis_ctl.teaching and not state.revealed
        return state, None if hidden else result

    def refresh(self) -> None:
        """Enable the button for the shown map; show its figures if it was checked already."""
        if self.w.jobs.running(SLOT):
            return
        _state, result = self._shown()
        bar = self.w.map_check
        bar.set_available(result is not None)
        if result is not None and result.map_faithfulness is not None:
            bar.set_status(faithfulness_text(result.map_faithfulness, result.map_random_baseline))
        else:
            bar.set_status("")

    def check(self) -> None:
        state, result = self._shown()
        if state is None or state.radiograph is None or result is None or self.w.jobs.running(SLOT):
            return
        self.w.map_check.set_running(True)
        self.w.jobs.submit(
            SLOT,
            CheckMapJob(self.w.session, state.radiograph, result),
            on_result=lambda outcome, s=state: self._checked(s, outcome),
            on_failed=self._failed,
            on_progress=self.w.map_check.set_progress,
            on_cancelled=lambda _partial: self.w.map_check.set_status("Map check cancelled."),
            on_finished=self._finished,
        )

    def cancel(self) -> None:
        self.w.jobs.cancel(SLOT)

    def _checked(self, state: CaseState, outcome: MapCheckOutcome) -> None:
        cached = state.outcomes.get(outcome.method)
        result = cached.analysis.result_for(outcome.task) if cached is not None else None
        if result is not None:
            result.map_faithfulness = outcome.faithfulness
            result.map_random_baseline = outcome.random_baseline
        if state is self.w.cases.current:
            self.w.results.refresh()
        self.w.map_check.set_status(faithfulness_text(outcome.faithfulness, outcome.random_baseline))
        self.w.mapChecked.emit(outcome)

    def _failed(self, exc: BaseException) -> None:
        self.w.map_check.set_status("")
        self.w.error_sink("Check this map", exc)

    def _finished(self) -> None:
        self.w.map_check.set_running(False)  # the status line keeps what the check said (figures or "cancelled")
        _state, result = self._shown()
        self.w.map_check.set_available(result is not None)
