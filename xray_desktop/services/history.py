"""The analysis history use-case: keep each analysis, list them, re-open one.

Admins see everyone's cases; other users see their own. Safe to call from the
analysis worker thread and the GUI thread at once (see storage.database).
"""

from __future__ import annotations

from pathlib import Path

from xray_desktop.errors import InputError, NotAllowedError
from xray_desktop.results import AnalysisResult
from xray_desktop.security.keys import load_data_key
from xray_desktop.security.permissions import Permission
from xray_desktop.services.session import Session
from xray_desktop.storage.database import Database
from xray_desktop.storage.history import HistoryEntry, HistoryStore


class HistoryService:
    """History for one data home (default: the user data folder)."""

    def __init__(self, home: Path | None = None) -> None:
        if home is None:
            from xray_desktop.paths import data_home

            home = data_home()
        self._store = HistoryStore(Database.in_home(home), load_data_key(home).key)

    def record_analysis(self, session: Session, analysis: AnalysisResult) -> HistoryEntry:
        """Keep one finished analysis (also one that failed to load, so the attempt is visible)."""
        session.require(Permission.ANALYZE)
        entry = self._store.add(session.username, analysis)
        session.record("history_add", entry=entry.id, image=entry.image_sha256)
        return entry

    def list_history(self, session: Session, limit: int = 100) -> list[HistoryEntry]:
        """Newest first: all users' cases for an admin, otherwise the user's own."""
        session.require(Permission.ANALYZE)
        return self._store.list(limit=limit, username=self._scope(session))

    def for_image(self, session: Session, image_sha256: str, limit: int = 20) -> list[HistoryEntry]:
        """Earlier analyses of the same image (by content hash), newest first."""
        session.require(Permission.ANALYZE)
        return self._store.list(limit=limit, username=self._scope(session), image_sha256=image_sha256)

    def get(self, session: Session, entry_id: str) -> HistoryEntry:
        """One stored case; InputError when it does not exist, NotAllowedError when it is another user's."""
        session.require(Permission.ANALYZE)
        entry = self._store.get(entry_id)
        if entry is None:
            raise InputError(f"history entry {entry_id!r} does not exist")
        scope = self._scope(session)
        if scope is not None and entry.username != scope:
            raise NotAllowedError(f"user {session.username!r} cannot open history entry {entry_id!r} of another user")
        return entry

    @staticmethod
    def _scope(session: Session) -> str | None:
        return None if session.can(Permission.MANAGE_USERS) else session.username
