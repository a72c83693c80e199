"""The work the model thread does, as plain functions of plain values (no Qt here).

`AnalysisEngine` owns the model provider and therefore TensorFlow. It is created
on the GUI thread but used only from the one model thread (see `worker.py`),
and it imports the heavy modules lazily so the window can appear first. Each
job is a small dataclass whose `run(engine, progress)` is the unit the worker
executes; tests call it synchronously too. A job carries the `Session` it runs
for, so a log-in on the GUI thread never changes a session the model thread is using.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xray_desktop.models.provider import ModelProvider
from xray_desktop.progress import Cancelled, Progress
from xray_desktop.radiograph import Radiograph
from xray_desktop.results import AnalysisResult
from xray_desktop.services.session import Session


class JobCancelled(Cancelled):
    """Cancelled, carrying what was finished before the cancel point (e.g. batch rows written)."""

    def __init__(self, partial: object = None) -> None:
        super().__init__("cancelled")
        self.partial = partial


def colour_map(heatmap: np.ndarray, colormap: str) -> np.ndarray:
    """Colour a [0, 1] map once; the viewer re-blends this cached RGB on every slider move."""
    from xray_desktop.explain.overlay import colorize

    return np.ascontiguousarray(colorize(heatmap, colormap))


class AnalysisEngine:
    """Holds the loaded models for the lifetime of the model thread (who asks is each job's session)."""

    def __init__(self, manager: ModelProvider | None = None, threads: int | None = None) -> None:
        self._manager = manager
        self.threads = threads  # ONNX Runtime threads per model (None: the machine's cores)

    @property
    def manager(self) -> ModelProvider:
        if self._manager is None:
            from xray_desktop.models.registry import Registry
            from xray_desktop.services.providers import default_provider

            self._manager = default_provider(Registry.load(), threads=self.threads)
        return self._manager


@dataclass
class WarmUpReport:
    ready: list[str]  # tasks whose model loaded and answered
    problems: list[str]  # why a registered model could not be used
    seconds: float


@dataclass
class WarmUpJob:
    """Load every active model and trace its explainer once, so the first real analysis is quick."""

    method: str = "gradcam"
    kind = "warm_up"

    def run(self, engine: AnalysisEngine, progress: Progress) -> WarmUpReport:
        from xray_desktop.imaging.preprocess import prepare_input
        from xray_desktop.tasks import TASK_NAMES

        start = time.perf_counter()
        manager = engine.manager
        installed = [t for t in TASK_NAMES if manager.registry.active_entry(t) is not None]
        statuses = manager.warm_up(tasks=installed, progress=progress)
        ready = [s.task for s in statuses if s.ok]
        for task in ready:
            progress.check_cancelled()
            entry = manager.registry.active_entry(task)
            assert entry is not None  # warm_up just loaded it
            blank = prepare_input(np.zeros((64, 64), np.float32), entry.spec)[None]
            manager.load(entry).explainer(self.method)(blank)  # traces the tf.function; output discarded
        problems = [s.message for s in statuses if not s.ok]
        return WarmUpReport(ready=ready, problems=problems, seconds=time.perf_counter() - start)


@dataclass
class LoadedImage:
    radiograph: Radiograph
    quantized: np.ndarray  # uint16 display levels, prepared here so the GUI thread only does look-ups


@dataclass
class LoadJob:
    """Read a file into a Radiograph (DICOM decoding can take a while, so it runs off the GUI thread)."""

    path: Path
    kind = "load"

    def run(self, engine: AnalysisEngine, progress: Progress) -> LoadedImage:
        from xray_desktop.imaging.loader import load_radiograph
        from xray_desktop.ui.display import quantize

        radiograph = load_radiograph(self.path)
        return LoadedImage(radiograph, quantize(radiograph.pixels))


@dataclass
class AnalysisOutcome:
    analysis: AnalysisResult
    method: str
    colormap: str
    coloured: dict[str, np.ndarray] = field(default_factory=dict)  # task -> RGB uint8 map at image size
    seconds: float = 0.0


@dataclass
class AnalyzeJob:
    session: Session
    radiograph: Radiograph
    method: str = "gradcam"
    colormap: str = "jet"
    tasks: str | Sequence[str] = "auto"
    hide_map_when_negative: bool = False
    threshold_overrides: dict[str, float] = field(default_factory=dict)  # an admin's settings
    kind = "analyze"

    def run(self, engine: AnalysisEngine, progress: Progress) -> AnalysisOutcome:
        from xray_desktop.services.analyze import analyze_radiograph

        start = time.perf_counter()
        analysis = analyze_radiograph(
            self.session,
            self.radiograph,
            manager=engine.manager,
            tasks=self.tasks,
            method=self.method,
            explain=True,
            hide_map_when_negative=self.hide_map_when_negative,
            threshold_overrides=self.threshold_overrides,
            progress=progress,
        )
        coloured = {}
        for result in analysis.results:
            if result.heatmap is not None:
                progress.check_cancelled()
                coloured[result.task] = colour_map(result.heatmap, self.colormap)
        return AnalysisOutcome(analysis, self.method, self.colormap, coloured, time.perf_counter() - start)


@dataclass
class BatchOutcome:
    csv_path: Path
    rows: list[dict[str, str]]
    cancelled: bool = False
    summary: Any = None


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@dataclass
class BatchJob:
    session: Session
    folder: Path
    task: str
    csv_path: Path
    heatmap_dir: Path | None = None
    threshold: float | None = None  # an admin's override from the settings
    kind = "batch"

    def run(self, engine: AnalysisEngine, progress: Progress) -> BatchOutcome:
        from xray_desktop.services.batch import run_batch

        try:
            summary = run_batch(
                self.session,
                self.folder,
                manager=engine.manager,
                task=self.task,
                csv_path=self.csv_path,
                heatmap_dir=self.heatmap_dir,
                progress=progress,
                threshold=self.threshold,
            )
        except Cancelled as exc:
            raise JobCancelled(BatchOutcome(self.csv_path, read_csv_rows(self.csv_path), cancelled=True)) from exc
        return BatchOutcome(self.csv_path, read_csv_rows(self.csv_path), summary=summary)


@dataclass
class ReportJob:
    """Write a PDF report through the reports service (permission checks happen there)."""

    session: Session
    analysis: AnalysisResult
    out_path: Path
    colormap: str = "jet"
    alpha: float = 0.4
    include_patient_data: bool = False  # DICOM patient fields: doctors and administrators (the service checks)
    kind = "report"

    def run(self, engine: AnalysisEngine, progress: Progress) -> Path:
        from xray_desktop.services.report import export_report

        return export_report(
            self.session,
            [self.analysis],
            self.out_path,
            colormap=self.colormap,
            alpha=self.alpha,
            include_patient_data=self.include_patient_data,
        )
