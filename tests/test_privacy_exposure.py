"""Least exposure on disk (issue 15, defect 4): owner-only folder and files, no folder names in the audit log,
no paths in the log at INFO."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from xray_desktop.paths import data_home, logs_dir
from xray_desktop.privacy import RedactPathsFilter, redact_paths
from xray_desktop.services.audit import open_audit_log
from xray_desktop.storage.database import Database

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@posix_only
def test_data_folder_logs_and_records_are_owner_only(isolated_home: Path) -> None:
    isolated_home.mkdir(mode=0o755)
    os.chmod(isolated_home, 0o755)
    assert _mode(data_home()) == 0o700
    assert _mode(logs_dir()) == 0o700
    db = Database.in_home(isolated_home)
    with db.write() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
    for name in os.listdir(isolated_home):
        if name.startswith("records.sqlite3"):
            assert _mode(isolated_home / name) == 0o600, name


@posix_only
def test_the_log_file_is_owner_only_and_redacts_paths(isolated_home: Path, qapp) -> None:
    from xray_desktop.ui.error_dialog import configure_logging, log_file

    root = logging.getLogger("xray_desktop")
    before = list(root.handlers)
    try:
        configure_logging()
        logging.getLogger("xray_desktop.test").info("job failed: /home/dr/Patients/DOE JOHN/film.png: bad file")
        for handler in root.handlers:
            handler.flush()
        assert _mode(Path(log_file())) == 0o600
        text = Path(log_file()).read_text(encoding="utf-8")
        assert "film.png" in text and "Patients" not in text and "DOE" not in text
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
                handler.close()


def test_the_audit_log_keeps_file_names_and_a_keyed_hash_not_folders(isolated_home: Path) -> None:
    audit = open_audit_log(isolated_home)
    secret = "/srv/scans/SMITH^JANE/chest.dcm"
    audit.append("dr", "analysis", {"path": secret, "image_sha256": "ab" * 32})
    audit.append("dr", "batch_failed", {"folder": "/srv/scans/SMITH^JANE", "error": f"{secret}: unreadable"})
    with sqlite3.connect(audit.path) as conn:
        raw = " ".join(row[0] for row in conn.execute("SELECT details FROM audit"))
    assert "SMITH" not in raw and "/srv" not in raw
    first, second = (json.loads(json.dumps(e.details)) for e in audit.entries())
    assert first["path"] == "chest.dcm" and first["path_hmac"] == audit.path_hmac(secret)
    assert first["image_sha256"] == "ab" * 32  # a bare value with no folder is kept
    assert second["error"] == "…/chest.dcm: unreadable" and second["folder"] == "…" and second["folder_hmac"]
    assert audit.verify().ok


def test_redaction_keeps_file_names_and_handles_windows_and_spaces() -> None:
    assert redact_paths(r"C:\Users\Jane Doe\scans\2.dcm: bad") == "…/2.dcm: bad"
    assert redact_paths("threshold 0.5, model a/b") == "threshold 0.5, model a/b"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "open %s", ("/data/Pat Doe/x.png",), None)
    RedactPathsFilter().filter(record)
    assert record.getMessage() == "open …/x.png"
    debug = logging.LogRecord("x", logging.DEBUG, __file__, 1, "open %s", ("/data/Pat Doe/x.png",), None)
    RedactPathsFilter().filter(debug)
    assert "Pat Doe" in debug.getMessage()
