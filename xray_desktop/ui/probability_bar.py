"""A horizontal probability bar with the decision threshold marked on it."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

POSITIVE = QColor(214, 69, 65)
NEGATIVE = QColor(46, 139, 87)


class ProbabilityBar(QWidget):
    def __init__(self, probability: float, threshold: float, positive: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.probability = float(probability)
        self.threshold = float(threshold)
        self.positive = positive
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(f"probability {self.probability:.1%}; decision threshold {self.threshold:.1%}")
        self.setAccessibleName(self.toolTip())

    def sizeHint(self) -> QSize:
        return QSize(200, max(18, self.fontMetrics().height() + 6))

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        trough = self.palette().color(self.backgroundRole()).darker(115)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(trough)
        painter.drawRoundedRect(rect, 4, 4)
        filled = QRectF(rect)
        filled.setWidth(rect.width() * min(max(self.probability, 0.0), 1.0))
        painter.setBrush(POSITIVE if self.positive else NEGATIVE)
        painter.drawRoundedRect(filled, 4, 4)
        x = rect.left() + rect.width() * min(max(self.threshold, 0.0), 1.0)
        pen = QPen(self.palette().color(self.foregroundRole()), 2)
        painter.setPen(pen)
        painter.drawLine(int(x), int(rect.top()) - 1, int(x), int(rect.bottom()) + 1)
        # The value sits at the right end, clear of the threshold mark; white only where the bar is under it.
        on_bar = self.probability > 0.85
        painter.setPen(QColor(255, 255, 255) if on_bar else self.palette().color(self.foregroundRole()))
        painter.drawText(
            rect.adjusted(6, 0, -6, 0),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
            f"{self.probability:.1%}",
        )
        painter.end()
