"""Every analysis kept, so an old case can be listed and re-opened (its path plus the stored results).

The image path and the results are health data tied to a person, so they are
sealed (AES-GCM, bound to the row id); only the time, the user and the image
hash stay in clear, which is what listing and lookup by image need.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from xray_desktop.radiograph import Radiograph
from xray_desktop.results import AnalysisResult, TaskResult, TaskStatus
from xray_desktop.storage.database import Database, open_json, seal_json, select_where

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS history (
        id TEXT PRIMARY KEY,
        created TEXT NOT NULL,
        username TEXT NOT NULL,
        image_sha256 TEXT,
        payload BLOB NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS history_created ON history(created)",
    "CREATE INDEX IF NOT EXISTS history_image ON history(image_sha256)",
)

_RESULT_FIELDS = (
    "task",
    "message",
    "model_id",
    "model_name",
    "model_version",
    "model_sha256",
    "validation_auc",
    "validation_data",
    "probability",
    "threshold",
    "decision",
    "label",
    "method",
    "map_of",
)


def result_to_record(result: TaskResult) -> dict[str, Any]:
    """Everything about a task result except the heatmap (recomputed when the case is re-opened)."""
    record: dict[str, Any] = {name: getattr(result, name) for name in _RESULT_FIELDS}
    record["status"] = result.status.value
    if record["probability"] is not None:
        record["probability"] = float(record["probability"])
    record["boxes"] = [list(map(int, b)) for b in result.boxes]
    return record


def result_from_record(record: dict[str, Any]) -> TaskResult:
    values: dict[str, Any] = {name: record.get(name) for name in _RESULT_FIELDS}
    return TaskResult(
        status=TaskStatus(record.get("status", TaskStatus.OK.value)),
        boxes=[(int(x), int(y), int(w), int(h)) for x, y, w, h in record.get("boxes", [])],
        **values,
    )


@dataclass(frozen=True)
class HistoryEntry:
    """One stored analysis."""

    id: str
    created: datetime  # UTC
    username: str
    image_sha256: str | None
    path: str
    results: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def file_name(self) -> str:
        return Path(self.path).name

    def task_results(self) -> list[TaskResult]:
        """The stored results as TaskResult values (no heatmap), e.g. to show or report an old case."""
        return [result_from_record(r) for r in self.results]

    def to_analysis(self, image: Radiograph | None = None) -> AnalysisResult:
        """The stored case as an AnalysisResult (pass the re-loaded image to show or report it again)."""
        return AnalysisResult(
            path=self.path, image=image, results=self.task_results(), warnings=list(self.warnings), error=self.error
        )

    def summary(self) -> str:
        """One line for a list: "pneumonia 0.87 positive; fracture: no model"."""
        parts = []
        for r in self.results:
            if r.get("status") == TaskStatus.OK.value and r.get("probability") is not None:
                verdict = "" if r.get("decision") is None else (" positive" if r["decision"] else " negative")
                parts.append(f"{r['task']} {r['probability']:.2f}{verdict}")
            elif r.get("status") == TaskStatus.NOT_INSTALLED.value:
                parts.append(f"{r['task']}: no model")
            else:
                parts.append(f"{r['task']}: unavailable")
        if self.error:
            parts.append(f"error: {self.error}")
        return "; ".join(parts)


class HistoryStore:
    """Rows of the `history` table, with the sensitive part sealed by the data key."""

    def __init__(self, db: Database, key: bytes) -> None:
        db.create(SCHEMA)
        self._db = db
        self._key = key

    def add(self, username: str, analysis: AnalysisResult, when: datetime | None = None) -> HistoryEntry:
        entry = HistoryEntry(
            id=uuid.uuid4().hex,
            created=(when or datetime.now(UTC)).astimezone(UTC),
            username=username,
            image_sha256=analysis.image_sha256,
            path=str(analysis.path),
            results=[result_to_record(r) for r in analysis.results],
            warnings=list(analysis.warnings),
            error=analysis.error,
        )
        payload = {"path": entry.path, "results": entry.results, "warnings": entry.warnings, "error": entry.error}
        blob = seal_json(self._key, payload, f"history:{entry.id}")
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO history (id, created, username, image_sha256, payload) VALUES (?, ?, ?, ?, ?)",
                (entry.id, entry.created.isoformat(), username, entry.image_sha256, blob),
            )
        return entry

    def list(
        self, limit: int = 100, username: str | None = None, image_sha256: str | None = None
    ) -> list[HistoryEntry]:
        """Newest first, optionally only one user's or one image's."""
        sql, params = select_where("history", username=username, image_sha256=image_sha256)
        sql += " ORDER BY created DESC, rowid DESC LIMIT ?"
        params.append(int(limit))
        with self._db.read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [self._entry(row) for row in rows]

    def get(self, entry_id: str) -> HistoryEntry | None:
        with self._db.read() as conn:
            row = conn.execute("SELECT * FROM history WHERE id = ?", (entry_id,)).fetchone()
        return None if row is None else self._entry(row)

    def _entry(self, row: Any) -> HistoryEntry:
        payload = open_json(self._key, row["payload"], f"history:{row['id']}")
        return HistoryEntry(
            id=row["id"],
            created=datetime.fromisoformat(row["created"]),
            username=row["username"],
            image_sha256=row["image_sha256"],
            path=payload.get("path", ""),
            results=list(payload.get("results", [])),
            warnings=list(payload.get("warnings", [])),
            error=payload.get("error"),
        )
