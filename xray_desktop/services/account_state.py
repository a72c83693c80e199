"""Per-account view state (recent files, last folder, body part, layout), sealed in the data folder.

Recent files and the last folder are paths, and paths in hospitals carry patient names: they belong to
the account that opened them, not to whoever logs in next on the same PC. Each account's state is one
EncryptedStore (`ui-state/<keyed hash of the user name>.enc`), bound to that user name, so neither
another account nor anyone reading the disk sees it. The window keeps it in memory only while the
account is logged in (`ui.preferences`).
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

from xray_desktop.encrypted_store import EncryptedStore
from xray_desktop.security.keys import DataKey, load_data_key

STATE_FOLDER = "ui-state"
_NAME_CONTEXT = b"xray-desktop ui-state file name v1"


class AccountState:
    """One account's JSON view state; `values` is the live dict, `save()` seals it to disk."""

    def __init__(self, username: str, home: Path | None = None, key: DataKey | None = None) -> None:
        if home is None:
            from xray_desktop.paths import data_home

            home = data_home()
        data_key = key or load_data_key(home)
        digest = hmac.new(data_key.key, _NAME_CONTEXT + username.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
        self.username = username
        self.path = Path(home) / STATE_FOLDER / f"{digest}.enc"
        self._store = EncryptedStore(self.path, data_key, purpose=f"ui-state:{username}")
        self.values: dict[str, Any] = self._store.load()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._store.save(self.values)

    def forget(self) -> None:
        """Drop the in-memory copy (at logout); what was saved stays on disk for this account's next login."""
        self.values = {}
