"""Upgrading a shared models folder registers the models a release ships that it lacks, and keeps the
administrator's choices (issue 15, defect 5)."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO_ROOT

from xray_desktop.cli import main
from xray_desktop.models.registry import Registry
from xray_desktop.services.shipped_models import register_shipped

SHIPPED = REPO_ROOT / "models" / "registry.json"


def _older_folder(tmp_path: Path) -> tuple[Path, Registry]:
    """A models folder seeded by an older release: only the first shipped model, and the admin chose none."""
    shipped = Registry.load(SHIPPED)
    folder = tmp_path / "models"
    folder.mkdir()
    first = shipped.models[0]
    shutil.copy2(shipped.model_path(first), folder / first.file)
    older = Registry.empty(folder / "registry.json")
    older.add(first)
    older.activate(first.task, None)  # an administrator's decision: no model for this task
    older.save()
    return folder, shipped


def test_missing_shipped_models_are_added_and_choices_kept(tmp_path: Path) -> None:
    folder, shipped = _older_folder(tmp_path)
    result = register_shipped(SHIPPED, folder)
    assert result.added == [m.id for m in shipped.models[1:]] and not result.skipped
    after = Registry.load(folder / "registry.json")
    assert {m.id for m in after.models} == {m.id for m in shipped.models}
    assert after.active_models[shipped.models[0].task] is None  # the admin's "none" stays
    first_task = shipped.models[0].task
    for entry in shipped.models[1:]:
        assert (folder / entry.file).is_file()
        if shipped.active_models.get(entry.task) == entry.id and entry.task != first_task:
            assert after.active_models[entry.task] == entry.id  # a task the folder had no model for
    assert register_shipped(SHIPPED, folder).added == []  # a second upgrade changes nothing


def test_the_cli_step_the_installer_runs(tmp_path: Path, capsys) -> None:
    folder, shipped = _older_folder(tmp_path)
    assert main(["register-shipped", str(folder)]) == 0
    out = capsys.readouterr().out
    assert all(f"registered shipped model {m.id}" in out for m in shipped.models[1:])
    assert main(["register-shipped", str(tmp_path / "nowhere")]) == 3
