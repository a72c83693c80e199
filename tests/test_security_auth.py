"""Login through AuthService: Sessions carry the audit log; failures, lockouts and logouts are audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TEST_ADMIN

from xray_desktop.errors import NotAllowedError
from xray_desktop.security.idle import IdleLock
from xray_desktop.security.passwords import ScryptParams
from xray_desktop.security.permissions import Role
from xray_desktop.security.users import AccountLockedError, PasswordChangeRequired
from xray_desktop.services.auth import AuthService
from xray_desktop.services.session import Session
from xray_desktop.services.users import UserAdmin


def events(service: AuthService) -> list[tuple[str, str]]:
    return [(e.actor, e.event) for e in service.audit.entries()]


def test_first_start_needs_an_admin(auth_service: AuthService) -> None:
    assert auth_service.needs_first_admin()
    session = auth_service.create_first_admin(*TEST_ADMIN)
    assert session.role is Role.ADMIN and session.audit is auth_service.audit
    assert not auth_service.needs_first_admin()
    assert events(auth_service) == [("admin", "first_admin_created"), ("admin", "login")]


def test_login_returns_an_audited_session(auth_service: AuthService, admin_session: Session) -> None:
    session = auth_service.login(*TEST_ADMIN)
    assert session.username == "admin" and session.role is Role.ADMIN
    session.record("analysis", image="a.png", task="pneumonia", probability=0.8)
    auth_service.logout(session, reason="idle")
    last = auth_service.audit.entries()[-3:]
    assert [(e.event, e.details.get("reason")) for e in last] == [
        ("login", None),
        ("analysis", None),
        ("logout", "idle"),
    ]
    assert last[1].details["task"] == "pneumonia"
    assert auth_service.audit.verify().ok


def test_failed_logins_and_lockout_are_audited(isolated_home: Path, admin_session: Session) -> None:
    now = [1_700_000_000.0]
    service = AuthService.open(isolated_home, params=ScryptParams(n=2**8), clock=lambda: now[0])
    for _ in range(4):
        with pytest.raises(NotAllowedError, match="wrong password"):
            service.login("admin", "Wrong-password-1")
    with pytest.raises(AccountLockedError, match="locked until"):
        service.login("admin", "Wrong-password-1")
    with pytest.raises(AccountLockedError):
        service.login(*TEST_ADMIN)
    kinds = [e for _, e in events(service)]
    assert kinds[-7:] == ["login_failed"] * 5 + ["account_locked", "login_refused"]
    now[0] += 301
    assert service.login(*TEST_ADMIN).role is Role.ADMIN


def test_unknown_user_attempt_is_audited_under_the_typed_name(
    auth_service: AuthService, admin_session: Session
) -> None:
    with pytest.raises(NotAllowedError):
        auth_service.login("  Nobody ", "Wrong-password-1")
    assert events(auth_service)[-1] == ("nobody", "login_failed")


def test_reset_then_forced_change_then_login(auth_service: AuthService, admin_session: Session) -> None:
    admin = UserAdmin(auth_service.users)
    admin.add_user(admin_session, "doc", "Temporary-pass-1", Role.DOCTOR)
    with pytest.raises(PasswordChangeRequired):
        auth_service.login("doc", "Temporary-pass-1")  # new accounts start with a temporary password
    auth_service.change_password("doc", "Temporary-pass-1", "Own-password-77")
    assert auth_service.login("doc", "Own-password-77").role is Role.DOCTOR
    admin.reset_password(admin_session, "doc", "Temporary-pass-2")
    with pytest.raises(NotAllowedError, match="wrong password"):
        auth_service.login("doc", "Own-password-77")  # the old password no longer works
    with pytest.raises(PasswordChangeRequired):
        auth_service.login("doc", "Temporary-pass-2")
    recorded = [e for _, e in events(auth_service)]
    for expected in ("user_added", "password_changed", "password_reset", "login_refused"):
        assert expected in recorded


def test_admin_changes_are_audited_with_details(auth_service: AuthService, admin_session: Session) -> None:
    admin = UserAdmin(auth_service.users)
    admin.add_user(admin_session, "stud", "Temporary-pass-1", Role.STUDENT)
    admin.set_role(admin_session, "stud", Role.DOCTOR)
    admin.set_disabled(admin_session, "stud", True)
    admin.set_disabled(admin_session, "stud", False)
    last = auth_service.audit.entries()[-4:]
    assert [e.event for e in last] == ["user_added", "role_changed", "user_disabled", "user_enabled"]
    assert last[1].details == {"user": "stud", "old": "student", "new": "doctor"}
    assert all(e.actor == "admin" for e in last)


def test_key_warning_is_exposed_when_the_key_file_fallback_is_used(isolated_home: Path) -> None:
    import keyring
    import keyring.backends.fail

    keyring.set_keyring(keyring.backends.fail.Keyring())
    service = AuthService.open(isolated_home, params=ScryptParams(n=2**8))
    assert service.key_warning and "data.key" in service.key_warning


def test_idle_lock_engages_after_the_timeout_and_only_login_releases_it() -> None:
    now = [0.0]
    idle = IdleLock(minutes=2, clock=lambda: now[0])
    now[0] = 100
    idle.activity()
    now[0] = 219
    assert not idle.should_lock() and idle.seconds_left() == pytest.approx(1)
    now[0] = 221
    assert idle.should_lock() and idle.locked
    idle.activity()  # input while locked does not unlock
    assert idle.should_lock()
    idle.unlocked()
    assert not idle.should_lock()


def test_idle_lock_can_be_disabled_and_reconfigured() -> None:
    now = [0.0]
    idle = IdleLock(minutes=0, clock=lambda: now[0])
    now[0] = 10_000
    assert not idle.should_lock() and idle.seconds_left() == float("inf")
    idle.set_minutes(1)
    assert idle.should_lock()


def test_cli_session_is_the_audited_os_account(isolated_home: Path) -> None:
    from xray_desktop.services.auth import cli_session

    session = cli_session()
    assert session.username.startswith("os:") and session.role is Role.DOCTOR
    session.record("analysis", image="x.png")
    assert session.audit.entries()[-1].actor == session.username
    assert cli_session(audit=False).audit is None
