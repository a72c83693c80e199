"""Anchored audit log: the chain head kept outside audit.sqlite3 makes truncation, deletion, a replaced
file and a rollback to an older copy visible, with the missing range (issue 15, defect 2)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from xray_desktop.services.audit import open_audit_log
from xray_desktop.services.audit_anchor import HEAD_FILE, KeyringHeadMirror, SealedHeadFile
from xray_desktop.storage.audit import AuditLog


@pytest.fixture
def log(isolated_home: Path) -> AuditLog:
    audit = open_audit_log(isolated_home)
    for i in range(1, 11):
        audit.append("alice", "analysis", {"i": i})
    return audit


def test_an_intact_log_verifies_with_both_anchors(log: AuditLog, memory_keyring) -> None:
    assert {type(a) for a in log.anchors} == {SealedHeadFile, KeyringHeadMirror}
    assert any(name.startswith("audit-head-") for _, name in memory_keyring.entries)
    result = log.verify()
    assert result.ok and result.entries == 10


def test_deleting_the_newest_entries_is_reported_with_the_range(log: AuditLog) -> None:
    with sqlite3.connect(log.path) as conn:
        conn.execute("DELETE FROM audit WHERE id > 7")
    result = log.verify()
    assert not result.ok and result.missing == (8, 10)
    assert "entries 8..10 are missing" in result.reason


def test_deleting_every_entry_is_reported(log: AuditLog) -> None:
    with sqlite3.connect(log.path) as conn:
        conn.execute("DELETE FROM audit")
    result = log.verify()
    assert not result.ok and result.missing == (1, 10) and "all entries" in result.reason


def test_deleting_the_file_is_reported_and_later_appends_keep_the_gap(log: AuditLog, isolated_home: Path) -> None:
    log.path.unlink()
    again = open_audit_log(isolated_home)
    assert again.verify().missing == (1, 10)
    assert again.append("bob", "login", {}) == 11  # linked to the head, not a fresh chain from 1
    result = again.verify()
    assert not result.ok and result.missing == (1, 10)


def test_rollback_to_an_older_copy_of_the_log_is_reported(log: AuditLog, tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite3"
    shutil.copy(log.path, old)
    log.append("alice", "analysis", {"i": 11})
    shutil.copy(old, log.path)
    result = log.verify()
    assert not result.ok and result.missing == (11, 11)


def test_rollback_of_log_and_sealed_head_together_is_caught_by_the_keyring_mirror(
    log: AuditLog, isolated_home: Path, tmp_path: Path
) -> None:
    saved = {name: (isolated_home / name).read_bytes() for name in ("audit.sqlite3", HEAD_FILE)}
    log.append("alice", "analysis", {"i": 11})
    log.append("alice", "analysis", {"i": 12})
    for name, data in saved.items():
        (isolated_home / name).write_bytes(data)
    result = open_audit_log(isolated_home).verify()
    assert not result.ok and result.missing == (11, 12)


def test_a_forged_head_file_is_refused(log: AuditLog, isolated_home: Path) -> None:
    (isolated_home / HEAD_FILE).write_bytes(b"XRE\x01" + b"\x00" * 40)
    result = log.verify()
    assert not result.ok and "sealed head file cannot be trusted" in result.reason


def test_a_log_from_before_anchoring_is_anchored_once_and_says_so(isolated_home: Path) -> None:
    from xray_desktop.security.keys import load_data_key

    key = load_data_key(isolated_home)
    legacy = AuditLog(isolated_home / "audit.sqlite3", key.key)
    with sqlite3.connect(legacy.path) as conn:
        conn.execute("PRAGMA user_version = 0")
    for i in range(3):
        legacy.append("alice", "login", {"i": i})
    anchored = open_audit_log(isolated_home, key)
    entries = anchored.entries()
    assert entries[-1].event == "audit_anchored" and entries[-1].details == {"entries": 3}
    assert anchored.verify().ok
    with sqlite3.connect(anchored.path) as conn:
        conn.execute("DELETE FROM audit WHERE id = 4")
    assert open_audit_log(isolated_home, key).verify().missing == (4, 4)


def test_cli_verify_reports_truncation_with_exit_3(log: AuditLog, capsys: pytest.CaptureFixture[str]) -> None:
    from xray_desktop.cli import main
    from xray_desktop.errors import EXIT_INPUT

    assert main(["audit", "verify"]) == 0
    with sqlite3.connect(log.path) as conn:
        conn.execute("DELETE FROM audit WHERE id >= 9")
    capsys.readouterr()
    assert main(["audit", "verify"]) == EXIT_INPUT
    out = capsys.readouterr().out
    assert "BROKEN" in out and "missing: entries 9..10" in out
