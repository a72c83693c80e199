"""Page 2 — Model: task, backbone, input size, regimen (editable), local weights, augmentation with a live preview."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from xray_desktop.errors import InputError
from xray_desktop.tasks import TASKS
from xray_desktop.training.recipes import Augmentation, recipe_from_dict
from xray_desktop.training.regimens import REGIMENS
from xray_desktop.ui.training_wizard.jobs import augment_preview
from xray_desktop.ui.training_wizard.recipe_io import locate_data, recipe_dict
from xray_desktop.ui.training_wizard.state import WizardState
from xray_desktop.ui.training_wizard.survey import guess_task
from xray_desktop.ui.training_wizard.widgets import image_label, pixmap, tile

BACKBONES = (
    ("Small CNN — fast, trained from scratch", "small_cnn", 128),
    ("MobileNetV2 — light backbone", "mobilenetv2", 160),
    ("DenseNet121 — accurate, slow without a GPU", "densenet121", 224),
)
FLIP_OK = {"knee", "limb"}  # chest films are never flipped: the heart is on the left
PREVIEW_ROWS = 3
PREVIEW_COPIES = 4
PREVIEW_SIZE = 92


def _spin(low: float, high: float, step: float, value: float, decimals: int = 2) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setDecimals(decimals)
    spin.setValue(value)
    return spin


class ModelPage(QWizardPage):
    def __init__(self, state: WizardState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._preview_seed = 0
        self.setTitle("Model")
        self.setSubTitle(
            "Pick the task and the network, how long to train, and how training images are varied. "
            "Pretrained weights are only ever read from a local file; nothing is downloaded."
        )
        self.task = QComboBox()
        for task in TASKS.values():
            self.task.addItem(f"{task.positive_label} ({task.body_part})", task.name)
        self.task.currentIndexChanged.connect(self._task_changed)
        self.backbone = QComboBox()
        for text, name, _ in BACKBONES:
            self.backbone.addItem(text, name)
        self.backbone.currentIndexChanged.connect(self._backbone_changed)
        self.input_size = QSpinBox()
        self.input_size.setRange(32, 512)
        self.input_size.setSingleStep(16)
        self.input_size.setValue(128)
        self.input_size.setSuffix(" px")
        self.regimen = QComboBox()
        for name, regimen in REGIMENS.items():
            self.regimen.addItem(f"{name} — {regimen.epochs} epochs, lr {regimen.learning_rate:g}", name)
        self.regimen.currentIndexChanged.connect(self._regimen_changed)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 500)
        self.learning_rate = _spin(1e-6, 1.0, 1e-4, 1e-3, decimals=6)
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 512)
        self.batch_size.setValue(32)
        params = QHBoxLayout()
        for text, widget in (
            ("epochs", self.epochs),
            ("learning rate", self.learning_rate),
            ("batch", self.batch_size),
        ):
            params.addWidget(QLabel(text))
            params.addWidget(widget)
        params.addStretch(1)
        self.weights = QLineEdit()
        self.weights.setPlaceholderText("optional: local .weights.h5 / .h5 file for the backbone")
        self.weights_button = QPushButton("Browse…")
        self.weights_button.clicked.connect(self._choose_weights)
        weights_row = QHBoxLayout()
        weights_row.addWidget(self.weights, 1)
        weights_row.addWidget(self.weights_button)
        self.registerField("task", self.task, "currentText")
        self.registerField("backbone", self.backbone, "currentText")
        self.registerField("inputSize", self.input_size)
        self.registerField("epochs", self.epochs)

        form = QFormLayout()
        form.addRow("Task:", self.task)
        form.addRow("Backbone:", self.backbone)
        form.addRow("Input size:", self.input_size)
        form.addRow("Regimen:", self.regimen)
        form.addRow("", params)
        form.addRow("Pretrained weights:", weights_row)

        defaults = Augmentation()
        self.rotate = _spin(0, 45, 1, defaults.rotate_deg, 0)
        self.zoom = _spin(0, 0.5, 0.05, defaults.zoom)
        self.brightness = _spin(0, 0.5, 0.05, defaults.brightness)
        self.contrast = _spin(0, 0.5, 0.05, defaults.contrast)
        self.noise = _spin(0, 0.2, 0.01, defaults.noise_std, 3)
        self.probability = _spin(0, 1, 0.1, defaults.probability)
        self.hflip = QCheckBox("horizontal flip")
        self.clahe = QCheckBox("CLAHE")
        self.flip_note = QLabel()
        self.flip_note.setWordWrap(True)
        aug_grid = QGridLayout()
        cells = (
            ("rotate ±°", self.rotate),
            ("zoom ±", self.zoom),
            ("brightness ±", self.brightness),
            ("contrast ±", self.contrast),
            ("noise σ", self.noise),
            ("probability", self.probability),
        )
        for i, (text, widget) in enumerate(cells):
            aug_grid.addWidget(QLabel(text), i // 2, (i % 2) * 2)
            aug_grid.addWidget(widget, i // 2, (i % 2) * 2 + 1)
            widget.valueChanged.connect(self._schedule_preview)
        aug_grid.addWidget(self.hflip, 3, 0, 1, 2)
        aug_grid.addWidget(self.clahe, 3, 2, 1, 2)
        aug_grid.addWidget(self.flip_note, 4, 0, 1, 4)
        aug_grid.setRowStretch(5, 1)
        self.hflip.toggled.connect(self._schedule_preview)
        self.clahe.toggled.connect(self._schedule_preview)
        self.preview = image_label()
        self.preview.setMinimumSize(PREVIEW_COPIES * (PREVIEW_SIZE + 4) + PREVIEW_SIZE, 100)
        self.preview_caption = QLabel(
            f"Left: the original; then {PREVIEW_COPIES} random augmentations as training will draw them "
            "(training images only; validation is never augmented)."
        )
        self.preview_caption.setWordWrap(True)
        reshuffle = QPushButton("New random draws")
        reshuffle.clicked.connect(self._reshuffle)
        preview_box = QVBoxLayout()
        preview_box.addWidget(self.preview, 1)
        preview_box.addWidget(self.preview_caption)
        reshuffle_row = QHBoxLayout()
        reshuffle_row.addStretch(1)
        reshuffle_row.addWidget(reshuffle)
        preview_box.addLayout(reshuffle_row)
        aug_row = QHBoxLayout()
        aug_row.addLayout(aug_grid)
        aug_row.addLayout(preview_box, 1)
        augmentation = QGroupBox("Augmentation (albumentations, as the training core applies it)")
        augmentation.setLayout(aug_row)

        self.error = QLabel()
        self.error.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(augmentation, 1)
        layout.addWidget(self.error)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.update_preview)
        self._regimen_changed()
        self._backbone_changed()
        self._task_changed()

    # ----- reactions ------------------------------------------------------------------------------
    def initializePage(self) -> None:
        survey = self.state.survey
        guess = guess_task(survey.classes) if survey is not None else None
        if guess is not None:
            self.task.setCurrentIndex(self.task.findData(guess))
        self.update_preview()

    def cleanupPage(self) -> None:
        """Keep the choices when the user goes back to the data page."""

    def _task_changed(self) -> None:
        part = TASKS[self.task.currentData()].body_part
        self.hflip.setChecked(part in FLIP_OK)
        self.flip_note.setText(
            "Flips allowed: left and right are mirror images."
            if part in FLIP_OK
            else "No flips for chest films: the heart is on the left."
        )

    def _backbone_changed(self) -> None:
        name = self.backbone.currentData()
        self.input_size.setValue(next(size for _, n, size in BACKBONES if n == name))
        pretrained = name != "small_cnn"
        self.weights.setEnabled(pretrained)
        self.weights_button.setEnabled(pretrained)
        if not pretrained:
            self.weights.clear()

    def _regimen_changed(self) -> None:
        regimen = REGIMENS[self.regimen.currentData()]
        self.epochs.setValue(regimen.epochs)
        self.learning_rate.setValue(regimen.learning_rate)

    def _choose_weights(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Local backbone weights", "", "Keras weights (*.h5 *.weights.h5)")
        if name:
            self.weights.setText(name)

    def augmentation(self) -> Augmentation:
        return Augmentation(
            rotate_deg=float(self.rotate.value()),
            hflip=self.hflip.isChecked(),
            brightness=float(self.brightness.value()),
            contrast=float(self.contrast.value()),
            zoom=float(self.zoom.value()),
            noise_std=float(self.noise.value()),
            clahe=self.clahe.isChecked(),
            probability=float(self.probability.value()),
        )

    def _schedule_preview(self) -> None:
        self._timer.start()

    def _reshuffle(self) -> None:
        self._preview_seed += 1
        self.update_preview()

    def preview_planes(self) -> list:
        """Up to PREVIEW_ROWS thumbnails, alternating over the classes the scan found."""
        survey = self.state.survey
        if survey is None:
            return []
        pools = [list(survey.thumbnails.get(c, [])) for c in survey.classes]
        planes: list[Any] = []
        while len(planes) < PREVIEW_ROWS and any(pools):
            for pool in pools:
                if pool and len(planes) < PREVIEW_ROWS:
                    planes.append(pool.pop(0))
        return planes

    def update_preview(self) -> None:
        """Cheap (a few small planes), so it runs on the GUI thread on every change."""
        planes = self.preview_planes()
        if not planes:
            self.preview.setText("No sample images to preview.")
            return
        rows = augment_preview(
            planes, self.augmentation(), PREVIEW_SIZE, seed=self._preview_seed, copies=PREVIEW_COPIES
        )
        self.preview_images = [image for row in rows for image in row]
        self.preview.setPixmap(pixmap(tile(self.preview_images, PREVIEW_SIZE, columns=PREVIEW_COPIES + 1)))

    # ----- QWizardPage --------------------------------------------------------------------------------
    def validatePage(self) -> bool:
        state = self.state
        weights_text = self.weights.text().strip()
        try:
            if weights_text and not Path(weights_text).is_file():
                raise InputError(f"{weights_text}: weights file not found (weights are only read from a local file)")
            assert state.location is not None and state.class_map is not None
            root, data, validation = locate_data(state.location, state.validation_location)
            raw = recipe_dict(
                task=self.task.currentData(),
                data=data,
                validation_data=validation,
                class_map=state.class_map,
                group_rule=state.group_rule,
                group_pattern=state.group_pattern,
                validation_fraction=state.validation_fraction,
                seed=state.seed,
                backbone=self.backbone.currentData(),
                input_size=int(self.input_size.value()),
                regimen=self.regimen.currentData(),
                epochs=int(self.epochs.value()),
                learning_rate=float(self.learning_rate.value()),
                batch_size=int(self.batch_size.value()),
                augmentation=self.augmentation(),
            )
            recipe_from_dict(raw)  # the core's own validation, before anything runs
        except InputError as exc:
            self.error.setText(f"<span style='color:#b00020'>{exc}</span>")
            return False
        self.error.clear()
        weights = Path(weights_text) if weights_text else None
        if (raw, root, weights) != (state.raw_recipe, state.data_root, state.weights):
            state.reset_after_training()  # a changed recipe makes the previous run's results stale
        state.raw_recipe = raw
        state.data_root = root
        state.weights = weights
        return True

    def nextId(self) -> int:
        from xray_desktop.ui.training_wizard.wizard import PageId

        return int(PageId.TRAIN)
