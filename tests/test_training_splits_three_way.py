"""Three-way splits: no patient (and no byte-identical file) in two parts, reproducible, and the real
recipes' splits hold that on the real data."""

from __future__ import annotations

from pathlib import Path

import pytest

from xray_desktop.errors import InputError
from xray_desktop.training.datasets import Sample
from xray_desktop.training.splits import split_three_way

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
RECIPES = Path(__file__).resolve().parents[1] / "training" / "recipes"


def _samples(n_patients: int = 60, films: int = 3) -> list[Sample]:
    out = []
    for p in range(n_patients):
        label = int(p % 3 == 0)
        for f in range(films):
            out.append(Sample(Path(f"p{p}_{f}.png"), label, str(label), f"p{p}", f"sha-{p}-{f}"))
    # a byte-identical film filed under two patients: both patients must land in the same part
    out.append(Sample(Path("dup.png"), 0, "0", "p1", "shared-bytes"))
    out.append(Sample(Path("dup2.png"), 0, "0", "p2", "shared-bytes"))
    return out


def _groups(part: list[Sample]) -> set[str]:
    return {s.group for s in part}


def test_each_patient_and_duplicate_sits_in_one_part() -> None:
    split = split_three_way(_samples(), 0.15, 0.15, seed=3)
    train, val, test = _groups(split.train), _groups(split.validation), _groups(split.test)
    assert not (train & val) and not (train & test) and not (val & test)
    assert len(split.train) + len(split.validation) + len(split.test) == len(_samples())
    where = {name: part for part, groups in (("train", train), ("val", val), ("test", test)) for name in groups}
    assert where["p1"] == where["p2"]  # joined by the shared file
    for part in (split.validation, split.test):
        assert {s.label for s in part} == {0, 1}
        assert 0.08 < len(part) / len(_samples()) < 0.25


def test_split_is_reproducible_and_seed_dependent() -> None:
    a = split_three_way(_samples(), 0.15, 0.15, seed=3)
    b = split_three_way(_samples(), 0.15, 0.15, seed=3)
    c = split_three_way(_samples(), 0.15, 0.15, seed=4)
    assert a.test_fingerprint == b.test_fingerprint and a.fingerprint == b.fingerprint
    assert a.test_fingerprint != c.test_fingerprint


def test_part_by_name_refuses_a_missing_test_split() -> None:
    two_way = split_three_way(_samples(), 0.2, 0.0, seed=3)
    assert two_way.test == []
    with pytest.raises(InputError, match="no internal test split"):
        two_way.part("test")
    with pytest.raises(InputError, match="train, validation or test"):
        two_way.part("holdout")


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data (the real radiographs)")
@pytest.mark.parametrize(
    "recipe_name",
    ["pneumonia_resnet_small_224", "osteoarthritis_resnet_small_224", "cardiomegaly_resnet_small_128"],
)
def test_shipped_recipes_split_the_real_data_without_leaks(recipe_name: str) -> None:
    from xray_desktop.training.data_plan import plan_data
    from xray_desktop.training.recipes import load_recipe

    plan = plan_data(load_recipe(RECIPES / f"{recipe_name}.toml"), SHARED)
    parts = (plan.split.train, plan.split.validation, plan.split.test)
    assert all(parts)
    groups = [_groups(p) for p in parts]
    hashes = [{s.sha256 for s in p} for p in parts]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not (groups[i] & groups[j]), f"a patient in two parts of {recipe_name}"
            assert not (hashes[i] & hashes[j]), f"a byte-identical film in two parts of {recipe_name}"
