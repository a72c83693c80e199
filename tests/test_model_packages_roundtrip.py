"""Model packages (.xrm): export then import a real (tiny, trained) Keras model between two models folders."""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

from xray_desktop.errors import InputError, ModelUnavailableError, NotAllowedError, UsageError
from xray_desktop.models.checksum import sha256_file
from xray_desktop.models.manager import ModelManager
from xray_desktop.models.registry import ModelEntry, Registry
from xray_desktop.security.permissions import Role
from xray_desktop.services.model_package_export import export_package
from xray_desktop.services.model_package_format import MANIFEST_NAME, inspect_package
from xray_desktop.services.model_package_import import import_package
from xray_desktop.services.session import Session

pytestmark = pytest.mark.slow

ADMIN = Session("it-admin", Role.ADMIN)
DOCTOR = Session("dr-who", Role.DOCTOR)


class RecordingAudit:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict]] = []

    def append(self, actor: str, event: str, details: dict) -> None:
        self.events.append((actor, event, details))


@pytest.fixture(scope="module")
def tiny_keras_file(tmp_path_factory: pytest.TempPathFactory, tiny_square_model) -> Path:
    """The shared tiny trained CNN (tests/conftest.py, 32x32 greyscale -> P(condition)) saved as a .keras file."""
    path = tmp_path_factory.mktemp("tiny") / "tiny.keras"
    tiny_square_model.save(path)
    return path


def _entry(model_id: str = "pneumonia-tiny-1", **overrides: object) -> ModelEntry:
    data = {
        "id": model_id,
        "task": "pneumonia",
        "display_name": "Tiny test CNN",
        "version": "1",
        "backbone": "2-layer CNN",
        "file": f"{model_id}.keras",
        "sha256": "0" * 64,  # replaced by install_file with the copied file's real checksum
        "input_size": [32, 32],
        "channels": 1,
        "preprocessing": {"resize": "stretch", "normalisation": "unit"},
        "labels": ["Normal", "Pneumonia"],
        "threshold": 0.5,
        "metrics": {},
        "provenance": {"trained_on": "synthetic bright/dark squares, test fixture"},
        "card": f"{model_id}.md",
    }
    data.update(overrides)
    return ModelEntry.from_dict(data)


@pytest.fixture
def source_registry(tmp_path: Path, tiny_keras_file: Path) -> Registry:
    """A models folder with the tiny model registered and active for pneumonia, plus its model card."""
    folder = tmp_path / "models_src"
    folder.mkdir()
    registry = Registry.empty(folder / "registry.json")
    (folder / "pneumonia-tiny-1.md").write_text("# Tiny test CNN\nNot for diagnosis.\n", encoding="utf-8")
    registry.install_file(tiny_keras_file, _entry(), activate=True)
    return registry


@pytest.fixture
def target_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty models folder that `XRAY_DESKTOP_MODELS` points at: where imports land by default."""
    folder = tmp_path / "models_dst"
    monkeypatch.setenv("XRAY_DESKTOP_MODELS", str(folder))
    return folder


def test_export_then_import_installs_an_identical_loadable_model(
    source_registry: Registry, target_models: Path, tmp_path: Path
) -> None:
    package = export_package(ADMIN, "pneumonia-tiny-1", tmp_path / "tiny.xrm", registry=source_registry)

    manifest = inspect_package(package)
    assert manifest.entry.id == "pneumonia-tiny-1"
    assert set(manifest.members) == {"model/pneumonia-tiny-1.keras", "card/pneumonia-tiny-1.md"}

    audit = RecordingAudit()
    entry = import_package(Session("it-admin", Role.ADMIN, audit), package, activate=True)

    installed = target_models / "pneumonia-tiny-1.keras"
    assert sha256_file(installed) == sha256_file(source_registry.model_path(source_registry.get("pneumonia-tiny-1")))
    assert entry.sha256 == sha256_file(installed)
    assert (target_models / "pneumonia-tiny-1.md").read_text(encoding="utf-8").startswith("# Tiny test CNN")
    reloaded = Registry.load(target_models / "registry.json")
    assert reloaded.active_entry("pneumonia").id == "pneumonia-tiny-1"
    imported = reloaded.get("pneumonia-tiny-1").to_dict()
    assert imported.pop("onnx")["parity"]["passed"] is True  # a package without graphs gets them at import
    assert imported == source_registry.get("pneumonia-tiny-1").to_dict()
    assert ModelManager(reloaded).for_task("pneumonia").entry.id == "pneumonia-tiny-1"
    assert [e[1] for e in audit.events] == ["model_import"]
    assert sorted(p.name for p in target_models.iterdir()) == [
        "pneumonia-tiny-1.cam.onnx",
        "pneumonia-tiny-1.forward.onnx",
        "pneumonia-tiny-1.keras",
        "pneumonia-tiny-1.md",
        "registry.json",
    ]


def test_a_package_carries_the_onnx_graphs_and_a_reading_station_imports_them(
    source_registry: Registry, target_models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Graphs exported at the source travel in the package, checksummed; no TensorFlow is needed to import them."""
    from xray_desktop.models import backend
    from xray_desktop.training.onnx_register import ensure_onnx

    exported = ensure_onnx(source_registry, source_registry.get("pneumonia-tiny-1"))
    package = export_package(ADMIN, "pneumonia-tiny-1", tmp_path / "tiny.xrm", registry=source_registry)
    assert set(inspect_package(package).members) == {
        "model/pneumonia-tiny-1.keras",
        "card/pneumonia-tiny-1.md",
        "onnx/pneumonia-tiny-1.cam.onnx",
        "onnx/pneumonia-tiny-1.forward.onnx",
    }
    monkeypatch.setattr(backend, "tensorflow_installed", lambda: False)  # as on a reading station
    entry = import_package(ADMIN, package, activate=True)
    assert entry.onnx == exported.onnx
    assert sha256_file(target_models / "pneumonia-tiny-1.cam.onnx") == exported.onnx["sha256"]
    from xray_desktop.services.providers import default_provider

    loaded = default_provider(Registry.load(target_models / "registry.json"), backend="onnxruntime").for_task(
        "pneumonia"
    )
    assert loaded.backend == "onnxruntime"


