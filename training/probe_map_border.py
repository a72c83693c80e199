"""Where does a model's Grad-CAM border mass come from? Split by the model's own answer, on a seeded sample of
its recipe's internal test split (ONNX Runtime), and for the films it calls normal compare the condition's map
with the map of the decided class (the gradient of -logit): border mass and deletion AUC of P(normal).
Usage: python training/probe_map_border.py MODEL_ID RECIPE [--films N] [--data-root DIR] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from xray_desktop import paths
from xray_desktop.explain import audit, cam_math, faithfulness
from xray_desktop.imaging.loader import load_radiograph
from xray_desktop.imaging.preprocess import prepare_input, restore_map
from xray_desktop.models.calibration import calibrate
from xray_desktop.models.onnx_runtime import open_onnx
from xray_desktop.models.registry import Registry
from xray_desktop.training.data_plan import default_data_root, plan_data
from xray_desktop.training.recipes import load_recipe
from xray_desktop.training.reports import emit_report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_id")
    parser.add_argument("recipe")
    parser.add_argument("--films", type=int, default=100)
    parser.add_argument("--data-root", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    registry = Registry.load(paths.registry_path())
    entry = registry.get(args.model_id)
    model = open_onnx(registry.models_dir, entry)
    plan = plan_data(load_recipe(args.recipe), args.data_root or default_data_root())
    films = plan.split.test or plan.split.validation
    rng = np.random.default_rng(0)
    films = [films[i] for i in sorted(rng.choice(len(films), min(args.films, len(films)), replace=False))]
    layers = list(model.layers)

    def normal_probability(batch: np.ndarray) -> np.ndarray:
        return 1.0 - model.score_probabilities(batch)

    rows = []
    for index, sample in enumerate(films):
        pixels = load_radiograph(sample.path).pixels
        image = prepare_input(pixels, entry.spec)[None].astype(np.float32)
        inputs = model.cam_inputs(image)
        markers = audit.marker_mask(pixels)
        calibrated = float(calibrate(np.array([inputs.probability]), entry.effective_calibration)[0])
        row: dict = {"positive": calibrated >= entry.threshold, "label": int(sample.label)}  # the model's own answer
        for sign, name in ((1.0, "condition"), (-1.0, "decided_normal")):
            if name == "decided_normal" and row["positive"]:
                continue
            for number, (acts, grads) in enumerate(inputs.layers):
                heat = cam_math.gradcam(acts, sign * grads)
                shares = audit.mass_shares(restore_map(heat[0], entry.spec, pixels.shape), pixels, markers)
                row[f"{name}_border_{number}"] = shares.either if shares else float("nan")
                if not row["positive"]:
                    order = faithfulness.block_order(heat[0], seed=index)
                    row[f"{name}_deletion_normal_{number}"] = faithfulness.curves(
                        normal_probability, image[0], order
                    ).deletion_auc
        if not row["positive"]:
            order = faithfulness.random_order(seed=1000 * index)
            row["random_deletion_normal"] = faithfulness.curves(normal_probability, image[0], order).deletion_auc
        rows.append(row)

    def mean(key: str, positive: bool) -> float | None:
        values = [r[key] for r in rows if r["positive"] == positive and key in r and np.isfinite(r[key])]
        return round(float(np.mean(values)), 4) if values else None

    report = {
        "model_id": entry.id,
        "films": len(rows),
        "threshold": entry.threshold,
        "layers": layers,
        "called_positive": sum(r["positive"] for r in rows),
        "called_normal": sum(not r["positive"] for r in rows),
        "border_mass_condition_map": {
            layer: {
                "called_positive": mean(f"condition_border_{i}", True),
                "called_normal": mean(f"condition_border_{i}", False),
            }
            for i, layer in enumerate(layers)
        },
        "called_normal_films": {
            layer: {
                "condition_map": {
                    "border": mean(f"condition_border_{i}", False),
                    "deletion_auc_p_normal": mean(f"condition_deletion_normal_{i}", False),
                },
                "decided_class_map": {
                    "border": mean(f"decided_normal_border_{i}", False),
                    "deletion_auc_p_normal": mean(f"decided_normal_deletion_normal_{i}", False),
                },
            }
            for i, layer in enumerate(layers)
        },
        "random_map_deletion_auc_p_normal": mean("random_deletion_normal", False),
    }
    emit_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
