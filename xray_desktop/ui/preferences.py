"""Personal view settings (geometry, last folder, slider, colormap, theme, body part, recent files).

They belong to an account, not to the data folder: `Preferences(username=...)` keeps them in that
account's sealed state (`services.account_state`), so after one user logs out the next one sees
neither their recent paths nor their last folder. `Preferences()` with neither argument is the
in-memory state of nobody (before a login, after a logout); `Preferences(path)` keeps an INI file
(scripted screenshots). Like QSettings, changes are kept in memory and written by `sync()` (window
close, logout): a sealed write fsyncs, which the GUI thread must not wait for on every click.
Machine-wide settings belong to the settings service, not here.
"""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from xray_desktop.errors import XRayError
from xray_desktop.ui.body_part import BODY_PART_CHOICES

MAX_RECENT = 10
log = logging.getLogger(__name__)


class _AccountSettings:
    """The QSettings calls Preferences makes (`value`, `setValue`, `sync`), kept in an account's sealed state."""

    def __init__(self, username: str | None) -> None:
        self.state = None
        if username:
            from xray_desktop.services.account_state import AccountState

            try:
                self.state = AccountState(username)
            except XRayError as exc:  # an unreadable state file must not keep the window from opening
                log.warning("view settings of this account not loaded: %s", exc)
        self._values: dict[str, Any] = dict(self.state.values) if self.state is not None else {}

    def value(self, key: str, default: Any = None) -> Any:
        value = self._values.get(key, default)
        if isinstance(value, dict) and "qbytearray" in value:
            return QByteArray(base64.b64decode(value["qbytearray"]))
        return value

    def setValue(self, key: str, value: Any) -> None:  # the QSettings name
        if isinstance(value, QByteArray):
            value = {"qbytearray": base64.b64encode(bytes(value.data())).decode("ascii")}
        self._values[key] = value

    def sync(self) -> None:
        if self.state is None:
            return
        self.state.values = dict(self._values)
        try:
            self.state.save()
        except (XRayError, OSError) as exc:
            log.warning("view settings of this account not saved: %s", exc)

    def forget(self) -> None:
        self._values = {}
        if self.state is not None:
            self.state.forget()


class Preferences:
    def __init__(self, path: Path | None = None, *, username: str | None = None) -> None:
        self.path = path
        self.username = username if path is None else None
        if path is not None:
            self.qsettings: Any = QSettings(str(path), QSettings.Format.IniFormat)
        else:
            self.qsettings = _AccountSettings(username)

    def forget(self) -> None:
        """Save, then drop everything from memory (logout): the next user starts from their own state."""
        self.sync()
        if isinstance(self.qsettings, _AccountSettings):
            self.qsettings.forget()

    def _get(self, key: str, default: Any, kind: type) -> Any:
        value = self.qsettings.value(key, default)
        try:
            if kind is bool and isinstance(value, str):
                return value.lower() in ("1", "true", "yes")
            return kind(value)
        except (TypeError, ValueError):
            return default

    # Typed accessors, so a hand-edited file with nonsense values falls back to defaults.
    @property
    def opacity(self) -> int:
        return min(max(self._get("heatmap/opacity", 40, int), 0), 100)

    @opacity.setter
    def opacity(self, value: int) -> None:
        self.qsettings.setValue("heatmap/opacity", int(value))

    @property
    def colormap(self) -> str:
        return self._get("heatmap/colormap", "jet", str)

    @colormap.setter
    def colormap(self, value: str) -> None:
        self.qsettings.setValue("heatmap/colormap", value)

    @property
    def method(self) -> str:
        return self._get("heatmap/method", "gradcam", str)

    @method.setter
    def method(self, value: str) -> None:
        self.qsettings.setValue("heatmap/method", value)

    @property
    def theme(self) -> str:
        return self._get("view/theme", "light", str)

    @theme.setter
    def theme(self, value: str) -> None:
        self.qsettings.setValue("view/theme", value)

    @property
    def body_part(self) -> str:
        """The body part chosen for images that name none (see ui.body_part.BODY_PART_CHOICES)."""
        value = self._get("analysis/body_part", "auto", str)
        return value if value in BODY_PART_CHOICES else "auto"

    @body_part.setter
    def body_part(self, value: str) -> None:
        self.qsettings.setValue("analysis/body_part", value)

    @property
    def last_folder(self) -> str:
        return self._get("files/last_folder", str(Path.home()), str)

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self.qsettings.setValue("files/last_folder", value)

    @property
    def recent_files(self) -> list[str]:
        value = self.qsettings.value("files/recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value if isinstance(value, list | tuple) else [])][:MAX_RECENT]

    def add_recent(self, path: Path | str) -> list[str]:
        entry = str(Path(path).resolve())
        recent = [entry, *[p for p in self.recent_files if p != entry]][:MAX_RECENT]
        self.qsettings.setValue("files/recent", recent)
        return recent

    def clear_recent(self) -> None:
        self.qsettings.setValue("files/recent", [])

    @property
    def geometry(self) -> QByteArray | None:
        value = self.qsettings.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self.qsettings.setValue("window/geometry", value)

    def sync(self) -> None:
        self.qsettings.sync()
        if self.path is not None and os.name == "posix" and self.path.exists():
            os.chmod(self.path, 0o600)  # recent paths are personal: owner only
