"""From a recipe and a data root to the exact train/validation file lists (no TensorFlow).

Shared by training and `evaluate`, so the validation set `evaluate --recipe`
rebuilds is the one the model card reports (its fingerprint proves it).
Bundled demo cases (resources/samples, <data root>/samples) are kept out of
training by content hash, so a teaching case is never one the model learnt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from xray_desktop import paths
from xray_desktop.errors import InputError
from xray_desktop.preprocess_spec import PreprocessSpec
from xray_desktop.training.datasets import DatasetReport, Sample, _is_image, discover, file_sha256
from xray_desktop.training.grouping import GroupRule, group_rule
from xray_desktop.training.recipes import Recipe
from xray_desktop.training.splits import Split, split_by_group, split_three_way


@dataclass
class DataPlan:
    recipe: Recipe
    data_dir: Path
    report: DatasetReport
    split: Split
    validation_report: DatasetReport | None = None  # when validation is a separate folder
    excluded_samples: int = 0  # demo cases (and their patients' other films) removed from training
    unreadable: list[tuple[str, str]] = field(default_factory=list)

    @property
    def spec(self) -> PreprocessSpec:
        return recipe_spec(self.recipe)

    @property
    def test_description(self) -> str:
        """What the internal test figures were measured on, in words."""
        if self.recipe.test_data:
            return f"{self.recipe.test_data} ({len(self.split.test)} images, subjects disjoint from training)"
        return f"{self.recipe.data} internal test split ({len(self.split.test)} images; {self.split.rule})"

    @property
    def validation_description(self) -> str:
        """What the validation metrics were measured on, in words (goes into the registry's `data`)."""
        if self.validation_report is not None:
            return f"{self.recipe.validation_data} ({len(self.split.validation)} images, separate subjects)"
        return f"{self.recipe.data} held-out split ({len(self.split.validation)} images; {self.split.rule})"


def default_data_root() -> Path:
    """`../shared/data` next to the repository (where the team's data lives)."""
    return paths.install_root().parent / "shared" / "data"


def recipe_spec(recipe: Recipe) -> PreprocessSpec:
    return PreprocessSpec(recipe.input_size, channels=recipe.channels, normalisation=recipe.normalisation)


def plan_data(recipe: Recipe, data_root: Path) -> DataPlan:
    """Discover, exclude demo cases from training, and split (or pair with the separate validation folder)."""
    rule = group_rule(recipe.group_rule, recipe.group_pattern)
    data_dir = Path(data_root) / recipe.data
    samples, report = discover(data_dir, recipe.class_map, rule)
    if recipe.test_data:
        test_dir = Path(data_root) / recipe.test_data
        test, _test_report = discover(test_dir, recipe.class_map, rule)
        _refuse_overlap(samples, test, data_dir, test_dir)
        inner = split_by_group(samples, recipe.validation_fraction, recipe.seed, recipe.group_rule)
        split = Split(
            inner.train,
            inner.validation,
            f"{inner.rule}; internal test = separate folder {recipe.test_data} (subjects disjoint, checked)",
            test,
        )
        val_report = None
    elif recipe.validation_data:
        val_dir = Path(data_root) / recipe.validation_data
        validation, val_report = discover(val_dir, recipe.class_map, rule)
        _refuse_overlap(samples, validation, data_dir, val_dir)
        split = Split(samples, validation, f"separate folder {recipe.validation_data} (subjects disjoint, checked)")
    else:
        val_report = None
        split = split_three_way(
            samples, recipe.validation_fraction, recipe.test_fraction, recipe.seed, recipe.group_rule
        )
    demo, demo_groups = demo_cases(data_root, rule)
    kept = [s for s in split.train if s.sha256 not in demo and s.group not in demo_groups]
    excluded = len(split.train) - len(kept)
    split = Split(kept, split.validation, split.rule, split.test)
    return DataPlan(recipe, data_dir, report, split, val_report, excluded, list(report.unreadable))


def _refuse_overlap(train: list[Sample], held_out: list[Sample], train_dir: Path, held_dir: Path) -> None:
    """A held-out folder sharing a patient or a byte-identical file with training would inflate its figures."""
    leaked = {s.group for s in train} & {s.group for s in held_out}
    if leaked:
        example = sorted(leaked)[0]
        raise InputError(
            f"{held_dir}: {len(leaked)} patient/subject groups (e.g. {example}) are also in {train_dir}; "
            "its figures would be inflated"
        )
    shared = {s.sha256 for s in train} & {s.sha256 for s in held_out}
    if shared:
        raise InputError(f"{held_dir}: {len(shared)} files are byte-identical to files in {train_dir}")


def demo_cases(data_root: Path, rule: GroupRule) -> tuple[set[str], set[str]]:
    """sha256 and patient groups of every bundled or shared demo case (`CLASS__name` -> group of `name`).

    Excluding the patient, not only the file, keeps a demo patient's other films out of training too.
    """
    hashes: set[str] = set()
    groups: set[str] = set()
    for folder in (paths.samples_dir(), Path(data_root) / "samples"):
        if not folder.is_dir():
            continue
        for path in (p for p in folder.rglob("*") if _is_image(p)):
            hashes.add(file_sha256(path))
            original = path.name.split("__", 1)[-1]
            group = rule(path.with_name(original))
            if not group.startswith("file:"):
                groups.add(group)
    return hashes, groups


def validation_samples(recipe: Recipe, data_root: Path) -> tuple[list[Sample], DataPlan]:
    """The recipe's validation list, rebuilt exactly as at training time."""
    plan = plan_data(recipe, data_root)
    return plan.split.validation, plan
