"""A corrupt user store names the file and the backup; restoring the backup never lifts a later lockout
(issue 15, defect 6)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from conftest import TEST_ADMIN

from xray_desktop.errors import StoreError
from xray_desktop.security.passwords import ScryptParams
from xray_desktop.security.permissions import Role
from xray_desktop.security.users import USERS_FILE, AccountLockedError
from xray_desktop.services.auth import AuthService
from xray_desktop.services.recovery import describe_user_store_problem, restore_user_store_backup
from xray_desktop.services.users import UserAdmin

PARAMS = ScryptParams(n=2**8)


def _service(home: Path) -> AuthService:
    return AuthService.open(home, params=PARAMS)


def _corrupt(home: Path) -> None:
    path = home / USERS_FILE
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_corrupt_store_is_described_with_its_backup_and_logged(isolated_home: Path, caplog) -> None:
    service = _service(isolated_home)
    admin = service.create_first_admin(*TEST_ADMIN)
    UserAdmin(service.users).add_user(admin, "dr.a", "Temporary-pass-1", Role.DOCTOR)  # a second save: .bak exists
    _corrupt(isolated_home)
    with pytest.raises(StoreError) as info:
        _service(isolated_home).needs_first_admin()
    with caplog.at_level(logging.ERROR):
        problem = describe_user_store_problem(isolated_home, info.value)
    assert problem.path == isolated_home / USERS_FILE and problem.backup == isolated_home / "users.json.bak"
    assert "users.json.bak" in problem.message() and str(isolated_home / USERS_FILE) in problem.message()
    assert any("user store unreadable" in r.message for r in caplog.records)
    restore_user_store_backup(isolated_home)
    assert not _service(isolated_home).needs_first_admin()
    assert any(p.name.startswith("users.json.enc.damaged-") for p in isolated_home.iterdir())


def test_restoring_a_backup_does_not_lift_a_later_lockout(isolated_home: Path) -> None:
    service = _service(isolated_home)
    admin = service.create_first_admin(*TEST_ADMIN)
    UserAdmin(service.users).add_user(admin, "dr.a", "Temporary-pass-1", Role.DOCTOR)
    saved = (isolated_home / USERS_FILE).read_bytes()  # what an attacker keeps to "restore" later
    for _ in range(5):
        with pytest.raises(Exception):  # noqa: B017 - wrong passwords until the lockout
            service.login("dr.a", "wrong-password-0")
    with pytest.raises(AccountLockedError):
        service.login("dr.a", "Temporary-pass-1")
    (isolated_home / USERS_FILE).write_bytes(saved)  # the store from before the lockout
    again = _service(isolated_home)
    assert again.users.get("dr.a").locked_until is None  # the restored store has lost the lock...
    with pytest.raises(AccountLockedError):  # ...but the audit log has it, and it applies again
        again.login("dr.a", "Temporary-pass-1")
    assert again.users.get("dr.a").locked_until is not None
    assert "lockout_reapplied" in [e.event for e in again.audit.entries()]


def test_an_admin_unlock_is_not_undone_by_the_recorded_lockout(isolated_home: Path) -> None:
    from xray_desktop.security.users import PasswordChangeRequired

    service = _service(isolated_home)
    admin = service.create_first_admin(*TEST_ADMIN)
    UserAdmin(service.users).add_user(admin, "dr.a", "Temporary-pass-1", Role.DOCTOR)
    for _ in range(5):
        with pytest.raises(Exception):  # noqa: B017
            service.login("dr.a", "wrong-password-0")
    UserAdmin(service.users).unlock(admin, "dr.a")
    with pytest.raises(PasswordChangeRequired):  # past the lock: the temporary password must be changed
        service.login("dr.a", "Temporary-pass-1")
