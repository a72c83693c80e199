"""The model thread's signal contract: started → result/failed/cancelled → finished, in that order."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from conftest import write_model_entry
from ui_support import PNEUMONIA_SAMPLE, doctor_session, write_corrupt_image

from xray_desktop.errors import ImageLoadError
from xray_desktop.progress import Progress
from xray_desktop.radiograph import Radiograph
from xray_desktop.results import TaskStatus
from xray_desktop.ui.engine import AnalysisEngine, AnalysisOutcome, AnalyzeJob, LoadedImage, LoadJob, WarmUpJob
from xray_desktop.ui.worker import ModelThread, ModelWorker


@pytest.fixture
def model_thread(qtbot):
    thread = ModelThread(AnalysisEngine())
    yield thread
    assert thread.shutdown(), "the model thread did not stop"


def test_worker_run_job_synchronously_reports_a_loaded_image(qtbot) -> None:
    worker = ModelWorker(AnalysisEngine())
    seen: list[str] = []
    worker.started.connect(lambda _id, kind: seen.append(f"started:{kind}"))
    worker.result.connect(lambda _id, value: seen.append(f"result:{type(value).__name__}"))
    worker.finished.connect(lambda _id: seen.append("finished"))
    worker.run_job(1, LoadJob(PNEUMONIA_SAMPLE), Progress())
    assert seen == ["started:load", "result:LoadedImage", "finished"]


def test_worker_reports_a_bad_file_as_failed_with_the_reason(qtbot, tmp_path: Path) -> None:
    worker = ModelWorker(AnalysisEngine())
    failures: list[BaseException] = []
    worker.failed.connect(lambda _id, exc: failures.append(exc))
    worker.run_job(7, LoadJob(write_corrupt_image(tmp_path)), Progress())
    assert len(failures) == 1
    assert isinstance(failures[0], ImageLoadError)
    assert "broken.png" in str(failures[0])


def test_thread_emits_started_result_finished_in_order(qtbot, model_thread: ModelThread) -> None:
    got: list[object] = []
    signals = [model_thread.jobStarted, model_thread.jobResult, model_thread.jobFinished]  # GUI-thread mirrors
    with qtbot.waitSignals(signals, order="strict", timeout=20000):
        model_thread.submit(LoadJob(PNEUMONIA_SAMPLE), on_result=got.append)
    qtbot.waitUntil(lambda: bool(got) and not model_thread.busy(), timeout=5000)
    assert isinstance(got[0], LoadedImage) and isinstance(got[0].radiograph, Radiograph)


def test_failure_without_a_handler_is_re_emitted_for_a_dialog(
    qtbot,
    model_thread: ModelThread,
    tmp_path: Path,
) -> None:
    with qtbot.waitSignal(model_thread.unhandledFailure, timeout=20000) as blocker:
        model_thread.submit(LoadJob(write_corrupt_image(tmp_path)))
    assert isinstance(blocker.args[0], ImageLoadError)


class BlockingJob:
    """Holds the model thread until released, so a second job is certainly still queued."""

    kind = "block"

    def __init__(self) -> None:
        self.release = threading.Event()

    def run(self, engine: AnalysisEngine, progress: Progress) -> str:
        assert self.release.wait(20)
        return "released"


def test_a_queued_job_cancelled_before_it_runs_emits_cancelled_not_result(
    qtbot,
    model_thread: ModelThread,
) -> None:
    blocker = BlockingJob()
    results: list[object] = []
    cancelled: list[int] = []
    model_thread.submit(blocker, on_result=results.append)
    job_id = model_thread.submit(LoadJob(PNEUMONIA_SAMPLE), on_result=results.append, on_cancelled=cancelled.append)
    model_thread.cancel(job_id)
    events: list[tuple[int, str]] = []
    model_thread.jobStarted.connect(lambda i, _k: events.append((i, "started")))
    model_thread.jobResult.connect(lambda i, _v: events.append((i, "result")))
    model_thread.jobCancelled.connect(lambda i, _p: events.append((i, "cancelled")))
    model_thread.jobFinished.connect(lambda i: events.append((i, "finished")))
    blocker.release.set()
    qtbot.waitUntil(lambda: not model_thread.busy(), timeout=20000)
    assert [e for i, e in events if i == job_id] == ["started", "cancelled", "finished"]
    assert results == ["released"]
    assert cancelled == [None]


@pytest.mark.slow
def test_model_thread_traces_models_in_several_jobs_without_crashing(
    qtbot,
    model_thread: ModelThread,
    tiny_models_dir: Path,
    tiny_square_model,
) -> None:
    """Models loaded and traced in later jobs than the first work (the window-level crash check is in
    test_ui_startup, in a subprocess)."""
    write_model_entry(tiny_models_dir, tiny_square_model, "osteoarthritis", "tiny-oa")
    radiograph = LoadJob(PNEUMONIA_SAMPLE).run(model_thread.worker.engine, Progress()).radiograph
    outcomes: list[object] = []
    model_thread.submit(
        AnalyzeJob(doctor_session(), radiograph, "gradcam", "jet", ("pneumonia",)), on_result=outcomes.append
    )
    qtbot.waitUntil(lambda: len(outcomes) == 1 and not model_thread.busy(), timeout=120000)
    model_thread.submit(WarmUpJob("gradcam"), on_result=outcomes.append)  # loads and traces the second model
    qtbot.waitUntil(lambda: len(outcomes) == 2 and not model_thread.busy(), timeout=120000)
    model_thread.submit(
        AnalyzeJob(doctor_session(), radiograph, "scorecam", "jet", ("osteoarthritis",)), on_result=outcomes.append
    )
    qtbot.waitUntil(lambda: len(outcomes) == 3 and not model_thread.busy(), timeout=120000)
    assert [type(o).__name__ for o in outcomes] == ["AnalysisOutcome", "WarmUpReport", "AnalysisOutcome"]
    assert outcomes[1].ready == ["pneumonia", "osteoarthritis"]


@pytest.mark.slow
def test_analyze_job_runs_a_real_tiny_model_and_colours_its_map(tiny_models_dir: Path) -> None:
    engine = AnalysisEngine()
    radiograph = LoadJob(PNEUMONIA_SAMPLE).run(engine, Progress()).radiograph
    report = WarmUpJob().run(engine, Progress())
    assert report.ready == ["pneumonia"]
    outcome = AnalyzeJob(doctor_session(), radiograph, "gradcam", "jet", ("pneumonia",)).run(engine, Progress())
    assert isinstance(outcome, AnalysisOutcome)
    result = outcome.analysis.result_for("pneumonia")
    assert result is not None and result.status is TaskStatus.OK
    assert 0.0 <= result.probability <= 1.0
    assert outcome.coloured["pneumonia"].shape == (radiograph.height, radiograph.width, 3)
