"""Small display helpers shared by the wizard pages: image strips, plot images, live training curves."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from xray_desktop.ui.viewer import numpy_to_qimage

GAP = 4


def to_uint8(image: np.ndarray) -> np.ndarray:
    """[0, 1] float plane or uint8 RGB -> uint8 (grey or RGB) for display."""
    if image.dtype == np.uint8:
        return image
    return (np.clip(image, 0.0, 1.0) * 255.0).round().astype(np.uint8)


def tile(images: list[np.ndarray], size: int, columns: int | None = None) -> np.ndarray:
    """Resize images to size x size and lay them out in a grid (RGB uint8, white gaps)."""
    columns = columns or max(1, len(images))
    rows = max(1, math.ceil(len(images) / columns))
    canvas = np.full((rows * (size + GAP) - GAP, columns * (size + GAP) - GAP, 3), 255, np.uint8)
    for index, image in enumerate(images):
        pixels = to_uint8(image)
        if pixels.ndim == 2:
            pixels = np.repeat(pixels[:, :, None], 3, axis=2)
        pixels = cv2.resize(pixels, (size, size), interpolation=cv2.INTER_AREA)
        r, c = divmod(index, columns)
        canvas[r * (size + GAP) : r * (size + GAP) + size, c * (size + GAP) : c * (size + GAP) + size] = pixels
    return canvas


def pixmap(image: np.ndarray) -> QPixmap:
    return QPixmap.fromImage(numpy_to_qimage(to_uint8(image)))


def image_label(image: np.ndarray | None = None, tooltip: str = "") -> QLabel:
    label = QLabel()
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    if image is not None:
        label.setPixmap(pixmap(image))
    label.setToolTip(tooltip)
    return label


def plot_label(path: Path, width: int = 300) -> QLabel:
    """A PNG written by the training core, scaled for the page; the full file is one click away in the run folder."""
    label = QLabel()
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    image = QPixmap(str(path))
    label.setPixmap(image.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation))
    label.setToolTip(str(path))
    return label


class CurvesCanvas(FigureCanvasQTAgg):
    """Loss and AUC per epoch (train and validation), redrawn after every epoch; batch loss as a faint trace."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.figure = Figure(figsize=(7.0, 2.6), dpi=90, layout="constrained")
        super().__init__(self.figure)
        self.setParent(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(200)
        self.loss_ax, self.auc_ax = self.figure.subplots(1, 2)
        self.epochs: list[object] = []
        self.batch_loss: list[tuple[float, float]] = []  # (fractional epoch, loss)
        self.redraw()

    def clear(self) -> None:
        self.epochs = []
        self.batch_loss = []
        self.redraw()

    def add_epoch(self, metrics: object) -> None:
        self.epochs.append(metrics)
        self.redraw()

    def add_batch_loss(self, position: float, loss: float) -> None:
        self.batch_loss.append((position, loss))

    def series(self, name: str) -> list[float]:
        return [float(getattr(m, name)) for m in self.epochs]

    def redraw(self) -> None:
        x = [int(getattr(m, "epoch", 0)) for m in self.epochs]
        self.loss_ax.clear()
        self.auc_ax.clear()
        if self.batch_loss:
            bx, by = zip(*self.batch_loss, strict=True)
            self.loss_ax.plot(bx, by, color="#9db4d0", lw=0.8, label="batch")
        for ax, key, title in ((self.loss_ax, "loss", "Loss"), (self.auc_ax, "auc", "AUC")):
            if x:
                ax.plot(x, self.series(key), marker="o", label="train")
                ax.plot(x, self.series(f"val_{key}"), marker="s", label="validation")
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("epoch", fontsize=9)
            ax.tick_params(labelsize=8)
            ax.grid(alpha=0.3)
            if x or (key == "loss" and self.batch_loss):
                ax.legend(fontsize=8, loc="best")
        if not x and not self.batch_loss:
            self.loss_ax.text(
                0.5,
                0.5,
                "curves appear as epochs finish",
                ha="center",
                va="center",
                fontsize=9,
                transform=self.loss_ax.transAxes,
                color="grey",
            )
        self.auc_ax.set_ylim(0.0, 1.02)
        self.draw_idle()
