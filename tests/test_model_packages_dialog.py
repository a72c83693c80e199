"""The Models dialog: lists models per task with the active one; administrators import, export and activate."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from xray_desktop.models.registry import Registry
from xray_desktop.security.permissions import Role
from xray_desktop.services.session import Session

pytest.importorskip("PySide6")

from xray_desktop.ui.engine import AnalysisEngine
from xray_desktop.ui.models_dialog import ADMIN_ONLY, ModelsDialog
from xray_desktop.ui.worker import ModelThread

pytestmark = pytest.mark.slow

ADMIN = Session("it-admin", Role.ADMIN)


def _second_model(folder: Path) -> None:
    """Register a copy of the tiny model as a second, inactive pneumonia model."""
    registry = Registry.load(folder / "registry.json")
    entry = registry.get("tiny-pneumonia")
    from dataclasses import replace

    shutil.copy(folder / entry.file, folder / "tiny-pneumonia-b.keras")
    registry.add(replace(entry, id="tiny-pneumonia-b", file="tiny-pneumonia-b.keras", version="0.0.2"))
    registry.save()


def test_everyone_sees_the_models_per_task_but_only_an_admin_gets_the_buttons(qtbot, tiny_models_dir: Path) -> None:
    student = ModelsDialog(Session("pupil", Role.STUDENT))
    qtbot.addWidget(student)

    assert student.status_of("tiny-pneumonia") == "active"
    tasks = [student.tree.topLevelItem(i).text(0) for i in range(student.tree.topLevelItemCount())]
    assert tasks[0].startswith("pneumonia") and len(tasks) == 5
    fracture = student.tree.topLevelItem(4)
    assert fracture.text(6) == "no model installed"
    assert student.tree.topLevelItem(0).child(0).text(5).startswith("AUC ")  # recorded, with its data
    assert not student.import_button.isEnabled()
    assert student.note.text() == ADMIN_ONLY

    admin = ModelsDialog(ADMIN)
    qtbot.addWidget(admin)
    assert admin.import_button.isEnabled()
    assert not admin.export_button.isEnabled()  # nothing selected yet
    admin.select_model("tiny-pneumonia")
    assert admin.export_button.isEnabled()
    assert not admin.activate_button.isEnabled()  # already active


def test_an_admin_activates_another_model_and_the_registry_on_disk_follows(qtbot, tiny_models_dir: Path) -> None:
    _second_model(tiny_models_dir)
    dialog = ModelsDialog(ADMIN)
    qtbot.addWidget(dialog)
    dialog.select_model("tiny-pneumonia-b")

    with qtbot.waitSignal(dialog.registryChanged, timeout=10000):
        dialog.activate_selected()

    assert dialog.status_of("tiny-pneumonia-b") == "active"
    assert dialog.status_of("tiny-pneumonia") == ""
    assert Registry.load(tiny_models_dir / "registry.json").active_entry("pneumonia").id == "tiny-pneumonia-b"


def test_export_then_import_through_the_model_thread_updates_its_manager(
    qtbot, tiny_models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = AnalysisEngine()
    thread = ModelThread(engine)
    dialog = ModelsDialog(ADMIN, thread)
    qtbot.addWidget(dialog)
    try:
        dialog.select_model("tiny-pneumonia")
        package = tmp_path / "tiny.xrm"
        with qtbot.waitSignal(dialog.jobFinished, timeout=30000) as finished:
            dialog.export_selected(package)
        assert finished.args[0] is True, finished.args
        assert package.is_file()

        target = tmp_path / "fresh_models"
        monkeypatch.setenv("XRAY_DESKTOP_MODELS", str(target))
        with qtbot.waitSignal(dialog.registryChanged, timeout=60000):
            dialog.import_package_file(package, activate=True)

        assert dialog.status_of("tiny-pneumonia") == "active"
        assert (target / "tiny-pneumonia.keras").is_file()
        assert engine.manager.registry.path == target / "registry.json"
        assert engine.manager.registry.active_entry("pneumonia").id == "tiny-pneumonia"
    finally:
        assert thread.shutdown()


def test_a_refused_package_is_reported_inline_and_changes_nothing(qtbot, tiny_models_dir: Path, tmp_path: Path) -> None:
    dialog = ModelsDialog(ADMIN)
    qtbot.addWidget(dialog)
    before = (tiny_models_dir / "registry.json").read_bytes()
    bogus = tmp_path / "bogus.xrm"
    bogus.write_bytes(b"not a zip")

    dialog.import_package_file(bogus)

    assert "bogus.xrm" in dialog.message.text() and "not a model package" in dialog.message.text()
    assert (tiny_models_dir / "registry.json").read_bytes() == before
    assert dialog.import_button.isEnabled()  # not stuck in the busy state
