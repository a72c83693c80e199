"""What the window remembers about each opened case, so switching back shows it without recomputing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from xray_desktop.radiograph import Radiograph
from xray_desktop.results import AnalysisResult, TaskResult, TaskStatus
from xray_desktop.tasks import BODY_PARTS, TASKS
from xray_desktop.ui.display_level import resample
from xray_desktop.ui.engine import AnalysisOutcome, colour_map
from xray_desktop.ui.samples import SampleCase


@dataclass
class CaseState:
    path: Path
    sample: SampleCase | None = None
    radiograph: Radiograph | None = None
    quantized: np.ndarray | None = None  # display levels of the radiograph (see display.quantize)
    outcomes: dict[str, AnalysisOutcome] = field(default_factory=dict)  # by explanation method
    tasks: str | None = None  # the task set (ui.body_part.CaseTasks.spec) the cached outcomes answer
    revealed: bool = False  # teaching mode: the answer was revealed for this case
    body_part: str = "auto"  # the user's body-part choice for this image only (ui.body_part.BODY_PART_CHOICES)
    history_id: str | None = None  # the history entry of the first analysis (feedback links to it)
    _coloured: dict[tuple[str, str, str, tuple[int, int] | None], np.ndarray] = field(default_factory=dict, repr=False)
    colour_calls: int = 0  # how often a map was coloured (tests check the slider never adds to it)

    def add_outcome(self, outcome: AnalysisOutcome) -> None:
        self.outcomes[outcome.method] = outcome
        for task, rgb in outcome.coloured.items():
            self._coloured[(outcome.method, task, outcome.colormap, None)] = rgb  # at image size

    @property
    def name(self) -> str:
        """What the window calls the case: a sample's file name without the CLASS__ prefix (the answer)."""
        return self.sample.name if self.sample is not None else self.path.name

    def clear_colour_cache(self) -> None:
        self._coloured.clear()

    def use_tasks(self, tasks: str) -> bool:
        """Switch to another task set; the outcomes cached for the old one are dropped. True if it changed."""
        if tasks == self.tasks:
            return False
        self.tasks = tasks
        self.outcomes.clear()
        self.clear_colour_cache()
        return True

    def analysis(self, method: str) -> AnalysisResult | None:
        outcome = self.outcomes.get(method) or next(iter(self.outcomes.values()), None)
        return outcome.analysis if outcome is not None else None

    def coloured(self, method: str, task: str, colormap: str, size: tuple[int, int] | None = None) -> np.ndarray | None:
        """The cached RGB map; coloured on first request for a new colormap (a user action, not the slider).

        `size` (the viewer's display level) colours a reduced map: on a large film that is what keeps a
        colormap change off the GUI thread's critical path (the map is smooth, nothing is lost).
        """
        outcome = self.outcomes.get(method)
        result = outcome.analysis.result_for(task) if outcome is not None else None
        if result is not None and result.heatmap is not None and size == result.heatmap.shape[:2]:
            size = None  # a small film: its display level is the film itself
        key = (method, task, colormap, size)
        if key not in self._coloured:
            if result is None or result.heatmap is None:
                return None
            self.colour_calls += 1
            heatmap = result.heatmap if size is None else resample(result.heatmap, size)
            self._coloured[key] = colour_map(heatmap, colormap)
        return self._coloured[key]

    def timings(self, task: str | None) -> dict[str, float]:
        """Measured seconds per method for `task`'s map: the model pass (prediction and map together) plus
        restoring the map to image size. Methods that produced no map for the task are left out."""
        out: dict[str, float] = {}
        for method, outcome in self.outcomes.items():
            result = outcome.analysis.result_for(task) if task else None
            if result is None or result.heatmap is None or result.predict_seconds is None:
                continue
            out[method] = float(result.predict_seconds + (result.explain_seconds or 0.0))
        return out


def mapped_tasks(analysis: AnalysisResult) -> list[TaskResult]:
    """Tasks with a map to show: the film's own body part first, then films the model knows, then most suspicious.

    So another body part's model, or a model that does not know this film, never supplies the first map.
    """
    with_map = [r for r in analysis.results if r.status is TaskStatus.OK and r.heatmap is not None]
    own = analysis.body_part

    def rank(r: TaskResult) -> tuple[bool, bool, float]:
        other_part = own in BODY_PARTS and TASKS[r.task].body_part != own
        return other_part, r.population == "outside", -(r.probability or 0.0)

    return sorted(with_map, key=rank)
