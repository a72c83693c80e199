"""`explain-eval`: how faithful each explanation method is on a set of films, where its maps lie, and
whether they depend on the trained weights (sanity check). Figures with bootstrap 95 % CIs.

Per film and method: the map (timed), its deletion and insertion AUC (`explain.faithfulness`), its
mass on border bands and burned-in markers (`explain.audit`); the random map is the same curves for
random block orders. TensorFlow is touched only through the explain modules, lazily.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xray_desktop.errors import ImageLoadError, InputError
from xray_desktop.explain import METHOD_NAMES, METHODS
from xray_desktop.imaging.preprocess import prepare_input, restore_map
from xray_desktop.models.registry import ModelEntry
from xray_desktop.progress import Progress

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".dcm", ".dicom"})
RANDOM = "random"
BOOTSTRAP = 2000


@dataclass
class Film:
    path: Path
    pixels: np.ndarray
    image: np.ndarray  # the model input (h, w, c)


@dataclass
class MethodFigures:
    """Per-film values for one method (or the random map)."""

    deletion: list[float] = field(default_factory=list)
    insertion: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    border: list[float] = field(default_factory=list)
    marker: list[float] = field(default_factory=list)
    either: list[float] = field(default_factory=list)


def list_films(folder: Path, limit: int | None = None, seed: int = 0) -> list[Path]:
    """Image files under `folder` (recursive); a seeded sample of `limit` of them when there are more."""
    if not Path(folder).is_dir():
        raise InputError(f"{folder}: not a folder")
    found = sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not found:
        raise InputError(f"{folder}: no image files found")
    if limit is not None and len(found) > limit:
        picked = np.random.default_rng(seed).choice(len(found), size=limit, replace=False)
        found = [found[i] for i in sorted(picked)]
    return found


def load_films(paths: Sequence[Path], entry: ModelEntry) -> tuple[list[Film], list[tuple[str, str]]]:
    """Readable films prepared for `entry`'s model, and (path, reason) for the unreadable ones."""
    from xray_desktop.imaging.loader import load_radiograph

    films, skipped = [], []
    for path in paths:
        try:
            radiograph = load_radiograph(path)
        except ImageLoadError as exc:
            skipped.append((str(path), str(exc)))
            continue
        films.append(Film(Path(path), radiograph.pixels, prepare_input(radiograph.pixels, entry.spec)))
    return films, skipped


