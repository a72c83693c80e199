"""EncryptedStore: tampered, truncated or wrongly keyed files are refused and never overwritten; crashes lose nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xray_desktop.crypto import new_key
from xray_desktop.encrypted_store import EncryptedStore
from xray_desktop.errors import StoreError
from xray_desktop.security.keys import load_data_key


@pytest.fixture
def store(isolated_home: Path) -> EncryptedStore:
    return EncryptedStore(isolated_home / "doc.json.enc", load_data_key(isolated_home))


def test_round_trip_and_empty_when_new(store: EncryptedStore) -> None:
    assert store.load() == {}
    store.save({"name": "Åsa", "n": [1, 2]})
    assert store.load() == {"name": "Åsa", "n": [1, 2]}
    assert b"sa" not in store.path.read_bytes()


def test_previous_version_is_kept_as_backup(store: EncryptedStore) -> None:
    store.save({"v": 1})
    store.save({"v": 2})
    assert store.backup_path.name == "doc.json.bak"
    assert store.load_backup() == {"v": 1}
    assert store.load() == {"v": 2}


def test_flipped_byte_is_refused_and_file_left_intact(store: EncryptedStore) -> None:
    store.save({"v": 1})
    blob = bytearray(store.path.read_bytes())
    blob[len(blob) // 2] ^= 0x40
    store.path.write_bytes(bytes(blob))
    with pytest.raises(StoreError, match=r"doc\.json\.enc.*refused"):
        store.load()
    with pytest.raises(StoreError):
        store.save({"v": 2})
    assert store.path.read_bytes() == bytes(blob)


def test_truncated_file_is_refused(store: EncryptedStore) -> None:
    store.save({"v": 1})
    store.path.write_bytes(store.path.read_bytes()[:-5])
    with pytest.raises(StoreError, match=r"doc\.json\.enc"):
        store.load()


def test_wrong_key_is_refused_and_nothing_overwritten(store: EncryptedStore) -> None:
    store.save({"v": 1})
    before = store.path.read_bytes()
    other = EncryptedStore(store.path, new_key())
    with pytest.raises(StoreError, match="another key"):
        other.load()
    with pytest.raises(StoreError):
        other.save({"v": "attacker"})
    assert store.path.read_bytes() == before
    assert store.load() == {"v": 1}


def test_files_cannot_be_swapped_between_stores(store: EncryptedStore, isolated_home: Path) -> None:
    store.save({"role": "student"})
    other = EncryptedStore(isolated_home / "other.json.enc", load_data_key(isolated_home))
    other.path.write_bytes(store.path.read_bytes())
    with pytest.raises(StoreError):
        other.load()


def test_crash_during_replace_leaves_previous_store_readable(
    store: EncryptedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save({"v": 1})

    def crash(*_args: object) -> None:
        raise OSError("simulated power loss")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="power loss"):
        store.save({"v": 2})
    monkeypatch.undo()
    assert store.load() == {"v": 1}
    assert not [p for p in store.path.parent.iterdir() if p.name.endswith(".tmp")]


def test_crash_during_write_leaves_previous_store_readable(
    store: EncryptedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save({"v": 1})
    real_fsync = os.fsync
    calls = {"n": 0}

    def failing_fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == (3 if os.name == "posix" else 2):  # after the backup (file [+ dir]): the new file
            raise OSError("disk full")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        store.save({"v": 2})
    monkeypatch.undo()
    assert store.load() == {"v": 1}


def test_missing_file_with_backup_is_refused_not_emptied(store: EncryptedStore) -> None:
    store.save({"v": 1})
    store.save({"v": 2})
    store.path.unlink()
    with pytest.raises(StoreError, match="backup"):
        store.load()


def test_a_fixed_purpose_survives_renaming(isolated_home: Path) -> None:
    key = load_data_key(isolated_home)
    exported = EncryptedStore(isolated_home / "export.xrs", key, purpose="settings-export")
    exported.save({"theme": "dark"})
    renamed = isolated_home / "copy of export.xrs"
    renamed.write_bytes(exported.path.read_bytes())
    assert EncryptedStore(renamed, key, purpose="settings-export").load() == {"theme": "dark"}
    with pytest.raises(StoreError):
        EncryptedStore(renamed, key).load()
