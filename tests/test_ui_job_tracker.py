"""The job tracker: one job per named slot, a replaced job is cancelled, follow-ups run once a slot is idle."""

from __future__ import annotations

import threading

import pytest
from ui_support import PNEUMONIA_SAMPLE

from xray_desktop.progress import Progress
from xray_desktop.ui.engine import AnalysisEngine, LoadedImage, LoadJob
from xray_desktop.ui.job_tracker import JobTracker
from xray_desktop.ui.worker import ModelThread


class BlockingJob:
    """Holds the model thread until released, so the jobs behind it are certainly still queued."""

    kind = "block"

    def __init__(self) -> None:
        self.release = threading.Event()

    def run(self, engine: AnalysisEngine, progress: Progress) -> str:
        assert self.release.wait(20)
        return "released"


@pytest.fixture
def tracker(qtbot):
    thread = ModelThread(AnalysisEngine())
    yield JobTracker(thread)
    assert thread.shutdown(), "the model thread did not stop"


def test_a_new_job_in_a_slot_cancels_the_old_one_and_the_slot_empties_when_done(qtbot, tracker: JobTracker) -> None:
    blocker = BlockingJob()
    tracker.submit("hold", blocker)
    outcomes: list[object] = []
    tracker.submit("analysis", LoadJob(PNEUMONIA_SAMPLE), on_result=outcomes.append, on_cancelled=outcomes.append)
    tracker.submit("analysis", LoadJob(PNEUMONIA_SAMPLE), on_result=outcomes.append)
    assert tracker.running("analysis") and tracker.busy()
    blocker.release.set()
    qtbot.waitUntil(lambda: not tracker.busy(), timeout=20000)
    assert outcomes[0] is None, "the replaced job was cancelled before it ran"
    assert len(outcomes) == 2 and isinstance(outcomes[1], LoadedImage)
    assert not tracker.running("analysis") and not tracker.running("hold")


def test_a_follow_up_runs_once_the_slot_is_idle_and_never_after_cancel_all(qtbot, tracker: JobTracker) -> None:
    ran: list[str] = []
    tracker.when_idle("analysis", lambda: ran.append("at once"))
    assert ran == ["at once"], "an idle slot runs the follow-up immediately"
    blocker = BlockingJob()
    tracker.submit("analysis", blocker)
    tracker.when_idle("analysis", lambda: ran.append("after"))
    assert ran == ["at once"]
    blocker.release.set()
    qtbot.waitUntil(lambda: not tracker.busy(), timeout=20000)
    assert ran == ["at once", "after"]

    second = BlockingJob()
    tracker.submit("analysis", second)
    tracker.when_idle("analysis", lambda: ran.append("dropped"))
    tracker.cancel_all()  # closing: nothing new may start
    second.release.set()
    qtbot.waitUntil(lambda: not tracker.busy(), timeout=20000)
    assert ran == ["at once", "after"]


def test_call_on_gui_thread_runs_a_call_from_another_thread_on_the_gui_thread(qtbot) -> None:
    from xray_desktop.ui.gui_thread import call_on_gui_thread

    ran_on: list[threading.Thread] = []
    worker = threading.Thread(target=lambda: call_on_gui_thread(lambda: ran_on.append(threading.current_thread())))
    worker.start()
    worker.join(10)
    qtbot.waitUntil(lambda: bool(ran_on), timeout=10000)
    assert ran_on == [threading.main_thread()]
