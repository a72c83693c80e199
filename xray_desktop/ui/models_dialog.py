"""The Models dialog: every registered model per task, which one is active, and (administrators) import,
export and activation of model packages.

Everyone with view_models sees the list and each model's recorded validation figures with the data they were
measured on; the buttons need manage_models, and the services check it again. Import, export and activation
hash or load model files, so they run as jobs on the model thread (the GUI thread never waits on a model);
the same job also hands the new registry to the thread's ModelManager, so the next analysis uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from xray_desktop.errors import XRayError
from xray_desktop.models.registry import ModelEntry, Registry
from xray_desktop.progress import Progress
from xray_desktop.security.permissions import Permission
from xray_desktop.services.session import Session
from xray_desktop.tasks import TASKS
from xray_desktop.ui.engine import AnalysisEngine
from xray_desktop.ui.operating_point_picker import OperatingPointPicker, SetOperatingPointJob

COLUMNS = ("Task / model", "Version", "Backbone", "Input", "Threshold", "Validation (recorded)", "Status")
ADMIN_ONLY = "Only an administrator can import, export or activate models."


def describe_validation(entry: ModelEntry) -> str:
    """The headline AUC (internal test where recorded, else validation) with what it was measured on."""
    test = entry.metrics.get("test")
    figures = test if isinstance(test, dict) and test.get("auc") is not None else entry.validation
    auc = figures.get("auc")
    if auc is None:
        return "not recorded"
    data = figures.get("data") or "unspecified data"
    return f"{'test ' if figures is test else ''}AUC {float(auc):.3f} on {data}"


def _refresh_manager(engine: AnalysisEngine) -> Registry:
    registry = Registry.load()
    engine.manager.set_registry(registry)
    return registry


@dataclass
class ImportPackageJob:
    """Verify and install a package, then give the model thread's manager the new registry."""

    session: Session
    path: Path
    activate: bool = False
    kind = "import_model"

    def run(self, engine: AnalysisEngine, progress: Progress) -> ModelEntry:
        from xray_desktop.services.model_package_import import import_package

        entry = import_package(self.session, self.path, activate=self.activate)
        _refresh_manager(engine)
        return entry


@dataclass
class ExportPackageJob:
    session: Session
    model_id: str
    out_path: Path
    kind = "export_model"

    def run(self, engine: AnalysisEngine, progress: Progress) -> Path:
        from xray_desktop.services.model_package_export import export_package

        return export_package(self.session, self.model_id, self.out_path)


@dataclass
class ActivateModelJob:
    session: Session
    task: str
    model_id: str | None
    kind = "activate_model"

    def run(self, engine: AnalysisEngine, progress: Progress) -> Registry:
        from xray_desktop.services.model_activation import activate_model

        activate_model(self.session, self.task, self.model_id)
        return _refresh_manager(engine)


