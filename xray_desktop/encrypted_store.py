"""An encrypted JSON document on disk: users, settings and history keep their data in one of these.

Writes are atomic and the previous good file is kept beside it (`<name>.bak`), so a crash leaves
either the old or the new document. A file that is tampered, truncated or keyed with another key
is refused with a StoreError naming it, and is never overwritten by a later save.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Protocol

from xray_desktop.atomic import atomic_write_bytes
from xray_desktop.crypto import decrypt, encrypt
from xray_desktop.errors import StoreError


class KeyHolder(Protocol):
    """Anything carrying the data key (`security.keys.DataKey`); typed here so this leaf imports no layer."""

    @property
    def key(self) -> bytes: ...


class EncryptedStore:
    """One JSON object, AES-256-GCM encrypted, bound to its purpose so files cannot be swapped.

    `purpose` defaults to the file name (users.json.enc cannot pass for settings.json.enc); give a
    fixed purpose for files a user may rename, such as an exported settings file.
    """

    def __init__(self, path: Path, key: KeyHolder | bytes, purpose: str | None = None) -> None:
        self.path = Path(path)
        self._key = bytes(key) if isinstance(key, bytes | bytearray) else key.key
        self._aad = f"xray-desktop-store:{purpose or self.path.name}".encode()
        self._lock = threading.RLock()

    @property
    def backup_path(self) -> Path:
        return self.path.with_suffix(".bak")

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> dict[str, Any]:
        """The stored document; {} when the store was never written."""
        with self._lock:
            if not self.path.exists():
                if self.backup_path.exists():
                    raise StoreError(
                        f"{self.path}: the file is missing but its backup {self.backup_path.name} exists; "
                        "restore the backup (rename it) rather than start empty"
                    )
                return {}
            return self._read(self.path)

    def save(self, data: dict[str, Any]) -> None:
        """Replace the document atomically, keeping the current good file as the backup."""
        if not isinstance(data, dict):
            raise TypeError(f"EncryptedStore.save takes a dict, got {type(data).__name__}")
        plaintext = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        blob = encrypt(self._key, plaintext, self._aad)
        with self._lock:
            if self.path.exists():
                current = self.path.read_bytes()
                self._decode(current, self.path)  # refuse to overwrite a file we cannot read
                atomic_write_bytes(self.backup_path, current, permissions=0o600)
            atomic_write_bytes(self.path, blob, permissions=0o600)

    def load_backup(self) -> dict[str, Any]:
        """The last good copy kept before the most recent save (for recovery tools)."""
        with self._lock:
            if not self.backup_path.exists():
                raise StoreError(f"{self.backup_path}: no backup exists")
            return self._read(self.backup_path)

    def _read(self, path: Path) -> dict[str, Any]:
        try:
            blob = path.read_bytes()
        except OSError as exc:
            raise StoreError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        return self._decode(blob, path)

    def _decode(self, blob: bytes, path: Path) -> dict[str, Any]:
        try:
            plaintext = decrypt(self._key, blob, self._aad)
        except StoreError as exc:
            raise StoreError(f"{path}: refused, {exc}. The file was left untouched.") from None
        try:
            data = json.loads(plaintext.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise StoreError(f"{path}: decrypted but not a JSON document ({exc})") from None
        if not isinstance(data, dict):
            raise StoreError(f"{path}: decrypted but not a JSON object")
        return data
