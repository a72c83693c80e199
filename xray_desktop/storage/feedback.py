"""Reader feedback on model answers: agree / disagree / unsure, the correct label, a comment.

Stored beside history in the records database. The label, the comment and the
image path are sealed (they are clinical judgements tied to an image); the
user, task, model id, verdict and image hash stay in clear so feedback can be
found by image and counted per model.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from xray_desktop.storage.database import Database, open_json, seal_json, select_where

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS feedback (
        id TEXT PRIMARY KEY,
        created TEXT NOT NULL,
        username TEXT NOT NULL,
        image_sha256 TEXT,
        task TEXT NOT NULL,
        verdict TEXT NOT NULL,
        model_id TEXT,
        history_id TEXT,
        payload BLOB NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS feedback_image ON feedback(image_sha256)",
)


class Verdict(StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"
    UNSURE = "unsure"


@dataclass(frozen=True)
class FeedbackEntry:
    id: str
    created: datetime  # UTC
    username: str
    image_sha256: str | None
    task: str
    verdict: Verdict
    model_id: str | None
    history_id: str | None
    correct_label: str | None
    comment: str
    path: str
    model_version: str | None = None
    model_sha256: str | None = None
    model_probability: float | None = None
    model_label: str | None = None


_SEALED = ("correct_label", "comment", "path", "model_version", "model_sha256", "model_probability", "model_label")


class FeedbackStore:
    def __init__(self, db: Database, key: bytes) -> None:
        db.create(SCHEMA)
        self._db = db
        self._key = key

    def add(self, **values: Any) -> FeedbackEntry:
        """Store one feedback; `values` are FeedbackEntry fields other than id and created."""
        entry = FeedbackEntry(id=uuid.uuid4().hex, created=datetime.now(UTC), **values)
        blob = seal_json(self._key, {name: getattr(entry, name) for name in _SEALED}, f"feedback:{entry.id}")
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO feedback (id, created, username, image_sha256, task, verdict, model_id, history_id, payload)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.id,
                    entry.created.isoformat(),
                    entry.username,
                    entry.image_sha256,
                    entry.task,
                    entry.verdict.value,
                    entry.model_id,
                    entry.history_id,
                    blob,
                ),
            )
        return entry

    def list(self, image_sha256: str | None = None, username: str | None = None) -> list[FeedbackEntry]:
        """Oldest first (the order a CSV for retraining wants); optionally one image's or one user's."""
        sql, params = select_where("feedback", image_sha256=image_sha256, username=username)
        sql += " ORDER BY created, rowid"
        with self._db.read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [self._entry(row) for row in rows]

    def _entry(self, row: Any) -> FeedbackEntry:
        sealed = open_json(self._key, row["payload"], f"feedback:{row['id']}")
        fields: dict[str, Any] = {name: sealed.get(name) for name in _SEALED if name != "comment"}
        return FeedbackEntry(
            id=row["id"],
            created=datetime.fromisoformat(row["created"]),
            username=row["username"],
            image_sha256=row["image_sha256"],
            task=row["task"],
            verdict=Verdict(row["verdict"]),
            model_id=row["model_id"],
            history_id=row["history_id"],
            **fields,
            comment=sealed.get("comment") or "",
        )
