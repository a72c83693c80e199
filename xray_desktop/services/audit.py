"""Audit use-cases shared by the window and the CLI: open the log, verify it, export it (admins only)."""

from __future__ import annotations

from pathlib import Path

from xray_desktop.security.keys import DataKey, load_data_key
from xray_desktop.security.permissions import Permission
from xray_desktop.services.audit_anchor import head_anchors
from xray_desktop.services.session import Session
from xray_desktop.storage.audit import AUDIT_FILE, AuditLog, VerifyResult


def open_audit_log(home: Path | None = None, key: DataKey | None = None) -> AuditLog:
    """The audit log of a data folder (default: the user data folder); CLI commands attach it to `os_session`."""
    if home is None:
        from xray_desktop.paths import data_home

        home = data_home()
    data_key = key or load_data_key(home)
    log = AuditLog(home / AUDIT_FILE, data_key.key, head_anchors(home, data_key))
    log.anchor_if_older()
    return log


def verify_audit(log: AuditLog) -> VerifyResult:
    """Anyone may check the chain; the result names the first broken entry."""
    return log.verify()


def export_audit_csv(session: Session, log: AuditLog, out: Path) -> int:
    """Write the whole log to `out` (CSV); needs the export_audit permission; the export itself is audited."""
    session.require(Permission.EXPORT_AUDIT)
    count = log.export_csv(out)
    session.record("audit_exported", path=str(out), entries=count)
    return count
