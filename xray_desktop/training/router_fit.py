"""Fit the body-part router on the films in the data root plus generated negatives, and register it.

Films: chest = paediatric (pneumonia/train) and adult NIH (cardiomegaly/train), knee = knee_oa/train;
held out (never fitted on): the pneumonia and cardiomegaly recipes' validation films (patient-grouped
for pneumonia), knee_oa/val (subjects disjoint), the shared samples and DICOM chest, and negatives drawn
with another seed. There are no limb films here, so the router never answers "limb" (its card says so).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from xray_desktop.models.router import ADULT, CHILD, NOT_RADIOGRAPH, AgeGroupHead, BodyPartRouter, router_features
from xray_desktop.progress import Progress
from xray_desktop.training import negatives

CLASSES = ("chest", "knee", NOT_RADIOGRAPH)
ROUTER_FILE = "router-bodypart-v2.npz"  # v2: the chest age-group head
PER_SOURCE = 1200  # training films per source folder: enough for a linear model, minutes on 2 cores


@dataclass
class FilmSet:
    features: np.ndarray
    labels: np.ndarray
    names: list[str]


def film_paths(data_root: Path, seed: int = 7) -> dict[str, dict[str, list[Path]]]:
    """{"train"|"heldout": {class: [paths]}} from the shared data (negatives are generated separately)."""
    from xray_desktop.paths import install_root
    from xray_desktop.training.data_plan import plan_data
    from xray_desktop.training.recipes import load_recipe

    rng = np.random.default_rng(seed)
    recipes = install_root() / "training" / "recipes"
    out: dict[str, dict[str, list[Path]]] = {"train": {c: [] for c in CLASSES}, "heldout": {c: [] for c in CLASSES}}
    for name in ("pneumonia_small_cnn_128.toml", "cardiomegaly_small_cnn_128.toml"):
        plan = plan_data(load_recipe(recipes / name), data_root)
        out["train"]["chest"] += _pick([s.path for s in plan.split.train], PER_SOURCE, rng)
        out["heldout"]["chest"] += _pick([s.path for s in plan.split.validation], 300, rng)
    knee_train = sorted((data_root / "knee_oa" / "train").rglob("*.jpg")) + sorted(
        (data_root / "knee_oa" / "train").rglob("*.png")
    )
    out["train"]["knee"] += _pick(knee_train, 2 * PER_SOURCE, rng)
    out["heldout"]["knee"] += sorted(p for p in (data_root / "knee_oa" / "val").rglob("*") if p.is_file())
    samples = data_root / "samples"
    out["heldout"]["chest"] += sorted(
        p for d in ("chest", "unlabeled_chest") for p in (samples / d).glob("*") if p.is_file()
    )
    out["heldout"]["chest"] += [p for p in [data_root / "dicom" / "CR-MONO1-10-chest"] if p.is_file()]
    out["heldout"]["knee"] += sorted(p for p in (samples / "knee").glob("*") if p.is_file())
    return out


def _pick(paths: list[Path], count: int, rng: np.random.Generator) -> list[Path]:
    paths = sorted(paths)
    if len(paths) <= count:
        return paths
    return [paths[i] for i in sorted(rng.choice(len(paths), count, replace=False))]


def featurise(
    paths_by_class: dict[str, list[Path]],
    n_negatives: int,
    seed: int,
    progress: Progress | None = None,
    classes: tuple[str, ...] = CLASSES,
) -> FilmSet:
    """Load each film as the analysis would and compute its router features; add generated negatives.
    Labels are indices into `classes` (the body parts, or the age groups for the age-group head)."""
    from xray_desktop.imaging.loader import load_radiograph

    rows: list[np.ndarray] = []
    labels: list[int] = []
    names: list[str] = []
    todo = sum(len(v) for v in paths_by_class.values()) + n_negatives
    for cls, paths in paths_by_class.items():
        for path in paths:
            r = load_radiograph(path)
            rows.append(router_features(r.pixels, r.colour))
            labels.append(classes.index(cls))
            names.append(str(path))
            if progress is not None and len(rows) % 200 == 0:
                progress.update(len(rows), todo, "router features")
    for kind, grey, colour in negatives.generate(n_negatives, seed):
        rows.append(router_features(grey, colour))
        labels.append(CLASSES.index(NOT_RADIOGRAPH))
        names.append(f"generated:{kind}")
    return FilmSet(np.stack(rows), np.array(labels), names)


def fit_router(train: FilmSet, c: float = 0.5, min_confidence: float = 0.8) -> BodyPartRouter:
    """Multinomial logistic regression on standardised features (scikit-learn fits; numpy predicts)."""
    from sklearn.linear_model import LogisticRegression

    mean = train.features.mean(axis=0)
    std = train.features.std(axis=0) + 1e-6
    model = LogisticRegression(C=c, max_iter=3000)
    model.fit((train.features - mean) / std, train.labels)
    return BodyPartRouter(
        CLASSES, mean.astype(np.float32), std.astype(np.float32), model.coef_, model.intercept_, min_confidence
    )


def evaluate(router: BodyPartRouter, films: FilmSet) -> dict[str, Any]:
    """Accuracy (confident and correct) per class and overall, and what went wrong, on held-out films."""
    p = router.probabilities(films.features)
    best = p.argmax(axis=1)
    confident = p.max(axis=1) >= router.min_confidence
    correct = (best == films.labels) & confident
    per_class = {
        cls: {"n": int((films.labels == i).sum()), "accuracy": round(float(correct[films.labels == i].mean()), 4)}
        for i, cls in enumerate(router.classes)
        if (films.labels == i).any()
    }
    wrong = [
        {
            "film": films.names[i],
            "truth": router.classes[films.labels[i]],
            "said": router.classes[best[i]],
            "confidence": round(float(p[i].max()), 3),
        }
        for i in np.flatnonzero(~correct)[:20]
    ]
    return {
        "accuracy": round(float(correct.mean()), 4),
        "n": len(films.labels),
        "per_class": per_class,
        "errors": wrong,
    }


def build_router(data_root: Path, progress: Progress | None = None) -> tuple[BodyPartRouter, dict[str, Any]]:
    """Featurise, fit and evaluate; the returned router's `info` carries the held-out figures."""
    started = time.perf_counter()
    paths = film_paths(Path(data_root))
    train = featurise(paths["train"], 2400, seed=1, progress=progress)
    heldout = featurise(paths["heldout"], 1000, seed=2, progress=progress)
    router = fit_router(train)
    metrics = evaluate(router, heldout)
    router.info = {
        "trained_on": {c: int((train.labels == i).sum()) for i, c in enumerate(CLASSES)},
        "heldout": metrics,
        "heldout_data": "pneumonia and cardiomegaly recipes' validation films (300 each), knee_oa/val, "
        "shared samples and the CR chest DICOM, 1000 generated negatives (seed 2)",
        "limb": "no limb films in the data: the router never answers limb",
        "seconds": round(time.perf_counter() - started, 1),
    }
    return router, metrics


