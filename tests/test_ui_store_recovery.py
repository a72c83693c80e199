"""A corrupt user store at start-up: a dialog names the file and users.json.bak, Restore puts it back
(issue 15, defect 6)."""

from __future__ import annotations

from pathlib import Path

from conftest import TEST_ADMIN
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from xray_desktop.security.passwords import ScryptParams
from xray_desktop.security.permissions import Role
from xray_desktop.security.users import USERS_FILE
from xray_desktop.services.auth import AuthService
from xray_desktop.services.users import UserAdmin


def _damaged_store(home: Path) -> None:
    service = AuthService.open(home, params=ScryptParams(n=2**8))
    admin = service.create_first_admin(*TEST_ADMIN)
    UserAdmin(service.users).add_user(admin, "dr.a", "Temporary-pass-1", Role.DOCTOR)
    path = home / USERS_FILE
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x55
    path.write_bytes(bytes(data))


def _answer(button_text: str, seen: list[str]) -> None:
    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, click)
            return
        seen.append(box.text())
        next(b for b in box.buttons() if b.text() == button_text).click()

    QTimer.singleShot(50, click)


def test_the_dialog_names_file_and_backup_and_restore_lets_the_program_start(qtbot, isolated_home: Path) -> None:
    from xray_desktop.ui.startup import open_auth_or_recover

    _damaged_store(isolated_home)
    seen: list[str] = []
    _answer("Restore backup", seen)
    auth = open_auth_or_recover()
    assert auth is not None and not auth.needs_first_admin()
    assert str(isolated_home / USERS_FILE) in seen[0] and "users.json.bak" in seen[0]
    assert "user_store_restored" in [e.event for e in auth.audit.entries()]


def test_quit_leaves_the_files_alone(qtbot, isolated_home: Path) -> None:
    from xray_desktop.ui.startup import open_auth_or_recover

    _damaged_store(isolated_home)
    before = (isolated_home / USERS_FILE).read_bytes()
    seen: list[str] = []
    _answer("Quit", seen)
    assert open_auth_or_recover() is None
    assert seen and (isolated_home / USERS_FILE).read_bytes() == before
