"""The image viewer: fit, zoom, pan, 1:1, window/level, invert, heatmap blend, boxes, DICOM text.

Mouse: wheel zooms about the cursor, left-drag pans, right-drag changes the
window (horizontal = width, vertical = level). The heatmap is coloured once
elsewhere; this widget only re-blends the cached RGB map when the opacity
changes, which is cheap enough to follow a slider live. A large film is composited on its display-sized
level (`ui.display_level`) while it is seen whole, and at full resolution once zoomed in past it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QMouseEvent, QPainter, QPen, QPixmap, QWheelEvent
from PySide6.QtWidgets import QFrame, QGraphicsPixmapItem, QGraphicsRectItem, QGraphicsScene, QGraphicsView, QWidget

from xray_desktop.explain.overlay import to_rgb
from xray_desktop.ui.display import WINDOW_PRESETS, WindowLevel, apply_window, blend, quantize
from xray_desktop.ui.display_level import level_factor, level_shape, resample

ZOOM_STEP = 1.25
MIN_SCALE, MAX_SCALE = 0.02, 40.0


def numpy_to_qimage(array: np.ndarray) -> QImage:
    """Wrap a uint8 HxW or HxWx3 array as a QImage that owns a copy of the pixels."""
    array = np.ascontiguousarray(array)
    height, width = array.shape[:2]
    if array.ndim == 2:
        image = QImage(array.data, width, height, array.strides[0], QImage.Format.Format_Grayscale8)
    else:
        image = QImage(array.data, width, height, array.strides[0], QImage.Format.Format_RGB888)
    return image.copy()


class ImageViewer(QGraphicsView):
    """Shows one radiograph with an optional heatmap; emits the window it shows so the UI can label it."""

    windowChanged = Signal(object)  # WindowLevel
    zoomChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageViewer")
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self._pixmap_item = QGraphicsPixmapItem()
        self._pixmap_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._scene.addItem(self._pixmap_item)
        self._box_items: list[QGraphicsRectItem] = []
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(QBrush(QColor(12, 12, 14)))
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setRenderHints(QPainter.RenderHint.SmoothPixmapTransform | QPainter.RenderHint.Antialiasing)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self._pixels: np.ndarray | None = None
        self._quantized: np.ndarray | None = None
        self._gray: np.ndarray | None = None
        self._coloured: np.ndarray | None = None
        self.display_factor = 1  # the reduction of this film's display level (1: small film)
        self._factor = 1  # the reduction composited now: display_factor while seen whole, 1 zoomed in
        self._quantized_level: np.ndarray | None = None
        self._coloured_level: np.ndarray | None = None
        self._opacity = 0.4
        self._heatmap_visible = True
        self._boxes: list[tuple[int, int, int, int]] = []
        self._boxes_visible = True
        self._wl = WindowLevel()
        self._fit_mode = True
        self._wl_drag: QPointF | None = None
        self._info_lines: list[str] = []
        self._info_visible = True
        self._placeholder = "Open an X-ray (Ctrl+O), drop a file here, or pick a case from Samples"
        self.blend_count = 0  # how many times the displayed pixels were re-blended (tests read it)

    # ----- content -------------------------------------------------------------------------
    def set_image(
        self, pixels: np.ndarray | None, info_lines: list[str] | None = None, quantized: np.ndarray | None = None
    ) -> None:
        """Show new [0, 1] pixels (with their `display.quantize` levels when already computed off-thread);
        the heatmap and boxes are cleared and the window reset."""
        self._pixels = pixels
        if pixels is not None and quantized is None:
            quantized = quantize(pixels)
        self._quantized = quantized
        self._coloured = None
        self._coloured_level = None
        self.display_factor = level_factor(*pixels.shape[:2]) if pixels is not None else 1
        self._set_factor(self.display_factor, refresh=False)
        self._boxes = []
        self._info_lines = list(info_lines or [])
        self._wl = WindowLevel(invert=self._wl.invert)
        self._recompute_gray()
        self.fit()
        self.windowChanged.emit(self._wl)

    def has_image(self) -> bool:
        return self._pixels is not None

    def set_heatmap(self, coloured: np.ndarray | None) -> None:
        """Set the cached coloured map (RGB uint8, image size or `display_size()`); None removes it."""
        if coloured is not None and self._pixels is not None:
            allowed = (self._pixels.shape[:2], self.display_size())
            if coloured.shape[:2] not in allowed:
                raise ValueError(f"heatmap {coloured.shape[:2]} does not match image {self._pixels.shape[:2]}")
        self._coloured = coloured
        self._coloured_level = None
        self._refresh()

    def display_size(self) -> tuple[int, int]:
        """(rows, columns) of the display level: colour maps at this size cost the GUI thread least."""
        if self._pixels is None:
            return (0, 0)
        height, width = self._pixels.shape[:2]
        return level_shape(height, width, self.display_factor)

    def set_boxes(self, boxes: list[tuple[int, int, int, int]]) -> None:
        self._boxes = list(boxes)
        self._refresh_boxes()

    def set_info_lines(self, lines: list[str]) -> None:
        self._info_lines = list(lines)
        self.viewport().update()

    # ----- display options --------------------------------------------------------------------
    def set_opacity(self, opacity: float) -> None:
        self._opacity = float(np.clip(opacity, 0.0, 1.0))
        self._refresh()

    def opacity(self) -> float:
        return self._opacity

    def set_heatmap_visible(self, visible: bool) -> None:
        self._heatmap_visible = bool(visible)
        self._refresh()

    def heatmap_visible(self) -> bool:
        return self._heatmap_visible

    def set_boxes_visible(self, visible: bool) -> None:
        self._boxes_visible = bool(visible)
        self._refresh_boxes()

    def set_info_visible(self, visible: bool) -> None:
        self._info_visible = bool(visible)
        self.viewport().update()

    def toggle_info(self) -> None:
        self.set_info_visible(not self._info_visible)

    def info_visible(self) -> bool:
        return self._info_visible

    def window_level(self) -> WindowLevel:
        return self._wl

    def set_window_level(self, wl: WindowLevel) -> None:
        self._wl = wl
        self._recompute_gray()
        self.windowChanged.emit(wl)

    def apply_preset(self, name: str) -> None:
        preset = WINDOW_PRESETS[name]
        self.set_window_level(WindowLevel(preset.level, preset.width, self._wl.invert))

    def reset_window(self) -> None:
        self.set_window_level(WindowLevel(invert=self._wl.invert))

    def set_inverted(self, inverted: bool) -> None:
        self.set_window_level(WindowLevel(self._wl.level, self._wl.width, bool(inverted)))

    def toggle_invert(self) -> None:
        self.set_inverted(not self._wl.invert)

    def displayed_pixels(self) -> np.ndarray | None:
        """The RGB uint8 pixels currently on screen (tests compare them)."""
        image = self._pixmap_item.pixmap().toImage().convertToFormat(QImage.Format.Format_RGB888)
        if image.isNull():
            return None
        ptr = image.constBits()
        arr = np.frombuffer(ptr, dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
        return arr[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()

    # ----- zoom -------------------------------------------------------------------------------
    def fit(self) -> None:
        self._fit_mode = True
        if self._pixels is not None:
            self.fitInView(self._pixmap_item, Qt.AspectRatioMode.KeepAspectRatio)
            self._follow_zoom()
            self.zoomChanged.emit(self.scale_factor())

    def actual_size(self) -> None:
        self._fit_mode = False
        self.resetTransform()
        self._follow_zoom()
        self.zoomChanged.emit(1.0)

    def zoom_by(self, factor: float) -> None:
        current = self.scale_factor()
        target = float(np.clip(current * factor, MIN_SCALE, MAX_SCALE))
        if current > 0:
            self._fit_mode = False
            self.scale(target / current, target / current)
            self._follow_zoom()
            self.zoomChanged.emit(target)

    def _follow_zoom(self) -> None:
        """The display level while each of its pixels covers at most one screen pixel; full resolution beyond."""
        wanted = self.display_factor if self.scale_factor() * self.display_factor <= 1.0 + 1e-6 else 1
        if wanted != self._factor:
            self._set_factor(wanted)

    def _set_factor(self, factor: int, refresh: bool = True) -> None:
        self._factor = factor
        self._coloured_level = None
        if self._quantized is None:
            self._quantized_level = None
        else:
            height, width = self._quantized.shape[:2]
            shape = level_shape(height, width, factor)
            self._quantized_level = resample(self._quantized, shape)
        self._pixmap_item.setScale(float(factor))
        if refresh:
            self._recompute_gray()

    def scale_factor(self) -> float:
        return float(self.transform().m11())

    # ----- rendering --------------------------------------------------------------------------
    def _recompute_gray(self) -> None:
        level = self._quantized_level if self._quantized_level is not None else self._quantized
        self._gray = None if level is None else apply_window(level, self._wl)
        self._refresh()

    def _refresh(self) -> None:
        if self._gray is None:
            self._pixmap_item.setPixmap(QPixmap())
            self._scene.setSceneRect(QRectF())
            self.viewport().update()
            return
        if self._coloured is not None and self._heatmap_visible:
            if self._coloured_level is None or self._coloured_level.shape[:2] != self._gray.shape[:2]:
                self._coloured_level = resample(self._coloured, self._gray.shape[:2])  # once per map or level
            rgb = blend(self._gray, self._coloured_level, self._opacity)
        else:
            rgb = to_rgb(self._gray)
        self.blend_count += 1
        self._pixmap_item.setPixmap(QPixmap.fromImage(numpy_to_qimage(rgb)))
        self._scene.setSceneRect(self._full_rect())
        self._refresh_boxes()

    def _full_rect(self) -> QRectF:
        """The film's own pixel rectangle: scene coordinates stay the film's whatever level is shown."""
        if self._pixels is None:
            return QRectF()
        height, width = self._pixels.shape[:2]
        return QRectF(0.0, 0.0, float(width), float(height))

    def _refresh_boxes(self) -> None:
        for item in self._box_items:
            self._scene.removeItem(item)
        self._box_items = []
        if not (self._boxes_visible and self._heatmap_visible):
            return
        pen = QPen(QColor(255, 210, 0), 3)
        pen.setCosmetic(True)
        for x, y, w, h in self._boxes:
            item = QGraphicsRectItem(float(x), float(y), float(w), float(h))
            item.setPen(pen)
            self._scene.addItem(item)
            self._box_items.append(item)

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        super().drawForeground(painter, rect)
        painter.save()
        painter.resetTransform()
        if self._pixels is None:
            painter.setPen(QColor(170, 170, 178))
            font = QFont(self.font())
            font.setPointSizeF(font.pointSizeF() * 1.2)
            painter.setFont(font)
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, self._placeholder)
        elif self._info_visible:
            lines = [
                *self._info_lines,
                f"W {self._wl.width:.2f}  L {self._wl.level:.2f}  zoom {self.scale_factor():.0%}",
            ]
            if self._wl.invert:
                lines.append("inverted")
            font = QFont(self.font())
            painter.setFont(font)
            metrics = painter.fontMetrics()
            y = 8 + metrics.ascent()
            for line in lines:
                painter.setPen(QColor(0, 0, 0, 200))
                painter.drawText(11, y + 1, line)
                painter.setPen(QColor(235, 235, 120))
                painter.drawText(10, y, line)
                y += metrics.height()
        painter.restore()

    # ----- events -----------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fit_mode:
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self._pixels is None:
            return
        delta = event.angleDelta().y()
        if delta:
            self.zoom_by(ZOOM_STEP if delta > 0 else 1 / ZOOM_STEP)
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton and self._pixels is not None:
            self._wl_drag = event.position()
            self.viewport().setCursor(Qt.CursorShape.SizeAllCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._wl_drag is not None:
            delta = event.position() - self._wl_drag
            self._wl_drag = event.position()
            span = max(self.viewport().width(), 1)
            self.set_window_level(self._wl.adjusted(-delta.y() / span, delta.x() / span))
            self.viewport().update()
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton and self._wl_drag is not None:
            self._wl_drag = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def contextMenuEvent(self, event) -> None:
        event.accept()
