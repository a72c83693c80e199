"""The audit log: an append-only SQLite table where each entry carries a keyed hash of the previous one.

`hash = HMAC-SHA256(chain_key, canonical JSON of {id, ts, actor, event, details, prev_hash})`, with
`chain_key` derived from the data key. Editing, deleting or reordering a row breaks the chain at
that row, and because the chain is keyed, someone who edits the SQLite file cannot recompute it
without the data key. `verify()` names the first broken entry.

The chain's head (last id, last hash, count) is also kept by *anchors* outside this file (see
`storage.audit_head`), written inside the same transaction as each append. `verify()` compares the
table with the newest head, so deleting the newest entries, emptying the table, replacing the file
or copying back an older one is reported with the missing range. An append that finds the table
behind its head links the new entry to the head, so the gap stays visible instead of being papered
over by a fresh chain.

Thread-safe: the analysis worker thread and the GUI thread both append. Each call opens its own
connection, and appends run in `BEGIN IMMEDIATE` transactions, which also serialises processes.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import hmac
import json
import logging
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
from xray_desktop.privacy import has_folder, path_hmac, path_key, redact_paths, seal_path
from xray_desktop.storage.audit_head import AuditHead, HeadAnchor

log = logging.getLogger(__name__)

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
# detail keys whose value is a file or folder: stored as the name plus `<key>_hmac`, never the full path
PATH_KEYS = frozenset({"path", "image", "folder", "csv", "data_root", "run_dir", "source", "out", "file", "report"})
FOLDER_KEYS = frozenset({"folder", "data_root", "run_dir"})  # of those, folders: the keyed hash only
_ANCHORED_VERSION = 2  # PRAGMA user_version of a log written with anchors; 0: an older log, anchored on open
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
    """`first_broken_id` is the first entry whose content or link does not check out (None when ok).

    `missing` is the inclusive id range of entries that the head says were written but are gone.
    """

    ok: bool
    first_broken_id: int | None
    reason: str
    entries: int = 0
    missing: tuple[int, int] | None = None


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8: the same value always gives the same text (and hash)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


class AuditLog:
    """Implements the `AuditSink` protocol of `services.session` (`append(actor, event, details)`)."""

    def __init__(self, path: Path, key: bytes, anchors: list[HeadAnchor] | None = None) -> None:
        self.path = Path(path)
        self._chain_key = hmac.new(bytes(key), _CHAIN_CONTEXT, hashlib.sha256).digest()
        self._path_key = path_key(bytes(key))
        self._lock = threading.Lock()
        self.anchors: list[HeadAnchor] = list(anchors or [])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.executescript(_SCHEMA)
            if conn.execute("PRAGMA user_version").fetchone()[0] == 0 and self._count(conn) == 0:
                conn.execute(f"PRAGMA user_version = {_ANCHORED_VERSION}")
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
        """Add one entry, linked to the newest one (or to the head, if the table lost its tail); returns its id.

        Paths in `details` are kept as their file name plus a keyed hash (`<key>_hmac`), never in clear;
        any other text has the folders of the paths it mentions removed (see `xray_desktop.privacy`).
        """
        details_text = canonical_json(self._without_paths(details or {}))
        ts = datetime.now(UTC).isoformat(timespec="milliseconds")
        with self._lock, self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
                entry_id, prev_hash = (row[0] + 1, row[1]) if row else (1, GENESIS)
                head = self._newest_head()
                if head is not None and head.last_id >= entry_id:  # the table lost its tail: keep the gap visible
                    entry_id, prev_hash = head.last_id + 1, head.last_hash
                digest = self._digest(entry_id, ts, str(actor), str(event), details_text, prev_hash)
                conn.execute(
                    "INSERT INTO audit (id, ts, actor, event, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (entry_id, ts, str(actor), str(event), details_text, prev_hash, digest),
                )
                self._write_head(AuditHead(entry_id, digest, max(entry_id, (head.count + 1) if head else 1)))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return entry_id

    def active_lockout(self, username: str) -> float | None:
        """When the newest recorded lockout of `username` ends, unless an administrator unlocked it since.

        The audit log is chained and anchored, so a lockout recorded here survives a user store that was
        restored from an older backup; the auth service re-applies it at the next login.
        """
        with self._lock, self._connect() as conn:
            row = conn.execute(
                "SELECT id, details FROM audit WHERE event = 'account_locked' AND actor = ? ORDER BY id DESC LIMIT 1",
                (username,),
            ).fetchone()
            if row is None:
                return None
            later = conn.execute(
                "SELECT details FROM audit WHERE event = 'user_unlocked' AND id > ?", (int(row[0]),)
            ).fetchall()
        if any(_entry((0, "", "", "", d, "", "")).details.get("user") == username for (d,) in later):
            return None
        until = _entry((0, "", "", "", row[1], "", "")).details.get("until")
        return float(until) if isinstance(until, int | float) else None

    def path_hmac(self, path: str | Path) -> str:
        """The keyed hash an entry carries for `path`: lets an administrator find the entries about a file."""
        return path_hmac(self._path_key, str(path))

    def _without_paths(self, details: dict[str, Any]) -> dict[str, Any]:
        clean: dict[str, Any] = {}
        for name, value in details.items():
            if name in PATH_KEYS and isinstance(value, str | Path) and has_folder(str(value)):
                clean[name], clean[f"{name}_hmac"] = seal_path(self._path_key, str(value))
                if name in FOLDER_KEYS:  # a folder's own name is as telling as the path (a patient's folder)
                    clean[name] = "…"
            else:
                clean[name] = _redacted(value)
        return clean

    def _newest_head(self) -> AuditHead | None:
        """The head with the highest id among the readable anchors (an unreadable one is reported by verify)."""
        heads = []
        for anchor in self.anchors:
            try:
                head = anchor.read()
            except StoreError as exc:
                log.warning("audit head: %s", exc)
                continue
            if head is not None:
                heads.append(head)
        return max(heads, key=lambda h: h.last_id, default=None)

    def _write_head(self, head: AuditHead) -> None:
        for anchor in self.anchors:
            try:
                anchor.write(head)
            except Exception as exc:  # an anchor that cannot be written must not lose the entry itself
                log.warning("audit head: the %s could not be updated (%s)", anchor.name, exc)

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
        """Walk the chain from the first entry, then hold its end against the anchored head.

        Stops at the first entry that was edited, removed or moved; then reports entries that the head
        says were written but are no longer there (truncation, a deleted or replaced file, a rollback).
        """
        chain = self._verify_chain()
        if not chain.ok:
            return chain
        last_id = self._tail()[0]
        heads: list[tuple[str, AuditHead]] = []
        for anchor in self.anchors:
            try:
                head = anchor.read()
            except StoreError as exc:
                return VerifyResult(False, None, f"the {anchor.name} cannot be trusted: {exc}", chain.entries)
            if head is None:
                if last_id:
                    return VerifyResult(
                        False,
                        None,
                        f"the {anchor.name} is missing, so removed entries at the end could not be detected "
                        "(the head was deleted, or the log predates anchoring)",
                        chain.entries,
                    )
                continue
            heads.append((anchor.name, head))
        for name, head in heads:
            if head.last_id > last_id:
                missing = (last_id + 1, head.last_id)
                what = "all entries" if last_id == 0 else "the newest entries"
                return VerifyResult(
                    False,
                    missing[0],
                    f"entries {missing[0]}..{missing[1]} are missing: the {name} records {head.count} entries up "
                    f"to id {head.last_id}, the log ends at id {last_id} ({what} deleted, the file replaced, "
                    "or rolled back to an older copy)",
                    chain.entries,
                    missing,
                )
            if self._hash_of(head.last_id) != head.last_hash:
                return VerifyResult(
                    False,
                    head.last_id,
                    f"entry {head.last_id} is not the one the {name} records (the file was replaced)",
                    chain.entries,
                )
        if len({h.last_id for _, h in heads}) > 1:
            older = min(heads, key=lambda nh: nh[1].last_id)
            newer = max(heads, key=lambda nh: nh[1].last_id)
            return VerifyResult(
                False,
                None,
                f"the {older[0]} (id {older[1].last_id}) is older than the {newer[0]} (id {newer[1].last_id}): "
                "the data folder was rolled back to an older copy",
                chain.entries,
                (older[1].last_id + 1, newer[1].last_id),
            )
        return chain

    def _verify_chain(self) -> VerifyResult:
        expected_prev, expected_id, count = GENESIS, 1, 0
        with self._lock, self._connect() as conn:
            for row in conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM audit ORDER BY id"):
                entry_id, ts, actor, event, details, prev_hash, digest = row
                if entry_id != expected_id:
                    return VerifyResult(
                        False,
                        entry_id,
                        f"entries {expected_id}..{entry_id - 1} are missing (deleted)",
                        count,
                        (expected_id, entry_id - 1),
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

    def _tail(self) -> tuple[int, str]:
        with self._lock, self._connect() as conn:
            row = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS)

    def _hash_of(self, entry_id: int) -> str | None:
        with self._lock, self._connect() as conn:
            row = conn.execute("SELECT hash FROM audit WHERE id = ?", (entry_id,)).fetchone()
        return str(row[0]) if row else None

    @staticmethod
    def _count(conn: sqlite3.Connection) -> int:
        return int(conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0])

    def anchor_if_older(self) -> bool:
        """Give a log written before anchoring existed its head, once, and say so in the chain itself.

        Only for a log whose `user_version` is 0 (older program), with every anchor empty and the chain
        intact; the new `audit_anchored` entry records from which entry on the end is protected. Returns
        True when it anchored.
        """
        if not self.anchors:
            return False
        with self._lock, self._connect() as conn:
            if conn.execute("PRAGMA user_version").fetchone()[0] != 0:
                return False
        try:
            if any(anchor.read() is not None for anchor in self.anchors):
                return False
        except StoreError:
            return False
        last_id, last_hash = self._tail()
        if last_id == 0 or not self._verify_chain().ok:
            return False
        self._write_head(AuditHead(last_id, last_hash, last_id))
        with self._lock, self._connect() as conn:
            conn.execute(f"PRAGMA user_version = {_ANCHORED_VERSION}")
        self.append("system", "audit_anchored", {"entries": last_id})
        return True

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


def _redacted(value: Any) -> Any:
    if isinstance(value, str | Path):
        return redact_paths(str(value))
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    return value


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
