"""Logging in and out, first-start administrator, own password change; each step audited."""

from __future__ import annotations

import getpass
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from xray_desktop.errors import NotAllowedError, UsageError
from xray_desktop.security.keys import load_data_key
from xray_desktop.security.users import (
    AccountLockedError,
    BadCredentialsError,
    PasswordChangeRequired,
    UserStore,
)
from xray_desktop.services.session import AuditSink, Session


@dataclass
class AuthService:
    """What the login, first-admin and change-password dialogs (and `xray-desktop users`) call."""

    users: UserStore
    audit: AuditSink | None = None
    key_warning: str | None = None  # set when the key-file fallback is in use; shown in the admin panel

    @classmethod
    def open(cls, home: Path | None = None, audit: AuditSink | None = None, **user_store_kwargs: object) -> AuthService:
        """Services for a data folder (default: the user data folder), with its audit log unless one is given."""
        if home is None:
            from xray_desktop.paths import data_home

            home = data_home()
        data_key = load_data_key(home)
        if audit is None:
            from xray_desktop.services.audit import open_audit_log

            audit = open_audit_log(home, data_key)
        users = UserStore.open(home, data_key, **user_store_kwargs)
        return cls(users=users, audit=audit, key_warning=data_key.warning)

    def _record(self, actor: str, event: str, **details: object) -> None:
        if self.audit is not None:
            self.audit.append(actor, event, dict(details))

    def needs_first_admin(self) -> bool:
        """True at first start: the window shows the first-administrator dialog instead of the login."""
        return self.users.is_empty()

    def create_first_admin(self, username: str, password: str) -> Session:
        info = self.users.create_first_admin(username, password)
        self._record(info.username, "first_admin_created", role=info.role.value)
        self._record(info.username, "login")
        return Session(info.username, info.role, self.audit)

    def login(self, username: str, password: str) -> Session:
        """A Session with the audit log attached, or NotAllowedError saying why (bad credentials, locked, ...)."""
        self._reapply_lockout(username)
        try:
            info = self.users.authenticate(username, password)
        except AccountLockedError as exc:
            if exc.just_locked:
                self._record(exc.username, "login_failed", reason="wrong password")
                self._record(exc.username, "account_locked", until=exc.until)
            else:
                self._record(exc.username, "login_refused", reason="locked")
            raise
        except BadCredentialsError:
            self._record(_actor(username), "login_failed", reason="unknown user or wrong password")
            raise
        except PasswordChangeRequired as exc:
            self._record(exc.username, "login_refused", reason="password change required")
            raise
        except NotAllowedError as exc:
            self._record(_actor(username), "login_refused", reason=str(exc))
            raise
        self._record(info.username, "login", role=info.role.value)
        return Session(info.username, info.role, self.audit)

    def _reapply_lockout(self, username: str) -> None:
        """A lockout the audit log records but the user store lost (restored from a backup) applies again."""
        active_lockout = getattr(self.audit, "active_lockout", None)
        if active_lockout is None:
            return
        name = _actor(username)
        until = active_lockout(name)
        if until is not None and self.users.apply_lock(name, until):
            self._record(name, "lockout_reapplied", until=until)

    def logout(self, session: Session, reason: str = "user") -> None:
        """`reason`: 'user', 'idle' (auto-lock) or 'exit'."""
        self._record(session.username, "logout", reason=reason)

    def change_password(self, username: str, old_password: str, new_password: str) -> None:
        """The user's own change (also the forced change after an admin reset)."""
        try:
            info = self.users.change_password(username, old_password, new_password)
        except AccountLockedError as exc:
            if exc.just_locked:
                self._record(exc.username, "account_locked", until=exc.until)
            raise
        except BadCredentialsError:
            self._record(_actor(username), "password_change_failed", reason="wrong current password")
            raise
        self._record(info.username, "password_changed")


def _actor(username: str) -> str:
    """Failed attempts are logged under what was typed, trimmed so the log cannot be flooded with huge names."""
    return username.strip().lower()[:64] or "(empty)"


def cli_login(username: str, password: str, home: Path | None = None) -> Session:
    """Log in for one CLI command (credentials from getpass or stdin); the session is audited."""
    return AuthService.open(home).login(username, password)


def cli_session(audit: bool = True, home: Path | None = None) -> Session:
    """The session of CLI analysis commands: the OS account with doctor rights, audited under `os:<name>`."""
    from xray_desktop.services.audit import open_audit_log
    from xray_desktop.services.session import os_session

    return os_session(open_audit_log(home) if audit else None)


class PasswordInput:
    """Passwords for CLI commands: one per line from stdin (`--password-stdin`), else asked with getpass.

    Never from a command-line argument, which other users of the machine can see in the process list.
    """

    def __init__(self, from_stdin: bool, stream: TextIO | None = None) -> None:
        self.from_stdin = from_stdin
        self.stream = stream

    def secret(self, what: str, *, confirm: bool = False) -> str:
        if self.from_stdin:
            line = (self.stream or sys.stdin).readline()
            if not line:
                raise UsageError(f"--password-stdin: expected {what} on the next line of standard input")
            return line.rstrip("\r\n")
        try:
            value = getpass.getpass(f"{what}: ")
            if confirm and getpass.getpass(f"{what} (again): ") != value:
                raise UsageError("the two passwords typed differ")
        except EOFError:  # no terminal and nothing on stdin: say what to pass instead of a traceback
            raise UsageError(
                f"{what}: no terminal to ask on; pass --password-stdin and give it on standard input"
            ) from None
        return value
