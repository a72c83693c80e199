"""Would averaging a knee model's logit over the film and its mirror image (test-time flip) help? Measured on the
recipe's validation split only, with ONNX Runtime. Knees were trained with horizontal flips (left and right knees
are mirror images); chest models were not (the heart is on the left), so this is for knee models.
Usage: python training/probe_flip_tta.py RECIPE ID [ID ...] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from xray_desktop.imaging.loader import load_radiograph
from xray_desktop.imaging.preprocess import prepare_input
from xray_desktop.models.onnx_runtime import open_onnx
from xray_desktop.models.registry import Registry
from xray_desktop.training.data_plan import default_data_root, plan_data
from xray_desktop.training.recipes import load_recipe
from xray_desktop.training.reports import emit_report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipe")
    parser.add_argument("ids", nargs="+")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    registry = Registry.load()
    films = plan_data(load_recipe(args.recipe), default_data_root()).split.validation
    labels = np.array([s.label for s in films])
    pixels = [load_radiograph(s.path).pixels for s in films]
    report: dict = {"recipe": args.recipe, "split": "validation", "n": len(films), "positives": int(labels.sum())}
    for model_id in args.ids:
        entry = registry.get(model_id)
        model = open_onnx(registry.models_dir, entry)
        batch = np.stack([prepare_input(p, entry.spec) for p in pixels]).astype(np.float32)

        def logits(x: np.ndarray, model=model) -> np.ndarray:
            return np.concatenate([model.forward(x[i : i + 64])["logit"] for i in range(0, len(x), 64)])

        plain, mirrored = logits(batch), logits(np.ascontiguousarray(batch[:, :, ::-1, :]))
        report[model_id] = {
            "auc_plain": round(float(roc_auc_score(labels, plain)), 4),
            "auc_mirrored": round(float(roc_auc_score(labels, mirrored)), 4),
            "auc_mean_of_both": round(float(roc_auc_score(labels, (plain + mirrored) / 2)), 4),
        }
    emit_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
