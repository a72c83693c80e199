"""The feedback use-case: a reader agrees or disagrees with a model's answer; admins export it for retraining."""

from __future__ import annotations

import csv
from pathlib import Path

from xray_desktop.atomic import atomic_open
from xray_desktop.errors import InputError, UsageError
from xray_desktop.results import AnalysisResult, TaskStatus
from xray_desktop.security.keys import load_data_key
from xray_desktop.security.permissions import Permission
from xray_desktop.services.session import Session
from xray_desktop.storage.database import Database
from xray_desktop.storage.feedback import FeedbackEntry, FeedbackStore, Verdict
from xray_desktop.tasks import require_task

CSV_COLUMNS = (
    "feedback_id",
    "created_utc",
    "username",
    "image_sha256",
    "image_path",
    "task",
    "model_id",
    "model_version",
    "model_sha256",
    "model_probability",
    "model_label",
    "verdict",
    "correct_label",
    "comment",
)


class FeedbackService:
    """Feedback for one data home (default: the user data folder)."""

    def __init__(self, home: Path | None = None) -> None:
        if home is None:
            from xray_desktop.paths import data_home

            home = data_home()
        self._store = FeedbackStore(Database.in_home(home), load_data_key(home).key)

    def record(
        self,
        session: Session,
        analysis: AnalysisResult,
        task: str,
        verdict: Verdict | str,
        correct_label: str | None = None,
        comment: str = "",
        history_id: str | None = None,
    ) -> FeedbackEntry:
        """Store feedback on `task`'s answer for this analysis.

        The correct label is one of the task's labels; when omitted it follows from the
        verdict (agree: the model's label; disagree: the other label; unsure: none).
        """
        session.require(Permission.FEEDBACK)
        spec = require_task(task)
        try:
            verdict = Verdict(verdict)
        except ValueError:
            raise UsageError(
                f"feedback must be one of {', '.join(v.value for v in Verdict)}, not {verdict!r}"
            ) from None
        result = analysis.result_for(task)
        if result is None or result.status is not TaskStatus.OK:
            raise UsageError(f"{analysis.path}: there is no {task} answer to give feedback on")
        if correct_label is None and verdict is not Verdict.UNSURE and result.decision is not None:
            model_positive = result.decision if verdict is Verdict.AGREE else not result.decision
            correct_label = spec.positive_label if model_positive else spec.negative_label
        if correct_label is not None and correct_label not in spec.labels:
            raise UsageError(f"{correct_label!r} is not a label of {task}; choose one of {', '.join(spec.labels)}")
        entry = self._store.add(
            username=session.username,
            image_sha256=analysis.image_sha256,
            task=task,
            verdict=verdict,
            model_id=result.model_id,
            history_id=history_id,
            correct_label=correct_label,
            comment=comment.strip(),
            path=str(analysis.path),
            model_version=result.model_version,
            model_sha256=result.model_sha256,
            model_probability=None if result.probability is None else float(result.probability),
            model_label=result.label,
        )
        session.record("feedback", entry=entry.id, image=entry.image_sha256, task=task, verdict=verdict.value)
        return entry

    def for_image(self, session: Session, image_sha256: str) -> list[FeedbackEntry]:
        """Feedback already given on this image, oldest first, to show when it is opened again.

        Only the reader's own feedback, except for administrators (who export it all anyway): a student
        opening a case must not read a colleague's comment, nor learn the answer from it in teaching mode.
        """
        session.require(Permission.ANALYZE)
        entries = self._store.list(image_sha256=image_sha256)
        if session.can(Permission.EXPORT_FEEDBACK):
            return entries
        return [e for e in entries if e.username == session.username]

    def export_csv(self, session: Session, out_path: str | Path) -> int:
        """Write all feedback to a CSV (atomically) for retraining; returns the number of rows."""
        session.require(Permission.EXPORT_FEEDBACK)
        out = Path(out_path)
        entries = self._store.list()
        try:
            with atomic_open(out, "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(CSV_COLUMNS)
                for e in entries:
                    writer.writerow(_csv_row(e))
        except OSError as exc:
            raise InputError(f"{out}: the feedback CSV cannot be written ({exc.strerror or exc})") from None
        session.record("feedback_export", path=str(out), rows=len(entries))
        return len(entries)


def _csv_row(e: FeedbackEntry) -> list[str]:
    values = [
        e.id,
        e.created.isoformat(),
        e.username,
        e.image_sha256 or "",
        e.path,
        e.task,
        e.model_id or "",
        e.model_version or "",
        e.model_sha256 or "",
        "" if e.model_probability is None else f"{e.model_probability:.6f}",
        e.model_label or "",
        e.verdict.value,
        e.correct_label or "",
        e.comment,
    ]
    return [_spreadsheet_safe(v) for v in values]


def _spreadsheet_safe(value: str) -> str:
    """Stop a comment like "=HYPERLINK(...)" from running as a formula when the CSV is opened in a spreadsheet."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
