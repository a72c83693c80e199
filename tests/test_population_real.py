"""The population verdict on real films through the shipped models (skipped when they have no gate)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from population_support import (
    ADULT,
    DATA,
    KNEES,
    PAEDIATRIC,
    dicom_copy,
    generated,
    needs_data,
    shipped_models_folder,
    shipped_registry,
)

from xray_desktop.models.manager import ModelManager
from xray_desktop.models.registry import Registry
from xray_desktop.security.permissions import Role
from xray_desktop.services.analyze import analyze_image, analyze_radiograph
from xray_desktop.services.population import NOT_AVAILABLE
from xray_desktop.services.providers import default_provider
from xray_desktop.services.session import Session

pytestmark = pytest.mark.slow


class Audit:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict]] = []

    def append(self, actor: str, event: str, details: dict) -> None:
        self.events.append((actor, event, details))


@pytest.fixture(scope="module")
def manager() -> ModelManager:
    return default_provider(shipped_registry())


@pytest.fixture
def session() -> Session:
    return Session(username="dr-pop", role=Role.DOCTOR, audit=Audit())


def _pneumonia(session, manager, path, **kwargs):
    return analyze_image(session, path, manager=manager, tasks="pneumonia", **kwargs).result_for("pneumonia")


def test_paediatric_films_are_in_and_adult_nih_films_outside(session, manager) -> None:
    inside = [_pneumonia(session, manager, p, explain=False) for p in PAEDIATRIC]
    assert sum(r.population == "in" for r in inside) >= len(inside) - 1  # ~5 % of in-population films are flagged
    assert all(r.population_reason.startswith(("like the training films", "unlike")) for r in inside)
    adults = [_pneumonia(session, manager, path) for path in ADULT]
    outside = [r for r in adults if r.population == "outside"]
    assert len(outside) >= len(adults) - 1  # the benchmark measures the rate on 1,003 adult films
    for result in outside:
        reasons = result.population_reason.split("; ")
        assert any(r.startswith("looks like an adult's chest film (age-group check, ") for r in reasons) or any(
            r.startswith("unlike the training films: distance ") and r.endswith("× the usual") for r in reasons
        )
        assert result.probability is not None  # the answer is still computed, only flagged


def test_childrens_films_through_the_adult_cardiomegaly_model_are_outside_and_say_why(session, manager) -> None:
    """The cardiomegaly model's feature gate alone let most children's films through (it flagged about a quarter
    of 782 paediatric test films); the router's age-group head names them, as the card's ages 18-100 require."""
    children = [
        analyze_image(session, p, manager=manager, tasks="cardiomegaly", explain=False).result_for("cardiomegaly")
        for p in PAEDIATRIC
    ]
    assert all(r.population == "outside" for r in children)
    assert all("looks like a child's chest film (age-group check, " in r.population_reason for r in children)
    assert all("trained on ages 18–100" in r.population_reason for r in children)
    adults = [
        analyze_image(session, p, manager=manager, tasks="cardiomegaly", explain=False).result_for("cardiomegaly")
        for p in ADULT
    ]
    assert not any("age-group check" in r.population_reason for r in adults)


@needs_data
def test_most_adult_films_from_the_shared_data_are_flagged(session, manager) -> None:
    films = sorted((DATA / "cardiomegaly" / "train" / "normal").glob("*.png"))[:40]
    flagged = [_pneumonia(session, manager, p, explain=False).population == "outside" for p in films]
    assert np.mean(flagged) >= 0.85


def test_a_knee_film_through_a_chest_model_and_generated_images_are_outside(session, manager) -> None:
    for path in KNEES:
        assert _pneumonia(session, manager, path, explain=False).population == "outside"
    for kind in ("ct_slice", "photo_like", "flat", "text", "colour_noise", "mammogram_like", "angiogram_like"):
        result = analyze_radiograph(session, generated(kind), manager=manager, tasks="pneumonia").results[0]
        assert result.population == "outside", kind
        assert result.population_reason


def test_the_dicom_header_gives_reasons_in_words(session, manager, tmp_path) -> None:
    adult = _pneumonia(session, manager, dicom_copy(tmp_path, PatientAge="054Y"))
    assert adult.population == "outside" and "adult film: age 54; trained on ages 1–5" in adult.population_reason
    lateral = _pneumonia(session, manager, dicom_copy(tmp_path, "lat.dcm", ViewPosition="LL"))
    assert "lateral view" in lateral.population_reason
    ct = _pneumonia(session, manager, dicom_copy(tmp_path, "ct.dcm", Modality="CT"))
    assert "DICOM Modality CT: a CT slice" in ct.population_reason


def test_one_forward_pass_gives_prediction_map_and_features(manager) -> None:
    from xray_desktop.imaging.loader import load_radiograph
    from xray_desktop.imaging.preprocess import prepare_input

    loaded = manager.for_task("pneumonia")
    batch = prepare_input(load_radiograph(ADULT[0]).pixels, loaded.entry.spec)[None]
    probs, maps, features = loaded.explainer("gradcam").explain(batch)
    plain_probs, plain_features = loaded.predict_with_features(batch)
    assert features.shape == (1, loaded.population_gate().dimension) and maps.ndim == 3
    assert np.allclose(features, plain_features, atol=1e-4) and np.allclose(probs, plain_probs, atol=1e-5)


def test_json_and_audit_carry_the_verdict(session, manager, capsys, monkeypatch, tmp_path) -> None:
    result = analyze_image(session, ADULT[0], manager=manager, tasks="pneumonia", explain=False)
    entry = [e for e in session.audit.events if e[1] == "analysis"][-1][2]["results"][0]
    assert entry["population"] == "outside" and "unlike the training films" in entry["population_reason"]
    assert result.to_json()["results"][0]["population"] == "outside"

    from xray_desktop.cli import main

    monkeypatch.setenv("XRAY_DESKTOP_MODELS", str(shipped_models_folder(tmp_path / "linked")))
    assert main(["analyze", "--json", "--task", "pneumonia", str(ADULT[0])]) == 0
    printed = json.loads(capsys.readouterr().out)[0]["results"][0]
    assert printed["population"] == "outside" and "unlike the training films" in printed["population_reason"]


def test_the_batch_csv_has_the_verdict_columns(session, manager, tmp_path) -> None:
    from xray_desktop.services.batch import run_batch

    folder = tmp_path / "films"
    folder.mkdir()
    shutil.copy(PAEDIATRIC[0], folder / "child.jpeg")
    shutil.copy(ADULT[0], folder / "adult.png")
    summary = run_batch(session, folder, manager=manager, task="pneumonia", csv_path=tmp_path / "out.csv")
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as handle:
        rows = {Path(r["path"]).name: r for r in csv.DictReader(handle)}
    assert rows["adult.png"]["population"] == "outside"
    assert "unlike the training films" in rows["adult.png"]["population_reason"]
    assert rows["child.jpeg"]["population"] in ("in", "outside") and rows["child.jpeg"]["population_reason"]
    assert summary.outside >= 1


def _copy_models(tmp_path: Path) -> Registry:
    folder = tmp_path / "models"
    chosen = shipped_registry()
    shutil.copytree(chosen.models_dir, folder, ignore=shutil.ignore_patterns("*.png"))  # real copies: one is altered
    registry = Registry.load(folder / "registry.json")
    registry.active_models = dict(chosen.active_models)
    registry.save()
    return registry


def test_an_old_model_without_a_check_says_not_available_and_a_changed_check_is_not_used(session, tmp_path) -> None:
    from dataclasses import replace

    registry = _copy_models(tmp_path)
    entry = registry.active_entry("pneumonia")
    registry.models = [replace(m, population_check={}) if m.id == entry.id else m for m in registry.models]
    old = analyze_image(session, PAEDIATRIC[0], manager=default_provider(registry), tasks="pneumonia").results[0]
    assert old.population == "unknown" and old.population_reason == NOT_AVAILABLE
    assert old.probability is not None

    registry = _copy_models(tmp_path / "b")
    gate = registry.models_dir / registry.active_entry("pneumonia").population_check["file"]
    gate.write_bytes(gate.read_bytes()[:-10] + b"0123456789")
    changed = analyze_image(session, PAEDIATRIC[0], manager=default_provider(registry), tasks="pneumonia").results[0]
    assert changed.population == "unknown" and "checksum mismatch" in changed.population_reason


def test_a_model_package_carries_its_population_check(tmp_path, monkeypatch) -> None:
    from xray_desktop.services.model_package_export import export_package
    from xray_desktop.services.model_package_import import import_package

    registry = _copy_models(tmp_path)
    admin = Session(username="admin", role=Role.ADMIN, audit=Audit())
    entry = registry.active_entry("pneumonia")
    package = export_package(admin, entry.id, tmp_path / "p.xrm", registry=registry)
    fresh = Registry.empty(tmp_path / "fresh" / "registry.json")
    (tmp_path / "fresh").mkdir()
    installed = import_package(admin, package, registry=fresh, activate=True)
    gate = fresh.models_dir / installed.population_check["file"]
    from xray_desktop.models.checksum import sha256_file

    assert gate.is_file() and sha256_file(gate) == entry.population_check["sha256"]
    result = analyze_image(
        Session(username="d", role=Role.DOCTOR, audit=Audit()),
        ADULT[0],
        manager=default_provider(fresh),
        tasks="pneumonia",
    )
    assert result.results[0].population == "outside"
