"""Discover labelled images on disk and describe them honestly before any training.

Two layouts: folder-per-class (`root/<class>/<image>`) and a CSV listing
`path,label` (paths relative to the CSV). The report counts classes, the class
imbalance, unreadable files and byte-identical duplicates (sha256), because
each of those changes what a validation figure means.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from xray_desktop.errors import InputError
from xray_desktop.training.grouping import GroupRule, by_image

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".dcm", ".dicom"})


@dataclass(frozen=True)
class Sample:
    """One labelled image. `group` is the patient/subject; `source_class` keeps e.g. the KL grade."""

    path: Path
    label: int
    source_class: str
    group: str
    sha256: str


@dataclass
class DatasetReport:
    """What was found: per-class counts, imbalance, unreadable files and duplicate sets."""

    root: str
    counts: dict[str, int]  # per source class
    label_counts: dict[int, int]
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    duplicates: list[list[str]] = field(default_factory=list)  # sets of byte-identical files
    skipped_classes: list[str] = field(default_factory=list)  # folders not in the class map
    n_groups: int = 0

    @property
    def total(self) -> int:
        return sum(self.label_counts.values())

    @property
    def imbalance(self) -> float:
        """Majority / minority label count (1.0 = balanced)."""
        values = [v for v in self.label_counts.values() if v]
        return max(values) / min(values) if len(values) == 2 else float("inf")

    def lines(self) -> list[str]:
        """Human-readable summary for the CLI and the model card."""
        out = [
            f"{self.root}: {self.total} images, {self.n_groups} groups",
            "classes: " + ", ".join(f"{k}={v}" for k, v in self.counts.items()),
            f"labels: 0={self.label_counts.get(0, 0)}, 1={self.label_counts.get(1, 0)} (imbalance {self.imbalance:.2f}:1)",
            f"byte-identical duplicate sets: {len(self.duplicates)}",
            f"unreadable files: {len(self.unreadable)}",
        ]
        if self.skipped_classes:
            out.append("folders not in the class map (ignored): " + ", ".join(self.skipped_classes))
        return out


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def discover_folder_dataset(
    root: str | Path, class_map: dict[str, int], group_rule: GroupRule = by_image
) -> tuple[list[Sample], DatasetReport]:
    """Read `root/<class>/<image>` for the classes in `class_map`; raises InputError if none are there."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: dataset folder not found")
    entries: list[tuple[Path, str]] = []
    skipped: list[str] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name not in class_map:
            skipped.append(folder.name)
            continue
        entries.extend((p, folder.name) for p in sorted(folder.iterdir()) if _is_image(p))
    if not entries:
        raise InputError(f"{root}: no images in any class folder ({', '.join(class_map)})")
    return _build(root, entries, class_map, group_rule, skipped)


def discover_csv_dataset(
    csv_path: str | Path, class_map: dict[str, int], group_rule: GroupRule = by_image
) -> tuple[list[Sample], DatasetReport]:
    """Read a CSV with `path,label` columns (paths relative to the CSV file)."""
    csv_path = Path(csv_path)
    try:
        with csv_path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{csv_path}: cannot read CSV ({exc})") from None
    if not rows or not {"path", "label"} <= set(rows[0]):
        raise InputError(f"{csv_path}: CSV needs a header with 'path' and 'label' columns")
    entries = [(csv_path.parent / row["path"], str(row["label"]).strip()) for row in rows]
    skipped = sorted({label for _, label in entries if label not in class_map})
    entries = [(p, label) for p, label in entries if label in class_map]
    if not entries:
        raise InputError(f"{csv_path}: no rows with a label in the class map ({', '.join(class_map)})")
    return _build(csv_path, entries, class_map, group_rule, skipped)


def discover(
    location: str | Path, class_map: dict[str, int], group_rule: GroupRule = by_image
) -> tuple[list[Sample], DatasetReport]:
    """A CSV file or a folder-per-class directory."""
    location = Path(location)
    if location.suffix.lower() == ".csv":
        return discover_csv_dataset(location, class_map, group_rule)
    return discover_folder_dataset(location, class_map, group_rule)


def _is_image(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".") and path.suffix.lower() in IMAGE_SUFFIXES


def _build(
    root: Path,
    entries: list[tuple[Path, str]],
    class_map: dict[str, int],
    group_rule: GroupRule,
    skipped: list[str],
) -> tuple[list[Sample], DatasetReport]:
    samples: list[Sample] = []
    unreadable: list[tuple[str, str]] = []
    by_hash: dict[str, list[str]] = defaultdict(list)
    for path, cls in entries:
        try:
            digest = file_sha256(path)
        except OSError as exc:
            unreadable.append((str(path), exc.strerror or str(exc)))
            continue
        if path.stat().st_size == 0:
            unreadable.append((str(path), "empty file"))
            continue
        by_hash[digest].append(str(path))
        samples.append(Sample(path, class_map[cls], cls, group_rule(path), digest))
    counts = Counter(s.source_class for s in samples)
    label_counts = Counter(s.label for s in samples)
    report = DatasetReport(
        root=str(root),
        counts={k: counts[k] for k in sorted(counts)},
        label_counts={0: label_counts[0], 1: label_counts[1]},
        unreadable=unreadable,
        duplicates=[paths for paths in by_hash.values() if len(paths) > 1],
        skipped_classes=skipped,
        n_groups=len({s.group for s in samples}),
    )
    return samples, report
