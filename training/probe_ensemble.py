"""Would averaging registered models' logits beat each one? Measured on the recipe's validation split (to choose)
and its internal test split (for the record), with ONNX Runtime. An ensemble entry type does not exist yet: this
probe says whether one is worth building.
Usage: python training/probe_ensemble.py RECIPE ID [ID ...] [--data-root DIR] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from xray_desktop import paths
from xray_desktop.imaging.loader import load_radiograph
from xray_desktop.imaging.preprocess import prepare_input
from xray_desktop.models.onnx_runtime import open_onnx
from xray_desktop.models.registry import Registry
from xray_desktop.training.data_plan import default_data_root, plan_data
from xray_desktop.training.recipes import load_recipe
from xray_desktop.training.reports import emit_report


def logits(registry: Registry, ids: list[str], films: list) -> dict[str, np.ndarray]:
    """Each model's logit for each film, the film prepared for that model's input size."""
    pixels = [load_radiograph(s.path).pixels for s in films]
    out = {}
    for model_id in ids:
        entry = registry.get(model_id)
        model = open_onnx(registry.models_dir, entry)
        batch = np.stack([prepare_input(p, entry.spec) for p in pixels]).astype(np.float32)
        out[model_id] = np.concatenate([model.forward(batch[i : i + 64])["logit"] for i in range(0, len(batch), 64)])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipe")
    parser.add_argument("ids", nargs="+")
    parser.add_argument("--data-root", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    registry = Registry.load(paths.registry_path())
    plan = plan_data(load_recipe(args.recipe), args.data_root or default_data_root())
    report: dict = {"recipe": args.recipe, "models": args.ids, "splits": {}}
    for name, films in (("validation", plan.split.validation), ("test", plan.split.test)):
        labels = np.array([s.label for s in films])
        values = logits(registry, args.ids, films)
        rows = {}
        for size in range(1, len(args.ids) + 1):
            for combo in itertools.combinations(args.ids, size):
                mean = np.mean([values[m] for m in combo], axis=0)
                rows[" + ".join(combo)] = round(float(roc_auc_score(labels, mean)), 4)
        report["splits"][name] = {"n": len(films), "positives": int(labels.sum()), "auc": rows}
    emit_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
