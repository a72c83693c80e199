"""Audit log: keyed hash chain, verify() names the first edited/removed entry, thread-safe appends, CSV export."""

from __future__ import annotations

import csv
import itertools
import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from xray_desktop.errors import NotAllowedError
from xray_desktop.security.keys import load_data_key
from xray_desktop.security.permissions import Role
from xray_desktop.services.audit import export_audit_csv, open_audit_log
from xray_desktop.services.session import Session
from xray_desktop.storage.audit import GENESIS, AuditLog


@pytest.fixture
def log(isolated_home: Path) -> AuditLog:
    audit = open_audit_log(isolated_home)
    for i in range(1, 6):
        audit.append("alice", "analysis", {"image": f"case{i}.png", "probability": 0.1 * i})
    return audit


def test_entries_are_linked(log: AuditLog) -> None:
    entries = log.entries()
    assert [e.id for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert entries[2].details == {"image": "case3.png", "probability": pytest.approx(0.3)}
    result = log.verify()
    assert result.ok and result.first_broken_id is None and result.entries == 5


def test_editing_a_row_in_sqlite_is_found(log: AuditLog) -> None:
    with sqlite3.connect(log.path) as conn:
        conn.execute("UPDATE audit SET details = ? WHERE id = 3", ('{"image":"other.png"}',))
    result = log.verify()
    assert not result.ok and result.first_broken_id == 3 and "changed" in result.reason


def test_recomputing_hashes_without_the_key_does_not_help(log: AuditLog) -> None:
    import hashlib

    with sqlite3.connect(log.path) as conn:
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE id = 2")
        conn.execute("UPDATE audit SET hash = ? WHERE id = 2", (hashlib.sha256(b"forged").hexdigest(),))
    result = log.verify()
    assert result.first_broken_id == 2


def test_deleting_a_row_is_found(log: AuditLog) -> None:
    with sqlite3.connect(log.path) as conn:
        conn.execute("DELETE FROM audit WHERE id = 2")
    result = log.verify()
    assert not result.ok and result.first_broken_id == 3 and "missing" in result.reason


def test_relinking_a_row_is_found(log: AuditLog) -> None:
    with sqlite3.connect(log.path) as conn:
        conn.execute("UPDATE audit SET prev_hash = ? WHERE id = 4", (GENESIS,))
    assert log.verify().first_broken_id == 4


def test_another_key_cannot_verify(log: AuditLog) -> None:
    assert not AuditLog(log.path, b"x" * 32).verify().ok


def test_appends_from_many_threads_keep_the_chain(isolated_home: Path) -> None:
    audit = open_audit_log(isolated_home)

    def work(n: int) -> None:
        for i in range(10):
            audit.append(f"worker{n}", "analysis", {"i": i})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = audit.verify()
    assert result.ok and result.entries == 40


def test_the_chain_continues_across_reopen(log: AuditLog, isolated_home: Path) -> None:
    again = open_audit_log(isolated_home, load_data_key(isolated_home))
    again.append("bob", "logout", {})
    assert again.verify().entries == 6


def test_export_needs_an_admin_and_is_audited(log: AuditLog, tmp_path: Path) -> None:
    out = tmp_path / "audit.csv"
    for role in (Role.DOCTOR, Role.STUDENT):
        with pytest.raises(NotAllowedError, match="export audit"):
            export_audit_csv(Session("u", role, log), log, out)
    assert not out.exists()
    assert export_audit_csv(Session("root", Role.ADMIN, log), log, out) == 5
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["id"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert rows[0]["actor"] == "alice" and rows[4]["hash"] == log.entries()[4].hash
    assert log.entries()[-1].event == "audit_exported"


def test_csv_cells_cannot_become_spreadsheet_formulas(isolated_home: Path, tmp_path: Path) -> None:
    audit = open_audit_log(isolated_home)
    audit.append("=cmd|'/c calc'!A1", "login", {})
    audit.export_csv(tmp_path / "a.csv")
    rows = list(csv.DictReader((tmp_path / "a.csv").open(encoding="utf-8")))
    assert rows[0]["actor"].startswith("'=")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_audit_file_is_owner_only(log: AuditLog) -> None:
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
