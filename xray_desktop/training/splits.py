"""Reproducible train/validation/test splits that never put one patient in two parts.

Groups come from the recipe's group rule; byte-identical files are merged into
one group first (a duplicate in both halves is a leak even without patient ids).
The split is a pure function of (samples, fraction, seed), and its fingerprint
(sha256 over the sorted validation file list) is recorded in every model card so
`evaluate` can prove it rebuilt the same validation set.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from xray_desktop.errors import InputError
from xray_desktop.training.datasets import Sample


@dataclass(frozen=True)
class Split:
    """Train fits the weights; validation picks checkpoint, threshold and calibration; test is touched once."""

    train: list[Sample]
    validation: list[Sample]
    rule: str  # how it was made, for the card, e.g. "by patient (pneumonia_patient), 20 %, seed 1234"
    test: list[Sample] = field(default_factory=list)  # the internal test split (empty for old two-way recipes)

    @property
    def fingerprint(self) -> str:
        return samples_fingerprint(self.validation)

    @property
    def test_fingerprint(self) -> str | None:
        return samples_fingerprint(self.test) if self.test else None

    def part(self, name: str) -> list[Sample]:
        """`train`, `validation` or `test` by name (the CLI's `--split`)."""
        if name not in ("train", "validation", "test"):
            raise InputError(f"split must be train, validation or test, got {name!r}")
        if name == "test" and not self.test:
            raise InputError("this recipe has no internal test split (test_fraction = 0 and no test_data)")
        return list(getattr(self, name))


def samples_fingerprint(samples: list[Sample]) -> str:
    """Order-independent id of a file list: the same files with the same labels and bytes give the same id."""
    digest = hashlib.sha256()
    for key in sorted(f"{s.source_class}/{s.path.name}:{s.label}:{s.sha256}" for s in samples):
        digest.update(key.encode("utf-8") + b"\n")
    return digest.hexdigest()[:16]


def merged_groups(samples: list[Sample]) -> list[str]:
    """Group id per sample after joining groups that share a byte-identical file (union-find)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_group_of_hash: dict[str, str] = {}
    for s in samples:
        find(s.group)
        other = first_group_of_hash.setdefault(s.sha256, s.group)
        ra, rb = find(s.group), find(other)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [find(s.group) for s in samples]


def split_by_group(samples: list[Sample], validation_fraction: float, seed: int, rule_name: str = "group") -> Split:
    """Hold out whole groups until each label has about `validation_fraction` of its images in validation."""
    if not 0.0 < validation_fraction < 1.0:
        raise InputError(f"validation fraction must be between 0 and 1, got {validation_fraction}")
    roots = merged_groups(samples)
    members: dict[str, list[int]] = defaultdict(list)
    for index, root in enumerate(roots):
        members[root].append(index)
    names = sorted(members)
    order = np.random.default_rng(seed).permutation(len(names))
    label_totals = np.bincount([s.label for s in samples], minlength=2)
    taken = np.zeros(2, dtype=int)
    validation_groups: set[str] = set()
    for position in order:
        name = names[position]
        labels = [samples[i].label for i in members[name]]
        majority = round(float(np.mean(labels)))
        if taken[majority] < validation_fraction * label_totals[majority]:
            validation_groups.add(name)
            for lab in labels:
                taken[lab] += 1
    train = [s for s, r in zip(samples, roots, strict=True) if r not in validation_groups]
    validation = [s for s, r in zip(samples, roots, strict=True) if r in validation_groups]
    if not train or not validation or len({s.label for s in validation}) < 2:
        raise InputError(
            f"cannot split {len(samples)} images in {len(names)} groups into train and a two-class validation set"
        )
    rule = f"by {rule_name} groups (duplicates merged), {validation_fraction:.0%} held out, seed {seed}"
    return Split(train, validation, rule)


def split_three_way(
    samples: list[Sample], validation_fraction: float, test_fraction: float, seed: int, rule_name: str = "group"
) -> Split:
    """Test groups are held out first (seed + 1), then validation from the rest: no group in two parts."""
    if test_fraction <= 0:
        return split_by_group(samples, validation_fraction, seed, rule_name)
    outer = split_by_group(samples, test_fraction, seed + 1, rule_name)
    inner = split_by_group(outer.train, validation_fraction / (1.0 - test_fraction), seed, rule_name)
    rule = (
        f"by {rule_name} groups (duplicates merged): {1 - validation_fraction - test_fraction:.0%} train, "
        f"{validation_fraction:.0%} validation, {test_fraction:.0%} internal test, seed {seed}"
    )
    return Split(inner.train, inner.validation, rule, outer.validation)
