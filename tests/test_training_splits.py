"""Splits never put one patient (or one byte-identical file) on both sides, and are reproducible."""

from __future__ import annotations

from pathlib import Path

from xray_desktop.training.datasets import Sample
from xray_desktop.training.splits import merged_groups, samples_fingerprint, split_by_group


def _samples(n_patients: int = 60) -> list[Sample]:
    out = []
    for p in range(n_patients):
        label = p % 3 == 0
        for k in range(1 + p % 4):
            name = f"person{p}_bacteria_{k}.jpeg"
            out.append(
                Sample(Path("PNEUMONIA" if label else "NORMAL") / name, int(label), "x", f"person{p}", f"h{p}-{k}")
            )
    return out


def test_split_never_leaks_a_patient() -> None:
    samples = _samples()
    for seed in range(5):
        split = split_by_group(samples, 0.25, seed, "patient")
        train_groups = {s.group for s in split.train}
        assert train_groups.isdisjoint({s.group for s in split.validation})
        assert len(split.train) + len(split.validation) == len(samples)
        assert {s.label for s in split.validation} == {0, 1}


def test_byte_identical_files_of_different_groups_land_in_the_same_split() -> None:
    samples = _samples()
    # person1 and person2 share one file's bytes: they must be treated as one group
    samples.append(Sample(Path("NORMAL/person1_dup.jpeg"), 0, "x", "person1", "shared"))
    samples.append(Sample(Path("NORMAL/person2_dup.jpeg"), 0, "x", "person2", "shared"))
    roots = merged_groups(samples)
    assert roots[-1] == roots[-2]
    for seed in range(10):
        split = split_by_group(samples, 0.3, seed)
        in_val = {s.group for s in split.validation}
        assert ("person1" in in_val) == ("person2" in in_val)


def test_split_is_reproducible_and_fraction_is_respected() -> None:
    samples = _samples(200)
    a = split_by_group(samples, 0.2, 42)
    b = split_by_group(list(reversed(samples)), 0.2, 42)
    assert a.fingerprint == b.fingerprint
    assert split_by_group(samples, 0.2, 43).fingerprint != a.fingerprint
    assert 0.17 < len(a.validation) / len(samples) < 0.25
    assert samples_fingerprint(a.validation) == a.fingerprint


def test_separate_validation_folder_sharing_a_subject_is_refused(tmp_path: Path) -> None:
    import pytest

    from xray_desktop.errors import InputError
    from xray_desktop.training.data_plan import plan_data
    from xray_desktop.training.recipes import recipe_from_dict

    for part, name in (("train", "9001695L.jpg"), ("train", "9002000L.jpg"), ("val", "9001695R.jpg")):
        for grade in ("0", "3"):
            target = tmp_path / "knee" / part / grade / f"{grade}{name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f"{part}{grade}{name}".encode())
    raw = {
        "name": "k",
        "task": "osteoarthritis",
        "data": "knee/train",
        "validation_data": "knee/val",
        "class_map": {"0": 0, "3": 1},
        "group_rule": "regex",
        "group_pattern": r"^\d(\d+)[LR]",
    }
    with pytest.raises(InputError, match=r"1 patient/subject groups \(e\.g\. 9001695\)"):
        plan_data(recipe_from_dict(raw), tmp_path)
    plan = plan_data(recipe_from_dict({**raw, "group_rule": "image"}), tmp_path)
    assert len(plan.split.train) == 4 and len(plan.split.validation) == 2
