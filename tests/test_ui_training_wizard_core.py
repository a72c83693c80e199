"""The wizard's Qt-free parts: dataset survey and warnings, recipe writing, augmentation preview."""

from __future__ import annotations

import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from xray_desktop.errors import InputError
from xray_desktop.training.recipes import Augmentation, load_recipe, recipe_from_dict
from xray_desktop.ui.training_wizard.jobs import augment_preview
from xray_desktop.ui.training_wizard.recipe_io import locate_data, recipe_dict, save_recipe, to_toml
from xray_desktop.ui.training_wizard.survey import (
    dataset_warnings,
    default_class_map,
    guess_task,
    label_counts,
    list_classes,
    suggest_group_rule,
    survey_dataset,
)


def test_survey_counts_classes_and_keeps_thumbnails(class_folders) -> None:
    root = class_folders({"normal": 5, "abnormal": 7})
    survey = survey_dataset(root, thumbs_per_class=3)
    assert survey.classes == ["abnormal", "normal"]
    assert survey.counts == {"abnormal": 7, "normal": 5}
    assert [len(survey.thumbnails[c]) for c in survey.classes] == [3, 3]
    plane = survey.thumbnails["abnormal"][0]
    assert plane.shape == (128, 128) and plane.min() >= 0.0 and plane.max() <= 1.0
    assert plane.max() > 0.8, "a positive thumbnail shows its bright square"
    assert label_counts(survey, {"normal": 0, "abnormal": 1}) == {0: 5, 1: 7}


def test_default_class_map_maps_kl_grades_and_normal_names() -> None:
    assert default_class_map(["0", "1", "2", "3", "4"]) == {"0": 0, "1": 0, "2": 1, "3": 1, "4": 1}
    assert default_class_map(["NORMAL", "PNEUMONIA"]) == {"NORMAL": 0, "PNEUMONIA": 1}
    assert guess_task(["NORMAL", "PNEUMONIA"]) == "pneumonia"
    assert guess_task(["0", "1", "2", "3", "4"]) == "osteoarthritis"
    assert guess_task(["a", "b"]) is None


def test_warnings_name_imbalance_duplicates_unreadable_and_ignored_classes(class_folders) -> None:
    root = class_folders({"normal": 30, "abnormal": 8, "other": 2})
    first = sorted((root / "normal").iterdir())[0]
    shutil.copy(first, root / "normal" / "copy_of_first.png")
    (root / "abnormal" / "broken.png").write_bytes(b"this is not an image at all, just text" * 4)
    survey = survey_dataset(root)
    warnings = dataset_warnings(survey, {"normal": 0, "abnormal": 1}, "image")
    text = "\n".join(warnings)
    assert "Imbalanced labels 31 : 9" in text
    assert "byte-identical" in text and "1 set(s)" in text
    assert "1 unreadable file(s)" in text and "broken.png" in text
    assert "Ignored classes (not in the class map): other" in text
    assert "Only 9 images in the smaller label" in text


def test_one_sided_class_map_is_reported() -> None:
    assert "training needs both" in dataset_warnings_for({"normal": 0, "abnormal": 0})


def dataset_warnings_for(class_map: dict[str, int]) -> str:
    from xray_desktop.training.datasets import DatasetReport
    from xray_desktop.ui.training_wizard.survey import DataSurvey

    report = DatasetReport(root="x", counts={"normal": 3, "abnormal": 3}, label_counts={0: 3, 1: 3})
    survey = DataSurvey(Path("x"), ["abnormal", "normal"], report, [])
    return "\n".join(dataset_warnings(survey, class_map, "image"))


def test_patient_ids_in_file_names_are_detected_when_splitting_by_image(class_folders) -> None:
    root = class_folders({"NORMAL": 4, "PNEUMONIA": 4})
    for i, path in enumerate(sorted((root / "PNEUMONIA").iterdir())):
        path.rename(path.with_name(f"person{i // 2}_bacteria_{i}.png"))  # two films per patient
    survey = survey_dataset(root)
    assert suggest_group_rule(survey.samples) == ("pneumonia_patient", 4, 2)
    by_image = "\n".join(dataset_warnings(survey, {"NORMAL": 0, "PNEUMONIA": 1}, "image"))
    assert "Suspected patient overlap" in by_image and "pneumonia_patient" in by_image
    by_patient = "\n".join(dataset_warnings(survey, {"NORMAL": 0, "PNEUMONIA": 1}, "pneumonia_patient"))
    assert "Suspected patient overlap" not in by_patient


