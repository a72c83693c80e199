"""The PDF report's look: margins, colours, paragraph styles and the table style every table shares."""

from __future__ import annotations

from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import TableStyle

from xray_desktop.reports.fonts import FontSet

MARGIN = 16 * mm
GRID = colors.HexColor("#b0b7c0")
HEAD_BG = colors.HexColor("#e8edf3")
DISCLAIMER_RED = colors.HexColor("#9b1c1c")
POSITIVE = colors.HexColor("#9b1c1c")


class Styles:
    def __init__(self, fonts: FontSet) -> None:
        base = ParagraphStyle("base", fontName=fonts.regular, fontSize=9, leading=11.5)
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=7.8, leading=9.6)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=8.2, leading=10)
        self.cell_small = ParagraphStyle("cellsmall", parent=base, fontSize=7.6, leading=9.4)
        self.cell_head = ParagraphStyle("cellhead", parent=self.cell, fontName=fonts.bold, fontSize=7.8)
        self.caption = ParagraphStyle("caption", parent=self.small, alignment=1)
        self.title = ParagraphStyle("title", parent=base, fontName=fonts.bold, fontSize=17, leading=21)
        self.h2 = ParagraphStyle("h2", parent=base, fontName=fonts.bold, fontSize=12.5, leading=16, spaceBefore=4)
        self.h3 = ParagraphStyle("h3", parent=base, fontName=fonts.bold, fontSize=10, leading=13, spaceBefore=6)
        self.banner = ParagraphStyle(
            "banner",
            parent=base,
            fontName=fonts.bold,
            textColor=DISCLAIMER_RED,
            borderColor=DISCLAIMER_RED,
            borderWidth=0.8,
            borderPadding=4,
            alignment=1,
            spaceBefore=4,
            spaceAfter=8,
        )


def table_style(styles: Styles, commands: list[Any]) -> TableStyle:
    """Table commands plus the embedded font for any plain-string cell (reportlab's default is Helvetica)."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), styles.body.fontName), *commands])
