"""The body-part router on real films, and what `--task auto` runs because of it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from population_support import ADULT, KNEES, PAEDIATRIC, dicom_copy, generated, shipped_registry

from xray_desktop.imaging.loader import load_radiograph
from xray_desktop.models.manager import ModelManager
from xray_desktop.models.router import NOT_RADIOGRAPH
from xray_desktop.results import TaskStatus
from xray_desktop.security.permissions import Role
from xray_desktop.services.analyze import analyze_image, analyze_radiograph
from xray_desktop.services.providers import default_provider
from xray_desktop.services.session import Session
from xray_desktop.training.negatives import KINDS

pytestmark = pytest.mark.slow
CHEST, KNEE = {"pneumonia", "cardiomegaly"}, {"osteoarthritis", "osteoporosis"}


@pytest.fixture(scope="module")
def manager() -> ModelManager:
    return default_provider(shipped_registry())


@pytest.fixture
def session() -> Session:
    return Session(username="dr-route", role=Role.DOCTOR, audit=None)


def test_the_router_names_chest_knee_and_not_a_radiograph(manager) -> None:
    router, problem = manager.router()
    assert router is not None and problem is None
    for path in [*PAEDIATRIC, *ADULT]:
        r = load_radiograph(path)
        assert router.classify(r.pixels, r.colour).part == "chest", path.name
    for path in KNEES:
        r = load_radiograph(path)
        assert router.classify(r.pixels, r.colour).part == "knee", path.name
    for kind in KINDS:
        image = generated(kind, seed=21)
        assert router.classify(image.pixels, image.colour).part in (NOT_RADIOGRAPH, None), kind


def test_auto_on_a_chest_png_runs_only_the_chest_models_and_says_why(session, manager, tmp_path) -> None:
    path = tmp_path / "film.png"
    Image.open(PAEDIATRIC[0]).convert("L").save(path)
    result = analyze_image(session, path, manager=manager, tasks="auto", explain=False)
    assert {r.task for r in result.results} == CHEST
    assert result.body_part == "chest" and result.body_part_source == "router"
    assert result.body_part_confidence >= 0.8 and "body-part router" in result.body_part_note
    assert result.to_json()["body_part"]["part"] == "chest"
    knee = analyze_image(session, KNEES[0], manager=manager, tasks="auto", explain=False)
    assert {r.task for r in knee.results} == KNEE


def test_all_tasks_put_the_films_own_part_first(session, manager) -> None:
    result = analyze_image(session, PAEDIATRIC[0], manager=manager, tasks="all", explain=False)
    assert [r.task for r in result.results][:2] == ["pneumonia", "cardiomegaly"]
    knee_on_chest = result.result_for("osteoarthritis")
    assert knee_on_chest.population == "outside"  # another part's model is flagged, not trusted


def test_a_non_radiograph_runs_nothing_and_says_so(session, manager) -> None:
    result = analyze_radiograph(session, generated("photo_like", seed=3), manager=manager, tasks="auto")
    assert result.results == [] and result.body_part in (NOT_RADIOGRAPH, None)
    assert any("no model was run" in w for w in result.warnings)


@pytest.mark.parametrize("part", ["BREAST", "HIP", "WHOLE BODY"])
def test_a_dicom_of_a_part_no_model_reads_runs_nothing(session, manager, tmp_path, part) -> None:
    path = dicom_copy(tmp_path, BodyPartExamined=part)
    result = analyze_image(session, path, manager=manager, tasks="auto", explain=False)
    assert result.results == [] and result.body_part == "unsupported"
    assert any(f"DICOM Body Part Examined {part}: no model here reads this body part" in w for w in result.warnings)
    forced = analyze_image(session, path, manager=manager, tasks="pneumonia", explain=False).results[0]
    assert forced.population == "outside" and f"body part {part} (DICOM)" in forced.population_reason


def test_a_known_part_with_no_model_says_so(session, manager) -> None:
    result = analyze_image(session, KNEES[0], manager=manager, tasks="limb", explain=False)
    assert [r.status for r in result.results] == [TaskStatus.NOT_INSTALLED]
    assert "limb: no model installed for this body part (fracture)" in result.warnings


def test_router_figures_are_recorded_with_it() -> None:
    record = shipped_registry().router
    assert record["metrics"]["heldout"]["accuracy"] >= 0.98 and record["metrics"]["data"]
    assert Path(shipped_registry().models_dir / record["file"]).is_file()
