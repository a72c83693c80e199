"""The audit log: an append-only SQLite table where each entry carries a keyed hash of the previous one.

`hash = HMAC-SHA256(chain_key, canonical JSON of {id, ts, actor, event, details, prev_hash})`, with
`chain_key` derived from the data key. Editing, deleting or reordering a row breaks the chain at
that row, and because the chain is keyed, someone who edits the SQLite file cannot recompute it
without the data key. `verify()` names the first broken entry. Limitation: removing the newest
entries (tail truncation) leaves a valid shorter chain; see docs/security.md.

Thread-safe: the analysis worker thread and the GUI thread both append. Each call opens its own
connection, and appends run in `BEGIN IMMEDIATE` transactions, which also serialises processes.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import hmac
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from xray_desktop.atomic import atomic_open
from xray_desktop.errors import StoreError

AUDIT_FILE = "audit.sqlite3"
GENESIS = "0" * 64
_CHAIN_CONTEXT = b"xray-desktop audit chain v1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    actor TEXT NOT NULL,
    event TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
"""
_COLUMNS = ("id", "ts", "actor", "event", "details", "prev_hash", "hash")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    ts: str
    actor: str
    event: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    """`first_broken_id` is the first entry whose content or link does not check out (None when ok)."""

    ok: bool
    first_broken_id: int | None
    reason: str
    entries: int = 0


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8: the same value always gives the same text (and hash)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


class AuditLog:
    """Implements the `AuditSink` protocol of `services.session` (`append(actor, event, details)`)."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = Path(path)
        self._chain_key = hmac.new(bytes(key), _CHAIN_CONTEXT, hashlib.sha256).digest()
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.executescript(_SCHEMA)
        if os.name == "posix":  # user names and file names are personal data: owner only, like the stores
            with contextlib.suppress(OSError):
                os.chmod(self.path, 0o600)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=15, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: the audit log cannot be opened ({exc})") from None
        try:
            yield conn
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: the audit log cannot be used ({exc})") from None
        finally:
            conn.close()

    def _digest(self, entry_id: int, ts: str, actor: str, event: str, details: str, prev_hash: str) -> str:
        body = canonical_json(
            {"id": entry_id, "ts": ts, "actor": actor, "event": event, "details": details, "prev_hash": prev_hash}
        )
        return hmac.new(self._chain_key, body.encode("utf-8"), hashlib.sha256).hexdigest()

    def append(self, actor: str, event: str, details: dict[str, Any] | None = None) -> int:
        """Add one entry, linked to the newest one; returns its id."""
        details_text = canonical_json(details or {})
        ts = datetime.now(UTC).isoformat(timespec="milliseconds")
        with self._lock, self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
                entry_id, prev_hash = (row[0] + 1, row[1]) if row else (1, GENESIS)
                digest = self._digest(entry_id, ts, str(actor), str(event), details_text, prev_hash)
                conn.execute(
                    "INSERT INTO audit (id, ts, actor, event, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (entry_id, ts, str(actor), str(event), details_text, prev_hash, digest),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return entry_id

    def entries(self, limit: int | None = None, newest_first: bool = False) -> list[AuditEntry]:
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT {', '.join(_COLUMNS)} FROM audit ORDER BY id {order}"
        params: tuple[int, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (int(limit),)
        with self._lock, self._connect() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [_entry(row) for row in rows]

    def verify(self) -> VerifyResult:
        """Walk the chain from the first entry; stop at the first entry that was edited, removed or moved."""
        expected_prev, expected_id, count = GENESIS, 1, 0
        with self._lock, self._connect() as conn:
            for row in conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM audit ORDER BY id"):
                entry_id, ts, actor, event, details, prev_hash, digest = row
                if entry_id != expected_id:
                    return VerifyResult(
                        False, entry_id, f"entries {expected_id}..{entry_id - 1} are missing (deleted)", count
                    )
                if prev_hash != expected_prev:
                    return VerifyResult(
                        False,
                        entry_id,
                        "its link to the previous entry is broken (an entry was removed or replaced)",
                        count,
                    )
                if not hmac.compare_digest(str(digest), self._digest(entry_id, ts, actor, event, details, prev_hash)):
                    return VerifyResult(False, entry_id, "its content was changed after it was written", count)
                expected_prev, expected_id, count = digest, entry_id + 1, count + 1
        return VerifyResult(True, None, f"{count} entries, chain intact", count)

    def export_csv(self, out: Path) -> int:
        """Write every entry (with its hashes, so the export can be checked) to a CSV atomically."""
        entries = self.entries()
        with atomic_open(out, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(_COLUMNS)
            for e in entries:
                cells = [e.id, e.ts, e.actor, e.event, canonical_json(e.details), e.prev_hash, e.hash]
                writer.writerow([_csv_safe(c) for c in cells])
        return len(entries)


def _entry(row: tuple[Any, ...]) -> AuditEntry:
    entry_id, ts, actor, event, details, prev_hash, digest = row
    try:
        parsed = json.loads(details)
    except ValueError:
        parsed = {"unparsable": details}
    return AuditEntry(
        entry_id, ts, actor, event, parsed if isinstance(parsed, dict) else {"value": parsed}, prev_hash, digest
    )


def _csv_safe(value: Any) -> Any:
    """Spreadsheet programs run cells starting with = + - @ as formulas; quote them."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
