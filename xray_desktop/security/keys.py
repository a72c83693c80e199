"""The one AES-256 data key that encrypts users, settings and history at rest.

It lives in the OS credential store (`keyring`: Windows Credential Manager, macOS Keychain,
Secret Service). Where no secure backend exists (headless Linux, a locked-down PC), the
documented fallback is a key file in the data folder readable only by the owner (0600), and
`DataKey.warning` says so, for the admin panel. Never a hard-coded key.

A small marker file (`data-key.json`, no secret in it: the source and a key fingerprint) records
where the key was created, so that a keyring that later disappears, or returns another key, gives
a clear refusal instead of a fresh key that silently orphans the encrypted data.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import secrets
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from xray_desktop.atomic import atomic_write_text
from xray_desktop.crypto import KEY_BYTES, new_key
from xray_desktop.errors import StoreError

KEYRING_SERVICE = "XRayDesktop"
KEY_FILE_NAME = "data.key"
MARKER_FILE_NAME = "data-key.json"

KeySource = Literal["keyring", "keyfile"]


@dataclass(frozen=True)
class DataKey:
    """The data key and where it came from; `warning` is set when the weaker key-file fallback is in use."""

    key: bytes
    source: KeySource
    warning: str | None = None

    def __repr__(self) -> str:  # never print the key itself
        return f"DataKey(source={self.source!r}, fingerprint={fingerprint(self.key)!r}, warning={self.warning!r})"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key)


def fingerprint(key: bytes) -> str:
    """A short, non-secret identifier of a key (first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(b"xray-desktop-key-fingerprint:" + key).hexdigest()[:16]


def keyring_entry_name(home: Path) -> str | None:
    """The keyring entry ('username') holding this folder's key, as recorded in its marker; None if none.

    Entries are random per folder (not derived from the path), so test homes never collide and a data
    folder that is moved or reached through another path keeps its key.
    """
    marker = _read_marker(home / MARKER_FILE_NAME)
    return marker.get("entry") if marker and marker.get("source") == "keyring" else None


def load_data_key(home: Path | None = None) -> DataKey:
    """Return the data key for `home` (default: the user data folder), creating it on first use."""
    if home is None:
        from xray_desktop.paths import data_home

        home = data_home()
    home.mkdir(parents=True, exist_ok=True)
    key_file = home / KEY_FILE_NAME
    marker = _read_marker(home / MARKER_FILE_NAME)

    if key_file.exists():
        key, note = _read_key_file(key_file)
        _check_marker(marker, "keyfile", key, home)
        return DataKey(key, "keyfile", _fallback_warning(key_file, note))

    if marker is not None and marker.get("source") == "keyfile":
        raise StoreError(
            f"{key_file}: the key file that encrypted this folder is missing; restore it from a backup "
            "(the encrypted files here cannot be read without it)"
        )
    reason = keyring_unavailable_reason()
    entry = marker.get("entry") if marker is not None else None
    if marker is not None and not entry:
        raise StoreError(f"{home / MARKER_FILE_NAME}: the key marker names no keyring entry")
    if reason is None:
        try:
            stored = _keyring_get(entry) if entry else None
            if stored is None:
                if marker is not None:
                    raise StoreError(
                        f"{home}: the data key created for this folder is missing from the OS keyring "
                        f"({_backend_name()}, entry {KEYRING_SERVICE}/{entry}); the encrypted files here "
                        "cannot be read without it"
                    )
                entry = f"data-key-{secrets.token_hex(12)}"
                stored = _keyring_create(entry)
                _write_marker(home, "keyring", stored, entry)
                marker = _read_marker(home / MARKER_FILE_NAME)
            _check_marker(marker, "keyring", stored, home)
            return DataKey(stored, "keyring", None)
        except StoreError:
            raise
        except Exception as exc:  # any backend failure (D-Bus, locked keychain...) means: no usable keyring
            reason = f"the OS keyring ({_backend_name()}) failed: {exc}"

    if marker is not None and marker.get("source") == "keyring":
        raise StoreError(
            f"{home}: the data key for this folder is kept in the OS keyring, which is unavailable now ({reason})"
        )
    key = _create_key_file(key_file)
    _write_marker(home, "keyfile", key)
    return DataKey(key, "keyfile", _fallback_warning(key_file, reason))


def keyring_unavailable_reason() -> str | None:
    """None when a secure keyring backend is active, else why not (fail/null backend, only insecure backends)."""
    try:
        import keyring
        from keyring.backends.chainer import ChainerBackend
        from keyring.core import recommended
    except Exception as exc:  # the package itself cannot load (broken bundle)
        return f"the keyring package cannot be loaded: {exc}"
    try:
        backend = keyring.get_keyring()
        if isinstance(backend, ChainerBackend):
            usable = any(recommended(b) for b in backend.backends)
        else:
            usable = recommended(backend)
    except Exception as exc:
        return f"the OS keyring cannot be queried: {exc}"
    if not usable:
        return f"no secure OS keyring backend is available (active backend: {_backend_name()})"
    return None


def _backend_name() -> str:
    try:
        import keyring

        backend = keyring.get_keyring()
        return f"{type(backend).__module__}.{type(backend).__name__}"
    except Exception:
        return "unknown"


def _keyring_get(entry: str) -> bytes | None:
    import keyring

    stored = keyring.get_password(KEYRING_SERVICE, entry)
    if stored is None:
        return None
    return _decode_key(stored, f"OS keyring entry {KEYRING_SERVICE}/{entry}")


def _keyring_create(entry: str) -> bytes:
    import keyring

    keyring.set_password(KEYRING_SERVICE, entry, base64.b64encode(new_key()).decode("ascii"))
    # read back: if another process raced us, both use whatever the keyring kept
    key = _keyring_get(entry)
    if key is None:
        raise RuntimeError("the key was written but cannot be read back")
    return key


def _decode_key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise StoreError(f"{where}: the stored data key is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise StoreError(f"{where}: the stored data key has {len(key)} bytes, {KEY_BYTES} expected")
    return key


def _read_key_file(path: Path) -> tuple[bytes, str | None]:
    note = None
    if os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            os.chmod(path, 0o600)
            note = f"its permissions were {oct(mode)} and have been tightened to 0o600"
    data = path.read_bytes()
    if len(data) != KEY_BYTES:
        raise StoreError(f"{path}: the key file has {len(data)} bytes, {KEY_BYTES} expected (damaged or replaced)")
    return data, note


def _create_key_file(path: Path) -> bytes:
    """Create the key file atomically and only if absent (a racing process's key wins, never overwritten)."""
    key = new_key()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        if os.name == "posix":
            os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return _read_key_file(path)[0]
        except OSError:  # a file system without hard links (FAT, some shares): plain rename, still atomic
            if path.exists():
                return _read_key_file(path)[0]
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return key


def _fallback_warning(key_file: Path, reason: str | None) -> str:
    because = f" ({reason})" if reason else ""
    return (
        f"The data key is kept in the file {key_file}, not in an OS keyring{because}. The file is readable only "
        "by your operating-system account, so anyone who can read that account's files can read the encrypted "
        "data. Protect the account, or set up the system keyring (Credential Manager, Keychain, Secret Service)."
    )


def _read_marker(path: Path) -> dict[str, str] | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: unreadable key marker ({exc})") from None
    if not isinstance(data, dict) or data.get("source") not in ("keyring", "keyfile"):
        raise StoreError(f"{path}: the key marker does not name a key source")
    return data


def _write_marker(home: Path, source: KeySource, key: bytes, entry: str | None = None) -> None:
    payload = {"source": source, "fingerprint": fingerprint(key), "service": KEYRING_SERVICE}
    if entry is not None:
        payload["entry"] = entry
    atomic_write_text(home / MARKER_FILE_NAME, json.dumps(payload, indent=2) + "\n")


def _check_marker(marker: dict[str, str] | None, source: KeySource, key: bytes, home: Path) -> None:
    if marker is None:
        _write_marker(home, source, key)
        return
    expected = marker.get("fingerprint")
    if expected and expected != fingerprint(key):
        raise StoreError(
            f"{home}: the data key found in the {source} is not the one that encrypted this folder "
            f"(fingerprint {fingerprint(key)}, expected {expected})"
        )
