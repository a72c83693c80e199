"""Light and dark themes: Fusion style, a palette and a short stylesheet; teaching mode scales fonts."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("light", "dark")
TEACHING_FONT_SCALE = 1.6

_LIGHT = {
    "window": "#f3f4f6",
    "base": "#ffffff",
    "alt": "#f0f2f5",
    "text": "#1d2127",
    "muted": "#5f6673",
    "button": "#e9ebef",
    "highlight": "#2f6fde",
    "card": "#ffffff",
    "border": "#d5d9e0",
    "warn_bg": "#fff4d6",
    "warn_fg": "#6b4b00",
    "truth_bg": "#e3f1ff",
    "truth_fg": "#0c3f78",
}
_DARK = {
    "window": "#1e2126",
    "base": "#16181c",
    "alt": "#23272d",
    "text": "#e6e8eb",
    "muted": "#a0a7b2",
    "button": "#2c3037",
    "highlight": "#4c8dff",
    "card": "#262a30",
    "border": "#3a3f47",
    "warn_bg": "#4a3b12",
    "warn_fg": "#ffe7a3",
    "truth_bg": "#173454",
    "truth_fg": "#cfe6ff",
}


def _palette(c: dict[str, str]) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    p.setColor(role.Window, QColor(c["window"]))
    p.setColor(role.WindowText, QColor(c["text"]))
    p.setColor(role.Base, QColor(c["base"]))
    p.setColor(role.AlternateBase, QColor(c["alt"]))
    p.setColor(role.Text, QColor(c["text"]))
    p.setColor(role.Button, QColor(c["button"]))
    p.setColor(role.ButtonText, QColor(c["text"]))
    p.setColor(role.ToolTipBase, QColor(c["card"]))
    p.setColor(role.ToolTipText, QColor(c["text"]))
    p.setColor(role.Highlight, QColor(c["highlight"]))
    p.setColor(role.HighlightedText, QColor("#ffffff"))
    p.setColor(role.PlaceholderText, QColor(c["muted"]))
    p.setColor(QPalette.ColorGroup.Disabled, role.Text, QColor(c["muted"]))
    p.setColor(QPalette.ColorGroup.Disabled, role.ButtonText, QColor(c["muted"]))
    return p


def _stylesheet(c: dict[str, str], base_pt: float) -> str:
    header_pt = round(base_pt * 1.25, 1)
    return f"""
    QLabel#panelHeader {{ font-weight: 600; font-size: {header_pt}pt; padding: 4px 2px; }}
    QFrame#taskCard {{ background: {c["card"]}; border: 1px solid {c["border"]}; border-radius: 6px; }}
    QLabel#taskTitle {{ font-weight: 600; font-size: {header_pt}pt; }}
    QLabel#decisionPositive {{ color: #d6453f; font-weight: 600; }}
    QLabel#decisionNegative {{ color: #2e8b57; font-weight: 600; }}
    QLabel#modelLine, QLabel#notInstalled, QLabel#methodTimings, QLabel#resultsStatus,
        QLabel#imageNotes {{ color: {c["muted"]}; }}
    QLabel#unavailable {{ color: #c77700; }}
    QLabel#mapWarning {{ background: {c["warn_bg"]}; color: {c["warn_fg"]}; border: 2px solid {c["warn_fg"]};
        border-radius: 6px; padding: 6px; font-weight: 600; }}
    QLabel#mapFaithfulness, QLabel#mapCheckStatus {{ font-weight: 600; }}
    QLabel#plausibilityWarning {{ background: {c["warn_bg"]}; color: {c["warn_fg"]};
        border-radius: 6px; padding: 8px; }}
    QFrame#bodyPartWarning {{ background: {c["warn_bg"]}; border: 2px solid {c["warn_fg"]}; border-radius: 6px; }}
    QFrame#bodyPartWarning QLabel {{ color: {c["warn_fg"]}; background: transparent; }}
    QLabel#bodyPartWarningText {{ font-weight: 600; }}
    QLabel#truthLabel {{ background: {c["truth_bg"]}; color: {c["truth_fg"]}; border-radius: 6px;
        padding: 8px; font-weight: 600; }}
    QLabel#disclaimer {{ color: {c["muted"]}; font-style: italic; padding: 6px;
        border-top: 1px solid {c["border"]}; }}
    QPushButton#revealButton {{ background: {c["highlight"]}; color: white; font-weight: 600;
        padding: 10px; border-radius: 6px; border: none; }}
    QGroupBox {{ font-weight: 600; border: 1px solid {c["border"]}; border-radius: 6px; margin-top: 10px;
        padding-top: 6px; }}
    QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; }}
    QListWidget {{ border: 1px solid {c["border"]}; border-radius: 4px; }}
    QStatusBar QLabel {{ padding: 0 6px; }}
    """


def apply_theme(
    app: QCoreApplication | None, theme: str, teaching: bool = False, base_point_size: float | None = None
) -> None:
    """Switch palette and stylesheet; in teaching mode every font is scaled up for a projector (no-op without a GUI app)."""
    if not isinstance(app, QApplication):
        return
    colours = _DARK if theme == "dark" else _LIGHT
    app.setStyle("Fusion")
    app.setPalette(_palette(colours))
    if base_point_size is None:
        base_point_size = float(app.property("xrayBaseFontSize") or QFont().pointSizeF() or 10.0)
        app.setProperty("xrayBaseFontSize", base_point_size)
    size = base_point_size * (TEACHING_FONT_SCALE if teaching else 1.0)
    font = app.font()
    font.setPointSizeF(size)
    app.setFont(font)
    app.setStyleSheet(_stylesheet(colours, size))
