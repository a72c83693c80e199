"""The "Check this map" job for the model thread (no Qt here): plain values in, plain figures out."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from xray_desktop.progress import Progress
from xray_desktop.radiograph import Radiograph
from xray_desktop.results import TaskResult
from xray_desktop.services.session import Session

if TYPE_CHECKING:
    from xray_desktop.ui.engine import AnalysisEngine


@dataclass
class MapCheckOutcome:
    task: str
    method: str
    faithfulness: float
    random_baseline: float


@dataclass
class CheckMapJob:
    """Score one task's map; the result on screen is updated on the GUI thread, never from here."""

    session: Session
    radiograph: Radiograph
    result: TaskResult
    kind = "check_map"

    def run(self, engine: AnalysisEngine, progress: Progress) -> MapCheckOutcome:
        from xray_desktop.services.map_check import check_task_map

        checked = check_task_map(
            self.session, self.radiograph, replace(self.result), manager=engine.manager, progress=progress
        )
        assert checked.map_faithfulness is not None and checked.map_random_baseline is not None
        return MapCheckOutcome(
            checked.task, checked.method or "", checked.map_faithfulness, checked.map_random_baseline
        )