AGE_RECIPES = {CHILD: "pneumonia_resnet_small_224.toml", ADULT: "cardiomegaly_small_cnn_128_v2.toml"}
AGE_MIN_CONFIDENCE = 0.9  # margin: on validation, 0.5 already separates the two groups but for 1 %


def age_paths(data_root: Path, split: str) -> dict[str, list[Path]]:
    """{CHILD: the paediatric recipe's films, ADULT: the adult NIH recipe's films} of one split of their plans."""
    from xray_desktop.paths import install_root
    from xray_desktop.training.data_plan import plan_data
    from xray_desktop.training.recipes import load_recipe

    recipes = install_root() / "training" / "recipes"
    return {
        group: [s.path for s in getattr(plan_data(load_recipe(recipes / name), data_root).split, split)]
        for group, name in AGE_RECIPES.items()
    }


def fit_age_head(router: BodyPartRouter, data_root: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Fit the chest age-group head on the two chest recipes' training films (their validation films measure it;
    their internal tests stay untouched), set it on `router` and return its held-out figures."""
    from sklearn.linear_model import LogisticRegression

    def features(split: str) -> tuple[np.ndarray, np.ndarray]:
        films = featurise(age_paths(Path(data_root), split), 0, seed=0, progress=progress, classes=(ADULT, CHILD))
        return router.standardise(films.features), films.labels  # label 1 = child

    x, y = features("train")
    model = LogisticRegression(C=0.1, max_iter=3000).fit(x, y)
    router.age = AgeGroupHead(model.coef_[0].astype(np.float32), float(model.intercept_[0]), AGE_MIN_CONFIDENCE)
    vx, vy = features("validation")
    p_child = router.age.p_child(vx)
    figures = {
        "trained_on": {CHILD: int(y.sum()), ADULT: int((1 - y).sum())},
        "validation": {
            "children_called_child": round(float((p_child[vy == 1] >= AGE_MIN_CONFIDENCE).mean()), 4),
            "children_called_adult": round(float((1 - p_child[vy == 1] >= AGE_MIN_CONFIDENCE).mean()), 4),
            "adults_called_adult": round(float((1 - p_child[vy == 0] >= AGE_MIN_CONFIDENCE).mean()), 4),
            "adults_called_child": round(float((p_child[vy == 0] >= AGE_MIN_CONFIDENCE).mean()), 4),
            "n": {CHILD: int(vy.sum()), ADULT: int((1 - vy).sum())},
        },
        "data": f"training and validation splits of {AGE_RECIPES[CHILD]} (children 1-5 years, Guangzhou) and "
        f"{AGE_RECIPES[ADULT]} (adults, NIH); their internal tests untouched",
        "min_confidence": AGE_MIN_CONFIDENCE,
    }
    router.info["age_group"] = figures
    return figures


def install_router(router: BodyPartRouter, registry: Any) -> dict[str, Any]:
    """Write the router file beside the models and record it (with its sha256) in the registry."""
    from xray_desktop.atomic import atomic_open
    from xray_desktop.models.checksum import sha256_file

    target = registry.models_dir / ROUTER_FILE
    with atomic_open(target, "wb") as handle:
        handle.write(router.to_bytes())
    registry.router = {
        "file": ROUTER_FILE,
        "sha256": sha256_file(target),
        "kind": "features + multinomial logistic regression",
        "classes": list(router.classes),
        "min_confidence": router.min_confidence,
        "metrics": {
            "heldout": {k: router.info["heldout"][k] for k in ("accuracy", "n", "per_class")},
            "data": router.info["heldout_data"],
        },
    }
    if router.age is not None:
        registry.router["age_group"] = router.info.get("age_group", {})
    registry.save()
    return registry.router
