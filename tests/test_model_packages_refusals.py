"""A model package that is unsafe, altered or inconsistent is refused with a reason, and nothing is installed.

These packages are crafted byte by byte; every refusal here happens before any model is loaded, except the
one that proves an undecodable model is stopped by the load check.
"""

from __future__ import annotations

import hashlib
import json
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest

from xray_desktop.errors import InputError
from xray_desktop.models.registry import Registry
from xray_desktop.security.permissions import Role
from xray_desktop.services import model_package_format
from xray_desktop.services.model_package_format import MANIFEST_NAME, PACKAGE_FORMAT
from xray_desktop.services.model_package_import import import_package
from xray_desktop.services.session import Session

ADMIN = Session("it-admin", Role.ADMIN)
MODEL_BYTES = b"PK\x03\x04 not really a keras file, but the checks before loading never look inside"
CARD_BYTES = b"# Card\n"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest(model: bytes = MODEL_BYTES, card: bytes = CARD_BYTES, **entry_overrides: Any) -> dict[str, Any]:
    entry = {
        "id": "fracture-test-1",
        "task": "fracture",
        "display_name": "Test model",
        "version": "1",
        "backbone": "cnn",
        "file": "fracture-test-1.keras",
        "sha256": _sha(model),
        "input_size": [32, 32],
        "channels": 1,
        "preprocessing": {"resize": "stretch", "normalisation": "unit"},
        "labels": ["Normal", "Fracture"],
        "threshold": 0.5,
        "card": "fracture-test-1.md",
    }
    entry.update(entry_overrides)
    return {
        "format": PACKAGE_FORMAT,
        "format_version": 1,
        "entry": entry,
        "members": {
            "model/fracture-test-1.keras": {"size": len(model), "sha256": _sha(model)},
            "card/fracture-test-1.md": {"size": len(card), "sha256": _sha(card)},
        },
    }


def _write(path: Path, manifest: dict[str, Any] | None, members: dict[str, bytes] | None = None) -> Path:
    members = (
        members
        if members is not None
        else {"model/fracture-test-1.keras": MODEL_BYTES, "card/fracture-test-1.md": CARD_BYTES}
    )
    with zipfile.ZipFile(path, "w") as archive:
        if manifest is not None:
            archive.writestr(MANIFEST_NAME, json.dumps(manifest))
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _accepting(path: Path, entry: object) -> None:
    """A load check that accepts: isolates the structural checks from Keras in these tests."""


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    Registry.empty(folder / "registry.json").save()
    monkeypatch.setenv("XRAY_DESKTOP_MODELS", str(folder))
    return folder


def _assert_untouched(models: Path) -> None:
    assert [p.name for p in models.iterdir()] == ["registry.json"], "no model file and no temporary file left"
    assert Registry.load(models / "registry.json").models == []


def test_a_well_formed_package_passes_the_structural_checks(models: Path, tmp_path: Path) -> None:
    """Control for the refusals below: the same crafted package is accepted when nothing is wrong."""
    package = _write(tmp_path / "ok.xrm", _manifest())
    entry = import_package(ADMIN, package, check_model=_accepting)
    assert (models / "fracture-test-1.keras").read_bytes() == MODEL_BYTES
    assert Registry.load(models / "registry.json").get("fracture-test-1").sha256 == entry.sha256


@pytest.mark.parametrize("bad_name", ["../evil.keras", "/abs/evil.keras", "model/../../evil.keras", "C:evil.keras"])
def test_paths_that_could_escape_the_models_folder_are_refused(models: Path, tmp_path: Path, bad_name: str) -> None:
    package = _write(tmp_path / "slip.xrm", _manifest(), {bad_name: MODEL_BYTES})
    with pytest.raises(InputError, match="unsafe path"):
        import_package(ADMIN, package, check_model=_accepting)
    _assert_untouched(models)
    assert not (tmp_path / "evil.keras").exists()


def test_a_symlink_member_is_refused(models: Path, tmp_path: Path) -> None:
    package = tmp_path / "link.xrm"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr(MANIFEST_NAME, json.dumps(_manifest()))
        link = zipfile.ZipInfo("model/fracture-test-1.keras")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("card/fracture-test-1.md", CARD_BYTES)
    with pytest.raises(InputError, match="only plain files"):
        import_package(ADMIN, package, check_model=_accepting)
    _assert_untouched(models)


def test_a_model_altered_after_export_is_refused_by_its_checksum(models: Path, tmp_path: Path) -> None:
    altered = MODEL_BYTES.replace(b"never", b"NEVER")
    package = _write(
        tmp_path / "altered.xrm",
        _manifest(),
        {"model/fracture-test-1.keras": altered, "card/fracture-test-1.md": CARD_BYTES},
    )
    with pytest.raises(InputError, match="does not match its sha256"):
        import_package(ADMIN, package, check_model=_accepting)
    _assert_untouched(models)


