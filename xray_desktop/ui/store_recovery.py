"""The dialog for an unreadable user store: which file, why, which backup; restore it or quit.

Before this, a damaged `users.json.enc` stopped the program before any window appeared. Now the
user sees the file and `users.json.bak` named, the event is in the log (`services.recovery`), and
"Restore backup" puts the last good copy back (lockouts recorded since are applied again at login).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from xray_desktop.errors import StoreError
from xray_desktop.services.recovery import describe_user_store_problem, restore_user_store_backup


def offer_user_store_recovery(home: Path, error: StoreError, parent: QWidget | None = None) -> bool:
    """Show the problem; True when the backup was restored (start again), False to quit."""
    problem = describe_user_store_problem(home, error)
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("User accounts cannot be read")
    box.setText(problem.message())
    restore = None
    if problem.backup is not None:
        restore = box.addButton("Restore backup", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    if restore is None or box.clickedButton() is not restore:
        return False
    try:
        restore_user_store_backup(home)
    except (StoreError, OSError) as exc:
        QMessageBox.critical(parent, "Backup not restored", str(exc))
        return False
    return True
