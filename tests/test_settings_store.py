"""Typed settings: defaults, validation with clear messages, encrypted round trip, import/export, backup/restore."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from reports_support import RecordingAudit, session

from xray_desktop.errors import InputError, NotAllowedError
from xray_desktop.explain.overlay import COLORMAPS as OVERLAY_COLORMAPS
from xray_desktop.security.permissions import Role
from xray_desktop.services.settings import SettingsService
from xray_desktop.storage.settings import COLORMAPS, SETTINGS_FILE_NAME, Settings, settings_from_dict


def test_defaults() -> None:
    s = Settings()
    assert (s.heatmap_alpha, s.colormap, s.method, s.theme) == (0.4, "jet", "gradcam", "light")
    assert s.threshold_for("pneumonia", 0.37) == 0.37


def test_every_settings_colormap_can_be_drawn() -> None:
    assert set(COLORMAPS) <= set(OVERLAY_COLORMAPS)


def test_every_field_is_validated() -> None:
    bad = {"heatmap_alpha": "x", "colormap": "rainbow", "method": "lime", "hide_map_when_negative": "yes",
           "theme": "blue", "idle_lock_minutes": -1, "threshold_overrides": {"pneumonia": 1.5}, "big_fonts": 1,
           "teaching_mode": None, "report_page_size": "A3", "inference_threads": -2,
           "collapse_outside_population": "no"}  # fmt: skip
    assert set(bad) == {f.name for f in dataclasses.fields(Settings)}
    for name, value in bad.items():
        with pytest.raises(InputError, match=f"my.json: field '{name}'"):
            settings_from_dict({name: value}, "my.json")


def test_round_trip_survives_restart_and_is_encrypted(isolated_home: Path) -> None:
    service = SettingsService()
    service.update(session(Role.DOCTOR), heatmap_alpha=0.65, colormap="inferno", theme="dark", big_fonts=True)
    raw = (isolated_home / SETTINGS_FILE_NAME).read_bytes()
    assert b"inferno" not in raw

    again = SettingsService().get()  # a "restart": new objects, same home
    assert (again.heatmap_alpha, again.colormap, again.theme, again.big_fonts) == (0.65, "inferno", "dark", True)


def test_thresholds_and_idle_lock_need_admin_rights() -> None:
    service = SettingsService()
    with pytest.raises(NotAllowedError, match="set thresholds"):
        service.update(session(Role.DOCTOR), threshold_overrides={"pneumonia": 0.3})
    with pytest.raises(NotAllowedError, match="edit settings"):
        service.update(session(Role.STUDENT), idle_lock_minutes=0)
    with pytest.raises(NotAllowedError, match="edit settings"):
        service.update(session(Role.DOCTOR), collapse_outside_population=False)  # only an admin turns it off
    assert service.get() == Settings()
    audit = RecordingAudit()
    service.update(session(Role.ADMIN, audit=audit), threshold_overrides={"pneumonia": 0.3})
    assert service.get().threshold_for("pneumonia", 0.5) == 0.3
    assert audit.events[-1][1:] == ("settings_change", {"fields": ["threshold_overrides"]})


def test_invalid_change_is_refused_and_nothing_saved() -> None:
    service = SettingsService()
    with pytest.raises(InputError, match="heatmap_alpha"):
        service.update(session(), heatmap_alpha=2.0)
    assert SettingsService().get().heatmap_alpha == 0.4


def test_export_then_import_on_another_home(tmp_path: Path) -> None:
    admin = session(Role.ADMIN)
    SettingsService().update(admin, colormap="viridis", threshold_overrides={"cardiomegaly": 0.42})
    exported = SettingsService().export_json(admin, tmp_path / "settings.json")
    assert json.loads(exported.read_text())["settings"]["colormap"] == "viridis"

    other = SettingsService(tmp_path / "other_home")
    other.import_json(admin, exported)
    assert other.get().colormap == "viridis"
    assert other.get().threshold_overrides == {"cardiomegaly": 0.42}


def test_import_of_thresholds_needs_admin(tmp_path: Path) -> None:
    SettingsService().update(session(Role.ADMIN), threshold_overrides={"cardiomegaly": 0.42})
    exported = SettingsService().export_json(session(Role.ADMIN), tmp_path / "s.json")
    with pytest.raises(NotAllowedError):
        SettingsService(tmp_path / "other").import_json(session(Role.DOCTOR), exported)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"format": "something-else", "version": 1, "settings": {}}', "field 'format'"),
        ('{"format": "xray-desktop-settings", "version": 9, "settings": {}}', "field 'version'"),
        ('{"format": "xray-desktop-settings", "version": 1}', "field 'settings' is missing"),
        ('{"format": "xray-desktop-settings", "version": 1, "settings": {"colormap": "pink"}}', "field 'colormap'"),
        ('{"format": "xray-desktop-settings", "version": 1, "settings": {"zoom": 2}}', "unknown settings field 'zoom'"),
    ],
)
def test_corrupt_import_is_refused_with_file_and_field(tmp_path: Path, content: str, message: str) -> None:
    service = SettingsService()
    service.update(session(), colormap="turbo")
    bad = tmp_path / "bad-settings.json"
    bad.write_text(content)
    with pytest.raises(InputError, match=message) as info:
        service.import_json(session(Role.ADMIN), bad)
    assert str(bad) in str(info.value)
    assert SettingsService().get().colormap == "turbo"  # nothing changed


def test_backup_and_restore() -> None:
    service = SettingsService()
    service.update(session(), colormap="magma")
    backup = service.backup(session())
    service.update(session(), colormap="hot", theme="dark")
    assert service.list_backups() == [backup]

    restored = service.restore(session(), backup)
    assert (restored.colormap, restored.theme) == ("magma", "light")
    assert SettingsService().get().colormap == "magma"


def test_restore_refuses_a_damaged_backup() -> None:
    service = SettingsService()
    backup = service.backup(session())
    backup.write_bytes(backup.read_bytes()[:-3])
    with pytest.raises(InputError, match=backup.name):
        service.restore(session(), backup)


def test_listeners_hear_changes() -> None:
    service = SettingsService()
    heard: list[Settings] = []
    service.subscribe(heard.append)
    service.update(session(), method="scorecam")
    assert [s.method for s in heard] == ["scorecam"]


def test_damaged_settings_file_gives_defaults_and_is_kept_aside(isolated_home: Path) -> None:
    SettingsService().update(session(), colormap="magma")
    path = isolated_home / SETTINGS_FILE_NAME
    path.write_bytes(path.read_bytes()[:-5])  # truncated on disk

    service = SettingsService()  # the app still starts
    assert service.get() == Settings()
    assert service.load_problem is not None and str(path) in service.load_problem

    service.update(session(), colormap="turbo")
    assert SettingsService().get().colormap == "turbo"
    kept = list(isolated_home.glob(f"{SETTINGS_FILE_NAME}.damaged-*"))
    assert len(kept) == 1 and kept[0].stat().st_size > 0


def test_damaged_settings_file_falls_back_to_the_previous_copy(isolated_home: Path) -> None:
    service = SettingsService()
    service.update(session(), colormap="magma")
    service.update(session(), colormap="hot")  # the magma version is now the kept previous copy
    path = isolated_home / SETTINGS_FILE_NAME
    path.write_bytes(b"garbage")

    again = SettingsService()
    assert again.get().colormap == "magma"
    assert "saved before the last change" in again.load_problem
