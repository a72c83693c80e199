"""The SQLite file that holds history and feedback, and safe connections to it.

Analyses finish on a worker thread while the window reads history on the GUI
thread, so every operation opens its own short-lived connection (SQLite
connections must not cross threads) in WAL mode, and writes are serialised by a
lock so two threads never wait on each other's transaction inside SQLite.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from xray_desktop.crypto import decrypt, encrypt
from xray_desktop.errors import StoreError
from xray_desktop.paths import private_file

DB_FILE_NAME = "records.sqlite3"


def select_where(table: str, **equals: object) -> tuple[str, list[object]]:
    """`SELECT * FROM table` with an `AND` of `column = ?` for each filter that is not None."""
    filters = {column: value for column, value in equals.items() if value is not None}
    sql = f"SELECT * FROM {table}"
    if filters:
        sql += " WHERE " + " AND ".join(f"{column} = ?" for column in filters)
    return sql, list(filters.values())


class Database:
    """One SQLite file; `schema` statements run once per instance (CREATE ... IF NOT EXISTS)."""

    def __init__(self, path: Path, schema: tuple[str, ...] = ()) -> None:
        self.path = Path(path)
        self._write_lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        private_file(self.path)  # owner-only before SQLite opens it; its -wal/-shm files copy this mode
        with self.write() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
        self.create(schema)

    def create(self, schema: tuple[str, ...]) -> None:
        """Run a store's CREATE ... IF NOT EXISTS statements (each store brings its own tables)."""
        with self.write() as conn:
            for statement in schema:
                conn.execute(statement)

    @classmethod
    def in_home(cls, home: Path, schema: tuple[str, ...] = ()) -> Database:
        return cls(Path(home) / DB_FILE_NAME, schema)

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=15)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the records database ({exc})") from None
        conn.row_factory = sqlite3.Row
        return conn

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            yield conn
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: the records database cannot be read ({exc})") from None
        finally:
            conn.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A transaction: committed when the block ends, rolled back (nothing half-written) on error."""
        with self._write_lock:
            conn = self._connect()
            try:
                with conn:
                    yield conn
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path}: the records database cannot be written ({exc})") from None
            finally:
                conn.close()


def seal_json(key: bytes, value: object, aad: str) -> bytes:
    """Encrypt a JSON value for a sensitive column; `aad` binds it to its table and row id."""
    return encrypt(key, json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), aad.encode())


def open_json(key: bytes, blob: bytes, aad: str) -> dict:
    """Decrypt a sealed JSON-object column; a StoreError names the row when it was tampered with,
    keyed otherwise, or holds something other than an object."""
    try:
        value = json.loads(decrypt(key, bytes(blob), aad.encode()).decode("utf-8"))
    except StoreError as exc:
        raise StoreError(f"record {aad}: {exc}") from None
    if not isinstance(value, dict):
        raise StoreError(f"record {aad}: unexpected content")
    return value