def bootstrap_ci(values: Sequence[float] | np.ndarray, seed: int = 0, rounds: int = BOOTSTRAP) -> tuple[float, float]:
    """Percentile 95 % CI of the mean, resampling films."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return (float("nan"), float("nan"))
    means = data[np.random.default_rng(seed).integers(0, data.size, (rounds, data.size))].mean(axis=1)
    return (float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5)))


def evaluate_methods(
    model: Any,
    entry: ModelEntry,
    films: Sequence[Film],
    *,
    methods: Sequence[str] = METHODS,
    progress: Progress | None = None,
    threshold: float | None = None,
) -> dict[str, MethodFigures]:
    """Per-film figures for each method and for the random map.

    With `threshold` (on the calibrated probability), each film's maps are those of the class the model
    decides, as the window, the PDF and `analyze` show them, and the curves follow the probability of that
    class; without it, the condition's maps and P(condition) on every film.
    """
    from xray_desktop.explain import audit, faithfulness
    from xray_desktop.explain.cam import CamExplainer
    from xray_desktop.explain.layer_choice import predictor
    from xray_desktop.services.analyze import decide

    predict_condition = predictor(model)

    def decided(raw_p: float) -> bool:
        return threshold is None or decide(entry, raw_p, threshold)[1]

    layers = entry.cam_layers or None
    explainers = {m: CamExplainer(model, m, layers=layers) for m in methods}
    out = {m: MethodFigures() for m in (*methods, RANDOM)}
    for index, film in enumerate(films):
        if progress is not None:
            progress.check_cancelled()
            progress.update(index, len(films), f"explaining {film.path.name}")
        markers = audit.marker_mask(film.pixels)
        predict = predict_condition
        for method, explainer in explainers.items():
            started = time.perf_counter()
            probs, maps, _ = explainer.explain(film.image[None], decide=decided)
            out[method].seconds.append(time.perf_counter() - started)
            # the decision from the explain pass's own probability: no second forward pass
            predict = predict_condition if decided(float(probs[0])) else _complement(predict_condition)
            curves = faithfulness.curves(predict, film.image, faithfulness.block_order(maps[0], seed=index))
            _add(
                out[method],
                curves,
                audit.mass_shares(restore_map(maps[0], entry.spec, film.pixels.shape), film.pixels, markers),
            )
        for k in range(faithfulness.RANDOM_MAPS):
            order = faithfulness.random_order(seed=1000 * index + k)
            curves = faithfulness.curves(predict, film.image, order)
            rand_map = faithfulness.block_scores(np.random.default_rng(1000 * index + k).random((16, 16)))
            shares = audit.mass_shares(restore_map(rand_map, entry.spec, film.pixels.shape), film.pixels, markers)
            _add(out[RANDOM], curves, shares if k == 0 else None, weight=1.0 / faithfulness.RANDOM_MAPS, first=k == 0)
        out[RANDOM].seconds.append(0.0)
    if progress is not None:
        progress.update(len(films), len(films), "explanations scored")
    return out


def _complement(predict: Any) -> Any:
    """P(negative class) from a P(condition) predictor: the curves of a map of "Normal"."""

    def negative(batch: np.ndarray) -> np.ndarray:
        return 1.0 - np.asarray(predict(batch))

    return negative


def _add(figures: MethodFigures, curves: Any, shares: Any, weight: float = 1.0, first: bool = True) -> None:
    if first:
        figures.deletion.append(0.0)
        figures.insertion.append(0.0)
    figures.deletion[-1] += weight * curves.deletion_auc
    figures.insertion[-1] += weight * curves.insertion_auc
    if shares is not None:
        figures.border.append(shares.border)
        figures.marker.append(shares.marker)
        figures.either.append(shares.either)


def summarise(figures: dict[str, MethodFigures], seed: int = 0) -> dict[str, Any]:
    """Means with bootstrap CIs per method, and each method's paired deletion difference to the random map."""
    random = np.asarray(figures[RANDOM].deletion)
    table: dict[str, Any] = {}
    for method, f in figures.items():
        deletion, insertion = np.asarray(f.deletion), np.asarray(f.insertion)
        row: dict[str, Any] = {
            "name": METHOD_NAMES.get(method, "Random map"),
            "n": int(deletion.size),
            "deletion_auc": _mean_ci(deletion, seed),
            "insertion_auc": _mean_ci(insertion, seed),
            "score": _mean_ci(0.5 + (insertion - deletion) / 2.0, seed),
            "seconds_per_film": round(float(np.mean(f.seconds)), 4) if f.seconds else None,
            "border_mass": _mean_ci(np.asarray(f.border), seed),
            "marker_mass": _mean_ci(np.asarray(f.marker), seed),
            "border_or_marker_mass": _mean_ci(np.asarray(f.either), seed),
        }
        if method != RANDOM and deletion.size:
            diff = deletion - random
            row["deletion_minus_random"] = _mean_ci(diff, seed)
            row["beats_random_share"] = round(float(np.mean(diff < 0)), 4)
            high = row["deletion_minus_random"]["ci95"][1]
            row["beats_random_ci_excludes"] = bool(high < 0)
        table[method] = row
    return table


def _mean_ci(values: np.ndarray, seed: int) -> dict[str, Any]:
    if values.size == 0:
        return {"mean": None, "ci95": [None, None]}
    low, high = bootstrap_ci(values, seed)
    return {"mean": round(float(values.mean()), 4), "ci95": [round(low, 4), round(high, 4)]}


def format_table(report: dict[str, Any]) -> str:
    """The methods table in plain text (the CLI prints it; the card embeds it as markdown)."""
    lines = [
        f"{'method':<22} {'deletion AUC (95% CI)':<26} {'insertion AUC (95% CI)':<26} {'score':>6} "
        f"{'beats random':>12} {'border+marker':>13} {'s/film':>7}"
    ]
    for row in report["methods"].values():
        d, i = row["deletion_auc"], row["insertion_auc"]
        beats = f"{row['beats_random_share'] * 100:.0f} %" if "beats_random_share" in row else "—"
        mass = row["border_or_marker_mass"]["mean"]
        lines.append(
            f"{row['name']:<22} {_ci(d):<26} {_ci(i):<26} {row['score']['mean']:>6.3f} {beats:>12} "
            f"{'—' if mass is None else f'{mass * 100:.1f} %':>13} {row['seconds_per_film']:>7.3f}"
        )
    return "\n".join(lines)


def _ci(value: dict[str, Any]) -> str:
    if value["mean"] is None:
        return "—"
    return f"{value['mean']:.3f} ({value['ci95'][0]:.3f}-{value['ci95'][1]:.3f})"
