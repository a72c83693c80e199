"""Embedded fonts for reports.

The PDF core fonts cannot draw "—" or "≥" and are not embedded, so a report would
look different on every viewer. DejaVu Sans (regular and bold, with its licence) ships in
resources/fonts/, so it is always available offline and reports need no matplotlib (the
reading-station bundle leaves matplotlib out).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from xray_desktop import paths
from xray_desktop.errors import XRayError

_LOCK = threading.Lock()
_REGISTERED: FontSet | None = None


@dataclass(frozen=True)
class FontSet:
    regular: str
    bold: str


def _font_dir() -> Path:
    return paths.resources_dir() / "fonts"


def register_fonts() -> FontSet:
    """Register DejaVu Sans (regular and bold) with reportlab once per process and return their names."""
    global _REGISTERED
    with _LOCK:
        if _REGISTERED is not None:
            return _REGISTERED
        from reportlab.lib.fonts import addMapping
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        folder = _font_dir()
        fonts = FontSet(regular="XRayDejaVuSans", bold="XRayDejaVuSans-Bold")
        for name, filename in ((fonts.regular, "DejaVuSans.ttf"), (fonts.bold, "DejaVuSans-Bold.ttf")):
            path = folder / filename
            if not path.is_file():
                raise XRayError(f"{path}: report font is missing; reinstall the application")
            pdfmetrics.registerFont(TTFont(name, str(path)))
        # So that <b> inside Paragraph markup picks the embedded bold face.
        addMapping(fonts.regular, 0, 0, fonts.regular)
        addMapping(fonts.regular, 1, 0, fonts.bold)
        addMapping(fonts.regular, 0, 1, fonts.regular)
        addMapping(fonts.regular, 1, 1, fonts.bold)
        _REGISTERED = fonts
        return fonts
