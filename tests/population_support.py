"""Helpers for the population and router tests: the shipped models, real films, generated non-radiographs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from xray_desktop.paths import install_root, models_dir, samples_dir
from xray_desktop.radiograph import Radiograph

DATA = install_root().parent / "shared" / "data"
PAEDIATRIC = sorted((samples_dir() / "chest").glob("*.jpeg"))
ADULT = sorted((samples_dir() / "unlabeled_chest").glob("*.png"))  # NIH adults, 1024 px
KNEES = sorted((samples_dir() / "knee").glob("*.png"))
CR_CHEST = samples_dir() / "dicom" / "CR-MONO1-10-chest"

needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="the shared data is not next to the repository")


def shipped_registry():
    """The repository's registry (in memory), each task's active model swapped for one with a population check
    when the active one has none; skips when no pneumonia model has one or there is no router."""
    from xray_desktop.models.registry import Registry

    registry = Registry.load(models_dir() / "registry.json")
    for task in ("pneumonia", "cardiomegaly", "osteoarthritis"):
        active = registry.active_entry(task)
        if active is None or not active.population_check:
            fitted = [m for m in registry.entries_for(task) if m.population_check]
            if fitted:
                registry.activate(task, fitted[0].id)
    entry = registry.active_entry("pneumonia")
    if entry is None or not entry.population_check or not registry.router:
        pytest.skip("the shipped models have no population check or router")
    return registry


def shipped_models_folder(folder: Path) -> Path:
    """A models folder of links to the shipped files whose registry activates `shipped_registry()`'s choice."""
    registry = shipped_registry()
    folder.mkdir(parents=True, exist_ok=True)
    for item in registry.models_dir.iterdir():
        if item.name != "registry.json":
            (folder / item.name).symlink_to(item)
    registry.path = folder / "registry.json"
    registry.save()
    return folder


def generated(kind: str, seed: int = 5) -> Radiograph:
    from xray_desktop.training.negatives import KINDS

    grey, colour = KINDS[kind](np.random.default_rng(seed))
    return Radiograph(
        grey, Path(f"{kind}.png"), "PNG", 8, "RGB" if colour is not None else "L", "0" * 64, colour=colour
    )


def dicom_copy(tmp_path: Path, name: str = "cr.dcm", **tags: str) -> Path:
    """The real CR chest DICOM with some header fields changed (age, body part, view, modality)."""
    import pydicom

    ds = pydicom.dcmread(CR_CHEST, force=True)
    for keyword, value in tags.items():
        setattr(ds, keyword, value)
    target = tmp_path / name
    ds.save_as(target)
    return target
