"""Upgrading a shared models folder: register the models a new release ships that the folder lacks.

The installer seeds a shared models folder (`MODELS_DIR`) once; later upgrades used to leave it as it
was, so a model shipped with a new version never became available. `register_shipped` adds every
shipped entry whose id the folder does not have (file and card copied, checksum verified), makes it
active only for a task the folder had no model for at all, and never touches an administrator's choices
(a task with models but none active was chosen so).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from xray_desktop.models.checksum import sha256_file
from xray_desktop.models.registry import Registry


@dataclass
class ShippedResult:
    added: list[str] = field(default_factory=list)
    activated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "id: reason"


def register_shipped(shipped_registry: Path, models_dir: Path) -> ShippedResult:
    """Add the shipped models missing from `models_dir/registry.json`; returns what was done."""
    shipped = Registry.load(shipped_registry)
    target_path = Path(models_dir) / "registry.json"
    target = Registry.load(target_path) if target_path.exists() else Registry.empty(target_path)
    result = ShippedResult()
    tasks_with_models = {m.task for m in target.models}  # there, "no active model" was an administrator's choice
    for entry in shipped.models:
        if target.find(entry.id) is not None:
            continue
        source = shipped.model_path(entry)
        if not source.is_file() or sha256_file(source) != entry.sha256:
            result.skipped.append(f"{entry.id}: the shipped file {source.name} is missing or damaged")
            continue
        destination = target.model_path(entry)
        if destination.exists() and sha256_file(destination) != entry.sha256:
            result.skipped.append(f"{entry.id}: {destination.name} already exists with other content")
            continue
        if not destination.exists():
            shutil.copy2(source, destination)
        card = shipped.card_path(entry)
        if card is not None and card.is_file() and not (target.models_dir / card.name).exists():
            shutil.copy2(card, target.models_dir / card.name)
        target.add(entry)
        result.added.append(entry.id)
        if (
            entry.task not in tasks_with_models
            and target.active_models.get(entry.task) is None
            and shipped.active_models.get(entry.task) == entry.id
        ):
            target.activate(entry.task, entry.id)
            result.activated.append(entry.id)
    if result.added:
        target.save()
    return result
