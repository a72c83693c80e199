"""Personal view settings (geometry, last folder, slider, colormap, theme, body part, recent files) in QSettings.

Stored as an INI file under the data home, so `XRAY_DESKTOP_HOME` isolates
tests and portable installs. Machine-wide settings belong to the settings
service, not here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from xray_desktop.paths import data_home
from xray_desktop.ui.body_part import BODY_PART_CHOICES

MAX_RECENT = 10


class Preferences:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_home() / "ui_settings.ini"
        self.qsettings = QSettings(str(self.path), QSettings.Format.IniFormat)

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
