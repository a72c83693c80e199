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
from xray_desktop.atomic import atomic_write_text
from xray_desktop.models.calibration import calibrate
from xray_desktop.models.manager import ModelManager
from xray_desktop.models.registry import Registry
from xray_desktop.training.arrays import load_images
from xray_desktop.training.card import render_markdown
from xray_desktop.training.data_plan import default_data_root, plan_data
from xray_desktop.training.evaluation import metrics_at
from xray_desktop.training.operating_points import OperatingPoint, choose_operating_points
from xray_desktop.training.pipeline import predict_planes
from xray_desktop.training.recipes import load_recipe


def _splice_points(card_md: Path, rendered: str) -> None:
    """Replace only the operating-points section: sections other tools wrote (maps, population) stay."""
    text = card_md.read_text(encoding="utf-8")
    head = "## Operating points"
    fresh = rendered[rendered.index(head) :]
    section = fresh[: fresh.index("\n## ", len(head))]
    if head in text:
        i = text.index(head)
        j = text.index("\n## ", i + len(head))
        text = text[:i] + section + text[j:]
    else:
        i = text.index("\n## Plots")
        text = text[:i] + "\n" + section + text[i:]
    atomic_write_text(card_md, text)


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
    p_cal = calibrate(p_raw, entry.effective_calibration)
    points = choose_operating_points(images.labels, p_cal)
    # "balanced" stays the threshold the card's figures were measured at, so nothing the model already
    # reported changes; screening and confirm are the new points on either side of it.
    kept = metrics_at(images.labels, p_cal, entry.threshold)
    figures = {"sensitivity": round(kept.sensitivity, 4), "specificity": round(kept.specificity, 4)}
    recorded = OperatingPoint(
        "balanced", entry.threshold, "Youden's J on validation (the v1 card's threshold)", figures
    )
    points = [
        replace(op, threshold=min(op.threshold, entry.threshold)) if op.name == "screening" else op for op in points
    ]
    points = [recorded if op.name == "balanced" else op for op in points]
    points = [
        replace(op, threshold=max(op.threshold, entry.threshold)) if op.name == "confirm" else op for op in points
    ]
    updated = replace(entry, operating_points=[op.to_dict() for op in points])
    registry.add(updated)
    registry.save()
    card_json = registry.models_dir / f"{entry.id}.json"
    card = json.loads(card_json.read_text(encoding="utf-8"))
    card["operating_points"] = updated.operating_points
    atomic_write_text(card_json, json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    _splice_points(registry.models_dir / f"{entry.id}.md", render_markdown(card))
    for op in points:
        print(f"{op.name}: threshold {op.threshold:.4f}, validation {op.validation}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
