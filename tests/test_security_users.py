"""Accounts: no defaults, password policy, scrypt records, lockout with an injected clock, resets, disable, roles."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from xray_desktop.encrypted_store import EncryptedStore
from xray_desktop.errors import NotAllowedError, StoreError, UsageError
from xray_desktop.security.passwords import (
    PasswordPolicyError,
    ScryptParams,
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from xray_desktop.security.permissions import Role
from xray_desktop.security.users import (
    USERS_FILE,
    AccountDisabledError,
    AccountLockedError,
    BadCredentialsError,
    PasswordChangeRequired,
    UserStore,
)

FAST = ScryptParams(n=2**8)
PASSWORD = "Radiology-2024x"


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def users(isolated_home: Path, clock: FakeClock) -> UserStore:
    store = UserStore.open(isolated_home, params=FAST, clock=clock)
    store.create_first_admin("admin", PASSWORD)
    store.add("doc", PASSWORD, Role.DOCTOR)
    return store


def test_a_fresh_install_has_no_accounts(isolated_home: Path) -> None:
    store = UserStore.open(isolated_home, params=FAST)
    assert store.is_empty()
    for name in ("admin", "administrator", "root"):
        for guess in ("admin", "password", "admin123", ""):
            with pytest.raises(BadCredentialsError):
                store.authenticate(name, guess)


def test_first_admin_only_once(users: UserStore) -> None:
    with pytest.raises(NotAllowedError, match="already exists"):
        users.create_first_admin("mallory", PASSWORD)


def test_users_file_is_encrypted_and_holds_no_password(users: UserStore, isolated_home: Path) -> None:
    raw = (isolated_home / USERS_FILE).read_bytes()
    assert b"admin" not in raw and b"scrypt" not in raw and PASSWORD.encode() not in raw


def test_scrypt_record_keeps_salt_and_parameters() -> None:
    a, b = hash_password(PASSWORD, FAST), hash_password(PASSWORD, FAST)
    assert a["algorithm"] == "scrypt" and a["n"] == 2**8 and a["r"] == 8 and a["p"] == 1
    assert a["salt"] != b["salt"] and a["hash"] != b["hash"]
    assert verify_password(PASSWORD, a) and not verify_password(PASSWORD + "x", a)
    assert needs_rehash(a) and not needs_rehash(a, FAST)


def test_weak_hash_is_upgraded_at_login(isolated_home: Path) -> None:
    weak = UserStore.open(isolated_home, params=FAST)
    weak.create_first_admin("admin", PASSWORD)
    stronger = UserStore.open(isolated_home, params=ScryptParams(n=2**10))
    stronger.authenticate("admin", PASSWORD)
    record = stronger.store.load()["users"]["admin"]["password"]
    assert record["n"] == 2**10
    assert stronger.authenticate("admin", PASSWORD).username == "admin"


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Short1", "6 characters"),
        ("onlyletters-here", "no digit"),
        ("1234567890123", "no letter"),
        ("xdoctor-2024xx", "user name"),
    ],
)
def test_password_policy_names_the_problem_and_states_the_rule(password: str, problem: str) -> None:
    with pytest.raises(PasswordPolicyError, match=problem) as info:
        check_password_policy(password, "doctor")
    assert "at least 10 characters" in str(info.value)


def test_bad_usernames_are_refused(users: UserStore) -> None:
    for name in ("a", "os:alice", "has space", "x" * 40, ""):
        with pytest.raises(UsageError):
            users.add(name, PASSWORD, Role.STUDENT)


def test_usernames_are_case_insensitive(users: UserStore) -> None:
    assert users.authenticate("DOC", PASSWORD).username == "doc"
    with pytest.raises(UsageError, match="already exists"):
        users.add("Doc", PASSWORD, Role.STUDENT)


def test_wrong_password_and_unknown_user_get_the_same_answer(users: UserStore) -> None:
    with pytest.raises(BadCredentialsError) as wrong:
        users.authenticate("doc", "Wrong-password-1")
    with pytest.raises(BadCredentialsError) as unknown:
        users.authenticate("nobody", "Wrong-password-1")
    assert str(wrong.value) == str(unknown.value)


def test_five_failures_lock_for_five_minutes_then_unlock(users: UserStore, clock: FakeClock) -> None:
    for _ in range(4):
        with pytest.raises(BadCredentialsError):
            users.authenticate("doc", "Wrong-password-1")
    with pytest.raises(AccountLockedError) as locked:
        users.authenticate("doc", "Wrong-password-1")
    assert locked.value.just_locked and locked.value.until == clock.now + 300
    assert time.strftime("%H:%M", time.localtime(clock.now + 300)) in str(locked.value)

    clock.now += 299
    with pytest.raises(AccountLockedError, match="locked until"):
        users.authenticate("doc", PASSWORD)  # even the right password waits

    clock.now += 2
    assert users.authenticate("doc", PASSWORD).username == "doc"
    assert users.get("doc").failed_attempts == 0 and users.get("doc").locked_until is None


def test_lockout_survives_a_restart(users: UserStore, clock: FakeClock, isolated_home: Path) -> None:
    for _ in range(5):
        with pytest.raises(NotAllowedError):
            users.authenticate("doc", "Wrong-password-1")
    reopened = UserStore.open(isolated_home, params=FAST, clock=clock)
    with pytest.raises(AccountLockedError):
        reopened.authenticate("doc", PASSWORD)


def test_success_resets_the_failure_count(users: UserStore) -> None:
    for _ in range(4):
        with pytest.raises(BadCredentialsError):
            users.authenticate("doc", "Wrong-password-1")
    users.authenticate("doc", PASSWORD)
    for _ in range(4):
        with pytest.raises(BadCredentialsError):
            users.authenticate("doc", "Wrong-password-1")
    assert users.authenticate("doc", PASSWORD).failed_attempts == 0


def test_change_password_needs_the_current_one_and_counts_failures(users: UserStore) -> None:
    for _ in range(4):
        with pytest.raises(BadCredentialsError):
            users.change_password("doc", "Wrong-password-1", "New-password-99")
    with pytest.raises(AccountLockedError):
        users.change_password("doc", "Wrong-password-1", "New-password-99")


def test_change_password(users: UserStore) -> None:
    with pytest.raises(PasswordPolicyError):
        users.change_password("doc", PASSWORD, "weak")
    with pytest.raises(PasswordPolicyError, match="differ"):
        users.change_password("doc", PASSWORD, PASSWORD)
    users.change_password("doc", PASSWORD, "New-password-99")
    with pytest.raises(BadCredentialsError):
        users.authenticate("doc", PASSWORD)
    assert users.authenticate("doc", "New-password-99").role is Role.DOCTOR


def test_admin_reset_forces_a_change_at_next_login(users: UserStore) -> None:
    users.reset_password("doc", "Temporary-pass-1")
    with pytest.raises(PasswordChangeRequired, match="must change"):
        users.authenticate("doc", "Temporary-pass-1")
    users.change_password("doc", "Temporary-pass-1", "Own-password-77")
    assert not users.authenticate("doc", "Own-password-77").must_change_password


def test_reset_also_clears_a_lockout(users: UserStore) -> None:
    for _ in range(5):
        with pytest.raises(NotAllowedError):
            users.authenticate("doc", "Wrong-password-1")
    users.reset_password("doc", "Temporary-pass-1")
    with pytest.raises(PasswordChangeRequired):
        users.authenticate("doc", "Temporary-pass-1")


def test_disabled_user_cannot_log_in_until_enabled(users: UserStore) -> None:
    users.set_disabled("doc", True)
    with pytest.raises(AccountDisabledError, match="disabled"):
        users.authenticate("doc", PASSWORD)
    with pytest.raises(BadCredentialsError):  # a wrong password does not reveal the account state
        users.authenticate("doc", "Wrong-password-1")
    users.set_disabled("doc", False)
    assert users.authenticate("doc", PASSWORD).username == "doc"


def test_the_last_active_admin_cannot_be_disabled_or_demoted(users: UserStore) -> None:
    with pytest.raises(NotAllowedError, match="last active administrator"):
        users.set_disabled("admin", True)
    with pytest.raises(NotAllowedError, match="last active administrator"):
        users.set_role("admin", Role.DOCTOR)
    users.set_role("doc", Role.ADMIN)
    users.set_role("admin", Role.STUDENT)
    assert users.get("admin").role is Role.STUDENT


def test_tampered_user_store_is_refused_not_reset(users: UserStore, isolated_home: Path) -> None:
    path = isolated_home / USERS_FILE
    blob = bytearray(path.read_bytes())
    blob[-3] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(StoreError, match="refused"):
        users.is_empty()  # never treated as "no users" (which would open the first-admin path)
    assert path.read_bytes() == bytes(blob)


def test_store_written_with_another_key_is_refused(users: UserStore, isolated_home: Path) -> None:
    other = UserStore(EncryptedStore(isolated_home / USERS_FILE, b"k" * 32), params=FAST)
    with pytest.raises(StoreError, match="another key"):
        other.authenticate("admin", PASSWORD)
