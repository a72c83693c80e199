"""The body-part router on real films, and what `--task auto` runs because of it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from population_support import ADULT, KNEES, PAEDIATRIC, dicom_copy, generated, shipped_registry

from xray_desktop.imaging.loader import load_radiograph
from xray_desktop.models.manager import ModelManager
from xray_desktop.models.router import ADULT as ADULT_GROUP
from xray_desktop.models.router import CHILD, NOT_RADIOGRAPH, BodyPartRouter, RouterVerdict
from xray_desktop.results import TaskStatus
from xray_desktop.security.permissions import Role
from xray_desktop.services.analyze import analyze_image, analyze_radiograph
from xray_desktop.services.providers import default_provider
from xray_desktop.services.routing import age_group_reason
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


def test_the_age_group_head_tells_childrens_chest_films_from_adults_and_only_for_chest(manager) -> None:
    router, _ = manager.router()
    assert router.age is not None
    for path in PAEDIATRIC:
        r = load_radiograph(path)
        answer = router.classify(r.pixels, r.colour)
        assert answer.age_group == CHILD and answer.age_confidence >= router.age.min_confidence, path.name
    adults = [router.classify(r.pixels, r.colour) for r in map(load_radiograph, ADULT)]
    assert all(a.age_group in (ADULT_GROUP, None) for a in adults)  # below its confidence it stays silent
    assert sum(a.age_group == ADULT_GROUP for a in adults) >= len(adults) - 1
    knee = load_radiograph(KNEES[0])
    assert router.classify(knee.pixels, knee.colour).age_group is None  # the head speaks on chest films only
    figures = shipped_registry().router["age_group"]["validation"]
    assert figures["children_called_adult"] <= 0.01 and figures["adults_called_child"] <= 0.01


def test_an_age_head_survives_the_file_round_trip_and_a_router_without_one_still_loads(manager, tmp_path) -> None:
    router, _ = manager.router()
    with_age, without = tmp_path / "with.npz", tmp_path / "without.npz"
    with_age.write_bytes(router.to_bytes())
    loaded = BodyPartRouter.from_file(with_age)
    assert loaded.age is not None and np.array_equal(loaded.age.weights, router.age.weights)
    assert loaded.age.bias == router.age.bias and loaded.age.min_confidence == router.age.min_confidence
    without.write_bytes(replace(router, age=None).to_bytes())
    old = BodyPartRouter.from_file(without)
    r = load_radiograph(PAEDIATRIC[0])
    assert old.age is None and old.classify(r.pixels, r.colour).age_group is None


@pytest.mark.parametrize(
    ("group", "ages", "expected"),
    [
        (CHILD, [18, 100], "looks like a child's chest film (age-group check, 97%); trained on ages 18–100"),
        (ADULT_GROUP, [1, 5], "looks like an adult's chest film (age-group check, 97%); trained on ages 1–5"),
        (CHILD, [1, 5], None),
        (ADULT_GROUP, [18, 100], None),
        (None, [18, 100], None),  # not confident: no reason
        (CHILD, None, None),  # a card with no age range
    ],
)
def test_the_age_group_gives_a_reason_only_where_the_cards_ages_exclude_it(group, ages, expected) -> None:
    answer = RouterVerdict("chest", "chest", 0.99, {}, group, 0.97)
    assert age_group_reason(answer, {"age_years": ages} if ages else {}) == expected
