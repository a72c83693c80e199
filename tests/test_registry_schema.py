"""The registry is validated on load; every mistake names the field, and a task without a model is normal."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest

from xray_desktop.errors import ModelUnavailableError, RegistryError
from xray_desktop.imaging.preprocess import PreprocessSpec
from xray_desktop.models.registry import ModelEntry, Registry
from xray_desktop.tasks import TASK_NAMES

REPO_REGISTRY = Path(__file__).resolve().parent.parent / "models" / "registry.json"


def _entry(**overrides) -> dict:
    data = {
        "id": "pneu-densenet-1",
        "task": "pneumonia",
        "display_name": "Pneumonia (DenseNet121)",
        "version": "1.0.0",
        "backbone": "densenet121",
        "file": "pneu-densenet-1.keras",
        "sha256": "a" * 64,
        "input_size": [224, 224],
        "channels": 3,
        "preprocessing": {"resize": "stretch", "normalisation": "imagenet"},
        "labels": ["Normal", "Pneumonia"],
        "threshold": 0.42,
        "temperature": 1.3,
        "metrics": {"validation": {"auc": 0.93, "auc_ci95": [0.9, 0.95], "n": 800, "data": "patient-held-out val"}},
        "provenance": {"recipe": "pneumonia_standard", "data_fingerprint": "abc"},
        "card": "pneu-densenet-1.md",
    }
    data.update(overrides)
    return data


def _write(tmp_path: Path, models: list[dict], active: dict | None = None) -> Path:
    path = tmp_path / "registry.json"
    active_models = dict.fromkeys(TASK_NAMES) | (active or {})
    path.write_text(json.dumps({"schema_version": 1, "models": models, "active_models": active_models}))
    return path


def test_shipped_registry_is_valid_and_names_all_five_tasks():
    registry = Registry.load(REPO_REGISTRY)
    assert set(registry.active_models) == set(TASK_NAMES)
    for task in TASK_NAMES:
        entry = registry.active_entry(task)
        assert entry is None or (entry.task == task and registry.model_path(entry).is_file())


def test_valid_entry_round_trips_through_save_and_load(tmp_path: Path):
    registry = Registry.load(_write(tmp_path, [_entry(future_field={"kept": True})], {"pneumonia": "pneu-densenet-1"}))
    entry = registry.active_entry("pneumonia")
    assert entry is not None and entry.threshold == 0.42 and entry.temperature == 1.3
    assert entry.spec == PreprocessSpec((224, 224), 3, "stretch", "imagenet")
    assert entry.validation["auc"] == 0.93
    registry.save()
    again = Registry.load(registry.path)
    assert again.to_dict() == registry.to_dict()
    assert again.get("pneu-densenet-1").extra == {"future_field": {"kept": True}}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"task": "elbow"}, "task"),
        ({"sha256": "xyz"}, "sha256"),
        ({"input_size": [224]}, "input_size"),
        ({"channels": 2}, "channels"),
        ({"preprocessing": {"resize": "crop", "normalisation": "unit"}}, "preprocessing.resize"),
        ({"channels": 1, "preprocessing": {"resize": "stretch", "normalisation": "imagenet"}}, "normalisation"),
        ({"threshold": 1.5}, "threshold"),
        ({"temperature": 0}, "temperature"),
        ({"file": "../elsewhere/model.keras"}, "file"),
        ({"labels": ["Normal"]}, "labels"),
        ({"metrics": {"validation": {"auc": 0.9}}}, "metrics.validation.data"),
        ({"metrics": {"validation": {"auc": 1.7, "data": "x"}}}, "metrics.validation.auc"),
    ],
)
def test_bad_field_is_named_in_the_error(tmp_path: Path, overrides: dict, field: str):
    with pytest.raises(RegistryError, match=field.replace(".", r"\.")):
        Registry.load(_write(tmp_path, [_entry(**overrides)]))


def test_missing_required_field_is_named(tmp_path: Path):
    data = _entry()
    del data["threshold"]
    with pytest.raises(RegistryError, match=r"models\[0\]\.threshold: missing"):
        Registry.load(_write(tmp_path, [data]))


def test_active_models_must_cover_every_task_and_point_at_a_model_of_that_task(tmp_path: Path):
    path = tmp_path / "registry.json"
    path.write_text(json.dumps({"schema_version": 1, "models": [], "active_models": {"pneumonia": None}}))
    with pytest.raises(RegistryError, match=r"active_models\.cardiomegaly: missing"):
        Registry.load(path)
    with pytest.raises(RegistryError, match="is for pneumonia"):
        Registry.load(_write(tmp_path, [_entry()], {"cardiomegaly": "pneu-densenet-1"}))
    with pytest.raises(RegistryError, match="no model with id 'ghost'"):
        Registry.load(_write(tmp_path, [], {"fracture": "ghost"}))


def test_unreadable_registry_files_raise_registry_error_naming_the_file(tmp_path: Path):
    with pytest.raises(RegistryError, match="model registry not found"):
        Registry.load(tmp_path / "absent.json")
    broken = tmp_path / "registry.json"
    broken.write_text("{not json")
    with pytest.raises(RegistryError, match=r"registry\.json: not valid JSON"):
        Registry.load(broken)
    broken.write_text(json.dumps({"schema_version": 2, "models": [], "active_models": {}}))
    with pytest.raises(RegistryError, match="schema_version"):
        Registry.load(broken)


def test_add_replaces_same_id_and_activate_checks_the_task(tmp_path: Path):
    registry = Registry.empty(tmp_path / "registry.json")
    registry.add(ModelEntry.from_dict(_entry()), activate=True)
    registry.add(ModelEntry.from_dict(_entry(version="2.0.0")))
    assert [m.version for m in registry.entries_for("pneumonia")] == ["2.0.0"]
    assert registry.active_entry("pneumonia").version == "2.0.0"
    with pytest.raises(RegistryError, match="not cardiomegaly"):
        registry.activate("cardiomegaly", "pneu-densenet-1")
    with pytest.raises(ModelUnavailableError, match="no model with id 'nope'"):
        registry.get("nope")
    registry.activate("pneumonia", None)
    assert registry.active_entry("pneumonia") is None
    with pytest.raises(RegistryError, match="threshold"):
        registry.add(dataclasses.replace(ModelEntry.from_dict(_entry(id="x")), threshold=2.0))


def test_install_file_copies_the_model_and_records_its_checksum(tmp_path: Path):
    source = tmp_path / "trained.keras"
    source.write_bytes(b"model bytes")
    registry = Registry.empty(tmp_path / "models" / "registry.json")
    entry = registry.install_file(source, ModelEntry.from_dict(_entry()), activate=True)
    assert (tmp_path / "models" / "pneu-densenet-1.keras").read_bytes() == b"model bytes"
    assert entry.sha256 == hashlib.sha256(b"model bytes").hexdigest()
    reloaded = Registry.load(tmp_path / "models" / "registry.json")
    assert reloaded.active_entry("pneumonia").sha256 == entry.sha256
