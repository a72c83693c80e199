"""Heatmap controls: opacity, colormap, explanation method (with how long each took), map and box toggles."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from xray_desktop.explain import METHOD_NAMES as METHODS
from xray_desktop.explain.overlay import COLORMAPS as _CV_COLORMAPS

COLORMAPS: tuple[str, ...] = tuple(_CV_COLORMAPS)


def format_seconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1.0 else f"{seconds:.1f} s"


class HeatmapControls(QGroupBox):
    opacityChanged = Signal(float)  # 0..1
    colormapChanged = Signal(str)
    methodChanged = Signal(str)
    taskChanged = Signal(str)
    heatmapToggled = Signal(bool)
    boxesToggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Explanation", parent)
        self.setObjectName("heatmapControls")

        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(40)
        self.opacity.setPageStep(10)
        self.opacity.setAccessibleName("Heatmap opacity")
        self.opacity_label = QLabel("40 %")
        self.opacity_label.setMinimumWidth(40)
        self.opacity_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        opacity_row = QHBoxLayout()
        opacity_row.addWidget(self.opacity, 1)
        opacity_row.addWidget(self.opacity_label)

        self.task = QComboBox()
        self.task.setAccessibleName("Map for task")
        self.colormap = QComboBox()
        self.colormap.addItems(COLORMAPS)
        self.method = QComboBox()
        for key, title in METHODS.items():
            self.method.addItem(title, key)
        self.timings = QLabel("—")
        self.timings.setObjectName("methodTimings")
        self.timings.setWordWrap(True)
        self.show_map = QCheckBox("Show heatmap")
        self.show_map.setChecked(True)
        self.show_boxes = QCheckBox("Fracture boxes")
        self.show_boxes.setChecked(True)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Opacity", opacity_row)
        form.addRow("Map for", self.task)
        form.addRow("Method", self.method)
        form.addRow("Colours", self.colormap)
        form.addRow("Time", self.timings)
        toggles = QHBoxLayout()
        toggles.addWidget(self.show_map)
        toggles.addWidget(self.show_boxes)
        toggles.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(toggles)

        self.opacity.valueChanged.connect(self._on_opacity)
        self.colormap.currentTextChanged.connect(self.colormapChanged)
        self.method.currentIndexChanged.connect(lambda _i: self.methodChanged.emit(self.current_method()))
        self.task.currentIndexChanged.connect(self._on_task)
        self.show_map.toggled.connect(self.heatmapToggled)
        self.show_boxes.toggled.connect(self.boxesToggled)

    def _on_opacity(self, value: int) -> None:
        self.opacity_label.setText(f"{value} %")
        self.opacityChanged.emit(value / 100.0)

    def _on_task(self, _index: int) -> None:
        task = self.task.currentData()
        if task:
            self.taskChanged.emit(str(task))

    def current_method(self) -> str:
        return str(self.method.currentData())

    def current_task(self) -> str | None:
        data = self.task.currentData()
        return str(data) if data else None

    def set_tasks(self, tasks: list[tuple[str, str]], current: str | None) -> None:
        """Offer the tasks that produced a map (key, title); keeps signals quiet while refilling."""
        self.task.blockSignals(True)
        self.task.clear()
        for key, title in tasks:
            self.task.addItem(title, key)
        if current is not None:
            index = self.task.findData(current)
            self.task.setCurrentIndex(max(index, 0))
        self.task.setEnabled(bool(tasks))
        self.task.blockSignals(False)

    def set_available(self, available: bool) -> None:
        """Grey out the map-only controls when the shown result has no map (the method stays choosable)."""
        for widget in (self.opacity, self.task, self.colormap, self.show_map, self.show_boxes):
            widget.setEnabled(available)
        if not available:
            self.task.clear()
            self.task.addItem("no map for this image")

    def set_method(self, method: str) -> None:
        index = self.method.findData(method)
        if index >= 0:
            self.method.blockSignals(True)
            self.method.setCurrentIndex(index)
            self.method.blockSignals(False)

    def set_colormap(self, name: str) -> None:
        if name in COLORMAPS:
            self.colormap.blockSignals(True)
            self.colormap.setCurrentText(name)
            self.colormap.blockSignals(False)

    def set_timings(self, seconds_by_method: dict[str, float], busy_method: str | None = None) -> None:
        """Show how long each computed method took, e.g. 'Grad-CAM 0.21 s · Score-CAM 3.4 s'."""
        parts = [f"{METHODS.get(m, m)} {format_seconds(s)}" for m, s in seconds_by_method.items()]
        if busy_method:
            parts.append(f"{METHODS.get(busy_method, busy_method)} computing…")
        self.timings.setText(" · ".join(parts) if parts else "—")
