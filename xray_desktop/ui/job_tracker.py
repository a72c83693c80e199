"""Named slots for the jobs a window or wizard has running on the model thread.

Instead of hand-kept `_active_job` / `_warmup_job` / `_rewarm` fields, a caller submits a job into
a slot ("analysis", "warm_up", "train"…). Submitting into an occupied slot cancels the job there
first (its answer would be stale). A slot empties itself when its job finishes, whatever the
outcome; `when_idle` runs a follow-up once a slot has emptied (e.g. resume a pre-empted warm-up).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xray_desktop.ui.worker import Job, ModelThread


class JobTracker:
    def __init__(self, models: ModelThread) -> None:
        self.models = models
        self._slots: dict[str, int] = {}  # slot -> its current job (cancelled ones stay until they finish)
        self._live: set[int] = set()  # every unfinished job submitted here, replaced ones included
        self._follow_ups: dict[str, list[Callable[[], None]]] = {}

    def submit(self, slot: str, job: Job, *, on_finished: Callable[[], None] | None = None, **handlers: Any) -> int:
        """Queue `job` in `slot` (cancelling the slot's previous job); handlers as for `ModelThread.submit`."""
        self.cancel(slot)
        job_id = -1

        def finished() -> None:  # the slot is free before the caller's handler runs, so it sees itself idle
            self._live.discard(job_id)
            idle = self._slots.get(slot) == job_id
            if idle:
                del self._slots[slot]
            if on_finished is not None:
                on_finished()
            if idle:
                for follow_up in self._follow_ups.pop(slot, []):
                    follow_up()

        job_id = self.models.submit(job, on_finished=finished, **handlers)
        self._slots[slot] = job_id
        self._live.add(job_id)
        return job_id

    def cancel(self, slot: str) -> bool:
        """Ask the slot's job to stop at its next cancel point; True when there was one."""
        job_id = self._slots.get(slot)
        if job_id is None:
            return False
        self.models.cancel(job_id)
        return True

    def cancel_all(self) -> None:
        """Cancel every job and drop the follow-ups (closing: nothing new may start)."""
        self._follow_ups.clear()
        for job_id in self._live:
            self.models.cancel(job_id)

    def when_idle(self, slot: str, follow_up: Callable[[], None]) -> None:
        """Run `follow_up` once `slot` has no job any more (at once if it has none now)."""
        if slot not in self._slots:
            follow_up()
        else:
            self._follow_ups.setdefault(slot, []).append(follow_up)

    def running(self, slot: str) -> bool:
        return slot in self._slots

    def busy(self) -> bool:
        return bool(self._live)
