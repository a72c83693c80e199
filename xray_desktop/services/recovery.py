"""Recovering from an unreadable user store: say which file and which backup, and restore it safely.

An unreadable `users.json.enc` used to stop the window before it appeared, with nothing on screen
and nothing in the log. `describe_user_store_problem` gives the dialog (and the log) the file, the
reason and the backup; `restore_user_store_backup` puts the backup back after checking that it
decrypts, keeps the damaged file beside it as evidence, and audits the restore. A backup is older
than the store it replaces, so lockouts made since would be lifted: the auth service re-applies every
lockout the (chained, anchored) audit log records at the next login.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from xray_desktop.encrypted_store import EncryptedStore
from xray_desktop.errors import StoreError
from xray_desktop.security.keys import load_data_key
from xray_desktop.security.users import USERS_FILE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoreProblem:
    path: Path
    reason: str
    backup: Path | None  # None when there is no readable backup

    def message(self) -> str:
        lines = [f"The user accounts file cannot be read:\n{self.path}\n\n{self.reason}"]
        if self.backup is not None:
            lines.append(
                f"\nThe previous good copy is {self.backup.name} in the same folder ({self.backup.parent}). "
                "Restore it to continue; the damaged file is kept beside it, and lockouts recorded since "
                "are applied again."
            )
        else:
            lines.append(
                "\nThere is no readable backup (users.json.bak). Restore the data folder from your backup "
                "(IT guide, section 8)."
            )
        return "\n".join(lines)


def describe_user_store_problem(home: Path, error: StoreError) -> StoreProblem:
    """The file, why it was refused and whether its backup can be used; the problem is logged."""
    path = Path(home) / USERS_FILE
    store = EncryptedStore(path, load_data_key(home))
    backup: Path | None = store.backup_path
    try:
        store.load_backup()
    except StoreError:
        backup = None
    problem = StoreProblem(path, str(error), backup)
    log.error("user store unreadable: %s (backup %s)", error, backup.name if backup else "none usable")
    return problem


def restore_user_store_backup(home: Path) -> Path:
    """Put `users.json.bak` back as `users.json.enc`; the damaged file is kept as `users.json.enc.damaged-<time>`."""
    from xray_desktop.services.audit import open_audit_log

    key = load_data_key(home)
    path = Path(home) / USERS_FILE
    store = EncryptedStore(path, key)
    store.load_backup()  # raises StoreError when the backup is no good either
    kept = None
    if path.exists():
        kept = path.with_name(f"{path.name}.damaged-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}")
        os.replace(path, kept)
    shutil.copy2(store.backup_path, path)
    if os.name == "posix":
        os.chmod(path, 0o600)
    open_audit_log(home, key).append("system", "user_store_restored", {"from": store.backup_path.name})
    log.warning(
        "user store restored from %s (damaged copy kept: %s)", store.backup_path.name, kept.name if kept else "-"
    )
    return path
