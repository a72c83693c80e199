"""Where the audit chain's head is anchored: sealed in the data folder, and mirrored in the OS keyring.

The sealed file (`audit-head.enc`, AES-GCM with the data key) catches truncation, deletion and a
replaced `audit.sqlite3`: nobody without the key can write a head that matches a shorter chain.
Copying back an older `audit.sqlite3` *together with* an older `audit-head.enc` would pass that
check, so the head is also mirrored in the OS keyring entry beside the data key, which a file copy
does not roll back. With the key-file fallback (no keyring) there is no mirror, and
`head_warning` says so; see docs/security.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from xray_desktop.atomic import atomic_write_bytes
from xray_desktop.crypto import decrypt, encrypt
from xray_desktop.errors import StoreError
from xray_desktop.security.keys import KEYRING_SERVICE, DataKey, keyring_entry_name
from xray_desktop.storage.audit_head import AuditHead, HeadAnchor

HEAD_FILE = "audit-head.enc"
_AAD = b"xray-desktop-audit-head:v1"
_MIRROR_CONTEXT = b"xray-desktop audit head mirror v1"


def _to_json(head: AuditHead) -> dict[str, object]:
    return {"last_id": head.last_id, "last_hash": head.last_hash, "count": head.count}


def _from_json(data: object, where: str) -> AuditHead:
    if not isinstance(data, dict):
        raise StoreError(f"{where}: the audit head is not a JSON object")
    try:
        return AuditHead(int(data["last_id"]), str(data["last_hash"]), int(data["count"]))
    except (KeyError, TypeError, ValueError):
        raise StoreError(f"{where}: the audit head lacks last_id, last_hash or count") from None


class SealedHeadFile:
    """The head encrypted with the data key in `audit-head.enc`, owner-only, written atomically."""

    name = "sealed head file"

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = Path(path)
        self._key = bytes(key)

    def read(self) -> AuditHead | None:
        if not self.path.exists():
            return None
        try:
            blob = self.path.read_bytes()
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot be read ({exc.strerror or exc})") from None
        try:
            plain = decrypt(self._key, blob, _AAD)
            data = json.loads(plain.decode("utf-8"))
        except StoreError as exc:
            raise StoreError(f"{self.path}: the sealed audit head is refused ({exc})") from None
        except (UnicodeDecodeError, ValueError):
            raise StoreError(f"{self.path}: the sealed audit head is not JSON") from None
        return _from_json(data, str(self.path))

    def write(self, head: AuditHead) -> None:
        blob = encrypt(self._key, json.dumps(_to_json(head), sort_keys=True).encode("utf-8"), _AAD)
        atomic_write_bytes(self.path, blob, permissions=0o600)


class KeyringHeadMirror:
    """The head in the OS keyring, with an HMAC under the data key so another program cannot forge it."""

    name = "OS keyring mirror"

    def __init__(self, entry: str, key: bytes) -> None:
        self.entry = entry
        self._mac_key = hmac.new(bytes(key), _MIRROR_CONTEXT, hashlib.sha256).digest()

    def _mac(self, head: AuditHead) -> str:
        body = json.dumps(_to_json(head), sort_keys=True).encode("utf-8")
        return hmac.new(self._mac_key, body, hashlib.sha256).hexdigest()

    def read(self) -> AuditHead | None:
        import keyring

        where = f"OS keyring entry {KEYRING_SERVICE}/{self.entry}"
        try:
            stored = keyring.get_password(KEYRING_SERVICE, self.entry)
        except Exception as exc:  # a backend failure: unreadable, not absent
            raise StoreError(f"{where}: cannot be read ({exc})") from None
        if stored is None:
            return None
        try:
            data = json.loads(stored)
        except ValueError:
            raise StoreError(f"{where}: the audit head mirror is not JSON") from None
        head = _from_json(data, where)
        if not hmac.compare_digest(str(data.get("mac", "")), self._mac(head)):
            raise StoreError(f"{where}: the audit head mirror does not carry a valid seal")
        return head

    def write(self, head: AuditHead) -> None:
        import keyring

        payload = dict(_to_json(head), mac=self._mac(head))
        keyring.set_password(KEYRING_SERVICE, self.entry, json.dumps(payload, sort_keys=True))


def head_anchors(home: Path, key: DataKey) -> list[HeadAnchor]:
    """The anchors of a data folder: the sealed file always, the keyring mirror when the key is in the keyring."""
    anchors: list[HeadAnchor] = [SealedHeadFile(home / HEAD_FILE, key.key)]
    entry = keyring_entry_name(home) if key.source == "keyring" else None
    if entry:
        anchors.append(KeyringHeadMirror(entry.replace("data-key-", "audit-head-", 1), key.key))
    return anchors


def head_warning(key: DataKey) -> str | None:
    """Why rollback detection is weaker here (None when the keyring mirror is in use)."""
    if key.source == "keyring":
        return None
    return (
        "the audit head is kept only in the data folder (no OS keyring): copying back an older data folder "
        "as a whole cannot be detected"
    )
