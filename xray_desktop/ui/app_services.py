"""The per-user services the window uses besides analysis: login, history, feedback, settings.

Bundled so the window gets them passed in (tests build a window with none, and
the menu entries that need one are simply absent).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class AppServices:
    auth: Any | None = None  # services.auth.AuthService
    history: Any | None = None  # services.history.HistoryService
    feedback: Any | None = None  # services.feedback.FeedbackService
    settings: Any | None = None  # services.settings.SettingsService

    @classmethod
    def open(cls, auth: Any | None = None, home: Path | None = None) -> AppServices:
        """Open every service on the data home (the same one the login used)."""
        from xray_desktop.services.auth import AuthService
        from xray_desktop.services.feedback import FeedbackService
        from xray_desktop.services.history import HistoryService
        from xray_desktop.services.settings import SettingsService

        return cls(
            auth=auth or AuthService.open(home),
            history=HistoryService(home),
            feedback=FeedbackService(home),
            settings=SettingsService(home),
        )
