"""Helpers for the UI tests: offscreen Qt, a window with an injected session, dialog recorders."""

from __future__ import annotations

from pathlib import Path

from xray_desktop.paths import samples_dir
from xray_desktop.security.permissions import Role
from xray_desktop.services.session import Session

PNEUMONIA_SAMPLE = samples_dir() / "chest" / "PNEUMONIA__person1177_virus_1999.jpeg"
NORMAL_SAMPLE = samples_dir() / "chest" / "NORMAL__IM-0441-0001.jpeg"
KNEE_SAMPLE = samples_dir() / "knee" / "KL3__9023348L.png"


class RecordingAudit:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict]] = []

    def append(self, actor: str, event: str, details: dict) -> None:
        self.events.append((actor, event, details))


def doctor_session(audit: RecordingAudit | None = None) -> Session:
    return Session(username="dr-test", role=Role.DOCTOR, audit=audit)


class DialogRecorder:
    """Stands in for QMessageBox.critical/warning/information: records instead of blocking."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, _parent, title, text, *args, **kwargs):
        self.calls.append((str(title), str(text)))
        return 0


def write_corrupt_image(folder: Path, name: str = "broken.png") -> Path:
    path = folder / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"this is not really a png" * 4)
    return path


def analyse(qtbot, window):  # type: ignore[no-untyped-def]
    """Open the pneumonia sample in `window` and return the analysis it shows."""
    with qtbot.waitSignal(window.analysisShown, timeout=60000) as blocker:
        window.open_path(PNEUMONIA_SAMPLE)
    return blocker.args[0]
