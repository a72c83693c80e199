"""The models/ folder a reading station ships: the active model of each task, the body-part router, nothing else.

The full install keeps every registered model (the round's comparisons, the models they replaced) so an
administrator can switch back; a reading station only reads films, and the inactive models are a sixth of its
600 MB budget. The staged registry lists the active models only, so every file it names is present and the
self-test's checksum rows stay complete. Used by installer/xray_desktop.spec when PROFILE == "reading".
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path


def stage_active_models(models_dir: Path, target: Path) -> list[str]:
    """Copy the active models' files, the router and any file no model owns into `target`; return the kept ids.

    A model's files are those named after its id (weights, ONNX graphs, gate, card, plots). `target` is
    replaced, and the registry is written last, so a half-staged folder never carries a registry.
    """
    registry = json.loads((models_dir / "registry.json").read_text(encoding="utf-8"))
    active = {model_id for model_id in registry.get("active_models", {}).values() if model_id}
    every = [m["id"] for m in registry.get("models", [])]
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for path in sorted(models_dir.iterdir()):
        if not path.is_file() or path.name == "registry.json":
            continue
        owner = max((i for i in every if path.name.startswith(i)), key=len, default=None)
        if owner is None or owner in active:
            shutil.copy2(path, target / path.name)
    registry["models"] = [m for m in registry.get("models", []) if m["id"] in active]
    staged = target / "registry.json.part"
    staged.write_text(json.dumps(registry, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(staged, target / "registry.json")
    return sorted(active)
