"""Give a registered two-way (v1) model its named operating points, chosen on its own validation split.

The v1 models have no internal test split; their validation split already chose their checkpoint,
temperature and threshold, so choosing the operating points there adds no new optimism, and the card
says the figures are validation-only. Updates the registry entry and re-renders the card.
Usage: python training/add_operating_points.py MODEL_ID [--data-root DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from xray_desktop import paths
from xray_desktop.models.calibration import calibrate
from xray_desktop.models.manager import ModelManager
from xray_desktop.models.registry import Registry
from xray_desktop.training.arrays import load_images
from xray_desktop.training.card import write_card
from xray_desktop.training.data_plan import default_data_root, plan_data
from xray_desktop.training.operating_points import choose_operating_points
from xray_desktop.training.pipeline import predict_planes
from xray_desktop.training.recipes import load_recipe


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_id")
    parser.add_argument("--data-root", type=Path, default=None)
    args = parser.parse_args()
    registry = Registry.load()
    entry = registry.get(args.model_id)
    recipe = load_recipe(paths.install_root() / entry.provenance["recipe"])
    plan = plan_data(recipe, args.data_root or default_data_root())
    if plan.split.fingerprint != entry.validation.get("data_fingerprint"):
        raise SystemExit(f"{args.model_id}: the recipe no longer rebuilds the card's validation split")
    images = load_images(plan.split.validation, entry.spec, Path("training/runs/cache"))
    p_raw = predict_planes(ModelManager(registry).load(entry).model, images.planes, entry.spec)
    points = choose_operating_points(images.labels, calibrate(p_raw, entry.effective_calibration))
    updated = replace(entry, operating_points=[op.to_dict() for op in points])
    registry.add(updated)
    registry.save()
    card_json = registry.models_dir / f"{entry.id}.json"
    card = json.loads(card_json.read_text(encoding="utf-8"))
    card["operating_points"] = updated.operating_points
    write_card(registry.models_dir / entry.id, card)
    for op in points:
        print(f"{op.name}: threshold {op.threshold:.4f}, validation {op.validation}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
