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


def _with_points(folder: Path) -> None:
    from dataclasses import replace

    registry = Registry.load(folder / "registry.json")
    entry = registry.get("tiny-pneumonia")
    points = [
        {"name": "screening", "threshold": 0.2, "rule": "r", "validation": {"sensitivity": 0.97, "specificity": 0.6}},
        {"name": "balanced", "threshold": 0.5, "rule": "r", "validation": {"sensitivity": 0.9, "specificity": 0.9}},
        {"name": "confirm", "threshold": 0.8, "rule": "r", "validation": {"sensitivity": 0.7, "specificity": 0.97}},
    ]
    registry.add(replace(entry, operating_points=points))
    registry.save()


def test_an_admin_picks_the_operating_point_and_analyses_use_it(qtbot, tiny_models_dir: Path, square_images) -> None:
    from xray_desktop.models.manager import ModelManager
    from xray_desktop.services.analyze import analyze_radiograph
    from xray_desktop.ui.operating_point_picker import point_text

    _with_points(tiny_models_dir)
    student = ModelsDialog(Session("pupil", Role.STUDENT))
    qtbot.addWidget(student)
    student.select_model("tiny-pneumonia")
    assert student.points.isVisibleTo(student) and not student.points.button.isEnabled()

    dialog = ModelsDialog(ADMIN)
    qtbot.addWidget(dialog)
    dialog.select_model("tiny-pneumonia")
    assert dialog.points.combo.count() == 3
    assert dialog.points.combo.currentData() == "balanced"  # the default before any choice
    assert point_text(Registry.load().get("tiny-pneumonia").operating_points[2]).startswith("confirm — threshold 0.800")
    dialog.points.combo.setCurrentIndex(2)
    with qtbot.waitSignal(dialog.registryChanged, timeout=30000):
        dialog.points.button.click()
    assert Registry.load().active_operating_points == {"pneumonia": "confirm"}
    assert "confirm operating point now runs for pneumonia" in dialog.message.text()

    from xray_desktop.radiograph import Radiograph

    images, _, _ = square_images(1)
    image = Radiograph(images[0], Path("sq.png"), "PNG", 8, "MONOCHROME2", "0" * 64)
    result = analyze_radiograph(ADMIN, image, manager=ModelManager(), tasks=["pneumonia"], explain=False)
    task = result.result_for("pneumonia")
    assert task is not None and task.operating_point == "confirm" and task.threshold == 0.8
    assert task.to_json()["operating_point"] == "confirm"
