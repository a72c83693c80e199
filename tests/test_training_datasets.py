"""Dataset discovery, class maps, duplicate and unreadable-file reporting, and recipe validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from xray_desktop.errors import InputError
from xray_desktop.training.datasets import discover, discover_csv_dataset, discover_folder_dataset
from xray_desktop.training.grouping import by_image, group_rule, knee_subject, pneumonia_patient
from xray_desktop.training.recipes import load_recipe

KNEE_MAP = {"0": 0, "1": 0, "2": 1, "3": 1, "4": 1}
REPO = Path(__file__).resolve().parent.parent


def _touch(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_knee_class_map_joins_kl_grades_and_keeps_the_grade(tmp_path: Path) -> None:
    for grade in "01234":
        _touch(tmp_path / grade / f"900{grade}001L.png", f"img{grade}".encode())
    samples, report = discover_folder_dataset(tmp_path, KNEE_MAP, knee_subject)
    assert {s.source_class: s.label for s in samples} == KNEE_MAP
    assert report.label_counts == {0: 2, 1: 3}
    assert report.imbalance == pytest.approx(1.5)
    assert {s.group for s in samples} == {f"900{g}001" for g in "01234"}


def test_byte_identical_files_are_reported_as_duplicates(tmp_path: Path) -> None:
    _touch(tmp_path / "NORMAL" / "IM-0001-0001.jpeg", b"same bytes")
    _touch(tmp_path / "NORMAL" / "IM-0001-0002.jpeg", b"same bytes")
    _touch(tmp_path / "PNEUMONIA" / "person1_virus_1.jpeg", b"other")
    _, report = discover(tmp_path, {"NORMAL": 0, "PNEUMONIA": 1}, pneumonia_patient)
    assert len(report.duplicates) == 1 and len(report.duplicates[0]) == 2
    assert "duplicate sets: 1" in " ".join(report.lines())


def test_empty_files_and_unmapped_folders_are_reported_not_used(tmp_path: Path) -> None:
    _touch(tmp_path / "normal" / "1.png", b"x")
    _touch(tmp_path / "normal" / "2.png", b"")
    _touch(tmp_path / "cardiomegaly" / "3.png", b"y")
    _touch(tmp_path / "effusion" / "4.png", b"z")
    samples, report = discover(tmp_path, {"normal": 0, "cardiomegaly": 1})
    assert len(samples) == 2
    assert report.unreadable == [(str(tmp_path / "normal" / "2.png"), "empty file")]
    assert report.skipped_classes == ["effusion"]


def test_csv_dataset_paths_are_relative_to_the_csv(tmp_path: Path) -> None:
    _touch(tmp_path / "imgs" / "a.png", b"a")
    _touch(tmp_path / "imgs" / "b.png", b"b")
    csv = tmp_path / "labels.csv"
    csv.write_text("path,label\nimgs/a.png,normal\nimgs/b.png,fracture\nimgs/c.png,other\n", encoding="utf-8")
    samples, report = discover_csv_dataset(csv, {"normal": 0, "fracture": 1})
    assert [(s.path.name, s.label) for s in samples] == [("a.png", 0), ("b.png", 1)]
    assert report.skipped_classes == ["other"]


def test_missing_folder_and_bad_csv_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="dataset folder not found"):
        discover(tmp_path / "nope", {"a": 0, "b": 1})
    bad = tmp_path / "bad.csv"
    bad.write_text("file,class\nx,y\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.csv.*'path' and 'label'"):
        discover(bad, {"a": 0, "b": 1})


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("person1000_bacteria_2931.jpeg", "person1000"),
        ("person1000_virus_1681.jpeg", "person1000"),
        ("IM-0115-0001.jpeg", "IM-0115"),
        ("IM-0117-0001-0002.jpeg", "IM-0117"),
        ("NORMAL2-IM-0468-0001.jpeg", "NORMAL2-IM-0468"),
    ],
)
def test_pneumonia_patient_rule_reads_kermany_names(name: str, group: str) -> None:
    assert pneumonia_patient(Path(name)) == group


def test_knee_rule_puts_left_and_right_knee_of_a_subject_together() -> None:
    assert knee_subject(Path("9001695L.jpg")) == knee_subject(Path("9001695R.jpg")) == "9001695"
    assert by_image(Path("normal/1.png")) != by_image(Path("cardiomegaly/1.png"))
    rule = group_rule("regex", r"^(pt\d+)_")
    assert rule(Path("pt12_a.png")) == rule(Path("pt12_b.png")) == "pt12"
    with pytest.raises(InputError, match="capture group"):
        group_rule("regex", "pt")


def test_shipped_recipes_load_and_unknown_keys_are_rejected(tmp_path: Path) -> None:
    recipes = sorted((REPO / "training" / "recipes").glob("*.toml"))
    assert {load_recipe(r).task for r in recipes} >= {"pneumonia", "osteoarthritis", "cardiomegaly"}
    bad = tmp_path / "bad.toml"
    bad.write_text('name="x"\ntask="pneumonia"\ndata="d"\nclass_map={a=0,b=1}\nepochz=3\n', encoding="utf-8")
    with pytest.raises(InputError, match="unknown recipe keys: epochz"):
        load_recipe(bad)
    bad.write_text('name="x"\ntask="pneumonia"\ndata="d"\nclass_map={a=0,b=0}\n', encoding="utf-8")
    with pytest.raises(InputError, match="both 0 and 1"):
        load_recipe(bad)
