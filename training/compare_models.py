"""Is the new model better than the one it replaces? Both on the same films, none of which either model trained on.

The old models were trained on a two-way split, so most of the new internal test split was in their
training data and their figures there are inflated. This script takes the new recipe's internal test
films, removes every film (and every patient) the old model's recipe trained on, and evaluates both
registered models on what is left, with paired bootstrap CIs of the AUC difference.
Usage: python training/compare_models.py TASK OLD_ID NEW_ID NEW_RECIPE [--data-root DIR] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from xray_desktop import paths
from xray_desktop.atomic import atomic_write_text
from xray_desktop.models.manager import ModelManager
from xray_desktop.models.registry import Registry
from xray_desktop.training.arrays import load_images
from xray_desktop.training.data_plan import default_data_root, plan_data
from xray_desktop.training.evaluation import evaluate_with
from xray_desktop.training.pipeline import predict_planes
from xray_desktop.training.recipes import load_recipe


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task")
    parser.add_argument("old_id")
    parser.add_argument("new_id")
    parser.add_argument("new_recipe", type=Path)
    parser.add_argument("--data-root", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    root = args.data_root or default_data_root()
    registry = Registry.load()
    old, new = registry.get(args.old_id), registry.get(args.new_id)
    old_plan = plan_data(load_recipe(paths.install_root() / old.provenance["recipe"]), root)
    seen = {s.sha256 for s in old_plan.split.train}
    seen_groups = {s.group for s in old_plan.split.train if not s.group.startswith("file:")}
    test = [s for s in plan_data(load_recipe(args.new_recipe), root).split.test]
    unseen = [s for s in test if s.sha256 not in seen and s.group not in seen_groups]
    manager = ModelManager(registry)
    cache = Path("training/runs/cache")
    rows = {}
    scores = {}
    for entry in (old, new):
        images = load_images(unseen, entry.spec, cache)
        p_raw = predict_planes(manager.load(entry).model, images.planes, entry.spec)
        _, threshold = registry.operating_point(entry) if entry.operating_points else (None, entry.threshold)
        ev = evaluate_with(images.labels, p_raw, entry.effective_calibration, threshold)
        scores[entry.id] = (images.labels, p_raw)
        rows[entry.id] = {
            "auc": round(ev.auc, 4),
            "auc_ci95": [round(v, 4) for v in ev.auc_ci95],
            "sensitivity": round(ev.at_threshold.sensitivity, 4),
            "specificity": round(ev.at_threshold.specificity, 4),
            "threshold": round(threshold, 4),
            "ece_as_shipped": round(ev.ece_after, 4),
        }
    y, p_old = scores[old.id]
    _, p_new = scores[new.id]
    rng = np.random.default_rng(0)
    diffs = []
    for _ in range(1000):
        idx = rng.integers(0, len(y), len(y))
        if y[idx].min() != y[idx].max():
            diffs.append(roc_auc_score(y[idx], p_new[idx]) - roc_auc_score(y[idx], p_old[idx]))
    out = {
        "task": args.task,
        "films": len(unseen),
        "positives": int(np.sum(y)),
        "of_internal_test": len(test),
        "note": "internal-test films (and patients) that the old model's recipe did not train on",
        "models": rows,
        "auc_difference_new_minus_old": round(float(np.mean(diffs)), 4),
        "auc_difference_ci95": [round(float(np.percentile(diffs, q)), 4) for q in (2.5, 97.5)],
    }
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        atomic_write_text(args.out, text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
