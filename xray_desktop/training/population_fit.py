"""Fit a model's population gate on its recipe's training films and store it with the model.

`python -m xray_desktop models fit-population MODEL_ID --recipe training/recipes/X.toml` runs `fit_population`:
embed the recipe's training films (penultimate features, through the same compiled pass analysis uses), fit
both gate methods, pick the one that best separates the validation films from proxy outsiders (generated
non-radiographs and films of another body part, never the adult/paediatric films a benchmark measures),
set the threshold so about 5 % of validation films are flagged, write `<model>.population.npz` beside the
model, record its sha256 in the registry entry and the figures in the model card. Running it again
replaces all three (idempotent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from xray_desktop.errors import InputError
from xray_desktop.models import population_gate as pg
from xray_desktop.progress import Progress
from xray_desktop.tasks import TASKS
from xray_desktop.training import negatives

MAX_TRAIN = 5000  # films embedded to fit (a random subset beyond): the gate's statistics settle well before
PROXY_FILMS = 300
PROXY_NEGATIVES = 200
# Proxy outsiders per body part: another part's *training* folder, so no benchmark film is used here.
PROXY_FOLDERS = {"chest": ("knee_oa/train",), "knee": ("pneumonia/train", "cardiomegaly/train")}


def embed(
    loaded: Any, images: Sequence[Any], layer: str | None = None, batch: int = 64, progress: Progress | None = None
) -> np.ndarray:
    """Gate features (n, d) of films (paths or (grey, colour) pairs), preprocessed as analysis does.

    The penultimate features, plus `layer`'s channel statistics when named (`xray_desktop.gate_features`).
    """
    from xray_desktop.imaging.loader import load_radiograph
    from xray_desktop.imaging.preprocess import prepare_input

    spec = loaded.entry.spec
    out: list[np.ndarray] = []
    for start in range(0, len(images), batch):
        inputs = []
        for item in images[start : start + batch]:
            pixels = item[0] if isinstance(item, tuple) else load_radiograph(item).pixels
            inputs.append(prepare_input(pixels, spec))
        _, feats = loaded.features_for_gate(np.stack(inputs), layer)
        if feats is None:
            raise InputError(
                f"model {loaded.entry.id!r}: its head is not a Dense layer"
                + (f" or it has no layer {layer!r}" if layer else "")
                + ", so no features to fit"
            )
        out.append(feats)
        if progress is not None:
            progress.check_cancelled()
            progress.update(min(start + batch, len(images)), len(images), "embedding films")
    return np.concatenate(out) if out else np.zeros((0, 1), np.float32)


def feature_layer(loaded: Any) -> str | None:
    """The layer whose statistics the gate reads besides the embedding: the model's first CAM layer.

    Lower-level statistics keep the build and exposure differences (an adult thorax) that the head's
    features discard (measured on pneumonia: adult-vs-paediatric AUROC 0.960 -> 0.979). None when the
    model names no CAM layer or the layer is not reachable in one pass (the embedding alone is used).
    """
    layers = list(loaded.entry.cam_layers)
    if not layers:
        return None
    probe = np.zeros((1, *loaded.entry.spec.input_shape), np.float32)
    _, feats = loaded.features_for_gate(probe, layers[0])
    return layers[0] if feats is not None else None


def proxy_outsiders(task: str, data_root: Path, seed: int = 3) -> list[Any]:
    """Films the gate must call outside, for choosing the method: another part's films plus generated images."""
    rng = np.random.default_rng(seed)
    films: list[Any] = []
    for folder in PROXY_FOLDERS.get(TASKS[task].body_part, ()):
        paths = sorted(p for p in (data_root / folder).rglob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
        if paths:
            films += [paths[i] for i in rng.choice(len(paths), min(PROXY_FILMS, len(paths)), replace=False)]
    films += [(grey, colour) for _, grey, colour in negatives.generate(PROXY_NEGATIVES, seed)]
    return films


def fit_gate(
    train: np.ndarray, labels: np.ndarray, validation: np.ndarray, proxies: np.ndarray
) -> tuple[pg.PopulationGate, dict[str, Any]]:
    """Fit both methods, calibrate each on validation, keep the one with the higher proxy AUROC."""
    candidates: dict[str, pg.PopulationGate] = {}
    selection: dict[str, Any] = {}
    for method in pg.METHODS:
        arrays = pg.fit_mahalanobis(train, labels) if method == "mahalanobis" else pg.fit_knn(train)
        info = {"k": pg.KNN_K} if method == "knn" else {}
        gate = pg.calibrate(method, arrays, validation, info)
        inside, outside = gate.ratios(validation), gate.ratios(proxies)
        selection[method] = {
            "proxy_auroc": round(pg.auroc(inside, outside), 4),
            "proxy_flagged": round(float((outside > gate.threshold).mean()), 4),
            "threshold": round(gate.threshold, 4),
        }
        candidates[method] = gate
    best = max(
        pg.METHODS, key=lambda m: (selection[m]["proxy_auroc"], selection[m]["proxy_flagged"], m == "mahalanobis")
    )
    return candidates[best], selection


def fit_population(
    registry: Any, model_id: str, recipe_path: str | Path, data_root: str | Path, progress: Progress | None = None
) -> dict[str, Any]:
    """Fit, store and register the population gate of `model_id`; returns the registry's `population_check`."""
    from xray_desktop.atomic import atomic_open
    from xray_desktop.models.checksum import sha256_file
    from xray_desktop.models.manager import ModelManager
    from xray_desktop.training.data_plan import plan_data
    from xray_desktop.training.recipes import load_recipe

    entry = registry.get(model_id)
    recipe = load_recipe(recipe_path)
    if recipe.task != entry.task:
        raise InputError(f"recipe {recipe_path} is for {recipe.task}, model {model_id!r} is for {entry.task}")
    if tuple(recipe.input_size) != tuple(entry.input_size):
        raise InputError(f"recipe {recipe_path} trains at {recipe.input_size}, the model takes {entry.input_size}")
    root = Path(data_root)
    plan = plan_data(recipe, root)
    rng = np.random.default_rng(recipe.seed)
    train = plan.split.train
    if len(train) > MAX_TRAIN:
        train = [train[i] for i in sorted(rng.choice(len(train), MAX_TRAIN, replace=False))]
    loaded = ModelManager(registry).load(entry)
    layer = feature_layer(loaded)
    train_x = embed(loaded, [s.path for s in train], layer, progress=progress)
    val_x = embed(loaded, [s.path for s in plan.split.validation], layer, progress=progress)
    proxy_x = embed(loaded, proxy_outsiders(entry.task, root), layer, progress=progress)
    gate, selection = fit_gate(train_x, np.array([s.label for s in train]), val_x, proxy_x)
    gate.info.update(
        {
            "model_id": entry.id,
            "model_sha256": entry.sha256,
            "fitted_on": f"{recipe.data} training split ({len(train)} films; {plan.split.rule})",
            "threshold_set_on": plan.validation_description,
            "selection": selection,
        }
    )
    name = f"{Path(entry.file).stem}.population.npz"
    target = registry.models_dir / name
    with atomic_open(target, "wb") as handle:
        handle.write(gate.to_bytes())
    validation_ratios = gate.ratios(val_x)
    check = {
        "file": name,
        "sha256": sha256_file(target),
        "method": gate.method,
        "threshold": round(gate.threshold, 4),
        "scale": gate.scale,
        "dimension": gate.dimension,
        "features": "the penultimate layer, i.e. the final Dense layer's input"
        + (f", with the channel means and spreads of {layer}" if layer else ""),
        "feature_layer": layer,
        "fitted_on": gate.info["fitted_on"],
        "threshold_set_on": gate.info["threshold_set_on"],
        "validation_flagged": round(float((validation_ratios > gate.threshold).mean()), 4),
        "selection": selection,
    }
    population = dict(recipe.population) or dict(entry.population)
    updated = replace(entry, population_check=check, population=population)
    type(entry).from_dict(updated.to_dict(), f"model {entry.id!r}")  # validate before touching the registry
    registry.models = [updated if m.id == entry.id else m for m in registry.models]  # keep its place in the file
    registry.save()
    from xray_desktop.training.population_card import write_card_section

    write_card_section(registry, registry.get(model_id), validation_ratios, gate.ratios(proxy_x), check)
    return check
