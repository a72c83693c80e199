"""The settings use-case: read, change, import/export, back up and restore the app's typed settings.

Display preferences (opacity, colormap, method, theme, fonts, teaching mode) may be
changed by anyone logged in. The idle lock is machine policy (Permission.EDIT_SETTINGS)
and threshold overrides change what the app calls positive (Permission.SET_THRESHOLDS).
Import and restore replace everything, so they need both whenever those fields change.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from xray_desktop.atomic import atomic_write_text
from xray_desktop.encrypted_store import EncryptedStore
from xray_desktop.errors import InputError, StoreError
from xray_desktop.security.keys import load_data_key
from xray_desktop.security.permissions import Permission
from xray_desktop.services.session import Session
from xray_desktop.storage.settings import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    SETTINGS_FILE_NAME,
    Settings,
    SettingsStore,
    settings_from_dict,
)

GUARDED_FIELDS: dict[str, Permission] = {
    "threshold_overrides": Permission.SET_THRESHOLDS,
    "idle_lock_minutes": Permission.EDIT_SETTINGS,
    "collapse_outside_population": Permission.EDIT_SETTINGS,
}
BACKUP_DIR = "settings-backups"

Listener = Callable[[Settings], None]


class SettingsService:
    """Settings of one data home; thread-safe; listeners hear every saved change."""

    def __init__(self, home: Path | None = None) -> None:
        if home is None:
            from xray_desktop.paths import data_home

            home = data_home()
        self._home = Path(home)
        self._key = load_data_key(self._home)
        self._store = SettingsStore(self._home / SETTINGS_FILE_NAME, self._key)
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self.load_problem: str | None = None  # shown by the window when the saved settings could not be used
        try:
            self._current = self._store.load()
        except (StoreError, InputError) as exc:
            self._current, fallback = self._last_good_copy()
            self.load_problem = f"{exc} {fallback} are in use; the next save keeps the damaged file beside the new one."

    def _last_good_copy(self) -> tuple[Settings, str]:
        """The copy kept before the last save when it is readable, else the defaults."""
        try:
            return self._store.load_previous(), "The settings saved before the last change"
        except (StoreError, InputError):
            return Settings(), "Default settings"

    def get(self) -> Settings:
        with self._lock:
            return self._current

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def update(self, session: Session, **changes: Any) -> Settings:
        """Change some fields; validated as a whole, saved atomically, listeners notified."""
        with self._lock:
            merged = {**self._current.to_dict(), **changes}
            new = settings_from_dict(merged, "settings change")
            return self._commit(session, new, "settings_change")

    def replace(self, session: Session, settings: Settings) -> Settings:
        """Save a complete Settings value (the dialog's OK)."""
        return self._commit(session, settings.validated("settings"), "settings_change")

    def reset(self, session: Session) -> Settings:
        return self._commit(session, Settings(), "settings_reset")

    def export_json(self, session: Session, path: str | Path) -> Path:
        """Write the settings as a readable JSON file (for another PC or a record)."""
        out = Path(path)
        document = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "settings": self.get().to_dict()}
        try:
            atomic_write_text(out, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise InputError(f"{out}: the settings cannot be written ({exc.strerror or exc})") from None
        session.record("settings_export", path=str(out))
        return out

    def import_json(self, session: Session, path: str | Path) -> Settings:
        """Replace the settings with a file written by `export_json` (fully validated first)."""
        source = Path(path)
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{source}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise InputError(f"{source}: not valid JSON ({exc})") from None
        if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
            raise InputError(f"{source}: not an XRay Desktop settings file (field 'format' must be {EXPORT_FORMAT!r})")
        if document.get("version") != EXPORT_VERSION:
            raise InputError(
                f"{source}: field 'version': settings file version {document.get('version')!r} is not supported "
                f"(this program reads version {EXPORT_VERSION})"
            )
        if "settings" not in document:
            raise InputError(f"{source}: field 'settings' is missing")
        new = settings_from_dict(document["settings"], str(source))
        return self._commit(session, new, "settings_import", path=str(source))

    def backup(self, session: Session) -> Path:
        """Save an encrypted, time-stamped copy of the current settings in the data folder."""
        folder = self.backup_folder
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = folder / f"settings-{stamp}.enc"
        EncryptedStore(path, self._key).save({"version": EXPORT_VERSION, "settings": self.get().to_dict()})
        session.record("settings_backup", path=str(path))
        return path

    @property
    def backup_folder(self) -> Path:
        return self._home / BACKUP_DIR

    def list_backups(self) -> list[Path]:
        """Backups, newest first."""
        folder = self.backup_folder
        return sorted(folder.glob("settings-*.enc"), reverse=True) if folder.is_dir() else []

    def restore(self, session: Session, backup_path: str | Path) -> Settings:
        """Replace the settings with a backup made by `backup`."""
        path = Path(backup_path)
        if not path.is_file():
            raise InputError(f"{path}: no such settings backup")
        try:
            document = EncryptedStore(path, self._key).load()
        except StoreError as exc:
            raise InputError(str(exc)) from None
        new = settings_from_dict(document.get("settings", {}), str(path))
        return self._commit(session, new, "settings_restore", path=str(path))

    def _set_damaged_file_aside(self) -> None:
        """Never overwrite or delete an unreadable settings file: rename it so it can still be examined."""
        path = self._store.path
        if path.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            path.rename(path.with_name(f"{path.name}.damaged-{stamp}"))
        self.load_problem = None

    def _commit(self, session: Session, new: Settings, event: str, **details: Any) -> Settings:
        with self._lock:
            changed = [
                f.name for f in dataclasses.fields(Settings) if getattr(new, f.name) != getattr(self._current, f.name)
            ]
            for name in changed:
                if name in GUARDED_FIELDS:
                    session.require(GUARDED_FIELDS[name])
            if self.load_problem is not None:
                self._set_damaged_file_aside()
            self._store.save(new)
            self._current = new
        session.record(event, fields=changed, **details)
        for listener in list(self._listeners):
            listener(new)
        return new
