"""User accounts kept in an encrypted store: password check, lockout, disable, roles, forced password change.

No accounts and no passwords exist until an administrator is created at first start. Every
operation reloads the store, changes it and saves it atomically, so two windows (or a window and
the CLI) see each other's changes. The clock is injectable so lockout can be tested.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from xray_desktop.encrypted_store import EncryptedStore
from xray_desktop.errors import NotAllowedError, StoreError, UsageError
from xray_desktop.security import passwords
from xray_desktop.security.keys import DataKey, load_data_key
from xray_desktop.security.passwords import (
    PasswordPolicyError,
    ScryptParams,
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from xray_desktop.security.permissions import Role

USERS_FILE = "users.json.enc"
MAX_FAILED_ATTEMPTS = 5
LOCKOUT_SECONDS = 5 * 60
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
_FORMAT_VERSION = 1


class BadCredentialsError(NotAllowedError):
    """Unknown user or wrong password; deliberately the same message for both."""


class AccountLockedError(NotAllowedError):
    def __init__(self, username: str, until: float, *, just_locked: bool) -> None:
        self.username = username
        self.until = until
        self.just_locked = just_locked
        hhmm = time.strftime("%H:%M", time.localtime(until))
        lead = "too many failed attempts: " if just_locked else ""
        super().__init__(f"{lead}account {username!r} is locked until {hhmm}")


class AccountDisabledError(NotAllowedError):
    pass


class PasswordChangeRequired(NotAllowedError):
    """The password is right but was set by an administrator: the user must choose a new one first."""

    def __init__(self, username: str) -> None:
        self.username = username
        super().__init__(f"user {username!r} must change the password before logging in")


class UnknownUserError(UsageError):
    pass


@dataclass(frozen=True)
class UserInfo:
    """What the admin panel and the CLI list; never carries the hash."""

    username: str
    role: Role
    disabled: bool
    must_change_password: bool
    failed_attempts: int
    locked_until: float | None
    created: str
    last_login: str | None

    def is_locked(self, now: float) -> bool:
        return self.locked_until is not None and now < self.locked_until


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive: 'Alice' and 'alice' are one account."""
    return username.strip().lower()