def test_an_altered_model_card_is_refused_too(models: Path, tmp_path: Path) -> None:
    package = _write(
        tmp_path / "card.xrm",
        _manifest(),
        {"model/fracture-test-1.keras": MODEL_BYTES, "card/fracture-test-1.md": b"# Card\nAUC 0.99!\n"},
    )
    with pytest.raises(InputError, match=r"card/fracture-test-1\.md"):
        import_package(ADMIN, package, check_model=_accepting)
    _assert_untouched(models)


def test_an_entry_that_breaks_the_registry_schema_is_refused_naming_the_field(models: Path, tmp_path: Path) -> None:
    package = _write(tmp_path / "schema.xrm", _manifest(threshold=1.5))
    with pytest.raises(InputError, match="threshold"):
        import_package(ADMIN, package, check_model=_accepting)
    _assert_untouched(models)


def test_an_entry_whose_file_points_outside_the_models_folder_is_refused(models: Path, tmp_path: Path) -> None:
    package = _write(tmp_path / "file.xrm", _manifest(file="../fracture-test-1.keras"))
    with pytest.raises(InputError, match="relative to the models folder"):
        import_package(ADMIN, package, check_model=_accepting)
    _assert_untouched(models)


def test_members_not_declared_in_the_manifest_are_refused(models: Path, tmp_path: Path) -> None:
    package = _write(
        tmp_path / "extra.xrm",
        _manifest(),
        {"model/fracture-test-1.keras": MODEL_BYTES, "card/fracture-test-1.md": CARD_BYTES, "run.bat": b"x"},
    )
    with pytest.raises(InputError, match=r"run\.bat"):
        import_package(ADMIN, package, check_model=_accepting)
    _assert_untouched(models)


def test_a_member_larger_than_the_limit_is_refused_before_extraction(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_package_format, "MAX_MODEL_BYTES", 16)
    package = _write(tmp_path / "big.xrm", _manifest())
    with pytest.raises(InputError, match="larger than"):
        import_package(ADMIN, package, check_model=_accepting)
    _assert_untouched(models)


def test_a_size_that_differs_from_the_manifest_is_refused(models: Path, tmp_path: Path) -> None:
    manifest = _manifest()
    manifest["members"]["model/fracture-test-1.keras"]["size"] = 3
    package = _write(tmp_path / "size.xrm", manifest)
    with pytest.raises(InputError, match="manifest says 3"):
        import_package(ADMIN, package, check_model=_accepting)
    _assert_untouched(models)


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"just text", "not a readable zip"), (None, "manifest.json is missing")],
)
def test_files_that_are_not_model_packages_are_refused(
    models: Path, tmp_path: Path, content: bytes | None, reason: str
) -> None:
    package = tmp_path / "not.xrm"
    if content is None:
        _write(package, None)
    else:
        package.write_bytes(content)
    with pytest.raises(InputError, match=reason):
        import_package(ADMIN, package, check_model=_accepting)
    _assert_untouched(models)


def test_a_newer_package_format_is_refused_with_the_version(models: Path, tmp_path: Path) -> None:
    manifest = _manifest()
    manifest["format_version"] = 2
    package = _write(tmp_path / "v2.xrm", manifest)
    with pytest.raises(InputError, match="format version 2"):
        import_package(ADMIN, package, check_model=_accepting)
    _assert_untouched(models)


def test_a_file_of_an_installed_model_is_never_overwritten(models: Path, tmp_path: Path) -> None:
    first = _write(tmp_path / "first.xrm", _manifest())
    import_package(ADMIN, first, check_model=_accepting)
    other = b"PK\x03\x04 another model"
    clash = _write(
        tmp_path / "clash.xrm",
        _manifest(model=other, id="fracture-test-2"),
        {"model/fracture-test-1.keras": other, "card/fracture-test-1.md": CARD_BYTES},
    )
    with pytest.raises(InputError, match="would replace a file of installed model 'fracture-test-1'"):
        import_package(ADMIN, clash, check_model=_accepting)
    assert (models / "fracture-test-1.keras").read_bytes() == MODEL_BYTES
    assert [m.id for m in Registry.load(models / "registry.json").models] == ["fracture-test-1"]


@pytest.mark.slow
def test_a_model_that_does_not_load_is_refused_by_the_default_load_check(models: Path, tmp_path: Path) -> None:
    package = _write(tmp_path / "garbage.xrm", _manifest())
    with pytest.raises(InputError, match="does not load"):
        import_package(ADMIN, package)
    _assert_untouched(models)


def test_when_the_registry_cannot_be_saved_the_placed_files_are_taken_away(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_save(self: Registry) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Registry, "save", failing_save)
    package = _write(tmp_path / "ok.xrm", _manifest())
    with pytest.raises(InputError, match="cannot save the model registry"):
        import_package(ADMIN, package, check_model=_accepting)
    _assert_untouched(models)
