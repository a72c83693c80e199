"""The data key: OS keyring when a secure backend exists, a 0600 key file plus a warning otherwise."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from xray_desktop.errors import StoreError
from xray_desktop.security.keys import (
    KEY_FILE_NAME,
    KEYRING_SERVICE,
    MARKER_FILE_NAME,
    keyring_entry_name,
    load_data_key,
)


def test_key_is_created_in_the_keyring_once_and_reused(isolated_home: Path, memory_keyring) -> None:
    first = load_data_key(isolated_home)
    second = load_data_key(isolated_home)
    assert first.source == "keyring" and first.warning is None
    assert len(first.key) == 32
    assert second.key == first.key
    assert (KEYRING_SERVICE, keyring_entry_name(isolated_home)) in memory_keyring.entries
    assert not (isolated_home / KEY_FILE_NAME).exists()


def test_different_homes_get_different_keys(tmp_path: Path) -> None:
    a = load_data_key(tmp_path / "a")
    b = load_data_key(tmp_path / "b")
    assert a.key != b.key


def test_default_home_is_the_data_home(isolated_home: Path) -> None:
    assert load_data_key().key == load_data_key(isolated_home).key


def test_no_keyring_falls_back_to_owner_only_key_file_with_warning(isolated_home: Path) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    data_key = load_data_key(isolated_home)
    key_file = isolated_home / KEY_FILE_NAME
    assert data_key.source == "keyfile"
    assert data_key.warning and str(key_file) in data_key.warning and "keyring" in data_key.warning
    assert key_file.read_bytes() == data_key.key
    if os.name == "posix":
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_data_key(isolated_home).key == data_key.key
    assert not [p for p in isolated_home.iterdir() if p.name.endswith(".tmp")]


def test_key_file_stays_in_use_when_a_keyring_appears_later(isolated_home: Path, memory_keyring) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    fallback = load_data_key(isolated_home)
    keyring.set_keyring(memory_keyring)
    again = load_data_key(isolated_home)
    assert again.key == fallback.key and again.source == "keyfile"


def test_insecure_plaintext_style_backend_is_not_trusted(isolated_home: Path, memory_keyring) -> None:
    type(memory_keyring).priority = 0.5  # like keyrings.alt's PlaintextKeyring
    try:
        data_key = load_data_key(isolated_home)
    finally:
        type(memory_keyring).priority = 10
    assert data_key.source == "keyfile" and data_key.warning


def test_keyring_that_loses_the_key_is_refused_not_replaced(isolated_home: Path, memory_keyring) -> None:
    load_data_key(isolated_home)
    memory_keyring.entries.clear()
    with pytest.raises(StoreError, match="missing from the OS keyring"):
        load_data_key(isolated_home)


def test_keyring_gone_after_key_was_created_there_is_refused(isolated_home: Path) -> None:
    load_data_key(isolated_home)
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(StoreError, match="unavailable"):
        load_data_key(isolated_home)
    assert not (isolated_home / KEY_FILE_NAME).exists()


def test_keyring_returning_another_key_is_refused(isolated_home: Path, memory_keyring) -> None:
    load_data_key(isolated_home)
    entry = (KEYRING_SERVICE, keyring_entry_name(isolated_home))
    memory_keyring.entries[entry] = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="  # 32 bytes of "A"
    with pytest.raises(StoreError, match="not the one that encrypted"):
        load_data_key(isolated_home)


def test_damaged_key_file_is_refused(isolated_home: Path) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    load_data_key(isolated_home)
    (isolated_home / KEY_FILE_NAME).write_bytes(b"short")
    with pytest.raises(StoreError, match=KEY_FILE_NAME):
        load_data_key(isolated_home)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_key_file_with_loose_permissions_is_tightened(isolated_home: Path) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    load_data_key(isolated_home)
    key_file = isolated_home / KEY_FILE_NAME
    key_file.chmod(0o644)
    data_key = load_data_key(isolated_home)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "tightened" in (data_key.warning or "")


def test_marker_holds_no_secret(isolated_home: Path) -> None:
    data_key = load_data_key(isolated_home)
    marker = (isolated_home / MARKER_FILE_NAME).read_text()
    assert data_key.key.hex() not in marker and data_key.fingerprint in marker
    assert data_key.key.hex() not in repr(data_key)


def test_chainer_with_no_secure_backend_falls_back(isolated_home: Path) -> None:
    from keyring.backends.chainer import ChainerBackend

    class EmptyChainer(ChainerBackend):
        backends = ()  # what a headless Linux box without Secret Service ends up with

    keyring.set_keyring(EmptyChainer())
    data_key = load_data_key(isolated_home)
    assert data_key.source == "keyfile" and data_key.warning


def test_keyring_that_errors_falls_back_with_the_reason(isolated_home: Path, memory_keyring) -> None:
    from keyring.errors import KeyringLocked

    def locked(*_args: object) -> None:
        raise KeyringLocked("the login keychain is locked")

    memory_keyring.get_password = locked
    data_key = load_data_key(isolated_home)
    assert data_key.source == "keyfile"
    assert "keychain is locked" in (data_key.warning or "")


def test_deleted_key_file_is_refused_not_recreated(isolated_home: Path) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    load_data_key(isolated_home)
    (isolated_home / KEY_FILE_NAME).unlink()
    with pytest.raises(StoreError, match="key file that encrypted this folder is missing"):
        load_data_key(isolated_home)
    assert not (isolated_home / KEY_FILE_NAME).exists()


def test_a_moved_data_folder_keeps_its_keyring_key(tmp_path: Path) -> None:
    first = load_data_key(tmp_path / "old")
    (tmp_path / "old").rename(tmp_path / "new")
    assert load_data_key(tmp_path / "new").key == first.key