def test_import_without_activate_registers_but_leaves_the_task_as_it_was(
    source_registry: Registry, target_models: Path, tmp_path: Path
) -> None:
    package = export_package(ADMIN, "pneumonia-tiny-1", tmp_path / "tiny.xrm", registry=source_registry)
    import_package(ADMIN, package)
    registry = Registry.load(target_models / "registry.json")
    assert registry.find("pneumonia-tiny-1") is not None
    assert registry.active_entry("pneumonia") is None


def test_importing_the_same_package_twice_changes_nothing(
    source_registry: Registry, target_models: Path, tmp_path: Path
) -> None:
    package = export_package(ADMIN, "pneumonia-tiny-1", tmp_path / "tiny.xrm", registry=source_registry)
    import_package(ADMIN, package, activate=True)
    before = (target_models / "registry.json").read_bytes()
    import_package(ADMIN, package, activate=True)
    assert (target_models / "registry.json").read_bytes() == before


def test_only_a_session_allowed_to_manage_models_can_export_or_import(
    source_registry: Registry, target_models: Path, tmp_path: Path
) -> None:
    with pytest.raises(NotAllowedError, match="manage models"):
        export_package(DOCTOR, "pneumonia-tiny-1", tmp_path / "tiny.xrm", registry=source_registry)
    assert not (tmp_path / "tiny.xrm").exists()

    package = export_package(ADMIN, "pneumonia-tiny-1", tmp_path / "tiny.xrm", registry=source_registry)
    with pytest.raises(NotAllowedError):
        import_package(Session("student", Role.STUDENT), package)
    assert not target_models.exists()


def test_export_refuses_a_model_whose_file_no_longer_matches_its_checksum(
    source_registry: Registry, tmp_path: Path
) -> None:
    model_file = source_registry.model_path(source_registry.get("pneumonia-tiny-1"))
    model_file.write_bytes(model_file.read_bytes() + b"tampered")
    with pytest.raises(ModelUnavailableError, match="sha256"):
        export_package(ADMIN, "pneumonia-tiny-1", tmp_path / "tiny.xrm", registry=source_registry)
    assert not (tmp_path / "tiny.xrm").exists()


def test_export_needs_the_package_suffix(source_registry: Registry, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"\.xrm"):
        export_package(ADMIN, "pneumonia-tiny-1", tmp_path / "tiny.zip", registry=source_registry)


def test_a_different_model_under_an_installed_id_is_refused_and_the_installed_one_kept(
    source_registry: Registry, target_models: Path, tmp_path: Path
) -> None:
    package = export_package(ADMIN, "pneumonia-tiny-1", tmp_path / "tiny.xrm", registry=source_registry)
    import_package(ADMIN, package, activate=True)
    before = {p.name: p.read_bytes() for p in target_models.iterdir()}

    # Same id, other bytes: rebuild the package with a re-saved model file and a matching manifest.
    altered = tmp_path / "altered.xrm"
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(altered, "w") as dst:
        manifest = json.loads(src.read(MANIFEST_NAME))
        model_bytes = src.read("model/pneumonia-tiny-1.keras")
        other = _resave(model_bytes, tmp_path)
        import hashlib

        sha = hashlib.sha256(other).hexdigest()
        manifest["entry"]["sha256"] = sha
        manifest["members"]["model/pneumonia-tiny-1.keras"] = {"size": len(other), "sha256": sha}
        dst.writestr(MANIFEST_NAME, json.dumps(manifest))
        dst.writestr("model/pneumonia-tiny-1.keras", other)
        dst.writestr("card/pneumonia-tiny-1.md", src.read("card/pneumonia-tiny-1.md"))
    with pytest.raises(InputError, match="already installed"):
        import_package(ADMIN, altered)
    assert {p.name: p.read_bytes() for p in target_models.iterdir()} == before


def _resave(model_bytes: bytes, folder: Path) -> bytes:
    """The same architecture saved again after one more training step: a genuinely different model file."""
    import keras
    import numpy as np

    path = folder / "resave.keras"
    path.write_bytes(model_bytes)
    model = keras.saving.load_model(path, compile=False)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    model.fit(np.ones((4, 32, 32, 1), "f4"), np.ones((4,), "f4"), epochs=1, verbose=0)
    model.save(path)
    return path.read_bytes()


@pytest.mark.skipif(os.name != "posix", reason="mode bits are POSIX; Windows folders pass on their ACL")
@pytest.mark.parametrize(("folder_mode", "file_mode"), [(0o755, 0o644), (0o775, 0o664), (0o700, 0o600)])
def test_imported_files_are_readable_by_whoever_can_read_the_models_folder(
    source_registry: Registry, target_models: Path, tmp_path: Path, folder_mode: int, file_mode: int
) -> None:
    package = export_package(ADMIN, "pneumonia-tiny-1", tmp_path / "tiny.xrm", registry=source_registry)
    target_models.mkdir()
    target_models.chmod(folder_mode)
    import_package(ADMIN, package, activate=True)
    for name in ("pneumonia-tiny-1.keras", "pneumonia-tiny-1.md", "registry.json"):
        assert stat.S_IMODE((target_models / name).stat().st_mode) == file_mode, name