def check_username(username: str) -> str:
    name = normalise_username(username)
    if not _USERNAME.match(name):
        raise UsageError(
            f"user name {username!r} refused: use 2-32 characters, letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


class UserStore:
    """Accounts in `users.json.enc`; the only place passwords are checked."""

    def __init__(
        self,
        store: EncryptedStore,
        *,
        clock: Callable[[], float] = time.time,
        params: ScryptParams | None = None,
        max_failed_attempts: int = MAX_FAILED_ATTEMPTS,
        lockout_seconds: float = LOCKOUT_SECONDS,
    ) -> None:
        self.store = store
        self.clock = clock
        self.params = params or passwords.DEFAULT_PARAMS  # looked up now, so tests can lower the default
        self.max_failed_attempts = max_failed_attempts
        self.lockout_seconds = lockout_seconds
        self._lock = threading.RLock()
        self._dummy: dict[str, Any] | None = None

    @classmethod
    def open(cls, home: Path | None = None, key: DataKey | bytes | None = None, **kwargs: Any) -> UserStore:
        """The user store of a data folder (default: the user data folder)."""
        if home is None:
            from xray_desktop.paths import data_home

            home = data_home()
        if key is None:
            key = load_data_key(home)
        return cls(EncryptedStore(home / USERS_FILE, key), **kwargs)

    # -- reading -----------------------------------------------------------------------------

    def is_empty(self) -> bool:
        """True before the first administrator exists (first start)."""
        return not self._load()["users"]

    def list_users(self) -> list[UserInfo]:
        users = self._load()["users"]
        return [self._info(name, users[name]) for name in sorted(users)]

    def get(self, username: str) -> UserInfo:
        name = normalise_username(username)
        users = self._load()["users"]
        if name not in users:
            raise UnknownUserError(f"no user named {name!r}")
        return self._info(name, users[name])

    def active_admins(self) -> list[str]:
        return [u.username for u in self.list_users() if u.role is Role.ADMIN and not u.disabled]

    # -- changing ----------------------------------------------------------------------------

    def add(self, username: str, password: str, role: Role, *, must_change_password: bool = False) -> UserInfo:
        name = check_username(username)
        check_password_policy(password, name)
        with self._lock:
            data = self._load()
            if name in data["users"]:
                raise UsageError(f"user {name!r} already exists")
            data["users"][name] = {
                "role": Role(role).value,
                "password": hash_password(password, self.params),
                "disabled": False,
                "must_change_password": must_change_password,
                "failed_attempts": 0,
                "locked_until": None,
                "created": self._stamp(),
                "last_login": None,
            }
            self.store.save(data)
            return self._info(name, data["users"][name])

    def create_first_admin(self, username: str, password: str) -> UserInfo:
        """Only while no account exists: there is no default account to log in with."""
        with self._lock:
            if not self.is_empty():
                raise NotAllowedError("an administrator already exists; log in as an administrator to add users")
            return self.add(username, password, Role.ADMIN)

    def authenticate(self, username: str, password: str) -> UserInfo:
        """The account when the password is right and it may log in; else a NotAllowedError saying why."""
        return self._verify(username, password, allow_must_change=False)

    def change_password(self, username: str, old_password: str, new_password: str) -> UserInfo:
        """The user's own change: needs the current password (failures count towards lockout)."""
        info = self._verify(username, old_password, allow_must_change=True)
        check_password_policy(new_password, info.username)
        if new_password == old_password:
            raise PasswordPolicyError("the new password must differ from the current one")
        return self._update(info.username, password=new_password, must_change_password=False)

    def reset_password(self, username: str, temporary_password: str) -> UserInfo:
        """An administrator sets a temporary password; the user must change it at the next login."""
        name = normalise_username(username)
        check_password_policy(temporary_password, name)
        return self._update(name, password=temporary_password, must_change_password=True, unlock=True)

    def set_disabled(self, username: str, disabled: bool) -> UserInfo:
        name = normalise_username(username)
        if disabled:
            self._guard_last_admin(name)
        return self._update(name, disabled=disabled, unlock=not disabled)

    def set_role(self, username: str, role: Role) -> UserInfo:
        name = normalise_username(username)
        if Role(role) is not Role.ADMIN:
            self._guard_last_admin(name)
        return self._update(name, role=Role(role).value)

    def unlock(self, username: str) -> UserInfo:
        return self._update(normalise_username(username), unlock=True)

    def apply_lock(self, username: str, until: float) -> bool:
        """Lock `username` until `until` unless a lock at least as long is already there; True if it changed.

        Used to re-apply a lockout that the audit log records but the store lost (a restored backup).
        """
        name = normalise_username(username)
        with self._lock:
            data = self._load()
            record = data["users"].get(name)
            if record is None or until <= self.clock():
                return False
            current = record.get("locked_until")
            if current is not None and current >= until:
                return False
            record["locked_until"] = float(until)
            record["failed_attempts"] = 0
            self.store.save(data)
            return True

    # -- internals ---------------------------------------------------------------------------

    def _verify(self, username: str, password: str, *, allow_must_change: bool) -> UserInfo:
        name = normalise_username(username)
        with self._lock:
            data = self._load()
            record = data["users"].get(name)
            if record is None:
                verify_password(password, self._dummy_record())  # same cost as a real check: no user oracle
                raise BadCredentialsError("unknown user name or wrong password")
            now = self.clock()
            locked_until = record.get("locked_until")
            if locked_until is not None and now < locked_until:
                raise AccountLockedError(name, locked_until, just_locked=False)
            if locked_until is not None:  # the lock has expired: a fresh set of attempts
                record["locked_until"] = None
                record["failed_attempts"] = 0
            if not verify_password(password, record["password"]):
                record["failed_attempts"] = int(record.get("failed_attempts", 0)) + 1
                if record["failed_attempts"] >= self.max_failed_attempts:
                    record["locked_until"] = now + self.lockout_seconds
                    record["failed_attempts"] = 0
                    self.store.save(data)
                    raise AccountLockedError(name, record["locked_until"], just_locked=True)
                self.store.save(data)
                raise BadCredentialsError("unknown user name or wrong password")
            if record.get("disabled"):
                raise AccountDisabledError(f"account {name!r} is disabled; ask an administrator")
            record["failed_attempts"] = 0
            if needs_rehash(record["password"], self.params):
                record["password"] = hash_password(password, self.params)
            if record.get("must_change_password") and not allow_must_change:
                self.store.save(data)
                raise PasswordChangeRequired(name)
            record["last_login"] = self._stamp()
            self.store.save(data)
            return self._info(name, record)

    def _update(
        self,
        name: str,
        *,
        password: str | None = None,
        must_change_password: bool | None = None,
        disabled: bool | None = None,
        role: str | None = None,
        unlock: bool = False,
    ) -> UserInfo:
        with self._lock:
            data = self._load()
            record = data["users"].get(name)
            if record is None:
                raise UnknownUserError(f"no user named {name!r}")
            if password is not None:
                record["password"] = hash_password(password, self.params)
            if must_change_password is not None:
                record["must_change_password"] = must_change_password
            if disabled is not None:
                record["disabled"] = disabled
            if role is not None:
                record["role"] = role
            if unlock:
                record["failed_attempts"] = 0
                record["locked_until"] = None
            self.store.save(data)
            return self._info(name, record)

    def _guard_last_admin(self, name: str) -> None:
        if self.active_admins() == [name]:
            raise NotAllowedError(f"{name!r} is the last active administrator; add or enable another one first")

    def _load(self) -> dict[str, Any]:
        data = self.store.load()
        if not data:
            return {"version": _FORMAT_VERSION, "users": {}}
        if data.get("version") != _FORMAT_VERSION or not isinstance(data.get("users"), dict):
            raise StoreError(f"{self.store.path}: not a user store of format version {_FORMAT_VERSION}")
        return data

    def _dummy_record(self) -> dict[str, Any]:
        if self._dummy is None:
            self._dummy = hash_password("not-a-real-password-0", self.params)
        return self._dummy

    def _stamp(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).isoformat(timespec="seconds")

    @staticmethod
    def _info(name: str, record: dict[str, Any]) -> UserInfo:
        return UserInfo(
            username=name,
            role=Role(record["role"]),
            disabled=bool(record.get("disabled")),
            must_change_password=bool(record.get("must_change_password")),
            failed_attempts=int(record.get("failed_attempts", 0)),
            locked_until=record.get("locked_until"),
            created=record.get("created", ""),
            last_login=record.get("last_login"),
        )
