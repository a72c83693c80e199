"""Would an ensemble's map be better on a finer grid? Grad-CAM over the members' feature maps joined at each grid.

An ensemble's CAM layer (`ensemble_features`) joins each member's LAST feature map, which is 8x8 at 128 px. A
finer map would join the members' earlier layers (16x16 at 128 px). Grad-CAM over a channel-wise join of
layers is the sum of each layer's weighted activations before the ReLU, so it can be measured without building
the joined layer into the graph. Each candidate grid is scored on validation films (never the internal test) by
the faithfulness score (0.5 + (insertion AUC - deletion AUC) / 2, the one users see) and by the share of its
mass on the border bands and detected markers. The condition's map is used on every film.
Usage: python training/probe_ensemble_cam_grid.py MODEL_ID RECIPE --joins NAME=PATH,PATH,... [...] [--films N]
[--out FILE.json]. A PATH is "member0/block2_relu2"; the ensemble's own layer is "ensemble_features".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from xray_desktop.explain import audit, faithfulness
from xray_desktop.explain.cam_math import resize_maps
from xray_desktop.explain.graph import expose
from xray_desktop.explain.layer_choice import predictor
from xray_desktop.models.registry import Registry
from xray_desktop.services.explain_eval import bootstrap_ci, load_films, restore_map
from xray_desktop.training.data_plan import default_data_root, plan_data
from xray_desktop.training.recipes import load_recipe
from xray_desktop.training.reports import emit_report


def joined_gradcam(activations: list[np.ndarray], gradients: list[np.ndarray]) -> np.ndarray:
    """Grad-CAM of the channel-wise join of same-grid layers, (h, w) scaled to [0, 1]."""
    summed = sum((a * g.mean(axis=(0, 1))).sum(axis=-1) for a, g in zip(activations, gradients, strict=True))
    heat = np.maximum(np.asarray(summed, np.float32), 0.0)
    return heat / heat.max() if heat.max() > 0 else np.ones_like(heat)


def main() -> int:
    import keras
    import tensorflow as tf

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_id")
    parser.add_argument("recipe")
    parser.add_argument("--joins", nargs="+", required=True, help="NAME=PATH,PATH,... (same-grid layers)")
    parser.add_argument("--films", type=int, default=48)
    parser.add_argument("--data-root", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    joins = {name: [tuple(p.split("/")) for p in spec.split(",")] for name, spec in (j.split("=") for j in args.joins)}
    registry = Registry.load()
    entry = registry.get(args.model_id)
    model = keras.models.load_model(registry.models_dir / entry.file, compile=False)
    plan = plan_data(load_recipe(args.recipe), args.data_root or default_data_root())
    validation = [s.path for s in plan.split.validation]
    picked = np.random.default_rng(1).choice(len(validation), min(args.films, len(validation)), replace=False)
    films, skipped = load_films([validation[i] for i in sorted(picked)], entry)
    paths = [p for layer_paths in joins.values() for p in layer_paths]
    graph = expose(model, paths)
    predict = predictor(model)
    side = tuple(int(d) for d in model.inputs[0].shape[1:3])
    scores: dict[str, list[float]] = {name: [] for name in joins}
    border: dict[str, list[float]] = {name: [] for name in joins}
    for index, film in enumerate(films):
        with tf.GradientTape() as tape:
            outputs = graph.model(film.image[None], training=False)
            acts = outputs[: len(paths)]
            tape.watch(acts)
            logit = tf.matmul(outputs[-2], graph.dense.kernel)[:, 0] + graph.dense.bias[0]
        grads = tape.gradient(logit, acts)
        by_path = {p: (a.numpy()[0], g.numpy()[0]) for p, a, g in zip(paths, acts, grads, strict=True)}
        for name, layer_paths in joins.items():
            heat = joined_gradcam([by_path[p][0] for p in layer_paths], [by_path[p][1] for p in layer_paths])
            heat = resize_maps(heat[None], side)[0]
            scores[name].append(
                faithfulness.curves(predict, film.image, faithfulness.block_order(heat, seed=index)).score
            )
            shares = audit.mass_shares(restore_map(heat, entry.spec, film.pixels.shape), film.pixels)
            border[name].append(shares.either if shares else float("nan"))
    report = {
        "model_id": entry.id,
        "films": f"{len(films)} validation films of {args.recipe} (seed 1), the condition's map",
        "skipped": [{"path": p, "reason": r} for p, r in skipped],
        "grids": {
            name: {
                "layers": ["/".join(p) for p in layer_paths],
                "grid": list(by_path[layer_paths[0]][0].shape[:2]),
                "faithfulness": round(float(np.mean(scores[name])), 4),
                "faithfulness_ci95": [round(v, 4) for v in bootstrap_ci(scores[name])],
                "border_or_marker_mass": round(float(np.nanmean(border[name])), 4),
            }
            for name, layer_paths in joins.items()
        },
    }
    emit_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