def test_csv_dataset_lists_its_labels(tmp_path: Path, class_folders) -> None:
    root = class_folders({"normal": 3, "abnormal": 3})
    rows = ["path,label"] + [f"{p.relative_to(root).as_posix()},{p.parent.name}" for p in sorted(root.rglob("*.png"))]
    csv_path = root / "labels.csv"
    csv_path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert list_classes(csv_path) == ["abnormal", "normal"]
    assert survey_dataset(csv_path).counts == {"abnormal": 3, "normal": 3}


def test_missing_or_empty_location_is_a_clear_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="dataset folder not found"):
        list_classes(tmp_path / "nowhere")
    (tmp_path / "empty" / "cls").mkdir(parents=True)
    with pytest.raises(InputError, match="no class folders with images"):
        list_classes(tmp_path / "empty")


def _raw(**overrides) -> dict:
    fields = dict(
        task="osteoarthritis",
        data="train",
        class_map={"0": 0, "1": 0, "2": 1},
        group_rule="regex",
        group_pattern=r"^(\d+)_",
        backbone="small_cnn",
        input_size=48,
        regimen="quick",
        epochs=3,
        learning_rate=1e-05,
        batch_size=8,
        augmentation=Augmentation(rotate_deg=5.0, hflip=True, noise_std=0.0),
        validation_data="val",
        display_name='Knee "test" — ünïcode',
        description="line one\nline two",
    )
    fields.update(overrides)
    return recipe_dict(**fields)


def test_recipe_written_as_toml_reads_back_identically_through_the_core(tmp_path: Path) -> None:
    raw = _raw()
    written = save_recipe(raw, tmp_path / "recipe.toml")
    expected = recipe_from_dict(raw)
    assert written.source == tmp_path / "recipe.toml"
    for key in (
        "task",
        "data",
        "validation_data",
        "class_map",
        "group_rule",
        "group_pattern",
        "input_size",
        "epochs",
        "learning_rate",
        "batch_size",
        "display_name",
        "description",
        "augmentation",
    ):
        assert getattr(written, key) == getattr(expected, key), key
    assert load_recipe(tmp_path / "recipe.toml").model_id == "osteoarthritis-small_cnn-48-v1.0.0"
    assert "[augmentation]" in to_toml(raw)


def test_recipe_with_an_invalid_value_is_refused_by_the_core(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="class_map must map classes to both 0 and 1"):
        save_recipe(_raw(class_map={"0": 0, "1": 0}), tmp_path / "recipe.toml")


def test_separate_validation_folder_shares_a_data_root(tmp_path: Path) -> None:
    (tmp_path / "knee" / "train").mkdir(parents=True)
    (tmp_path / "knee" / "val").mkdir()
    root, data, validation = locate_data(tmp_path / "knee" / "train", tmp_path / "knee" / "val")
    assert (root, data, validation) == ((tmp_path / "knee").resolve(), "train", "val")
    assert locate_data(tmp_path / "knee" / "train") == ((tmp_path / "knee").resolve(), "train", None)
    with pytest.raises(InputError, match="must be separate"):
        locate_data(tmp_path / "knee", tmp_path / "knee" / "val")


def test_augmentation_preview_uses_the_core_pipeline() -> None:
    plane = np.zeros((128, 128), np.float32)
    plane[40:90, 50:70] = 1.0
    off = Augmentation(rotate_deg=0, hflip=False, brightness=0, contrast=0, zoom=0, noise_std=0, probability=0)
    rows = augment_preview([plane], off, size=64, seed=0, copies=2)
    assert len(rows) == 1 and len(rows[0]) == 3 and rows[0][0].shape == (64, 64)
    assert all(np.allclose(copy, rows[0][0]) for copy in rows[0][1:]), "nothing enabled: copies equal the original"
    strong = Augmentation(**{**asdict(off), "rotate_deg": 40.0, "probability": 1.0})
    rows = augment_preview([plane], strong, size=64, seed=0, copies=2)
    assert not np.allclose(rows[0][1], rows[0][0]), "a 40° rotation at p=1 changes the image"
    assert min(r.min() for r in rows[0]) >= 0.0 and max(r.max() for r in rows[0]) <= 1.0
