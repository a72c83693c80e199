"""Page 5 — Register: name, version and notes; the core's packaging writes the model file, the card and
the registry entry. "Make active" needs the manage-models permission (administrators)."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from xray_desktop import paths
from xray_desktop.errors import XRayError
from xray_desktop.security.permissions import Permission
from xray_desktop.services.session import Session
from xray_desktop.tasks import TASKS
from xray_desktop.ui.error_dialog import describe
from xray_desktop.ui.job_tracker import JobTracker
from xray_desktop.ui.training_wizard.jobs import RegisterJob
from xray_desktop.ui.training_wizard.recipe_io import save_recipe
from xray_desktop.ui.training_wizard.state import WizardState

VERSION_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")


class RegisterPage(QWizardPage):
    registered = Signal(object)  # training.packaging.PackagedModel

    def __init__(self, state: WizardState, session: Session, jobs: JobTracker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.session = session
        self.jobs = jobs
        self.setTitle("Register")
        self.setSubTitle(
            "Give the model a name and version. Registering writes the model file, its model card (with the "
            "validation figures and plots) and the registry entry."
        )
        self.setFinalPage(True)
        self.name = QLineEdit()
        self.version = QLineEdit("1.0.0")
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText(
            "What this model is for, what it was trained on, known limits (goes into the card)."
        )
        self.notes.setMaximumHeight(110)
        self.make_active = QCheckBox("Make it the active model for its task")
        self.registerField("modelName*", self.name)
        self.registerField("modelVersion*", self.version)
        self.registerField("modelNotes", self.notes, "plainText")
        self.registerField("makeActive", self.make_active)
        self.model_id = QLabel()
        self.model_id.setWordWrap(True)
        self.register_button = QPushButton("Register model")
        self.register_button.clicked.connect(self.register)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setMaximumHeight(14)
        self.bar.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.recorded = QLabel()
        self.recorded.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow("Version:", self.version)
        form.addRow("Notes:", self.notes)
        form.addRow("", self.make_active)
        form.addRow("Model id:", self.model_id)
        buttons = QHBoxLayout()
        buttons.addWidget(self.recorded, 1)
        buttons.addWidget(self.register_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.name.textChanged.connect(self._update_id)
        self.version.textChanged.connect(self._update_id)
        allowed = session.can(Permission.MANAGE_MODELS)
        self.make_active.setEnabled(allowed)
        if not allowed:
            self.make_active.setToolTip("Only an administrator may change which model runs (manage models).")
            self.make_active.setText("Make it the active model for its task (administrators only)")

    def initializePage(self) -> None:
        raw = self.state.raw_recipe or {}
        task = TASKS.get(raw.get("task", ""))
        if self.state.packaged is None:  # a new run after an earlier registration: the form is open again
            for widget in (self.name, self.version, self.notes):
                widget.setEnabled(True)
            self.make_active.setEnabled(self.session.can(Permission.MANAGE_MODELS))
            self.register_button.setEnabled(True)
            self.status.clear()
            self.version.setText(self.free_version(self.version.text().strip() or "1.0.0"))
        if not self.name.text() and task is not None:
            self.name.setText(
                f"{task.positive_label} — {raw.get('backbone')} {raw.get('input_size', [0])[0]} px (wizard)"
            )
        if self.session.can(Permission.MANAGE_MODELS) and task is not None:
            self.make_active.setText(f"Make it the active model for {task.positive_label}")
        view = self.state.evaluation
        if view is not None:
            ev = view.evaluation
            self.recorded.setText(
                f"The card and registry will record: validation AUC {ev.auc:.3f} (n = {ev.n}, {view.data}), "
                f"threshold {ev.at_threshold.threshold:.3f} with sensitivity {ev.at_threshold.sensitivity:.3f} "
                f"and specificity {ev.at_threshold.specificity:.3f}, calibration "
                f"{(ev.calibration or {}).get('method', 'temperature')}."
            )
        self._update_id()

    def cleanupPage(self) -> None:
        """Keep what was typed when going back."""

    def running(self) -> bool:
        return self.jobs.running("register")

    def pending_model_id(self) -> str:
        raw = self.state.raw_recipe or {}
        size = raw.get("input_size", [0])[0]
        return f"{raw.get('task')}-{raw.get('backbone')}-{size}-v{self.version.text().strip()}"

    def free_version(self, version: str) -> str:
        """`version`, or the next patch number whose model id is not registered yet (shipped models use 1.0.0)."""
        raw = self.state.raw_recipe or {}
        prefix = f"{raw.get('task')}-{raw.get('backbone')}-{raw.get('input_size', [0])[0]}-v"
        existing = self._existing_ids()
        match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", version)
        if prefix + version not in existing or match is None:
            return version
        major, minor, patch = (int(v) for v in match.groups())
        while f"{prefix}{major}.{minor}.{patch}" in existing:
            patch += 1
        return f"{major}.{minor}.{patch}"

    def _existing_ids(self) -> set[str]:
        from xray_desktop.models.registry import Registry

        registry_file = paths.registry_path()
        try:
            return {m.id for m in Registry.load(registry_file).models} if registry_file.is_file() else set()
        except XRayError:
            return set()

    def _update_id(self) -> None:
        model_id = self.pending_model_id()
        if not VERSION_PATTERN.match(self.version.text().strip()):
            self.model_id.setText("<span style='color:#b00020'>Version: letters, digits, '.', '_' or '-'</span>")
        elif model_id in self._existing_ids() and self.state.packaged is None:
            self.model_id.setText(
                f"<span style='color:#b00020'>{model_id} is already registered: change the version</span>"
            )
        else:
            self.model_id.setText(
                f"<code>{model_id}</code> · file {model_id}.keras, card {model_id}.md in {paths.models_dir()}"
            )
        self.completeChanged.emit()

    def can_register(self) -> bool:
        version = self.version.text().strip()
        return (
            bool(self.name.text().strip())
            and bool(VERSION_PATTERN.match(version))
            and self.pending_model_id() not in self._existing_ids()
            and self.state.evaluation is not None
            and self.state.packaged is None
            and not self.running()
        )

    def register(self) -> None:
        state = self.state
        if not self.can_register() or state.run_dir is None or state.data_root is None or state.raw_recipe is None:
            self._update_id()
            return
        raw = dict(state.raw_recipe)
        raw.update(
            display_name=self.name.text().strip(),
            version=self.version.text().strip(),
            description=self.notes.toPlainText().strip(),
        )
        try:
            recipe = save_recipe(raw, state.run_dir / "recipe.toml")  # same split and settings, now with the name
        except XRayError as exc:
            self.status.setText(f"<span style='color:#b00020'>{describe(exc)}</span>")
            return
        state.recipe = recipe
        activate = self.make_active.isChecked() and self.make_active.isEnabled()
        session, run_dir, data_root = self.session, state.run_dir, state.data_root
        self.jobs.submit(
            "register",
            RegisterJob(session, recipe, run_dir, data_root, activate),
            on_result=self._on_result,
            on_failed=self._on_failed,
            on_finished=self._on_finished,
        )
        self.register_button.setEnabled(False)
        self.bar.show()
        self.status.setText("Evaluating the packaged weights and writing the model, card and registry entry…")
        self.completeChanged.emit()
        self.wizard().button(QWizard.WizardButton.BackButton).setEnabled(False)

    def _on_result(self, packaged: Any) -> None:
        self.state.packaged = packaged
        entry = packaged.entry
        active = " It is now the active model for its task." if self.make_active.isChecked() else ""
        self.status.setText(
            f"<b>Registered {entry.id}</b> (sha256 {entry.sha256[:12]}…), validation AUC "
            f"{packaged.evaluation.auc:.3f}.{active}<br>Model: {packaged.model_path}<br>Card: {packaged.card_path}"
        )
        for widget in (self.name, self.version, self.notes, self.make_active):
            widget.setEnabled(False)
        self.registered.emit(packaged)

    def _on_failed(self, exc: BaseException) -> None:
        self.status.setText(f"<span style='color:#b00020'>Not registered: {describe(exc)}</span>")

    def _on_finished(self) -> None:
        self.bar.hide()
        self.register_button.setEnabled(self.state.packaged is None)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.state.packaged is not None and not self.running()

    def nextId(self) -> int:
        return -1