class ModelsDialog(QDialog):
    """Pass the session and, inside the window, its ModelThread (`models`); without one jobs run inline."""

    registryChanged = Signal(object)  # the Registry after an import or activation
    jobFinished = Signal(bool, str)  # ok, the message shown

    def __init__(self, session: Session, models: Any | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(900, 460)
        self.session = session
        self.models = models
        self._engine: AnalysisEngine | None = None
        self._busy = False
        self._ok = True
        self.registry: Registry | None = None
        self.can_manage = session.can(Permission.MANAGE_MODELS)

        self.location = QLabel(self)
        self.location.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemSelectionChanged.connect(self._update_buttons)

        self.import_button = QPushButton("Import package…", self)
        self.export_button = QPushButton("Export package…", self)
        self.activate_button = QPushButton("Make active", self)
        self.import_button.clicked.connect(self._ask_import)
        self.export_button.clicked.connect(self._ask_export)
        self.activate_button.clicked.connect(lambda: self.activate_selected())
        self.note = QLabel("" if self.can_manage else ADMIN_ONLY, self)
        self.note.setVisible(not self.can_manage)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.hide()
        self.points = OperatingPointPicker(self)
        self.points.chosen.connect(self.set_operating_point)

        buttons = QHBoxLayout()
        for button in (self.import_button, self.export_button, self.activate_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.location)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.points)
        layout.addWidget(self.note)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self.reload()

    # -- the list -------------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read the registry from disk and rebuild the tree (keeps the selection when possible)."""
        selected = self.selected_model_id()
        from xray_desktop.paths import registry_path

        self.location.setText(f"Models folder: {registry_path().parent}")
        self.tree.clear()
        try:
            registry = Registry.load()
        except XRayError as exc:
            self.registry = None
            self._show(False, str(exc))
            self._update_buttons()
            return
        self.registry = registry
        bold = QFont()
        bold.setBold(True)
        for name, task in TASKS.items():
            entries = registry.entries_for(name)
            active = registry.active_models.get(name)
            status = "no model installed" if not entries else ("no active model" if active is None else "")
            top = QTreeWidgetItem([f"{name} ({task.body_part})", "", "", "", "", "", status])
            top.setData(0, Qt.ItemDataRole.UserRole, None)
            self.tree.addTopLevelItem(top)
            for entry in entries:
                cells = [
                    f"{entry.display_name}  [{entry.id}]",
                    entry.version,
                    entry.backbone,
                    f"{entry.input_size[0]}x{entry.input_size[1]}x{entry.channels}",
                    f"{entry.threshold:.3f}",
                    describe_validation(entry),
                    "active" if entry.id == active else "",
                ]
                child = QTreeWidgetItem(cells)
                child.setData(0, Qt.ItemDataRole.UserRole, entry.id)
                child.setToolTip(0, f"file {entry.file}\nsha256 {entry.sha256}")
                if entry.id == active:
                    for column in range(len(COLUMNS)):
                        child.setFont(column, bold)
                top.addChild(child)
                if entry.id == selected:
                    self.tree.setCurrentItem(child)
        self.tree.expandAll()
        self._update_buttons()

    def selected_model_id(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def _model_item(self, model_id: str) -> QTreeWidgetItem | None:
        for index in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(index)
            for child_index in range(top.childCount() if top is not None else 0):
                child = top.child(child_index) if top is not None else None
                if child is not None and child.data(0, Qt.ItemDataRole.UserRole) == model_id:
                    return child
        return None

    def select_model(self, model_id: str) -> None:
        item = self._model_item(model_id)
        if item is not None:
            self.tree.setCurrentItem(item)

    def status_of(self, model_id: str) -> str:
        """The Status column of a model's row ('active' or ''); for tests and accessibility."""
        item = self._model_item(model_id)
        if item is None:
            raise KeyError(model_id)
        return item.text(len(COLUMNS) - 1)

    def _update_buttons(self) -> None:
        enabled = self.can_manage and not self._busy
        selected = self.selected_model_id()
        active = self.registry is not None and selected is not None and selected in self.registry.active_models.values()
        self.import_button.setEnabled(enabled)
        self.export_button.setEnabled(enabled and selected is not None)
        self.activate_button.setEnabled(enabled and selected is not None and not active)
        entry = self.registry.find(selected) if self.registry is not None and selected else None
        self.points.show_for(self.registry, entry, self.can_manage, self._busy)

    # -- actions (callable directly; the buttons ask for files and call these) ------------------

    def import_package_file(self, path: Path, activate: bool = False) -> int | None:
        return self._submit(ImportPackageJob(self.session, Path(path), activate), self._imported)

    def export_selected(self, out_path: Path) -> int | None:
        model_id = self.selected_model_id()
        if model_id is None:
            self._show(False, "select a model first")
            return None
        return self._submit(ExportPackageJob(self.session, model_id, Path(out_path)), self._exported)

    def activate_selected(self) -> int | None:
        model_id = self.selected_model_id()
        if model_id is None or self.registry is None:
            self._show(False, "select a model first")
            return None
        task = self.registry.get(model_id).task
        return self._submit(ActivateModelJob(self.session, task, model_id), lambda _: self._activated(task, model_id))

    def set_operating_point(self, task: str, name: str) -> int | None:
        return self._submit(SetOperatingPointJob(self.session, task, name), lambda _: self._point_set(task, name))

    def _point_set(self, task: str, name: str) -> None:
        self.reload()
        self._show(True, f"The {name} operating point now runs for {task}.")
        self.registryChanged.emit(self.registry)

    def _submit(self, job: Any, on_result: Any) -> int | None:
        """Run `job` on the model thread (or inline without one); the outcome appears in `message`."""
        self._busy = True
        self._update_buttons()
        self._show(True, "working…")
        if self.models is not None:
            return self.models.submit(job, on_result=on_result, on_failed=self._failed, on_finished=self._done)
        if self._engine is None:
            self._engine = AnalysisEngine()
        try:
            value = job.run(self._engine, Progress())
        except XRayError as exc:
            self._failed(exc)
        else:
            on_result(value)
        finally:
            self._done()
        return None

    def _imported(self, entry: ModelEntry) -> None:
        self.reload()
        self.select_model(entry.id)
        active = self.registry is not None and self.registry.active_models.get(entry.task) == entry.id
        state = "and made active" if active else "(not active: select it and press Make active)"
        self._show(True, f"Model {entry.display_name} [{entry.id}] for {entry.task} imported {state}.")
        self.registryChanged.emit(self.registry)

    def _exported(self, path: Path) -> None:
        self._show(True, f"Package written to {path}.")

    def _activated(self, task: str, model_id: str) -> None:
        self.reload()
        self.select_model(model_id)
        self._show(True, f"{model_id} is now the active model for {task}.")
        self.registryChanged.emit(self.registry)

    def _failed(self, exc: BaseException) -> None:
        self._show(False, str(exc) if isinstance(exc, XRayError) else f"{type(exc).__name__}: {exc}")

    def _done(self) -> None:
        self._busy = False
        self._update_buttons()
        self.jobFinished.emit(self._ok, self.message.text())

    def _show(self, ok: bool, text: str) -> None:
        self._ok = ok
        self.message.setStyleSheet("" if ok else "color: #c62828;")
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # -- file choosers ---------------------------------------------------------------------------

    def _ask_import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import model package", "", "Model packages (*.xrm)")
        if not name:
            return
        from xray_desktop.services.model_package_format import inspect_package

        try:
            manifest = inspect_package(name)
        except XRayError as exc:
            self._show(False, str(exc))
            return
        entry = manifest.entry
        box = QMessageBox(QMessageBox.Icon.Question, "Import model package", "", parent=self)
        box.setText(
            f"Import {entry.display_name} [{entry.id}], version {entry.version}, for {entry.task}?\n"
            f"Validation: {describe_validation(entry)}.\n"
            "Every file is checked against its sha256 and the model is loaded before anything is installed."
        )
        box.setStandardButtons(QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel)
        make_active = QCheckBox(f"Make it the active model for {entry.task}", box)
        box.setCheckBox(make_active)
        if box.exec() == QMessageBox.StandardButton.Ok:
            self.import_package_file(Path(name), activate=make_active.isChecked())

    def _ask_export(self) -> None:
        model_id = self.selected_model_id()
        if model_id is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, "Export model package", f"{model_id}.xrm", "Model packages (*.xrm)")
        if name:
            path = Path(name)
            self.export_selected(path if path.suffix.lower() == ".xrm" else path.with_suffix(".xrm"))
