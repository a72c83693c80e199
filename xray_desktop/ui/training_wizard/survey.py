"""What is in a training folder, before anything is trained (Qt-free, so it is tested without a GUI).

The scan goes through the training core's own discovery (`training.datasets.discover`), so
counts, duplicate sets and unreadable files are exactly what `train` will see. It adds what a
person needs to choose well: sample thumbnails per class, files whose bytes are not an image,
and whether file names carry patient ids that a split by image would ignore.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from xray_desktop.errors import ImageLoadError, InputError
from xray_desktop.imaging.preprocess import prepare_input
from xray_desktop.imaging.sniff import SNIFF_BYTES, sniff_format
from xray_desktop.preprocess_spec import PreprocessSpec
from xray_desktop.progress import Progress
from xray_desktop.training.datasets import IMAGE_SUFFIXES, DatasetReport, Sample, discover
from xray_desktop.training.grouping import by_image, group_rule

DECODE_CHECK_LIMIT = 20000  # up to this many files every image is decoded in the scan (~9 s for 5,200 JPEGs)
PLANE_SIZE = 128  # thumbnails and augmentation previews are kept at this size (stretch, as training resizes)
IMBALANCE_WARNING = 1.5
FEW_IMAGES = 20
# Rules whose ids come from file names; tried in this order when the chosen rule ignores patients.
NAMED_RULES = ("pneumonia_patient", "knee_subject")
NEGATIVE_WORDS = ("normal", "negative", "healthy", "no_finding", "nofinding", "benign")


@dataclass
class DataSurvey:
    """One scan of a folder-per-class directory or a `path,label` CSV."""

    location: Path
    classes: list[str]
    report: DatasetReport  # from the core's discovery, every class included
    samples: list[Sample]
    thumbnails: dict[str, list[np.ndarray]] = field(default_factory=dict)  # class -> planes (PLANE_SIZE², [0, 1])
    not_images: list[tuple[str, str]] = field(default_factory=list)  # (path, reason): not decodable as an image
    fully_decoded: bool = True  # False for big folders, where only file headers were checked

    @property
    def counts(self) -> dict[str, int]:
        return {c: self.report.counts.get(c, 0) for c in self.classes}


def list_classes(location: str | Path) -> list[str]:
    """Class names: sub-folders holding images, or the distinct labels of a CSV."""
    location = Path(location)
    if location.suffix.lower() == ".csv":
        try:
            with location.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
        except FileNotFoundError:
            raise InputError(f"{location}: CSV file not found") from None
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise InputError(f"{location}: cannot read CSV ({exc})") from None
        if not rows or "label" not in rows[0]:
            raise InputError(f"{location}: CSV needs a header with 'path' and 'label' columns")
        return sorted({str(r["label"]).strip() for r in rows if str(r.get("label", "")).strip()})
    if not location.is_dir():
        raise InputError(f"{location}: dataset folder not found")
    classes = [
        p.name
        for p in sorted(location.iterdir())
        if p.is_dir() and not p.name.startswith(".") and any(_is_image_name(f) for f in p.iterdir())
    ]
    if not classes:
        raise InputError(f"{location}: no class folders with images (expected <folder>/<class>/<image>)")
    return classes


def survey_dataset(location: str | Path, thumbs_per_class: int = 4, progress: Progress | None = None) -> DataSurvey:
    """Scan `location` with every class included; slow on big folders (it hashes every file), so run it off the GUI thread."""
    progress = progress or Progress()
    location = Path(location)
    classes = list_classes(location)
    progress.update(0, None, f"hashing the images of {len(classes)} classes…")
    samples, report = discover(location, dict.fromkeys(classes, 0), by_image)
    from xray_desktop.imaging.loader import load_radiograph

    decode = len(samples) <= DECODE_CHECK_LIMIT
    spec = PreprocessSpec((PLANE_SIZE, PLANE_SIZE))
    not_images: list[tuple[str, str]] = []
    thumbnails: dict[str, list[np.ndarray]] = {c: [] for c in classes}
    verb = "decoding" if decode else "checking file headers of"
    for index, sample in enumerate(samples):
        if index % 100 == 0:
            progress.check_cancelled()
            progress.update(index, len(samples), f"{verb} the images ({index}/{len(samples)})")
        wanted = len(thumbnails[sample.source_class]) < thumbs_per_class
        if not decode and not wanted:
            with sample.path.open("rb") as handle:
                if sniff_format(handle.read(SNIFF_BYTES)) is None:
                    not_images.append((str(sample.path), "not a recognised image file"))
            continue
        try:
            pixels = load_radiograph(sample.path).pixels  # the app's own loader, as training will use it
        except ImageLoadError as exc:
            not_images.append((str(sample.path), exc.reason))
            continue
        if wanted:
            thumbnails[sample.source_class].append(prepare_input(pixels, spec)[:, :, 0])
    progress.update(len(samples), len(samples), f"{len(samples)} images in {len(classes)} classes")
    return DataSurvey(location, classes, report, samples, thumbnails, not_images, decode)


def default_class_map(classes: list[str]) -> dict[str, int]:
    """A starting point the user edits: KL grades 0-1 -> 0 and 2-4 -> 1; 'normal'-like names -> 0, others -> 1."""
    if classes and all(c.isdigit() for c in classes):
        return {c: int(int(c) >= 2) for c in classes}
    return {c: 0 if c.lower().replace(" ", "_") in NEGATIVE_WORDS else 1 for c in classes}


def guess_task(classes: list[str]) -> str | None:
    """The task a set of class names most likely belongs to (the user confirms it on the model page)."""
    lowered = {c.lower() for c in classes}
    for task in ("pneumonia", "cardiomegaly", "osteoarthritis", "osteoporosis", "fracture"):
        if any(task in c for c in lowered):
            return task
    if classes and all(c.isdigit() for c in classes) and len(classes) >= 4:
        return "osteoarthritis"  # Kellgren-Lawrence grade folders
    return None


def suggest_group_rule(samples: list[Sample]) -> tuple[str, int, int] | None:
    """(rule, images sharing a group, groups) for the first named rule that fits most file names and merges some."""
    if not samples:
        return None
    for name in NAMED_RULES:
        rule = group_rule(name)
        groups = [rule(s.path) for s in samples]
        matched = sum(not g.startswith("file:") for g in groups)
        sizes = Counter(groups)
        shared = sum(n for g, n in sizes.items() if n > 1 and not g.startswith("file:"))
        if matched >= 0.5 * len(samples) and shared:
            return name, shared, len([g for g, n in sizes.items() if n > 1])
    return None


def label_counts(survey: DataSurvey, class_map: dict[str, int]) -> dict[int, int]:
    counts = {0: 0, 1: 0}
    for cls, n in survey.counts.items():
        if cls in class_map:
            counts[class_map[cls]] += n
    return counts


def dataset_warnings(
    survey: DataSurvey, class_map: dict[str, int], rule_name: str, pattern: str | None = None
) -> list[str]:
    """Everything that changes what a validation figure will mean, in plain words."""
    out: list[str] = []
    labels = label_counts(survey, class_map)
    if not labels[0] or not labels[1]:
        out.append("Map at least one class to 0 (normal) and one to 1 (condition); training needs both.")
    elif max(labels.values()) / min(labels.values()) >= IMBALANCE_WARNING:
        ratio = max(labels.values()) / min(labels.values())
        out.append(
            f"Imbalanced labels {labels[0]} : {labels[1]} ({ratio:.1f}:1). Training weights the classes inversely "
            "to their frequency and the threshold is chosen on validation (Youden's J), but accuracy alone will mislead."
        )
    if labels[0] and labels[1] and min(labels.values()) < FEW_IMAGES:
        out.append(
            f"Only {min(labels.values())} images in the smaller label: validation figures will be very uncertain."
        )
    ignored = [c for c in survey.classes if c not in class_map]
    if ignored:
        out.append(f"Ignored classes (not in the class map): {', '.join(ignored)}.")
    unreadable = list(survey.report.unreadable) + list(survey.not_images)
    if unreadable:
        first = "; ".join(f"{Path(p).name}: {why}" for p, why in unreadable[:3])
        out.append(
            f"{len(unreadable)} unreadable file(s), left out of training ({first}{'…' if len(unreadable) > 3 else ''})."
        )
    out.extend(_duplicate_warnings(survey, class_map))
    out.extend(_group_warnings(survey, class_map, rule_name, pattern))
    return out


def _duplicate_warnings(survey: DataSurvey, class_map: dict[str, int]) -> list[str]:
    if not survey.report.duplicates:
        return []
    files = sum(len(d) for d in survey.report.duplicates)
    out = [
        f"{len(survey.report.duplicates)} set(s) of byte-identical files ({files} files); "
        "the split keeps each set on one side, so a copy never validates itself."
    ]
    by_path = {str(s.path): s for s in survey.samples}
    conflicting = [
        d
        for d in survey.report.duplicates
        if len({class_map.get(by_path[p].source_class) for p in d if p in by_path}) > 1
    ]
    if conflicting:
        out.append(f"{len(conflicting)} duplicate set(s) carry different labels (e.g. {Path(conflicting[0][0]).name}).")
    return out


def _group_warnings(survey: DataSurvey, class_map: dict[str, int], rule_name: str, pattern: str | None) -> list[str]:
    out: list[str] = []
    try:
        rule = group_rule(rule_name, pattern)
    except InputError as exc:
        return [str(exc)]
    labels_of_group: dict[str, set[int]] = defaultdict(set)
    for sample in survey.samples:
        if sample.source_class in class_map:
            labels_of_group[rule(sample.path)].add(class_map[sample.source_class])
    both = [g for g, labels in labels_of_group.items() if len(labels) > 1 and not g.startswith("file:")]
    if both:
        out.append(
            f"{len(both)} patient group(s) have images in both labels (e.g. {sorted(both)[0]}); check the labels."
        )
    if rule_name == "image":
        suggestion = suggest_group_rule(survey.samples)
        if suggestion is not None:
            name, shared, groups = suggestion
            out.append(
                f"Suspected patient overlap: file names look like patient ids ({name} puts {shared} images into "
                f"{groups} multi-image groups). Splitting by image would put one patient on both sides; "
                f"choose that grouping rule."
            )
        else:
            out.append("Split by image: no patient ids are known, so one patient's films may be on both sides.")
    return out


def _is_image_name(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".") and path.suffix.lower() in IMAGE_SUFFIXES
